/**
 * `fusetrace record` on real mounts: libfuse 3.14's passthrough_ll (built
 * from Debian's libfuse3-dev example source) under workloads of known WRITE
 * offsets and sizes, with 16 daemon threads and clone_fd, through splice and
 * through read; started without -f (the daemon forks into the background);
 * with a small snap length; and with --strace.
 *
 * libfuse receives with splice only when it can grow its pipe to its buffer
 * size (1 MiB + 4 KiB): without CAP_SYS_RESOURCE that needs
 * fs.pipe-max-size >= 2 MiB. The splice test raises it for its duration and
 * puts the old value back; the read test lowers it to 1 MiB the same way.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CaptureMessage, ConnectionInfo, InterfaceStats } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { recordersOf } from '../../src/record/record.js';
import {
  buildPassthroughLl,
  cliHasCommand,
  fuseSkipReason,
  fusetraceBin,
  haveCommand,
  isMounted,
  makeTempDir,
  mountCommand,
  Op,
  pairExchanges,
  readPcapng,
  recorderLibPath,
  repoRoot,
  run,
  scenariofsArgs,
  scenariofsPath,
  runNode,
  isbComments,
  writeInfo,
  PIPE_MAX,
  withPipeMax,
} from '../helpers/mount.js';


/**
 * How to run `fusetrace record`: the CLI when it is built and lists the
 * command, else the recorder's own entry (dist/src/record/standalone.js, same
 * code, no other command involved), so these tests do not depend on the
 * rest of the CLI being importable.
 */
function recorderArgv(): string[] {
  return cliHasCommand('record') ? [fusetraceBin, 'record'] : [join(repoRoot, 'dist', 'src', 'record', 'standalone.js')];
}

/** argv of `fusetrace record [opts] -- cmd`. */
/** The first component of `path` that other users cannot traverse or read, if any. */
function closedToOthers(path: string): string | undefined {
  const parts = path.split('/');
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    const need = i === parts.length ? 0o004 : 0o001;
    if ((statSync(p).mode & need) === 0) return p;
  }
  return undefined;
}

function recordCmd(opts: string[], cmd: string[]): string[] {
  return [process.execPath, ...recorderArgv(), ...opts, '--', ...cmd];
}

function skipReason(extra: string[] = []): string | undefined {
  const r = fuseSkipReason({ recorder: true, commands: ['pkg-config', 'fusermount3', ...extra] });
  if (r) return r;
  const b = buildPassthroughLl();
  return b.path ? undefined : b.reason;
}

interface Decoded {
  conns: ConnectionInfo[];
  messages: number;
  stats: InterfaceStats[];
  notices: string[];
  maxCapLen: number;
}

/** The project's reader over the whole file: connections, counts, notices. */
function decode(file: string): Decoded {
  const d: Decoded = { conns: [], messages: 0, stats: [], notices: [], maxCapLen: 0 };
  readCapture(file, {
    onConnection: (c) => d.conns.push({ ...c }),
    onMessage: (m: CaptureMessage) => {
      d.messages++;
      d.maxCapLen = Math.max(d.maxCapLen, m.capLen);
    },
    onNotice: (n) => d.notices.push(n.message),
    onStats: (s) => d.stats.push({ ...s }),
  });
  return d;
}

function toolsRead(file: string): void {
  if (haveCommand('capinfos')) {
    const c = spawnSync('capinfos', [file], { encoding: 'utf8' });
    assert.equal(c.status, 0, `capinfos: ${c.stderr}`);
  }
  if (haveCommand('tshark')) {
    const s = spawnSync('tshark', ['-r', file, '-q'], { encoding: 'utf8' });
    assert.equal(s.status, 0, `tshark: ${s.stderr}`);
    assert.doesNotMatch(s.stderr, /damaged|corrupt|appears to be/i);
  }
}

/**
 * The project's decoder over the whole capture (`fusetrace dump --json`,
 * when the CLI is built): every message decodes, nothing malformed, every
 * request answered. Returns false when the CLI cannot be used.
 */
async function decoderAgrees(t: { diagnostic(s: string): void }, file: string, messages: number): Promise<boolean> {
  if (!cliHasCommand('dump')) {
    t.diagnostic('fusetrace dump is not available: decoder check skipped');
    return false;
  }
  const r = await run(process.execPath, [fusetraceBin, 'dump', '--json', file], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"type":"summary"'));
  assert.ok(line, 'dump prints a summary');
  const sum = (JSON.parse(line) as { data: Record<string, unknown> }).data;
  assert.equal(sum.messages, messages);
  assert.equal(sum.malformed, 0);
  assert.equal(sum.orphan_replies, 0);
  assert.equal(sum.unanswered, 0);
  assert.equal(sum.duplicate_uniques, 0);
  return true;
}

/** 16 writer threads (worker_threads), each on its own file: file k gets 20 pwrites. */
const WRITERS = 16;
const PER_WRITER = 20;
function plan(k: number): { offset: number; size: number }[] {
  return Array.from({ length: PER_WRITER }, (_, j) => ({ offset: j * 65536 + k * 7, size: 1000 + 37 * j + k }));
}

const parallelWorkload = `
import { Worker } from 'node:worker_threads';
const [mnt, n, per] = process.argv.slice(2).map((x, i) => (i ? Number(x) : x));
const code = \`
  import { workerData } from 'node:worker_threads';
  import * as fs from 'node:fs';
  const { mnt, k, per } = workerData;
  const fd = fs.openSync(mnt + '/f' + k, 'w+');
  for (let j = 0; j < per; j++) {
    const size = 1000 + 37 * j + k;
    fs.writeSync(fd, Buffer.alloc(size, 65 + (k % 26)), 0, size, j * 65536 + k * 7);
  }
  fs.closeSync(fd);
\`;
const url = 'data:text/javascript,' + encodeURIComponent(code);
await Promise.all(Array.from({ length: n }, (_, k) => new Promise((res, rej) => {
  const w = new Worker(new URL(url), { workerData: { mnt, k, per } });
  w.on('exit', (c) => (c === 0 ? res() : rej(new Error('worker ' + k + ' exit ' + c))));
  w.on('error', rej);
})));
console.log('ok');`;

async function parallelRun(t: { diagnostic(s: string): void }, label: string): Promise<{ splicedIn: number; atRead: number }> {
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir(`rec-${label}`);
  const out = dir.sub('cap.pcapng');
  // cache=never: FOPEN_DIRECT_IO, each pwrite is exactly one WRITE.
  const m = await mountCommand(
    recordCmd(['-o', out, '--snaplen', '4096', '--label', label],
      [pll, '-f', '-o', `source=${dir.sub('src')},cache=never,max_threads=16,clone_fd`, dir.sub('mnt')]),
    join(dir.path, 'mnt'),
  );
  try {
    const r = await runNode(parallelWorkload, [m.mountpoint, String(WRITERS), String(PER_WRITER)], 120000);
    assert.equal(r.trim(), 'ok');
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  assert.match(m.stderr(), /fusetrace: capture: .*cap\.pcapng: \d+ messages/, 'record prints where and how many');

  const d = decode(out);
  assert.deepEqual(d.notices, [], 'the reader has nothing to say');
  assert.equal(d.conns.length, 1, 'clone_fd fds join their origin: one interface');
  assert.equal(d.conns[0]!.name, `fuse:${label}`);
  assert.ok(d.maxCapLen <= 4096);
  const cap = readPcapng(out);
  assert.equal(cap.messages.length, d.messages);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0, 'no reply without its request');
  const noReply = new Set<number>([Op.FORGET, Op.BATCH_FORGET, Op.INTERRUPT]);
  assert.deepEqual(exchanges.filter((e) => !e.reply && !noReply.has(e.opcode)).map((e) => e.opcode), [], 'every request answered');
  const writes = exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  assert.equal(writes.length, WRITERS * PER_WRITER, 'one WRITE per pwrite');
  const got = new Set(writes.map((w) => `${w.offset}:${w.size}:${w.written}`));
  for (let k = 0; k < WRITERS; k++) for (const p of plan(k)) assert.ok(got.has(`${p.offset}:${p.size}:${p.size}`), `WRITE ${p.offset}+${p.size}`);
  const writeReqs = cap.messages.filter((x) => x.dir === 1 && x.data.readUInt32LE(4) === Op.WRITE);
  for (const w of writeReqs) assert.equal(w.origLen, 80 + w.data.readUInt32LE(56), 'original length = header + payload');
  const tids = new Set(cap.messages.map((x) => x.tid));
  t.diagnostic(`${label}: ${d.messages} messages, ${tids.size} daemon threads recorded`);
  assert.ok(tids.size > 1, 'several daemon threads served the workload');
  assert.equal(d.stats.length, 1);
  assert.equal(d.stats[0]!.ifDrop, 0);
  assert.equal(d.stats[0]!.ifRecv, d.messages);
  toolsRead(out);
  await decoderAgrees(t, out, d.messages);
  const c = isbComments(out).join(' ');
  const splicedIn = Number(/spliced_in=(\d+)/.exec(c)?.[1] ?? 0);
  const atRead = Number(/spliced_in_at_read=(\d+)/.exec(c)?.[1] ?? 0);
  t.diagnostic(`${label}: ISB comment: ${c}`);
  dir.remove();
  return { splicedIn, atRead };
}

test('passthrough_ll, 16 threads, clone_fd, requests received with splice: nothing lost', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const r = await withPipeMax(4 << 20, () => parallelRun(t, 'splice'));
  if (!r) return t.skip(`cannot set ${PIPE_MAX} (libfuse needs >= 2 MiB to splice)`);
  assert.ok(r.splicedIn >= WRITERS * PER_WRITER, `requests came through splice (${r.splicedIn})`);
  // The WRITEs (1000-1740 bytes) are small requests: libfuse reads them whole
  // from its pipe, and the library takes most of them from that read, without
  // tee (a reply another thread sends first makes it take one with tee).
  assert.ok(r.atRead > r.splicedIn / 4, `spliced requests taken at libfuse's read of its pipe (${r.atRead} of ${r.splicedIn})`);
});

test('passthrough_ll, 16 threads, clone_fd, requests received with read: nothing lost', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const r = await withPipeMax(1 << 20, () => parallelRun(t, 'read'));
  if (!r) return t.skip(`cannot set ${PIPE_MAX}`);
  assert.equal(r.splicedIn, 0, 'libfuse fell back to read(2)');
});

test('daemon started without -f: record returns, the background daemon keeps recording', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('rec-bg');
  const out = dir.sub('cap.pcapng');
  const mnt = dir.sub('mnt');
  try {
    const argv = recordCmd(['-o', out], [pll, '-o', `source=${dir.sub('src')},cache=never`, mnt]);
    const rec = await run(argv[0]!, argv.slice(1), { timeoutMs: 30000 });
    assert.equal(rec.code, 0, rec.stderr);
    assert.ok(isMounted(mnt), 'the daemon runs on');
    assert.match(rec.stderr, /runs on in the background \(pid \d+\)/);
    const bgPid = Number(/background \(pid (\d+)/.exec(rec.stderr)![1]);
    await runNode(`import * as fs from 'node:fs'; const fd = fs.openSync(process.argv[2] + '/a', 'w');
      fs.writeSync(fd, Buffer.alloc(3000, 1), 0, 3000, 4096); fs.writeSync(fd, Buffer.alloc(10, 2), 0, 10, 0); fs.closeSync(fd);`, [mnt]);
    assert.equal(spawnSync('fusermount3', ['-u', mnt]).status, 0);
    // The daemon leaves its loop after the unmount; wait for it to let go.
    for (let i = 0; i < 200 && recordersOf(out).length > 0; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(recordersOf(out), [], 'the daemon exited');
    const d = decode(out);
    assert.deepEqual(d.notices, []);
    assert.equal(d.stats.length, 1, 'ISB from the background daemon');
    const cap = readPcapng(out);
    assert.ok(cap.messages.every((m) => m.pid === bgPid), 'recorded by the background child');
    const writes = pairExchanges(cap).exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
    assert.deepEqual(writes.map((w) => [w.offset, w.size, w.written]), [[4096, 3000, 3000], [0, 10, 10]]);
  } finally {
    if (isMounted(mnt)) spawnSync('umount', ['-l', mnt]);
    dir.remove();
  }
});

test('snap length 256 on a real mount: headers kept, payload cut, lengths whole', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('rec-snap');
  const out = dir.sub('cap.pcapng');
  const m = await mountCommand(recordCmd(['-o', out, '--snaplen', '100'], [pll, '-f', '-o', `source=${dir.sub('src')},cache=never`, dir.sub('mnt')]), join(dir.path, 'mnt'));
  try {
    await runNode(`import * as fs from 'node:fs'; const fd = fs.openSync(process.argv[2] + '/a', 'w');
      fs.writeSync(fd, Buffer.alloc(70000, 7), 0, 70000, 0); fs.closeSync(fd); fs.readFileSync(process.argv[2] + '/a');`, [m.mountpoint]);
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  assert.match(m.stderr(), /--snaplen 100 raised to 256/);
  const cap = readPcapng(out);
  assert.equal(cap.interfaces[0]!.snapLen, 256);
  for (const x of cap.messages) assert.ok(x.data.length <= 256 && x.data.length === Math.min(256, x.origLen));
  const w = cap.messages.find((x) => x.dir === 1 && x.data.readUInt32LE(4) === Op.WRITE)!;
  assert.equal(w.origLen, 70080);
  assert.equal(w.data.readUInt32LE(56), 70000, 'write_in survives the cut');
  const reads = pairExchanges(cap).exchanges.filter((e) => e.opcode === Op.READ && e.reply);
  assert.ok(reads.length > 0);
  toolsRead(out);
  dir.remove();
});

test('daemon killed by SIGKILL: record closes the capture, unmounts the dead mount, exits 137', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('rec-kill');
  const out = dir.sub('cap.pcapng');
  const m = await mountCommand(recordCmd(['-o', out], [pll, '-f', '-o', `source=${dir.sub('src')},cache=never`, dir.sub('mnt')]), join(dir.path, 'mnt'));
  let code: number | null;
  try {
    await runNode(`import * as fs from 'node:fs'; fs.writeFileSync(process.argv[2] + '/a', Buffer.alloc(70000, 7));`, [m.mountpoint]);
    const daemon = Number(readFileSync(`/proc/${m.child.pid}/task/${m.child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    assert.ok(daemon > 0, 'the daemon runs as the child of record');
    process.kill(daemon, 'SIGKILL');
    code = await new Promise<number | null>((res) => m.child.once('exit', (c) => res(c)));
  } finally {
    await m.unmount();
  }
  assert.equal(code, 128 + 9, m.stderr());
  assert.equal(isMounted(m.mountpoint), false, 'the dead mount is gone');
  assert.match(m.stderr(), new RegExp(`unmounted ${m.mountpoint}: its daemon is gone \\(Transport endpoint is not connected\\)`));
  const cap = readPcapng(out); // throws on a block cut short
  assert.ok(cap.messages.length > 0);
  assert.equal(cap.statistics, 1);
  assert.match(isbComments(out)[0] ?? '', /^capture ended: the daemon was killed by SIGKILL; closed by fusetrace record; \d+ messages? lost$/);
  toolsRead(out); // capinfos and tshark accept it
  dir.remove();
});

test('record --strace: the same workload recovered from strace output', async (t) => {
  const reason = skipReason(['strace']);
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('rec-strace');
  const out = dir.sub('cap.pcapng');
  const m = await mountCommand(
    recordCmd(['--strace', '-o', out, '--label', 'st'], [pll, '-f', '-o', `source=${dir.sub('src')},cache=never`, dir.sub('mnt')]),
    join(dir.path, 'mnt'),
    undefined,
    30000,
  );
  try {
    await runNode(`import * as fs from 'node:fs'; const fd = fs.openSync(process.argv[2] + '/a', 'w');
      for (const [o, s] of [[0, 1000], [10000, 5000], [100000, 70000]]) fs.writeSync(fd, Buffer.alloc(s, 9), 0, s, o);
      fs.closeSync(fd); fs.readdirSync(process.argv[2]);`, [m.mountpoint]);
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const d = decode(out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.conns[0]!.name, 'fuse:st');
  assert.equal(d.conns[0]!.hardware, readFileSync('/proc/sys/kernel/arch', 'utf8').trim(), 'the SHB names the kernel\'s machine');
  const cap = readPcapng(out);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0);
  const writes = exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  assert.deepEqual(writes.map((w) => [w.offset, w.size, w.written]), [[0, 1000, 1000], [10000, 5000, 5000], [100000, 70000, 70000]]);
  assert.ok(exchanges.some((e) => e.opcode === Op.INIT && e.reply), 'INIT exchange');
  toolsRead(out);
  dir.remove();
});

test('scenariofs, 16 daemon threads each holding a WRITE at once: every message of every thread', async (t) => {
  const reason = skipReason();
  if (reason) return t.skip(reason);
  const dir = makeTempDir('rec-sfs16');
  const out = dir.sub('cap.pcapng');
  // --write-barrier 16: each WRITE reply waits until 16 WRITEs are in flight,
  // so 16 daemon threads record concurrently for sure.
  const sfs = scenariofsArgs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), threads: 16, directIo: true, parallelDirectWrites: true,
    writeBarrier: 16, writeDelayMs: 5000,
  });
  const m = await mountCommand(recordCmd(['-o', out, '--snaplen', '4096'], [scenariofsPath, ...sfs]), join(dir.path, 'mnt'));
  try {
    const r = await runNode(parallelWorkload, [m.mountpoint, String(WRITERS), '8'], 120000);
    assert.equal(r.trim(), 'ok');
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const d = decode(out);
  assert.deepEqual(d.notices, []);
  const cap = readPcapng(out);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0);
  const writes = exchanges.filter((e) => e.opcode === Op.WRITE);
  assert.equal(writes.length, WRITERS * 8);
  assert.ok(writes.every((e) => e.reply && e.replyError === 0), 'every WRITE answered');
  const got = new Set(writes.map(writeInfo).map((w) => `${w.offset}:${w.size}`));
  for (let k = 0; k < WRITERS; k++) for (const p of plan(k).slice(0, 8)) assert.ok(got.has(`${p.offset}:${p.size}`));
  const writeTids = new Set(cap.messages.filter((x) => x.dir === 2 && writes.some((w) => w.reply === x.data)).map((x) => x.tid));
  t.diagnostic(`${writeTids.size} daemon threads answered WRITEs`);
  assert.equal(writeTids.size, 16, '16 daemon threads answered WRITEs');
  assert.equal(d.stats[0]!.ifDrop, 0);
  toolsRead(out);
  dir.remove();
});

test('record --strace --pid: attach to a running daemon, stop with SIGINT', async (t) => {
  const reason = skipReason(['strace']);
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('rec-attach');
  const out = dir.sub('cap.pcapng');
  const m = await mountCommand([pll, '-f', '-o', `source=${dir.sub('src')},cache=never`, dir.sub('mnt')], join(dir.path, 'mnt'));
  let rec: ReturnType<typeof spawn> | undefined;
  try {
    // Touch the mount before attaching: that traffic must not be in the capture.
    await runNode(`import * as fs from 'node:fs'; fs.writeFileSync(process.argv[2] + '/before', 'x');`, [m.mountpoint]);
    const argv = [...recorderArgv(), '--strace', '--pid', String(m.child.pid), '-o', out];
    rec = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    rec.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const recExit = new Promise<number | null>((res) => rec!.on('exit', (c) => res(c)));
    // Attached when the daemon has a tracer.
    const traced = (): boolean => /^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${m.child.pid}/status`, 'utf8'));
    for (let i = 0; i < 200 && !traced(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(traced(), `strace attached: ${err}`);
    await runNode(`import * as fs from 'node:fs'; const fd = fs.openSync(process.argv[2] + '/a', 'w');
      fs.writeSync(fd, Buffer.alloc(2000, 1), 0, 2000, 8192); fs.closeSync(fd);`, [m.mountpoint]);
    rec.kill('SIGINT');
    assert.equal(await recExit, 0, err);
    assert.match(err, /fusetrace: capture: .*: \d+ messages/);
  } finally {
    if (rec && rec.exitCode === null) rec.kill('SIGKILL');
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const cap = readPcapng(out);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.ok(!exchanges.some((e) => e.opcode === Op.INIT), 'attached after INIT');
  // Idle workers were blocked in a read of /dev/fuse at the attach: the request each takes first is there too.
  assert.equal(orphans, 0, 'every reply has its request');
  const writes = exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  assert.deepEqual(writes.map((w) => [w.offset, w.size, w.written]), [[8192, 2000, 2000]]);
  assert.ok(cap.messages.every((x) => x.pid === m.child.pid), 'pid from /proc');
  dir.remove();
});

test('non-root daemon mounting through fusermount3: the fd it receives is recorded, labelled with the mount point', async (t) => {
  const reason = skipReason(['setpriv']);
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  // The daemon runs as nobody and loads the capture library and the daemon binary from this checkout.
  const hidden = [recorderLibPath, pll].map(closedToOthers).find((x) => x !== undefined);
  if (hidden) return t.skip(`${hidden} is not readable by other users (the daemon runs as nobody); clone the project under a world-readable path`);
  // Distributions make /dev/fuse 0666 with a udev rule; a machine without
  // udev leaves it 0600 and libfuse as nobody cannot open it before it would
  // call fusermount3. Open it to users for this test only, and put it back.
  const devMode = statSync('/dev/fuse').mode & 0o7777;
  if ((devMode & 0o006) !== 0o006) {
    t.diagnostic(`/dev/fuse was ${devMode.toString(8)}: 0666 for this test, then back`);
    chmodSync('/dev/fuse', devMode | 0o006);
    t.after(() => chmodSync('/dev/fuse', devMode));
  }
  const dir = makeTempDir('rec-user');
  chmodSync(dir.path, 0o777);
  const src = dir.sub('src');
  const mnt = dir.sub('mnt');
  chownSync(src, 65534, 65534);
  chownSync(mnt, 65534, 65534);
  const out = join(dir.path, 'cap.pcapng');
  // The recorder runs as root; the daemon as nobody (fusermount3 mounts for
  // it). Only nobody may use the mount (no allow_other), so the test waits
  // on /proc/mounts rather than on stat(2).
  const argv = recordCmd(['-o', out], ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', pll, '-f', '-o', `source=${src}`, mnt]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  try {
    for (let i = 0; i < 200 && !isMounted(mnt); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(isMounted(mnt), err);
    const w = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `echo hi > ${mnt}/x && cat ${mnt}/x`]);
    assert.equal(w.stdout.trim(), 'hi', w.stderr);
  } finally {
    spawnSync('fusermount3', ['-u', mnt]);
    if (isMounted(mnt)) spawnSync('umount', ['-l', mnt]);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  }
  const cap = readPcapng(out);
  assert.equal(cap.interfaces.length, 1);
  assert.equal(cap.interfaces[0]!.name, `fuse:${mnt}`, 'mount point learnt from fuse_session_mount');
  const { exchanges } = pairExchanges(cap);
  assert.ok(exchanges.some((e) => e.opcode === Op.INIT && e.reply));
  assert.ok(exchanges.some((e) => e.opcode === Op.WRITE && e.reply));
  dir.remove();
});

test('bindfs (libfuse 2, mounted with mount(2) as root) is recorded with its mount point', async (t) => {
  const reason = skipReason(['bindfs']);
  if (reason) return t.skip(reason);
  const dir = makeTempDir('rec-bindfs');
  const out = dir.sub('cap.pcapng');
  const mnt = dir.sub('mnt');
  const m = await mountCommand(recordCmd(['-o', out], ['bindfs', '-f', dir.sub('src'), mnt]), mnt);
  try {
    await runNode(`import * as fs from 'node:fs'; fs.writeFileSync(process.argv[2] + '/x', 'hello'); fs.readFileSync(process.argv[2] + '/x');`, [mnt]);
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const d = decode(out);
  assert.deepEqual(d.notices, []);
  assert.equal(d.conns[0]!.name, `fuse:${mnt}`);
  const { exchanges, orphans } = pairExchanges(readPcapng(out));
  assert.equal(orphans, 0);
  await decoderAgrees(t, out, d.messages);
  const init = exchanges.find((e) => e.opcode === Op.INIT)!;
  assert.ok(init.reply && init.reply.readUInt32LE(20) < 45, `libfuse 2 negotiates an old minor (${init.reply?.readUInt32LE(20)})`);
  dir.remove();
});
