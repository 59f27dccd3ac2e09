/**
 * The declared layouts against the kernel's own header: a small C program,
 * written to a temp dir and compiled here, prints sizeof/offsetof for every
 * struct of <linux/fuse.h> that we declare, member by member (strace pins
 * its struct sizes with static_asserts the same way).
 *
 * The header on the build machine may be older than 7.45 (Debian bookworm
 * ships 7.38): structs and members it lacks are skipped and listed in the
 * test output; padding members are compared through sizeof and the offsets
 * of the members that follow them (their names changed across versions).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_LAYOUTS, COMPAT_SIZES, sizeAt, LAYOUTS_BY_NAME } from '../../src/protocol/layouts/index.js';

const HEADER = '/usr/include/linux/fuse.h';

function findCompiler(): string | undefined {
  for (const cc of ['cc', 'gcc', 'clang']) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cc;
  }
  return undefined;
}

/** Members of each struct in the header text: name -> [member, isFlexibleArray][]. */
function headerStructs(text: string): Map<string, [string, boolean][]> {
  const out = new Map<string, [string, boolean][]>();
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const re = /struct\s+(\w+)\s*\{([^}]*)\}\s*;/g;
  for (let m = re.exec(noComments); m; m = re.exec(noComments)) {
    const members: [string, boolean][] = [];
    for (const decl of m[2]!.split(';')) {
      const d = decl.trim();
      if (!d) continue;
      const mm = /(\w+)\s*(\[\s*(\w*)\s*\])?$/.exec(d);
      if (mm) members.push([mm[1]!, mm[2] !== undefined && mm[3] === '']);
    }
    out.set(m[1]!, members);
  }
  return out;
}

const cc = findCompiler();
const haveHeader = existsSync(HEADER);
const skip = !cc ? 'no C compiler (cc/gcc/clang) on this machine' : !haveHeader ? `${HEADER} missing (Debian: linux-libc-dev)` : false;

test('declared layouts match <linux/fuse.h> member by member', { skip }, (t) => {
  const text = readFileSync(HEADER, 'utf8');
  const minorMatch = /#define\s+FUSE_KERNEL_MINOR_VERSION\s+(\d+)/.exec(text);
  const hdrMinor = minorMatch ? Number(minorMatch[1]) : 0;
  const structs = headerStructs(text);
  const lines: string[] = ['#include <stdio.h>', '#include <stddef.h>', '#include <linux/fuse.h>', 'int main(void) {'];
  const skipped: string[] = [];
  const compared: string[] = [];
  for (const l of ALL_LAYOUTS) {
    if (l.name === 'fuse_backing_map' && !structs.has(l.name)) { skipped.push(`${l.name} (struct absent)`); continue; }
    const members = structs.get(l.name);
    if (!members) {
      skipped.push(`${l.name} (struct absent from the ${hdrMinor ? `7.${hdrMinor}` : ''} header)`);
      continue;
    }
    compared.push(l.name);
    lines.push(`  printf("S ${l.name} %zu\\n", sizeof(struct ${l.name}));`);
    const names = new Set(members.map(([n]) => n));
    for (const f of l.fields) {
      if (f.pad) continue;
      if (!names.has(f.name)) {
        skipped.push(`${l.name}.${f.name} (member absent from the 7.${hdrMinor} header${f.since ? `; since 7.${f.since}` : ''})`);
        continue;
      }
      lines.push(`  printf("F ${l.name} ${f.name} %zu %zu\\n", offsetof(struct ${l.name}, ${f.name}), sizeof(((struct ${l.name} *)0)->${f.name}));`);
    }
    // Every header member must be declared (flexible arrays are the variable tail, declared apart).
    const declared = new Set(l.fields.map((f) => f.name));
    for (const [n, flex] of members) {
      if (flex) continue;
      if (!declared.has(n)) {
        // A padding member renamed since (e.g. open_out.padding -> backing_id) is fine if sizes agree.
        const padOk = n.startsWith('__') || ['padding', 'unused', 'dummy', 'spare', 'reserved'].some((p) => n.startsWith(p));
        if (!padOk) assert.fail(`${l.name}: header member ${n} is not declared in the layout`);
      }
    }
  }
  lines.push('  return 0;', '}');
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-layout-'));
  try {
    const src = join(dir, 'layout.c');
    const exe = join(dir, 'layout');
    writeFileSync(src, lines.join('\n') + '\n');
    const c = spawnSync(cc as string, ['-o', exe, src], { encoding: 'utf8' });
    assert.equal(c.status, 0, `compiling the layout probe failed:\n${c.stderr}`);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    let checks = 0;
    for (const line of r.stdout.trim().split('\n')) {
      const parts = line.split(' ');
      const l = LAYOUTS_BY_NAME.get(parts[1]!)!;
      if (parts[0] === 'S') {
        assert.equal(l.size, Number(parts[2]), `sizeof(struct ${l.name})`);
      } else {
        const f = l.fields.find((x) => x.name === parts[2])!;
        assert.equal(f.offset, Number(parts[3]), `offsetof(struct ${l.name}, ${f.name})`);
        assert.equal(f.size, Number(parts[4]), `sizeof(${l.name}.${f.name})`);
      }
      checks++;
    }
    assert.ok(compared.length >= 60, `compared ${compared.length} structs`);
    t.diagnostic(`header 7.${hdrMinor}: ${compared.length} structs, ${checks} sizeof/offsetof checks passed`);
    t.diagnostic(`skipped (not in this header): ${skipped.join('; ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compat sizes follow fuse-protocol.md §4.1', () => {
  const at = (n: string, minor: number): number => sizeAt(LAYOUTS_BY_NAME.get(n)!, minor);
  assert.equal(at('fuse_entry_out', 8), 120);
  assert.equal(at('fuse_entry_out', 9), 128);
  assert.equal(at('fuse_attr_out', 8), 96);
  assert.equal(at('fuse_attr_out', 45), 104);
  assert.equal(at('fuse_statfs_out', 3), 48);
  assert.equal(at('fuse_statfs_out', 4), 80);
  assert.equal(at('fuse_write_in', 8), 24);
  assert.equal(at('fuse_write_in', 9), 40);
  assert.equal(at('fuse_mknod_in', 11), 8);
  assert.equal(at('fuse_mknod_in', 12), 16);
  assert.equal(at('fuse_create_in', 11), 8);
  assert.equal(at('fuse_create_in', 12), 16);
  assert.equal(at('fuse_init_in', 5), 8);
  assert.equal(at('fuse_init_in', 35), 16);
  assert.equal(at('fuse_init_in', 36), 64);
  assert.equal(at('fuse_init_out', 4), 8);
  assert.equal(at('fuse_init_out', 22), 24);
  assert.equal(at('fuse_init_out', 23), 64);
  // Each compat size ends on a field boundary of the full layout.
  for (const [name, rows] of Object.entries(COMPAT_SIZES)) {
    const l = LAYOUTS_BY_NAME.get(name)!;
    for (const [, size] of rows) {
      const ok = size === l.size || l.fields.some((f) => f.offset === size) || l.fields.some((f) => typeof f.type === 'object' && 'kind' in f.type && f.offset < size && f.offset + f.size > size);
      assert.ok(ok, `${name}: compat size ${size} is not on a field boundary`);
    }
  }
});

test('sizes of the 7.45-only structs (checked with gcc against libfuse fuse_kernel.h 7.45, fuse-protocol.md §3)', () => {
  const size = (n: string): number => LAYOUTS_BY_NAME.get(n)!.size;
  assert.equal(size('fuse_statx'), 256);
  assert.equal(size('fuse_statx_in'), 24);
  assert.equal(size('fuse_statx_out'), 288);
  assert.equal(size('fuse_sx_time'), 16);
  assert.equal(size('fuse_copy_file_range_out'), 8);
  assert.equal(size('fuse_notify_prune_out'), 16);
  assert.equal(size('fuse_init_out'), 64);
  assert.equal(LAYOUTS_BY_NAME.get('fuse_init_out')!.offsets.request_timeout, 40);
  assert.equal(LAYOUTS_BY_NAME.get('fuse_open_out')!.offsets.backing_id, 12);
  assert.equal(size('fuse_removemapping_in'), 4);
  assert.equal(size('cuse_init_out'), 72);
});

test('every struct an opcode or notification row uses is one of the declared layouts (docs and dissector list them)', async () => {
  const { OPCODES, NOTIFY_CODES } = await import('../../src/protocol/opcodes.js');
  type Part = (typeof OPCODES)[number]['request'][number];
  const check = (who: string, p: Part): void => {
    if (p.k === 'struct' || p.k === 'array' || p.k === 'records' || p.k === 'either') {
      assert.equal(LAYOUTS_BY_NAME.get(p.l.name), p.l, `${who}: ${p.l.name} is listed in layouts/index.ts`);
    }
    if (p.k === 'either') check(who, p.or);
  };
  let n = 0;
  for (const r of OPCODES) for (const p of [...r.request, ...r.reply]) { check(r.name, p); n++; }
  for (const r of NOTIFY_CODES) for (const p of r.body) { check(r.name, p); n++; }
  assert.ok(n > 80, `${n} body parts checked`);
});
