/**
 * Go, static, 32-bit and emulated daemons: recognised before they start, so
 * that `record` does not run them under a recorder that would see nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { executableKind, resolveCommand } from '../../src/record/executable-kind.js';
import { fuseSkipReason, fusetraceBin, haveCommand, isMounted, makeTempDir, mountCommand, repoRoot, run, scenariofsArgs } from '../helpers/mount.js';

test('executableKind: dynamic, static, Go, script', (t) => {
  const dir = makeTempDir('exe-kind');
  assert.equal(executableKind(process.execPath), 'dynamic', 'node is dynamically linked');
  const script = dir.sub('daemon.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  assert.equal(executableKind(script), 'not-elf');
  assert.equal(executableKind(dir.sub('missing.bin')), 'not-elf');
  const src = dir.sub('s.c');
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const st = spawnSync(process.env.CC ?? 'cc', ['-static', '-o', dir.sub('static.bin'), src], { encoding: 'utf8' });
  if (st.status === 0) assert.equal(executableKind(dir.sub('static.bin')), 'static');
  else t.diagnostic(`no static libc to link with: static case not run (${st.stderr.trim().split('\n')[0]})`);
  const go = resolveCommand('gocryptfs');
  if (go) assert.equal(executableKind(go), 'go');
  else t.diagnostic('gocryptfs is not installed: Go case not run');
  dir.remove();
  if (st.status !== 0 && !go) t.skip('neither a static binary nor a Go one could be checked');
});

test('record without --bpf on a static daemon, when --bpf cannot run: says to use --bpf, exit 2, nothing started', async (t) => {
  if (!haveCommand(process.env.CC ?? 'cc')) return t.skip('no C compiler');
  const dir = makeTempDir('exe-static');
  const src = dir.sub('s.c');
  const marker = dir.sub('ran.txt');
  writeFileSync(src, `#include <stdio.h>\nint main(void) { FILE *f = fopen("${marker}", "w"); return f ? 0 : 1; }\n`);
  const st = spawnSync(process.env.CC ?? 'cc', ['-static', '-o', dir.sub('static.bin'), src], { encoding: 'utf8' });
  if (st.status !== 0) return t.skip('no static libc to link with');
  const r = await run(process.execPath, [fusetraceBin, 'record', '-o', dir.sub('cap.pcapng'), '--', dir.sub('static.bin')], {
    env: { ...process.env, FUSETRACE_BPF: `${dir.path}/no-such-recorder` },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is statically linked: the LD_PRELOAD library cannot see/);
  assert.match(r.stderr, /use --bpf/);
  assert.equal(spawnSync('test', ['-e', marker]).status, 1, 'the daemon was not started');
  dir.remove();
});

/** The first 64 bytes of an ELF file of `cls` (1: 32-bit, 2: 64-bit), byte order `data` (1 LE, 2 BE) and e_machine. */
function elfHeader(cls: number, data: number, machine: number): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = cls;
  h[5] = data;
  h[6] = 1;
  if (data === 1) h.writeUInt16LE(machine, 18);
  else h.writeUInt16BE(machine, 18);
  return h;
}

test('executableKind: a 32-bit ELF is elf32, a 64-bit one of another machine or byte order foreign', () => {
  const dir = makeTempDir('exe-kind-elf');
  const file = (name: string, b: Buffer): string => {
    const f = join(dir.path, name);
    writeFileSync(f, b);
    return f;
  };
  assert.equal(executableKind(file('i386', elfHeader(1, 1, 3))), 'elf32');
  assert.equal(executableKind(file('armhf', elfHeader(1, 1, 40))), 'elf32');
  // This host's machine (node's process.arch) decides which 64-bit ELF is foreign.
  const other = process.arch === 'arm64' ? 62 : 183;
  assert.equal(executableKind(file('other64', elfHeader(2, 1, other))), 'foreign');
  assert.equal(executableKind(file('s390x', elfHeader(2, 2, 22))), process.arch === 's390x' ? 'not-elf' : 'foreign');
  assert.equal(executableKind(file('short', elfHeader(1, 1, 3).subarray(0, 12))), 'not-elf');
  dir.remove();
});

/** scenariofs (the tests' raw /dev/fuse daemon) built for 32-bit x86, or why it cannot be. */
function scenariofs32(dir: string): { path?: string; reason?: string } {
  if (process.arch !== 'x64') return { reason: 'not an x86-64 host' };
  const out = `${dir}/scenariofs32`;
  const r = spawnSync(process.env.CC ?? 'cc', ['-m32', '-O2', '-pthread', '-D_GNU_SOURCE', '-D_FILE_OFFSET_BITS=64', '-o', out, `${repoRoot}/test/daemon/scenariofs.c`], { encoding: 'utf8' });
  return r.status === 0 ? { path: out } : { reason: `cc -m32 failed (Debian: apt-get install gcc-multilib): ${r.stderr.trim().split('\n')[0]}` };
}

test('a 32-bit daemon: record and record --bpf refuse it before it starts and say --strace; record --strace records it', async (t) => {
  const dir = makeTempDir('exe-32');
  t.after(() => dir.remove());
  const b = scenariofs32(dir.path);
  if (!b.path) return t.skip(b.reason);
  assert.equal(executableKind(b.path), 'elf32');
  const mnt = join(dir.path, 'mnt');
  const args = scenariofsArgs({ backing: dir.sub('back'), mountpoint: mnt });
  for (const opts of [[], ['--bpf']]) {
    const r = await run(process.execPath, [fusetraceBin, 'record', ...opts, '-o', dir.sub('no.pcapng'), '--', b.path, ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /scenariofs32 is a 32-bit program: /);
    assert.match(r.stderr, /hint: use --strace/);
    assert.equal(isMounted(mnt), false, 'the daemon was not started');
  }
  const skip = fuseSkipReason({ recorder: true, commands: ['strace'] });
  if (skip) return t.skip(`the mounts: ${skip}`);
  // Running already: record --bpf --pid looks at the process's executable.
  const running = await mountCommand([b.path, ...args], mnt);
  try {
    const r = await run(process.execPath, [fusetraceBin, 'record', '--bpf', '--pid', String(running.child.pid), '-o', dir.sub('no.pcapng')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`process ${running.child.pid} is a 32-bit program: .*\\n  hint: use --strace`));
  } finally {
    assert.equal(await running.unmount(), 0, running.stderr());
  }
  const out = dir.sub('cap.pcapng');
  const m = await mountCommand([process.execPath, fusetraceBin, 'record', '--strace', '-o', out, '--label', 'i386', '--', b.path, ...args], mnt, undefined, 30000);
  try {
    writeFileSync(`${mnt}/f`, 'written by a 32-bit daemon\n');
    assert.equal(readFileSync(`${mnt}/f`, 'utf8'), 'written by a 32-bit daemon\n');
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const a = spawnSync(process.execPath, [fusetraceBin, 'analyze', '--json', out], { encoding: 'utf8' });
  assert.equal(a.status, 0, a.stderr);
  const model = JSON.parse(a.stdout) as { connections: { name: string }[]; ops: { name: string; count: number }[]; summary: { unanswered: number; malformed: number } };
  assert.deepEqual(model.connections.map((c) => c.name), ['fuse:i386']);
  assert.ok(model.ops.some((o) => o.name === 'WRITE' && o.count >= 1), 'its WRITE was recorded');
  assert.ok(model.ops.some((o) => o.name === 'INIT'), 'from its INIT on');
  assert.equal(model.summary.malformed, 0);
});
