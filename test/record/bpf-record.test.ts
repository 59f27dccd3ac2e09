/**
 * `fusetrace record --bpf` (build/ftrec-bpf) on real mounts: gocryptfs (Go,
 * raw syscalls, forks into the background), and libfuse's passthrough_ll
 * receiving with splice, recorded at once by the eBPF recorder and by the
 * LD_PRELOAD library: both captures must hold the same messages, byte for
 * byte. Also: what --bpf says when it cannot run.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { QueueSample } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import {
  buildPassthroughLl,
  fuseSkipReason,
  fusetraceBin,
  isbComments,
  makeTempDir,
  mountCommand,
  Op,
  pairExchanges,
  readPcapng,
  recorderLibPath,
  run,
  writeInfo,
  type RawMessage,
  PIPE_MAX,
  withPipeMax,
} from '../helpers/mount.js';
import { bpfBuildSkipReason, bpfLoadSkipReason, bpfRecord } from '../helpers/bpf.js';

function skipReason(commands: string[] = []): string | undefined {
  return fuseSkipReason({ recorder: true, commands }) ?? bpfBuildSkipReason();
}

test('record --bpf: gocryptfs (Go, forks into the background): every WRITE with its offset, nothing lost', async (t) => {
  const reason = skipReason(['gocryptfs']) ?? (await bpfLoadSkipReason());
  if (reason) return t.skip(reason);
  const dir = makeTempDir('bpf-gocryptfs');
  const out = dir.sub('cap.pcapng');
  const cipher = dir.sub('cipher');
  const pw = dir.sub('pw.txt');
  writeFileSync(pw, 'correct horse\n');
  // A cheap scrypt cost: the key derivation is not under test.
  const init = await run('gocryptfs', ['-q', '-init', '-scryptn', '10', '-passfile', pw, cipher], { timeoutMs: 60000 });
  assert.equal(init.code, 0, init.stderr);
  const m = await mountCommand(bpfRecord(out, [], ['gocryptfs', '-q', '-passfile', pw, cipher, dir.sub('mnt')]), join(dir.path, 'mnt'), undefined, 60000);
  try {
    // O_DIRECT: each 4 KiB block is its own WRITE, at a known offset.
    const r = await run('dd', ['if=/dev/zero', `of=${m.mountpoint}/f`, 'bs=4096', 'count=8', 'oflag=direct'], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    assert.equal(await m.unmount(), 0, `record --bpf exit code; stderr: ${m.stderr()}`);
  }
  const cap = readPcapng(out);
  assert.equal(cap.interfaces.length, 1);
  assert.equal(cap.interfaces[0]!.name, `fuse:${m.mountpoint}`);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0);
  assert.ok(exchanges.some((e) => e.opcode === Op.INIT && e.reply), 'INIT and its reply');
  const writes = exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  // gocryptfs writes whole 4 KiB ciphertext blocks: the plaintext offsets are ours.
  assert.deepEqual(writes.map((w) => `${w.offset}+${w.size}=${w.written}`).sort(),
    Array.from({ length: 8 }, (_, i) => `${i * 4096}+4096=4096`).sort());
  assert.ok(cap.messages.every((x) => x.pid > 0 && x.tid > 0), 'pid and tid of every message');
  assert.ok(new Set(cap.messages.map((x) => x.pid)).size === 1, 'one daemon process (the background one)');
  assert.equal(cap.statistics, 1, 'an ISB closes the interface');
  dir.remove();
});

/** Key of a message for matching across captures: direction and unique (+ n-th of that key). */
function keyed(msgs: RawMessage[]): Map<string, RawMessage> {
  const m = new Map<string, RawMessage>();
  for (const x of msgs) {
    const base = `${x.dir}:${x.data.readBigUInt64LE(8)}`;
    let k = base;
    for (let n = 1; m.has(k); n++) k = `${base}#${n}`;
    m.set(k, x);
  }
  return m;
}

test('record --bpf agrees with the LD_PRELOAD library message for message on passthrough_ll receiving with splice', async (t) => {
  const reason = skipReason(['pkg-config', 'dd']) ?? buildPassthroughLl().reason ?? (await bpfLoadSkipReason());
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('bpf-splice');
  const bpfOut = dir.sub('bpf.pcapng');
  const preOut = dir.sub('preload.pcapng');
  const data = Buffer.alloc(256 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 12)) & 0xff;
  writeFileSync(dir.sub('data.bin'), data);
  const done = await withPipeMax(4 << 20, async () => {
    // The eBPF recorder follows env and the daemon it execs; the library inside
    // records the same daemon's messages: one run, two recorders, whole messages.
    const daemon = ['env', `LD_PRELOAD=${recorderLibPath}`, `FUSETRACE_OUT=${preOut}`, 'FUSETRACE_SNAPLEN=0', 'FUSETRACE_QUIET=1',
      pll, '-f', '-o', `source=${dir.sub('src')},cache=never`, dir.sub('mnt')];
    const m = await mountCommand(bpfRecord(bpfOut, ['--snaplen', '0'], daemon), join(dir.path, 'mnt'));
    try {
      // 64 KiB writes take libfuse's zero-copy path (payload spliced on from
      // the pipe), 1000-byte ones are read whole from the pipe; then read back.
      for (const [bs, count, name] of [['65536', '4', 'big'], ['1000', '5', 'small']] as const) {
        const r = await run('dd', [`if=${dir.path}/data.bin`, `of=${m.mountpoint}/${name}`, `bs=${bs}`, `count=${count}`], { timeoutMs: 30000 });
        assert.equal(r.code, 0, r.stderr);
      }
      const c = await run('cat', [`${m.mountpoint}/big`], { timeoutMs: 30000 });
      assert.equal(c.code, 0);
    } finally {
      assert.equal(await m.unmount(), 0, `record --bpf exit code; stderr: ${m.stderr()}`);
    }
    return true;
  });
  if (!done) return t.skip(`cannot set ${PIPE_MAX} (libfuse needs >= 2 MiB to splice)`);
  const splicedIn = Number(/spliced_in=(\d+)/.exec(isbComments(preOut).join(' '))?.[1] ?? 0);
  assert.ok(splicedIn > 0, 'libfuse received requests with splice');
  const b = readPcapng(bpfOut);
  const p = readPcapng(preOut);
  const bk = keyed(b.messages);
  const pk = keyed(p.messages);
  t.diagnostic(`eBPF ${b.messages.length} messages, LD_PRELOAD ${p.messages.length}, ${splicedIn} spliced in`);
  assert.deepEqual([...bk.keys()].sort(), [...pk.keys()].sort(), 'the same messages (direction, unique)');
  for (const [k, x] of bk) {
    const y = pk.get(k)!;
    assert.equal(x.origLen, y.origLen, `${k}: length`);
    assert.ok(x.data.equals(y.data), `${k}: the same bytes (opcode ${x.data.readUInt32LE(4)})`);
    assert.equal(x.tid, y.tid, `${k}: the same daemon thread`);
  }
  const writes = pairExchanges(b).exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  assert.ok(writes.some((w) => w.size === 65536), 'the large WRITEs are there');
  assert.equal(b.statistics, 1);
  // The kernel's queue was sampled (fusectl, mounted privately by the recorder when it is not).
  const queue: QueueSample[] = [];
  readCapture(bpfOut, { onConnection() {}, onMessage() {}, onNotice() {}, onQueue: (q) => queue.push({ ...q }) });
  assert.ok(queue.length >= 1, 'at least the first queue-state sample');
  assert.ok(queue.every((q) => q.conn === 0 && q.maxBackground > 0 && q.congestionThreshold > 0), JSON.stringify(queue.slice(0, 3)));
  dir.remove();
});

test('record --bpf without its recorder, or with a bad --pid: says why, exit 2', async (t) => {
  const dir = makeTempDir('bpf-missing');
  const r = await run(process.execPath, [fusetraceBin, 'record', '--bpf', '-o', dir.sub('x.pcapng'), '--', 'true'], {
    env: { ...process.env, FUSETRACE_BPF: join(dir.path, 'no-such-recorder') },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not built|needs root/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(dir.sub('x.pcapng')), false);
  const both = await run(process.execPath, [fusetraceBin, 'record', '--bpf', '--strace', '-o', dir.sub('y.pcapng'), '--', 'true']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--bpf or --strace, not both/);
  const reason = skipReason() ?? (await bpfLoadSkipReason());
  if (reason) {
    dir.remove();
    return t.skip(`the --pid case: ${reason}`);
  }
  const gone = await run(process.execPath, [fusetraceBin, 'record', '--bpf', '-o', dir.sub('z.pcapng'), '--pid', '2147483646']);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /no such process/);
  dir.remove();
});


/** A cgroup v2 hierarchy's root from /proc/mounts, or undefined. */
function cgroup2Root(): string | undefined {
  try {
    const line = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[2] === 'cgroup2');
    return line?.split(' ')[1];
  } catch {
    return undefined;
  }
}

test('record --bpf --cgroup: the daemon in the cgroup is recorded, one outside it is not; Ctrl-C leaves a whole file', async (t) => {
  const reason = skipReason(['pkg-config', 'dd']) ?? buildPassthroughLl().reason ?? (await bpfLoadSkipReason());
  if (reason) return t.skip(reason);
  const root = cgroup2Root();
  if (!root) return t.skip('no cgroup v2 hierarchy mounted');
  const cg = join(root, `fusetrace-test-${process.pid}`);
  try {
    mkdirSync(cg);
  } catch (e) {
    return t.skip(`cannot create a cgroup under ${root}: ${(e as Error).message}`);
  }
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('bpf-cgroup');
  const out = dir.sub('cap.pcapng');
  const a = await mountCommand([pll, '-f', '-o', `source=${dir.sub('srcA')},cache=never`, dir.sub('mntA')], join(dir.path, 'mntA'));
  const b = await mountCommand([pll, '-f', '-o', `source=${dir.sub('srcB')},cache=never`, dir.sub('mntB')], join(dir.path, 'mntB'));
  let rec: ChildProcess | undefined;
  try {
    writeFileSync(join(cg, 'cgroup.procs'), String(a.child.pid));
    rec = spawn(process.execPath, [fusetraceBin, 'record', '--bpf', '--cgroup', cg, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    rec.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => rec!.on('exit', (c) => res(c)));
    for (let i = 0; i < 300 && !/recording cgroup/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(err, /recording cgroup/);
    for (const m of [a, b]) {
      const r = await run('dd', ['if=/dev/zero', `of=${m.mountpoint}/f`, 'bs=4096', 'count=3'], { timeoutMs: 30000 });
      assert.equal(r.code, 0, r.stderr);
    }
    rec.kill('SIGINT');
    assert.equal(await exited, 0, err);
  } finally {
    if (rec && rec.exitCode === null) rec.kill('SIGKILL');
    await a.unmount();
    await b.unmount();
    try {
      rmdirSync(cg);
    } catch {
      // a process still in it: left for the machine's owner to see
    }
  }
  const cap = readPcapng(out);
  assert.deepEqual(cap.interfaces.map((i) => i.name), [`fuse:${a.mountpoint}`], 'only the mount of the daemon in the cgroup');
  const writes = pairExchanges(cap).exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  assert.deepEqual(writes.map((w) => w.offset).sort((x, y) => x - y), [0, 4096, 8192]);
  assert.ok(cap.messages.every((x) => x.pid === a.child.pid), 'every message from that daemon');
  assert.equal(cap.statistics, 1, 'closed with an ISB');
  dir.remove();
});

test('record --bpf --pid: attach to a running daemon, record its workload, stop on SIGINT and leave the daemon running', async (t) => {
  const reason = skipReason(['pkg-config', 'dd']) ?? buildPassthroughLl().reason ?? (await bpfLoadSkipReason());
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('bpf-pid');
  const out = dir.sub('cap.pcapng');
  // A space in the mount point: mountinfo writes it \040, the description the path itself.
  const m = await mountCommand([pll, '-f', '-o', `source=${dir.sub('src')},cache=never`, dir.sub('mnt point')], join(dir.path, 'mnt point'));
  let rec: ChildProcess | undefined;
  try {
    rec = spawn(process.execPath, [fusetraceBin, 'record', '--bpf', '--label', 'attached', '--pid', String(m.child.pid), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    rec.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => rec!.on('exit', (c) => res(c)));
    for (let i = 0; i < 300 && !/recording pid/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(err, /recording pid/);
    const r = await run('dd', ['if=/dev/zero', `of=${m.mountpoint}/f`, 'bs=4096', 'count=4'], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 300)); // the loader drains every 100 ms
    rec.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.equal(m.child.exitCode, null, 'the daemon still runs');
  } finally {
    if (rec && rec.exitCode === null) rec.kill('SIGKILL');
    await m.unmount();
  }
  const cap = readPcapng(out);
  assert.deepEqual(cap.interfaces.map((i) => i.name), ['fuse:attached'], 'named by --label');
  const descriptions: (string | undefined)[] = [];
  const machines: (string | undefined)[] = [];
  readCapture(out, { onConnection: (c) => (descriptions.push(c.description), machines.push(c.hardware)), onMessage() {}, onNotice() {} });
  assert.deepEqual(machines, [readFileSync('/proc/sys/kernel/arch', 'utf8').trim()], 'the SHB names the kernel\'s machine');
  assert.ok(descriptions[0]?.startsWith(`mountpoint=${m.mountpoint} `), `and still says where the mount is: ${descriptions[0]}`);
  const paired = pairExchanges(cap);
  // The daemon's idle workers were blocked reading /dev/fuse before the
  // attach, so the first request after it always reaches one of them: a
  // recorder that sees only calls entered after the attach loses it and
  // orphans its reply.
  assert.equal(paired.orphans, 0, 'every reply has its request');
  assert.ok(paired.exchanges.some((e) => e.opcode === Op.CREATE || e.opcode === Op.LOOKUP), 'the opening of f is there');
  const writes = paired.exchanges.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
  assert.deepEqual(writes.map((w) => `${w.offset}+${w.size}`).sort(), ['0+4096', '12288+4096', '4096+4096', '8192+4096']);
  assert.equal(cap.statistics, 1, 'closed with an ISB');
  dir.remove();
});
