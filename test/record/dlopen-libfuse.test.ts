/**
 * The capture library under a daemon that reaches libfuse 3 through a module
 * loaded with dlopen(RTLD_LOCAL), as Python's pyfuse3 does under `borg
 * mount`: libfuse is then outside the global symbol scope, so the
 * recorder's fuse_session_mount wrapper, which the module's call reaches
 * first, found no real one by RTLD_NEXT and failed the mount (ENOSYS).
 * Needs root, /dev/fuse, a C compiler and libfuse3-dev.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fuseSkipReason, haveCommand, isMounted, makeTempDir, Op, pairExchanges, readPcapng, recorderLibPath, repoRoot, type TempDir } from '../helpers/mount.js';

const skip = fuseSkipReason({ recorder: true }) ?? (haveCommand('pkg-config') && spawnSync('pkg-config', ['--exists', 'fuse3']).status === 0
  ? undefined : 'libfuse3-dev (pkg-config fuse3) is not installed');

test('a daemon whose libfuse is loaded RTLD_LOCAL mounts under the recorder; the capture has its traffic and names the mount point', { skip }, async () => {
  const dir = makeTempDir('dlopenfs');
  try {
    await mountRecordAndCheck(dir);
  } finally {
    dir.remove();   // not through a live mount
  }
});

async function mountRecordAndCheck(dir: TempDir): Promise<void> {
  const src = join(repoRoot, 'test', 'record', 'ftrec-dlopenfs.c');
  const mod = join(dir.path, 'module.so');
  const prog = join(dir.path, 'ftrec-dlopenfs');
  const cc = process.env.CC ?? 'cc';
  const flags = spawnSync('pkg-config', ['fuse3', '--cflags', '--libs'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
  let b = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-DMODULE', '-o', mod, src, ...flags], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  b = spawnSync(cc, ['-O2', '-o', prog, src, '-ldl'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const mnt = dir.sub('mnt');
  const out = join(dir.path, 'cap.pcapng');
  const child = spawn(prog, [mod, mnt], { env: { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (x: Buffer) => (stderr += x.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  try {
    for (let i = 0; i < 100 && child.exitCode === null && !isMounted(mnt); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(isMounted(mnt), `mounted (${stderr.trim()})`);
    spawnSync('stat', [mnt], { timeout: 10000 });     // GETATTR of the root, answered ENOSYS: no operations
  } finally {
    if (isMounted(mnt)) spawnSync('umount', [mnt]);
    if (readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `)) spawnSync('umount', ['-l', mnt]);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
  assert.equal(child.exitCode, 0, stderr);
  const cap = readPcapng(out);
  assert.equal(cap.interfaces[0]!.name, `fuse:${mnt}`, 'the mount point learned from fuse_session_mount');
  const ex = pairExchanges(cap).exchanges;
  assert.ok(ex.some((e) => e.opcode === Op.INIT && e.replyError === 0), 'INIT answered');
  assert.ok(ex.some((e) => e.opcode !== Op.INIT && e.nodeid === 1n && e.reply), 'a request for the root answered');
}
