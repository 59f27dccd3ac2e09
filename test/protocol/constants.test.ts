/**
 * The opcode and notification tables and the flag tables that cite fuse.h,
 * against the kernel's own header: a C program compiled here prints the value
 * of every constant the header defines, so a mistyped opcode number or flag
 * bit fails here (layouts.test.ts does the same for the structs).
 *
 * The build machine's header may be older than 7.45 (Debian bookworm ships
 * 7.38): constants it lacks are skipped and listed in the test output, and
 * libfuse 3.18.2's copy of the 7.45 header is checked too where the
 * third-party sources are beside the project.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { repoRoot } from '../helpers/mount.js';
import { ALL_FLAG_SETS } from '../../src/protocol/flags/index.js';
import { CUSE_INIT_BSWAP_RESERVED, FUSE_INIT_BSWAP_RESERVED, NOTIFY_CODES, OPCODES } from '../../src/protocol/opcodes.js';

const SYSTEM_HEADER = '/usr/include/linux/fuse.h';
/** libfuse's copy of the 7.45 header, from the third-party sources beside the project (absent in a plain clone). */
const VENDOR_TARBALL = join(repoRoot, '..', 'shared', 'vendor', 'libfuse-3.18.2.tar.gz');

function findCompiler(): string | undefined {
  for (const cc of ['cc', 'gcc', 'clang']) {
    if (spawnSync(cc, ['--version'], { encoding: 'utf8' }).status === 0) return cc;
  }
  return undefined;
}

/** Names of the members of `enum NAME { ... }` in the header text. */
function enumMembers(text: string, name: string): Set<string> {
  const m = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(text.replace(/\/\*[\s\S]*?\*\//g, ''));
  return new Set((m?.[1] ?? '').split(',').map((d) => /^\s*(\w+)/.exec(d)?.[1]).filter((x): x is string => x !== undefined));
}

/** Compiles and runs a probe printing `name value` for each expression; returns name -> value. */
function probe(cc: string, header: string, exprs: Map<string, string>): Map<string, bigint> {
  const lines = ['#include <stdio.h>', '#include <stdint.h>', `#include "${header}"`, 'int main(void) {'];
  // `(1 << 31)` is a negative int: widen 32-bit values as unsigned.
  for (const [name, expr] of exprs) {
    lines.push(`  printf("%s %llu\\n", "${name}", sizeof(${expr}) <= 4 ? (unsigned long long)(unsigned int)(${expr}) : (unsigned long long)(${expr}));`);
  }
  lines.push('  return 0;', '}');
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-constants-'));
  try {
    writeFileSync(join(dir, 'p.c'), lines.join('\n') + '\n');
    const c = spawnSync(cc, ['-o', join(dir, 'p'), join(dir, 'p.c')], { encoding: 'utf8' });
    assert.equal(c.status, 0, `compiling the constants probe failed:\n${c.stderr}`);
    const r = spawnSync(join(dir, 'p'), [], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    return new Map(r.stdout.trim().split('\n').map((l) => {
      const [n, v] = l.split(' ');
      return [n!, BigInt(v!)] as const;
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cc = findCompiler();

/** The headers to check against: the system's, and libfuse 3.18.2's (7.45) when its source is beside the project. */
const headers: { label: string; path: (t: TestContext) => string; skip: string | false }[] = [
  { label: '<linux/fuse.h>', path: () => SYSTEM_HEADER, skip: existsSync(SYSTEM_HEADER) ? false : `${SYSTEM_HEADER} missing (Debian: linux-libc-dev)` },
  {
    label: 'libfuse 3.18.2 include/fuse_kernel.h',
    path: (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'fusetrace-kernel-h-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const r = spawnSync('tar', ['-xzf', VENDOR_TARBALL, '-C', dir, '--strip-components=2', 'libfuse-3.18.2/include/fuse_kernel.h']);
      assert.equal(r.status, 0, `extracting fuse_kernel.h: ${r.stderr}`);
      return join(dir, 'fuse_kernel.h');
    },
    skip: existsSync(VENDOR_TARBALL) ? false : `${VENDOR_TARBALL} absent (the third-party sources are not beside this clone)`,
  },
];

for (const h of headers) {
const skip = !cc ? 'no C compiler (cc/gcc/clang) on this machine' : h.skip;

test(`opcode and notification numbers match ${h.label}`, { skip }, (t) => {
  const HEADER = h.path(t);
  const text = readFileSync(HEADER, 'utf8');
  const ops = enumMembers(text, 'fuse_opcode');
  const notes = enumMembers(text, 'fuse_notify_code');
  assert.ok(ops.size > 40 && notes.size > 5, `parsed ${ops.size} opcodes and ${notes.size} notification codes from the header`);
  const want = new Map<string, bigint>();
  const skipped: string[] = [];
  for (const r of OPCODES) {
    const c = r.name === 'CUSE_INIT' ? 'CUSE_INIT' : `FUSE_${r.name}`;
    if (ops.has(c)) want.set(c, BigInt(r.code));
    else skipped.push(c);
  }
  for (const r of NOTIFY_CODES) {
    const c = `FUSE_NOTIFY_${r.name}`;
    if (notes.has(c)) want.set(c, BigInt(r.code));
    else skipped.push(c);
  }
  for (const [c, v] of [['FUSE_INIT_BSWAP_RESERVED', FUSE_INIT_BSWAP_RESERVED], ['CUSE_INIT_BSWAP_RESERVED', CUSE_INIT_BSWAP_RESERVED]] as const) {
    if (ops.has(c)) want.set(c, BigInt(v));
  }
  // Every opcode of the header is in the table (its own spelling; FUSE_INIT_BSWAP_RESERVED & co. are markers).
  const known = new Set(want.keys());
  for (const c of ops) if (!c.endsWith('_BSWAP_RESERVED')) assert.ok(known.has(c), `header opcode ${c} is in the opcode table`);
  for (const c of notes) if (c !== 'FUSE_NOTIFY_CODE_MAX') assert.ok(known.has(c), `header notification ${c} is in the table`);
  const got = probe(cc as string, HEADER, new Map([...want.keys()].map((c) => [c, c])));
  for (const [c, v] of want) assert.equal(got.get(c), v, c);
  t.diagnostic(`${want.size} codes checked; not in this header: ${skipped.join(', ') || 'none'}`);
});

test(`flag bits of the tables that cite fuse.h match ${h.label}`, { skip }, (t) => {
  const HEADER = h.path(t);
  const text = readFileSync(HEADER, 'utf8');
  const defined = new Set([...text.matchAll(/#define\s+(\w+)/g)].map((m) => m[1]!));
  const want = new Map<string, bigint>();
  const skipped: string[] = [];
  for (const set of ALL_FLAG_SETS) {
    if (!set.source.includes('fuse.h')) continue;
    for (const [bit, name] of set.bits) {
      if (defined.has(name)) want.set(name, 1n << BigInt(bit));
      else skipped.push(`${set.name}.${name}`);
    }
  }
  assert.ok(want.size > 60, `${want.size} flags found in the header`);
  const got = probe(cc as string, HEADER, new Map([...want.keys()].map((c) => [c, c])));
  for (const [c, v] of want) assert.equal(got.get(c), v, `${c} = bit ${v.toString(2).length - 1}`);
  t.diagnostic(`${want.size} flag bits checked; not in this header: ${skipped.join(', ') || 'none'}`);
});
}
