/**
 * The LD_PRELOAD capture library (build/libftrec.so) without a mount: the
 * probe program (test/record/ftrec-probe.c) writes fake replies to a
 * /dev/fuse fd that no mount uses, which the kernel refuses with EPERM, so
 * every write is a failed outbound message. That exercises the writer under
 * 16 threads, fork, daemonizing, signals, dup, several connections and the
 * snap length, deterministically and fast.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CaptureMessage, ConnectionInfo, InterfaceStats } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { withMachineLock } from '../helpers/machine-lock.js';
import { haveCommand, makeTempDir, readPcapng, recorderLibPath, repoRoot, type TempDir } from '../helpers/mount.js';
import { ENABLE_URING } from '../helpers/vendor-libfuse.js';

let dir: TempDir | undefined;
let probe: string | undefined;
let skip: string | undefined;

before(() => {
  if (process.platform !== 'linux') skip = `needs Linux (this is ${process.platform})`;
  else if (!existsSync('/dev/fuse')) skip = '/dev/fuse is missing';
  else if (!existsSync(recorderLibPath)) skip = `${recorderLibPath} is not built (npm run build; needs a C compiler)`;
  else if (!haveCommand(process.env.CC ?? 'cc')) skip = 'no C compiler to build the probe (apt-get install gcc)';
  if (skip) return;
  dir = makeTempDir('ftrec');
  probe = join(dir.path, 'ftrec-probe');
  const r = spawnSync(process.env.CC ?? 'cc', ['-O2', '-pthread', '-o', probe, join(repoRoot, 'test', 'record', 'ftrec-probe.c')], { encoding: 'utf8' });
  if (r.status !== 0) skip = `building the probe failed: ${r.stderr}`;
  else {
    const o = spawnSync(probe, ['two'], { encoding: 'utf8' });
    if (o.status !== 0) skip = `cannot open /dev/fuse: ${o.stderr.trim()}`;
  }
});

after(() => dir?.remove());

interface ProbeRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  out: string;
}

let runNo = 0;
function runProbe(args: string[], env: Record<string, string> = {}): ProbeRun {
  const out = join(dir!.path, `cap-${runNo++}.pcapng`);
  const r = spawnSync(probe!, args, {
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1', ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, out };
}

interface Decoded {
  conns: ConnectionInfo[];
  msgs: { conn: number; dir: number; capLen: number; origLen: number; pid: number; tid: number; failedErrno: number; unique: bigint; data: Buffer }[];
  stats: InterfaceStats[];
  notices: string[];
}

/** Reads a capture with the project's reader; every notice is kept. */
function decode(file: string): Decoded {
  const d: Decoded = { conns: [], msgs: [], stats: [], notices: [] };
  readCapture(file, {
    onConnection(c) {
      d.conns.push({ ...c });
    },
    onMessage(m: CaptureMessage) {
      const data = Buffer.from(m.data.subarray(m.off, m.off + m.capLen));
      d.msgs.push({ conn: m.conn, dir: m.dir, capLen: m.capLen, origLen: m.origLen, pid: m.pid, tid: m.tid, failedErrno: m.failedErrno, unique: data.readBigUInt64LE(8), data });
    },
    onNotice(n) {
      d.notices.push(n.message);
    },
    onStats(s) {
      d.stats.push({ ...s });
    },
  });
  return d;
}

function toolsRead(t: { diagnostic(s: string): void }, file: string): void {
  if (haveCommand('capinfos')) {
    const c = spawnSync('capinfos', [file], { encoding: 'utf8' });
    assert.equal(c.status, 0, `capinfos: ${c.stderr}`);
    assert.doesNotMatch(c.stderr, /damaged|corrupt|error/i);
  } else t.diagnostic('capinfos not installed: skipped that check');
  if (haveCommand('tshark')) {
    const s = spawnSync('tshark', ['-r', file, '-q'], { encoding: 'utf8' });
    assert.equal(s.status, 0, `tshark: ${s.stderr}`);
    assert.doesNotMatch(s.stderr, /damaged|corrupt|appears to be/i);
  } else t.diagnostic('tshark not installed: skipped that check');
}

test('16 threads x 2000 writes: none lost, none torn, each flagged failed with its errno', (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['threads', '16', '2000']);
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.conns.length, 1);
  assert.equal(d.conns[0]!.linkType, 147);
  assert.match(d.conns[0]!.name, /^fuse:/);
  assert.equal(d.conns[0]!.snapLen, 4096);
  assert.equal(d.msgs.length, 32000);
  const seen = new Set<bigint>();
  for (const m of d.msgs) {
    assert.equal(m.dir, 2);
    assert.equal(m.failedErrno, 1, 'EPERM from an unmounted /dev/fuse');
    assert.equal(m.origLen, 24);
    assert.equal(m.capLen, 24);
    assert.equal(m.data.readUInt32LE(0), 24);
    seen.add(m.unique);
  }
  for (let th = 1n; th <= 16n; th++) for (let i = 1n; i <= 2000n; i++) assert.ok(seen.has((th << 32n) | (i << 1n)), `thread ${th} write ${i}`);
  assert.equal(new Set(d.msgs.map((m) => m.tid)).size, 16, 'one tid per thread');
  assert.equal(new Set(d.msgs.map((m) => m.pid)).size, 1);
  assert.equal(d.stats.length, 1, 'one ISB');
  assert.equal(d.stats[0]!.ifRecv, 32000);
  assert.equal(d.stats[0]!.ifDrop, 0);
  // The raw comment says errno=1 too (the independent test reader).
  const raw = readPcapng(r.out);
  assert.ok(raw.messages.every((m) => m.failed));
  assert.match(readFileSync(r.out).toString('latin1'), /errno=1/);
  toolsRead(t, r.out);
});

/** Every payload byte of every message is the probe's (pattern_at in
 * ftrec-probe.c: byte i of a message is base(unique) + i mod 256): nothing
 * torn, nothing from another message. */
function assertPayloads(msgs: Decoded['msgs'], size: number): void {
  for (const m of msgs) {
    assert.equal(m.capLen, size);
    const base = Number(((m.unique >> 32n) * 7n + (m.unique >> 1n) * 13n) & 0xffn);
    for (let i = 16; i < size; i++) {
      if (m.data[i] !== ((base + i) & 0xff)) assert.fail(`message ${m.unique.toString(16)}: byte ${i} is ${m.data[i]}, expected ${(base + i) & 0xff}`);
    }
  }
}

test('16 threads x 2000 whole 4 KiB messages: every byte right, one write(2) per 4 MiB buffer or per second', (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['payload', '16', '2000', '4096'], { FUSETRACE_SNAPLEN: '0' });
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.msgs.length, 32000);
  assert.equal(new Set(d.msgs.map((m) => m.unique)).size, 32000);
  assertPayloads(d.msgs, 4096);
  assert.equal(d.stats[0]!.ifRecv, 32000);
  // The library writes its buffer when it is full (4 MiB) or a second after
  // the last write; the probe's syscw counts its own 32000 writes and ours.
  // A flush condition that let threads queued behind a flush flush again
  // made this hundreds (and cost whole-message recording a tenth of a
  // daemon's IOPS).
  const m = /^syscw (\d+) secs ([\d.]+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const ours = Number(m[1]) - 32000;
  const bound = Math.ceil(statSync(r.out).size / (4 << 20)) + Math.ceil(Number(m[2])) + 4;
  assert.ok(ours <= bound, `${ours} writes of the capture for ${statSync(r.out).size} bytes in ${m[2]} s (at most ${bound} expected)`);
});

test('SIGTERM while 8 threads write whole 4 KiB messages: the file is whole, every byte right', async (t) => {
  if (skip) return t.skip(skip);
  for (let round = 0; round < 5; round++) {
    const out = join(dir!.path, `flood-${round}.pcapng`);
    const ready = join(dir!.path, `flood-${round}.ready`);
    const child = spawn(probe!, ['flood', '8', '4096', ready], {
      stdio: 'ignore',
      env: { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1', FUSETRACE_SNAPLEN: '0' },
    });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
    for (let i = 0; i < 3000 && !existsSync(ready); i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(existsSync(ready), 'the probe started');
    await new Promise((res) => setTimeout(res, 20 + 20 * round));
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    const d = decode(out);
    assert.deepEqual(d.notices, [], 'no truncation');
    assert.ok(d.msgs.length >= 800, `${d.msgs.length} messages`);
    assertPayloads(d.msgs, 4096);
    assert.equal(d.stats.length, 1, 'one ISB');
    assert.equal(d.stats[0]!.ifRecv, d.msgs.length);
  }
});

test('SHB names the recorder and the kernel; IDB says snap length and ns resolution', (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['two'], { FUSETRACE_LABEL: 'lab' });
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.equal(d.conns.length, 2, 'two /dev/fuse fds = two connections');
  assert.deepEqual(d.conns.map((c) => c.name), ['fuse:lab', 'fuse:lab']);
  assert.match(d.conns[0]!.recorder ?? '', /^fusetrace-record \d+\.\d+\.\d+$/);
  const uname = spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(d.conns[0]!.os, uname);
  // The kernel's machine, which numbers the open(2) flags in the capture (shb_hardware).
  assert.equal(d.conns[0]!.hardware, readFileSync('/proc/sys/kernel/arch', 'utf8').trim());
  assert.match(d.conns[0]!.description ?? '', /daemon=ftrec-probe pid=\d+/);
  assert.deepEqual(d.msgs.map((m) => m.conn - d.conns[0]!.conn), [0, 1, 0]);
  assert.equal(d.stats.length, 2);
});

test('fork: parent and child append to one file, nothing twice', (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['fork']);
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.conns.length, 1);
  assert.deepEqual(d.msgs.map((m) => m.unique), [2n, 4n, 6n]);
  assert.equal(new Set(d.msgs.map((m) => m.pid)).size, 2, 'the child has its own pid');
  assert.equal(d.msgs[1]!.pid, d.msgs[1]!.tid);
  toolsRead(t, r.out);
});

test('daemonizing (parent _exit right after fork): the child records alone', async (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['daemonize', '500']);
  assert.equal(r.status, 0, r.stderr);
  // The child runs on after the parent returned: wait for its ISB.
  for (let i = 0; i < 100; i++) {
    if (existsSync(r.out) && decode(r.out).stats.length > 0) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.msgs.length, 500);
  assert.equal(d.stats.length, 1);
  assert.equal(d.stats[0]!.ifRecv, 500);
});

test('SIGTERM with the default action: the file is whole, with an ISB', (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['sigterm', '3000']);
  assert.equal(r.signal, 'SIGTERM', 'the process still dies of the signal');
  const d = decode(r.out);
  assert.deepEqual(d.notices, [], 'no truncation');
  assert.equal(d.msgs.length, 3000);
  assert.equal(d.stats.length, 1);
  assert.equal(d.stats[0]!.ifRecv, 3000);
  readPcapng(r.out); // throws on a cut block
  toolsRead(t, r.out);
});

test("SIGTERM with the daemon's own handler: the handler still runs (chained)", (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['handler', '10']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'handled');
  const d = decode(r.out);
  assert.equal(d.msgs.length, 10);
  assert.equal(d.stats.length, 1);
});

test('dup and F_DUPFD copies stay on their connection; a new /dev/fuse fd is a new one', (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['dup']);
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.equal(d.conns.length, 2);
  const base = d.conns[0]!.conn;
  assert.deepEqual(d.msgs.map((m) => [m.unique, m.conn - base]), [[2n, 0], [4n, 0], [6n, 0], [8n, 1]]);
});

test('a daemon closing all its fds does not close (or write into) the recorder\'s own', (t) => {
  if (skip) return t.skip(skip);
  const victim = join(dir!.path, 'victim.txt');
  const r = runProbe(['closeall', victim]);
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.deepEqual(d.msgs.map((m) => m.unique), [2n, 4n]);
  assert.equal(d.conns.length, 2, 'the re-opened /dev/fuse is a new connection');
  assert.equal(readFileSync(victim).length, 0, 'nothing of the capture went into the daemon\'s file');
});

// bup fuse (Python) runs git through subprocess, which vforks and closes every
// fd in the child: the capture of bup split into a new interface after each run.
test("a vfork child's close_range and open leave its parent's /dev/fuse fd recorded on its connection", (t) => {
  if (skip) return t.skip(skip);
  const r = runProbe(['vfork']);
  assert.equal(r.status, 0, r.stderr);
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.deepEqual(d.msgs.map((m) => m.unique), [2n, 4n]);
  assert.equal(d.conns.length, 1, 'one connection, one interface');
  assert.equal(d.stats.length, 1);
});

test('snap length: cut at FUSETRACE_SNAPLEN, never below 256, 0 keeps whole messages', (t) => {
  if (skip) return t.skip(skip);
  const cases: [string | undefined, number, number][] = [
    ['300', 300, 300],
    ['100', 256, 256],
    [undefined, 4096, 4096],
    ['0', 0, 70000],
  ];
  for (const [env, idbSnap, capLen] of cases) {
    const r = runProbe(['big', '70000'], env === undefined ? {} : { FUSETRACE_SNAPLEN: env });
    assert.equal(r.status, 0, r.stderr);
    const d = decode(r.out);
    assert.equal(d.conns[0]!.snapLen, idbSnap, `IDB snaplen for ${String(env)}`);
    assert.equal(d.msgs.length, 1);
    assert.equal(d.msgs[0]!.origLen, 70000);
    assert.equal(d.msgs[0]!.capLen, capLen, `captured bytes for ${String(env)}`);
    const data = d.msgs[0]!.data;
    for (let i = 16; i < capLen; i += 997) assert.equal(data[i], i & 0xff, 'bytes of both iovecs in order');
  }
  // A message larger than the recorder's 4 MiB buffer is still one whole block.
  const r = runProbe(['big', String(5 << 20)], { FUSETRACE_SNAPLEN: '0' });
  const d = decode(r.out);
  assert.equal(d.msgs[0]!.capLen, 5 << 20);
  assert.equal(d.msgs[0]!.data[(5 << 20) - 1], ((5 << 20) - 1) & 0xff);
});

test('a later process of the session appends a section; a concurrent one writes <out>.<pid>', (t) => {
  if (skip) return t.skip(skip);
  const out = join(dir!.path, 'shared.pcapng');
  const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1' };
  delete env.FUSETRACE_SESSION;
  // sh is the session's first image (it truncates nothing: it never records).
  const seq = spawnSync('sh', ['-c', `"${probe}" threads 2 100 && "${probe}" threads 3 100`], { encoding: 'utf8', env });
  assert.equal(seq.status, 0, seq.stderr);
  let d = decode(out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.msgs.length, 500, 'both sections are read');
  assert.equal(d.conns.length, 2);
  assert.deepEqual(d.conns.map((c) => c.section), [0, 1]);

  // While "hold" keeps the file, "threads" must not write into it.
  const mark = join(dir!.path, 'hold-mark');
  const script = `"${probe}" hold "${mark}" & while [ ! -e "${mark}" ]; do sleep 0.02; done; "${probe}" threads 2 100; touch "${mark}.go"; wait`;
  const conc = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { ...env, FUSETRACE_OUT: join(dir!.path, 'held.pcapng') } });
  assert.equal(conc.status, 0, conc.stderr);
  assert.match(conc.stderr, /is being written by another process; pid \d+ records into .*held\.\d+\.pcapng/);
  d = decode(join(dir!.path, 'held.pcapng'));
  assert.deepEqual(d.msgs.map((m) => m.unique), [2n, 4n]);
  const other = /records into (\S+)/.exec(conc.stderr)![1]!;
  assert.equal(decode(other).msgs.length, 200);
});

/** The block types of a pcapng file, in order (little-endian, as the library writes it). */
function blockTypes(file: string): number[] {
  const b = readFileSync(file);
  const types: number[] = [];
  for (let off = 0; off + 8 <= b.length; off += b.readUInt32LE(off + 4)) types.push(b.readUInt32LE(off));
  return types;
}
const SHB = 0x0a0d0d0a;

test('the capture opens when the process gets /dev/fuse; an image that records nothing leaves no empty section after another', (t) => {
  if (skip) return t.skip(skip);
  // The first image opens /dev/fuse and writes nothing: the file exists with its section header only.
  const none = runProbe(['none']);
  assert.equal(none.status, 0, none.stderr);
  assert.deepEqual(blockTypes(none.out), [SHB]);
  assert.deepEqual(decode(none.out).msgs, []);
  // It execs itself (the output fd is close-on-exec): the new image finds the file free, holding only that header,
  // and writes its section in its place.
  const ex = runProbe(['exec', 'threads', '2', '100']);
  assert.equal(ex.status, 0, ex.stderr);
  let types = blockTypes(ex.out);
  assert.equal(types.filter((x) => x === SHB).length, 1, 'one section');
  let d = decode(ex.out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.msgs.length, 200);
  // Later images of a session (sh is the first): one that opens /dev/fuse and records nothing before or after the one
  // that records leaves no section.
  const out = join(dir!.path, 'silent-images.pcapng');
  const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1' };
  delete env.FUSETRACE_SESSION;
  const seq = spawnSync('sh', ['-c', `"${probe}" none && "${probe}" threads 2 100 && "${probe}" none`], { encoding: 'utf8', env });
  assert.equal(seq.status, 0, seq.stderr);
  types = blockTypes(out);
  assert.deepEqual([types[0], types[types.length - 1]], [SHB, 5], 'one section, ending with its ISB');
  assert.equal(types.filter((x) => x === SHB).length, 1);
  assert.equal(decode(out).msgs.length, 200);
  // An image exec'd while another process of the session holds the capture: that capture is not truncated.
  const held = join(dir!.path, 'held-exec.pcapng');
  const mark = join(dir!.path, 'hold-exec-mark');
  const script = `"${probe}" hold "${mark}" & while [ ! -e "${mark}" ]; do sleep 0.02; done; "${probe}" exec threads 2 100; touch "${mark}.go"; wait`;
  const conc = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { ...env, FUSETRACE_OUT: held } });
  assert.equal(conc.status, 0, conc.stderr);
  d = decode(held);
  assert.deepEqual(d.msgs.map((m) => m.unique), [2n, 4n]);
  const other = /records into (\S+)/.exec(conc.stderr)![1]!;
  assert.equal(decode(other).msgs.length, 200);
});

test('the capture follows exec: the new image writes its section in place of a header-only one; the variable naming the fd goes no further', (t) => {
  if (skip) return t.skip(skip);
  // The first image opens /dev/fuse (the capture, its section header) and execs itself as `exec env NAME`, which
  // prints what its own environment holds once the library has started.
  const r = runProbe(['exec', 'env', 'FUSETRACE_CAPTURE_FD']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '(unset)\n', 'the library takes the variable out of the environment of the image it was meant for');
  assert.deepEqual(blockTypes(r.out), [SHB], 'one section header: the new image\'s, in place of the first one');
  const text = readFileSync(r.out, 'latin1');
  assert.match(text, /daemon=exec pid=\d+/, 'written by the new image (its argv[0] is "exec")');
  assert.doesNotMatch(text, /daemon=ftrec-probe/);
  // With messages: the new image records into the handed-over file.
  const ex = runProbe(['exec', 'threads', '2', '50']);
  assert.equal(ex.status, 0, ex.stderr);
  assert.deepEqual(blockTypes(ex.out).filter((x) => x !== 6), [SHB, 1, 5], 'one section: header, interface, statistics');
  assert.match(readFileSync(ex.out, 'latin1'), /daemon=exec pid=\d+/);
  assert.equal(decode(ex.out).msgs.length, 100);
  // fexecve is hooked as well.
  const fx = runProbe(['fexec', 'threads', '1', '10']);
  assert.equal(fx.status, 0, fx.stderr);
  assert.deepEqual(blockTypes(fx.out).filter((x) => x !== 6), [SHB, 1, 5]);
  assert.equal(decode(fx.out).msgs.length, 10);
});

test('an image that recorded and execs: its section ends with its ISBs, the new image appends its own section to the same file', (t) => {
  if (skip) return t.skip(skip);
  // 5 messages, still buffered at the exec (the library writes them first), then the new image 3 x 10.
  const r = runProbe(['wexec', '5', 'threads', '3', '10']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(blockTypes(r.out).filter((x) => x !== 6), [SHB, 1, 5, SHB, 1, 5], 'two sections, each closed by its ISB');
  const d = decode(r.out);
  assert.deepEqual(d.notices, []);
  assert.deepEqual(d.conns.map((c) => c.section), [0, 1]);
  assert.equal(d.msgs.filter((m) => m.conn === d.conns[0]!.conn).length, 5);
  assert.equal(d.msgs.length, 35);
  assert.match(readFileSync(r.out, 'latin1'), /capture ended: the daemon exec'd a new program image/);
});

test('the capture fd named by FUSETRACE_CAPTURE_FD is adopted only when it is that file, open for appending and holding its lock', (t) => {
  if (skip) return t.skip(skip);
  if (!haveCommand('flock')) return t.skip('flock(1) is not installed (util-linux)');
  const other = join(dir!.path, 'other-file');
  writeFileSync(other, '');
  const st = statSync(other);
  const cases: { name: string; open: string; lock: boolean; ino: number; adopted: boolean }[] = [
    { name: 'the same file, appending, holding the lock', open: `3>>"$F"`, lock: true, ino: st.ino, adopted: true },
    { name: 'no lock: a number reused by another open of the file', open: `3>>"$F"`, lock: false, ino: st.ino, adopted: false },
    { name: 'another inode', open: `3>>"$F"`, lock: true, ino: statSync(dir!.path).ino, adopted: false },
    { name: 'open for reading', open: `3<"$F"`, lock: true, ino: st.ino, adopted: false },
  ];
  for (const c of cases) {
    writeFileSync(other, '');
    const out = join(dir!.path, `adopt-${runNo++}.pcapng`);
    const env: NodeJS.ProcessEnv = { ...process.env, FUSETRACE_OUT: out, F: other, P: probe!, L: recorderLibPath, V: `3,${st.dev},${c.ino},0,0,1,0,${other}` };
    delete env.FUSETRACE_SESSION;
    delete env.FUSETRACE_QUIET;
    delete env.LD_PRELOAD;
    const script = `exec ${c.open}; ${c.lock ? 'flock -x 3 || exit 9; ' : ''}export LD_PRELOAD="$L" FUSETRACE_CAPTURE_FD="$V"; exec "$P" threads 1 10`;
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env, timeout: 60000 });
    assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
    if (c.adopted) {
      assert.match(r.stderr, /handed over across exec/, c.name);
      assert.equal(decode(other).msgs.length, 10, c.name);
      assert.equal(existsSync(out), false, `${c.name}: FUSETRACE_OUT not created`);
    } else {
      assert.match(r.stderr, /fd 3, the capture handed over across exec, is no longer it \(closed or reused before this program started\); pid \d+ opens the capture itself/, c.name);
      assert.equal(statSync(other).size, 0, `${c.name}: not a byte into the file on fd 3`);
      assert.equal(decode(out).msgs.length, 10, `${c.name}: recorded into FUSETRACE_OUT`);
    }
  }
});

test('a mount point named by FUSETRACE_CAPTURE_FD is taken only for a /dev/fuse fd whose connection is mounted there; a malformed variable is ignored whole', (t) => {
  if (skip) return t.skip(skip);
  // sh puts an unmounted /dev/fuse on fd 7; the probe opens its own on the lowest free number, 3. None of the
  // claims holds: fd 3 is not open yet, fd 7 has no mount, fd 0 is no /dev/fuse, and 0:99 is no mount at /forged.
  const claims = [3, 7, 0].map((fd) => `${fd},0,99,7:/forged,`).join('');
  const cases: { name: string; value: string; rejected: number[] }[] = [
    { name: 'claims that do not hold', value: `1023,1,1,0,0,0,3,${claims}/nonexistent`, rejected: [3, 7, 0] },
    { name: 'a mount whose length runs past the variable', value: `1023,1,1,0,0,0,1,3,0,99,999:/forged,/nonexistent`, rejected: [] },
    { name: 'more mounts than the library carries', value: `1023,1,1,0,0,0,9,${claims.repeat(3)}/nonexistent`, rejected: [] },
  ];
  for (const c of cases) {
    const out = join(dir!.path, `claim-${runNo++}.pcapng`);
    const env: NodeJS.ProcessEnv = { ...process.env, FUSETRACE_OUT: out, P: probe!, L: recorderLibPath, V: c.value };
    delete env.FUSETRACE_SESSION;
    delete env.FUSETRACE_QUIET;
    delete env.LD_PRELOAD;
    const r = spawnSync('sh', ['-c', 'exec 7<>/dev/fuse; export LD_PRELOAD="$L" FUSETRACE_CAPTURE_FD="$V"; exec "$P" threads 1 10'], { encoding: 'utf8', env, timeout: 60000 });
    assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
    const rejected = [...r.stderr.matchAll(/fd (\d+) is no longer the FUSE connection mounted at \/forged that was handed over across exec/g)].map((m) => Number(m[1]));
    assert.deepEqual(rejected, c.rejected, `${c.name}: ${r.stderr}`);
    // A malformed variable names no capture either: not even its fd is looked at.
    assert.equal(/fd 1023, the capture handed over/.test(r.stderr), c.rejected.length > 0, `${c.name}: ${r.stderr}`);
    const d = decode(out);
    assert.equal(d.msgs.length, 10, c.name);
    assert.deepEqual(d.conns.map((x) => [x.name, x.description?.split(' ')[0]]), [['fuse:ftrec-probe', 'mountpoint=?']], c.name);
  }
});

test('warns when the daemon opens a file with FOPEN_PASSTHROUGH (not when io_uring is asked for but not offered)', async (t) => {
  if (skip) return t.skip(skip);
  if (process.getuid?.() !== 0) return t.skip('needs root to mount');
  const initfs = join(dir!.path, 'ftrec-initfs');
  const b = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', initfs, join(repoRoot, 'test', 'record', 'ftrec-initfs.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const mnt = join(dir!.path, 'initfs-mnt');
  mkdirSync(mnt, { recursive: true });
  const out = join(dir!.path, 'initfs.pcapng');
  // The kernel offers io_uring only while enable_uring is on: its lock keeps
  // a test that turns it on (uring-record) from doing so meanwhile.
  const err = await withMachineLock(ENABLE_URING, async () => {
    const child = spawn(initfs, [mnt], { env: { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (x: Buffer) => (text += x.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    try {
      for (let i = 0; i < 100 && !readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `); i++) await new Promise((r) => setTimeout(r, 50));
      // The open fails (backing id 0 is no backing file); only the reply matters.
      spawnSync('cat', [join(mnt, 'f')], { timeout: 10000 });
    } finally {
      spawnSync('umount', [mnt]);
      if (readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `)) spawnSync('umount', ['-l', mnt]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    return text;
  });
  assert.match(err, /warning: .* opened a file with FOPEN_PASSTHROUGH/);
  assert.doesNotMatch(err, /FUSE_OVER_IO_URING/, 'the kernel did not offer io_uring: no warning');
  assert.equal((err.match(/FOPEN_PASSTHROUGH/g) ?? []).length, 1, 'warned once');
  const d = decode(out);
  assert.ok(d.msgs.some((m) => m.dir === 2 && m.origLen === 32), 'the OPEN reply is in the capture');
});
