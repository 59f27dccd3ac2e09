/**
 * `fusetrace record` (the LD_PRELOAD library, no --bpf) on a daemon that
 * gives up root before its first request, as davfs2's mount.davfs does:
 * test/record/ftrec-initfs.c -d opens /dev/fuse and mounts as root, then
 * becomes uid/gid 65534 and only then reads INIT. The capture goes into a
 * directory only root may write: the library must have created it when the
 * daemon opened /dev/fuse, while it was still root (a library that creates
 * it at the first message records nothing here). With -b the daemon also
 * goes to the background first (the parent exits, the child serves with
 * stderr on /dev/null): the file and its lock follow the child.
 *
 * A mount helper that execs the daemon with the fd (-x, as mount.fuse3 -o
 * drop_privileges does, here after giving up root) hands the open capture to
 * the new image across the exec: the daemon, another user now, records into
 * the file root created, wherever it is (a root-only directory, a shared one,
 * a sticky one such as /tmp, where the helper could not even remove it). A
 * daemon that closes that fd behind the library's back before its first
 * message and reuses the number (-c) gets nothing written into its own file:
 * the capture is opened again by its path. fusermount3 run by a root daemon
 * (-o auto_unmount), which sends the fd over a socket and stays alive, gives
 * the capture back: the daemon must write the capture, not <out>.<pid>.
 *
 * Wherever the daemon runs from, its interface names the real mount point
 * (if_name fuse:<mnt>, if_description mountpoint=<mnt>, what `record` reads
 * to unmount a dead daemon's mount): an exec'd daemon never mounts, so the
 * helper's library hands the mount point over with the capture, and a
 * daemon told "/dev/fd/N" (mount.fuse3) keeps it instead of that name, which
 * realpath turned into /dev/fuse. A daemon whose helper had no library (so
 * nothing was handed over) is named by the kernel's connection number in
 * fdinfo where the kernel shows it, else "/dev/fd/N" as it was told. So is a
 * daemon whose mount a forked child makes (-k, glusterfs's way; -K, attached
 * only after the daemon has read INIT), at its first message.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { mountpointsOf, scanCapture } from '../../src/record/close-capture.js';
import { buildPassthroughLl, cliHasCommand, fusetraceBin, haveCommand, isMounted, makeTempDir, mountSkipReason, Op, pairExchanges, readPcapng, recorderLibPath, repoRoot, type TempDir } from '../helpers/mount.js';

let dir: TempDir | undefined;
let initfs = '';
let skip: string | undefined;

before(async () => {
  skip = await mountSkipReason({ recorder: true });
  if (!skip && !cliHasCommand('record')) skip = 'the CLI is not built (npm run build)';
  if (!skip && !haveCommand(process.env.CC ?? 'cc')) skip = 'no C compiler to build test/record/ftrec-initfs.c (apt-get install gcc)';
  if (skip) return;
  dir = makeTempDir('rootdrop');
  initfs = join(dir.path, 'ftrec-initfs');
  const b = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', initfs, join(repoRoot, 'test', 'record', 'ftrec-initfs.c')], { encoding: 'utf8' });
  if (b.status !== 0) skip = `building ftrec-initfs failed: ${b.stderr}`;
  // The daemon (uid 65534) runs this binary after giving up root: only its path must be open to it.
  chmodSync(dir.path, 0o755);
});

after(() => dir?.remove());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `fusetrace record -o out -- cmd...` for a daemon that goes to the
 * background once mounted (record returns then): the run, the daemon's pid
 * as record names it, and `stop`, which unmounts `mnt` and waits for the
 * daemon to exit (killing it after 10 s); `gone` says whether it has.
 */
function recordBackground(out: string, mnt: string, cmd: string[]): { r: SpawnSyncReturns<string>; pid: number | undefined; gone(): boolean; stop(): Promise<void> } {
  const r = spawnSync(process.execPath, [fusetraceBin, 'record', '-o', out, '--', ...cmd], { encoding: 'utf8', timeout: 60000 });
  const bg = /background \(pid (\d+)\)/.exec(r.stderr);
  const pid = bg ? Number(bg[1]) : undefined;
  const gone = (): boolean => pid === undefined || !existsSync(`/proc/${pid}`) || /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const stop = async (): Promise<void> => {
    unmount(mnt);
    for (let i = 0; i < 200 && !gone(); i++) await sleep(50);
    if (!gone()) process.kill(pid!, 'SIGKILL');
  };
  return { r, pid, gone, stop };
}

/** A directory only root may write to (and enter), with the mount point beside it. */
function places(name: string): { rootOnly: string; out: string; mnt: string } {
  const rootOnly = dir!.sub(`${name}-root-only`);
  chmodSync(rootOnly, 0o700);
  const mnt = dir!.sub(`${name}-mnt`);
  // Proves the premise: the daemon's later identity cannot create a file there.
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'touch', join(rootOnly, 'x')]);
  assert.notEqual(probe.status, 0, 'uid 65534 must not be able to write the capture directory');
  return { rootOnly, out: join(rootOnly, 'cap.pcapng'), mnt };
}

/** Requests on the mount (as root: the mount has user_id=0 and no allow_other). */
function workload(mnt: string): void {
  assert.equal(statSync(join(mnt, 'f')).size, 0);
  spawnSync('cat', [join(mnt, 'f')], { timeout: 10000 });
  spawnSync('ls', [mnt], { timeout: 10000 });
}

function unmount(mnt: string): void {
  spawnSync('umount', [mnt]);
  if (isMounted(mnt)) spawnSync('umount', ['-l', mnt]);
}

async function waitMounted(mnt: string, why: () => string): Promise<void> {
  for (let i = 0; i < 200 && !isMounted(mnt); i++) await sleep(50);
  assert.ok(isMounted(mnt), why());
}

/** Checks that the capture's one interface names the mount point `mnt`: if_name and, as `record` reads it, if_description. */
function checkMountpoint(out: string, mnt: string): void {
  const real = realpathSync(mnt);
  assert.deepEqual(readPcapng(out).interfaces.map((i) => i.name), [`fuse:${real}`], 'the interface is named after the mount point');
  assert.deepEqual(mountpointsOf(scanCapture(out)), [real], 'if_description says mountpoint=<the mount point>');
}

/** Checks the capture: the daemon's INIT and the workload's requests, all read and answered by `pid`, its interface named after `mnt`, and analyze reads it. */
function checkCapture(out: string, pid: number | undefined, mnt: string, owner = 0): void {
  assert.equal(statSync(out).uid, owner, owner === 0 ? 'created by the daemon while it was root' : `created by uid ${owner}`);
  const cap = readPcapng(out);
  assert.equal(cap.interfaces.length, 1);
  checkMountpoint(out, mnt);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0);
  const init = exchanges.find((e) => e.opcode === Op.INIT);
  assert.ok(init?.reply, 'INIT and its reply, the first messages after giving up root');
  for (const op of [Op.LOOKUP, Op.GETATTR, 14 /* OPEN */]) {
    assert.ok(exchanges.some((e) => e.opcode === op && e.reply), `opcode ${op} answered in the capture`);
  }
  if (pid !== undefined) assert.deepEqual([...new Set(cap.messages.map((m) => m.pid))], [pid], 'every message from the daemon that serves');
  assert.equal(cap.statistics, 1, 'closed by the library with its ISB when the daemon exited');
  const a = spawnSync(process.execPath, [fusetraceBin, 'analyze', '--json', out], { encoding: 'utf8', timeout: 60000 });
  assert.equal(a.status, 0, a.stderr);
  const j = JSON.parse(a.stdout) as { summary: { messages: number; unanswered: number; malformed: number }; ops: { name: string; count: number }[] };
  assert.equal(j.summary.messages, cap.messages.length, 'analyze reads every message');
  assert.equal(j.summary.unanswered + j.summary.malformed, 0);
  assert.equal(j.ops.find((o) => o.name === 'INIT')?.count, 1);
}

test('a daemon that opens /dev/fuse as root and gives up root before INIT is recorded into a root-only directory', async (t) => {
  if (skip) return t.skip(skip);
  const { out, mnt } = places('fg');
  const child = spawn(process.execPath, [fusetraceBin, 'record', '-o', out, '--', initfs, '-d', mnt], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  try {
    await waitMounted(mnt, () => err);
    workload(mnt);
  } finally {
    unmount(mnt);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, err);
  }
  const n = /capture: .*: (\d+) messages \((\d+) in, (\d+) out\) on 1 connection\n/.exec(err);
  assert.ok(n, err);
  const pid = /pid (\d+) records \/dev\/fuse traffic/.exec(err);
  assert.ok(pid, err);
  checkCapture(out, Number(pid[1]), mnt);
  assert.equal(readPcapng(out).messages.length, Number(n[1]));
});

test('the same daemon going to the background after mounting: the child that serves keeps the capture', async (t) => {
  if (skip) return t.skip(skip);
  const { out, mnt } = places('bg');
  const { r, pid, gone, stop } = recordBackground(out, mnt, [initfs, '-d', '-b', mnt]);
  try {
    assert.equal(r.status, 0, r.stderr);
    assert.ok(pid !== undefined, r.stderr);
    // The INIT exchange is flushed at once: record saw it before returning.
    assert.match(r.stderr, /capture: .*: 2 messages \(1 in, 1 out\) on 1 connection so far\n/);
    await waitMounted(mnt, () => r.stderr);
    workload(mnt);
  } finally {
    await stop();
  }
  assert.ok(gone(), 'the daemon exits once unmounted');
  checkCapture(out, pid, mnt);
});

test('a daemon that opens /dev/fuse and sends nothing (its mount fails): nothing recorded, the header-only file is removed', (t) => {
  if (skip) return t.skip(skip);
  const { rootOnly, out } = places('nomount');
  const missing = join(rootOnly, 'no-such-mountpoint');
  mkdirSync(rootOnly, { recursive: true });
  const r = spawnSync(process.execPath, [fusetraceBin, 'record', '-o', out, '--', initfs, '-d', missing], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 3, r.stderr); // the daemon's own exit code
  assert.match(r.stderr, /mount: No such file or directory/);
  assert.match(r.stderr, /no \/dev\/fuse traffic was recorded: the daemon opened \/dev\/fuse but no message went through it; .*cap\.pcapng, only a section header, was removed\n  hint: the mount failed or was never made/);
  assert.doesNotMatch(r.stderr, /gave up root|could not create the capture/);
  assert.equal(existsSync(out), false);
});

/** Runs `fusetrace record -o out -- cmd` until the mount at mnt is unmounted; returns its exit code and stderr. */
async function recordMount(out: string, mnt: string, cmd: string[], work: () => void): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [fusetraceBin, 'record', '-o', out, '--', ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  try {
    await waitMounted(mnt, () => err);
    work();
  } finally {
    unmount(mnt);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    const code = await exited;
    clearTimeout(timer);
    return { code, err };
  }
}

/** The block types of a pcapng file, in order. */
function blockTypes(file: string): number[] {
  const b = readFileSync(file);
  const types: number[] = [];
  for (let off = 0; off + 8 <= b.length; off += b.readUInt32LE(off + 4)) types.push(b.readUInt32LE(off));
  return types;
}

for (const [kind, mode, shell] of [['a sticky world-writable directory (as /tmp)', 0o1777, false], ['a root-only directory', 0o700, false], ['a shared directory', 0o777, false],
  ['a sticky directory, through `sh -c` (a shell between helper and daemon, as mount.fuse3 has)', 0o1777, true]] as const) {
  test(`a mount helper that gives up root and execs the daemon with the fd, capture in ${kind}: the daemon records into the file the helper opened`, async (t) => {
    if (skip) return t.skip(skip);
    const name = `x-${mode.toString(8)}${shell ? '-sh' : ''}`;
    const place = dir!.sub(name);
    chmodSync(place, mode);
    const out = join(place, 'cap.pcapng');
    // A space in the mount point: mountinfo, where the carried mount point is checked, writes it \040.
    const mnt = dir!.sub(`${name} mnt`);
    if (mode === 0o1777) {
      // The premise: the helper, no longer root, may neither remove root's file there nor (as the daemon) open it.
      writeFileSync(join(place, 'premise'), '');
      const rm = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'rm', '-f', join(place, 'premise')]);
      assert.notEqual(rm.status, 0, 'uid 65534 must not be able to remove root\'s file from a sticky directory');
      rmSync(join(place, 'premise'));
    }
    const { code, err } = await recordMount(out, mnt, [initfs, '-d', '-x', ...(shell ? ['-s'] : []), mnt], () => workload(mnt));
    assert.equal(code, 0, err);
    assert.match(err, /capture: .*: \d+ messages .* on 1 connection\n/);
    const handed = [...err.matchAll(/pid (\d+) records \/dev\/fuse traffic into .*, handed over across exec\n/g)].map((m) => Number(m[1]));
    // Directly: the daemon is the helper's pid. Through sh: sh (the helper's pid) is handed the capture, then the
    // daemon, the child sh runs.
    assert.equal(handed.length, shell ? 2 : 1, err);
    assert.doesNotMatch(err, /being written by another process/);
    // Created by the helper while root, written by the exec'd daemon (uid 65534) through the fd it was given.
    // The daemon never mounts (-F FD): only the helper's library, through the exec(s), knows where.
    checkCapture(out, handed[handed.length - 1], mnt, 0);
    assert.equal(blockTypes(out).filter((x) => x === 0x0a0d0d0a).length, 1, 'one section: the helper\'s, only a header, was replaced by the daemon\'s');
    assert.deepEqual(readdirSync(place), ['cap.pcapng'], 'no <out>.<pid>.pcapng, no other file');
  });
}

test('an exec\'d daemon that closes the capture fd it was given before its first message and reuses the number: nothing written into its file, the capture is opened again', async (t) => {
  if (skip) return t.skip(skip);
  // Not sticky: the daemon (uid 65534) may remove the helper's header-only file and create its own.
  const shared = dir!.sub('xc-shared');
  chmodSync(shared, 0o777);
  const out = join(shared, 'cap.pcapng');
  const decoy = join(shared, 'decoy');
  const mnt = dir!.sub('xc-mnt');
  const { code, err } = await recordMount(out, mnt, [initfs, '-d', '-x', '-c', decoy, mnt], () => workload(mnt));
  assert.equal(code, 0, err);
  assert.match(err, /handed over across exec, was closed or replaced by the program \(pid \d+\); it opens the capture again\n/);
  assert.equal(statSync(decoy).size, 0, 'the file the daemon put on the capture\'s number got no byte');
  checkCapture(out, undefined, mnt, 65534);
  assert.equal(blockTypes(out).filter((x) => x === 0x0a0d0d0a).length, 1, 'one section');
  assert.deepEqual(readdirSync(shared).sort(), ['cap.pcapng', 'decoy']);
});

test('mount.fuse3 -o drop_privileges runs passthrough_ll through sh with /dev/fd/N: the daemon, in the background, records into the one file', async (t) => {
  if (skip) return t.skip(skip);
  if (!haveCommand('mount.fuse3')) return t.skip('mount.fuse3 is not installed (apt-get install fuse3)');
  const pll = buildPassthroughLl();
  if (!pll.path) return t.skip(pll.reason!);
  const sub = dir!.sub('mf3');
  chmodSync(sub, 0o1777);
  const src = dir!.sub('mf3-src');
  writeFileSync(join(src, 'x'), 'hello');
  const mnt = dir!.sub('mf3-mnt');
  const out = join(sub, 'cap.pcapng');
  const { r, pid, gone, stop } = recordBackground(out, mnt, ['mount.fuse3', pll.path, mnt, '-o', `drop_privileges,source=${src}`]);
  try {
    assert.equal(r.status, 0, r.stderr);
    assert.ok(pid !== undefined, r.stderr);
    await waitMounted(mnt, () => r.stderr);
    assert.equal(readFileSync(join(mnt, 'x'), 'utf8'), 'hello');
  } finally {
    await stop();
  }
  assert.ok(gone(), 'the daemon exits once unmounted');
  assert.doesNotMatch(r.stderr, /being written by another process/);
  assert.deepEqual(readdirSync(sub), ['cap.pcapng'], 'no <out>.<pid>.pcapng');
  const cap = readPcapng(out);
  assert.equal(cap.statistics, 1, 'closed by the daemon at its exit');
  // passthrough_ll is told /dev/fd/N: the mount point comes from mount.fuse3's library, across two execs.
  checkMountpoint(out, mnt);
  const { exchanges } = pairExchanges(cap);
  assert.ok(exchanges.some((e) => e.opcode === Op.INIT && e.reply));
  assert.ok(exchanges.some((e) => e.opcode === 15 /* READ */ && e.reply));
});

test('mount.fuse3 -o drop_privileges without the library, the daemon with it: /dev/fd/N is named by the kernel\'s connection number, or stays /dev/fd/N', async (t) => {
  if (skip) return t.skip(skip);
  if (!haveCommand('mount.fuse3')) return t.skip('mount.fuse3 is not installed (apt-get install fuse3)');
  const pll = buildPassthroughLl();
  if (!pll.path) return t.skip(pll.reason!);
  const sub = dir!.sub('mf3-nolib');
  chmodSync(sub, 0o1777);
  const src = dir!.sub('mf3-nolib-src');
  writeFileSync(join(src, 'x'), 'hello');
  const mnt = dir!.sub('mf3-nolib-mnt');
  const out = join(sub, 'cap.pcapng');
  // mount.fuse3 runs `sh -c '<type> <source> /dev/fd/N -o ...'`: the type is this script, which loads the library
  // into the daemon only, so no image before it had a mount point to hand over.
  const wrapper = join(dir!.path, 'pll-preloaded');
  writeFileSync(wrapper, `#!/bin/sh\nLD_PRELOAD='${recorderLibPath}' FUSETRACE_OUT='${out}' FUSETRACE_QUIET=1 exec '${pll.path}' "$@"\n`, { mode: 0o755 });
  const m = spawnSync('mount.fuse3', [wrapper, mnt, '-o', `drop_privileges,source=${src}`], { encoding: 'utf8', timeout: 30000 });
  let fdinfo = '';
  let fd: string | undefined;
  try {
    assert.equal(m.status, 0, m.stderr);
    await waitMounted(mnt, () => m.stderr);
    assert.equal(readFileSync(join(mnt, 'x'), 'utf8'), 'hello');
    // What the kernel says of the daemon's fd (INIT is in the file already: the library writes it at once).
    const cap = readPcapng(out);
    fd = /\bfd=(\d+)/.exec(scanCapture(out).sections[0]!.ifaces[0]!.description)?.[1];
    fdinfo = readFileSync(`/proc/${cap.messages[0]!.pid}/fdinfo/${fd}`, 'utf8');
  } finally {
    unmount(mnt);
  }
  for (let i = 0; i < 100 && readPcapng(out).statistics === 0; i++) await sleep(50);
  assert.equal(readPcapng(out).statistics, 1, 'closed by the daemon at its exit');
  if (/^fuse_connection:/m.test(fdinfo)) {
    checkMountpoint(out, mnt);
  } else {
    t.diagnostic('this kernel does not name the connection in /proc/PID/fdinfo: the daemon\'s name for the mount stays');
    assert.deepEqual(readPcapng(out).interfaces.map((i) => i.name), [`fuse:/dev/fd/${fd}`], 'as the daemon was told, not /dev/fuse');
  }
});

/** What the kernel says of pid's /dev/fuse fd in /proc/PID/fdinfo ('' when it has none). */
function fuseFdinfo(pid: number): string {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    if (readlinkSync(`/proc/${pid}/fd/${fd}`) === '/dev/fuse') return readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
  }
  return '';
}

// A daemon that opens /dev/fuse and has a forked child mount it (glusterfs): the child's library learns the mount
// point from its mount(2), in memory of its own, and exits; the daemon never mounts. -K mounts with the new mount API
// and attaches the mount 100 ms after the kernel sent INIT, which the daemon reads at once: the library waits for
// the mount to be listed. Without the kernel's connection number in fdinfo, nothing names the mount: mountpoint=?.
for (const [how, args] of [['mount(2) in a forked child, as glusterfs', ['-k']], ['fsmount(2) in a forked child, attached 100 ms after INIT', ['-K', '100']]] as const) {
  test(`a daemon whose mount another process makes (${how}): its interface names the mount point the kernel ties its fd to`, async (t) => {
    if (skip) return t.skip(skip);
    const name = `fork${args.join('')}`;
    const out = join(dir!.sub(name), 'cap.pcapng');
    const mnt = dir!.sub(`${name} mnt`);
    let fdinfo = '';
    const { code, err } = await recordMount(out, mnt, [initfs, ...args, mnt], () => {
      workload(mnt);
      // INIT is in the file already (the library writes its exchange at once): its pid is the daemon's.
      fdinfo = fuseFdinfo(readPcapng(out).messages[0]!.pid);
    });
    assert.equal(code, 0, err);
    if (/^fuse_connection:/m.test(fdinfo)) {
      checkCapture(out, undefined, mnt);
    } else {
      t.diagnostic('this kernel does not name the connection in /proc/PID/fdinfo: nothing ties the fd to its mount');
      assert.deepEqual(mountpointsOf(scanCapture(out)), [], 'mountpoint=?, no guess');
    }
  });
}

test('a root daemon mounting through fusermount3 (-o auto_unmount): fusermount3 gives the capture back, the daemon records into it', async (t) => {
  if (skip) return t.skip(skip);
  if (!haveCommand('fusermount3')) return t.skip('fusermount3 is not installed (apt-get install fuse3)');
  const pll = buildPassthroughLl();
  if (!pll.path) return t.skip(pll.reason!);
  const sub = dir!.sub('fm3');
  const src = dir!.sub('fm3/src');
  writeFileSync(join(src, 'x'), 'hello');
  const mnt = dir!.sub('fm3/mnt');
  const out = join(sub, 'cap.pcapng');
  const { code, err } = await recordMount(out, mnt, [pll.path, '-f', '-o', 'auto_unmount', '-o', `source=${src}`, mnt], () => {
    assert.equal(readFileSync(join(mnt, 'x'), 'utf8'), 'hello');
  });
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /is being written by another process/);
  assert.deepEqual(readdirSync(sub).filter((f) => f.endsWith('.pcapng')), ['cap.pcapng'], 'no <out>.<pid>.pcapng');
  const cap = readPcapng(out);
  assert.equal(cap.interfaces[0]!.name, `fuse:${mnt}`);
  const { exchanges } = pairExchanges(cap);
  assert.ok(exchanges.some((e) => e.opcode === Op.INIT && e.reply));
  assert.ok(exchanges.some((e) => e.opcode === 15 /* READ */ && e.reply));
});
