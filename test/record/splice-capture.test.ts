/**
 * The capture library on requests received with splice(2), whatever the
 * daemon does with the pipe afterwards: test/record/ftrec-splicefs.c splices
 * every request into a pipe and takes it out in one of six ways (whole read,
 * header read then the rest, splice on to another pipe, tee + reply before
 * reading, close unread, readv through a dup). It logs every request it got;
 * the capture must hold exactly those bytes (up to the snap length), in
 * order, each request before its reply, nothing dropped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCapture } from '../../src/capture/open.js';
import type { InterfaceStats } from '../../src/capture/message.js';
import { haveCommand, isbComments, isMounted, makeTempDir, pairExchanges, readPcapng, recorderLibPath, repoRoot, runNode, type TempDir } from '../helpers/mount.js';

let dir: TempDir | undefined;
let fs: string | undefined;
let skip: string | undefined;

before(() => {
  if (process.platform !== 'linux') skip = `needs Linux (this is ${process.platform})`;
  else if (process.getuid?.() !== 0) skip = 'needs root to mount';
  else if (!existsSync('/dev/fuse')) skip = '/dev/fuse is missing';
  else if (!existsSync(recorderLibPath)) skip = `${recorderLibPath} is not built (npm run build; needs a C compiler)`;
  else if (!haveCommand(process.env.CC ?? 'cc')) skip = 'no C compiler to build ftrec-splicefs (apt-get install gcc)';
  if (skip) return;
  dir = makeTempDir('ftrec-splice');
  fs = join(dir.path, 'ftrec-splicefs');
  const r = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', fs, join(repoRoot, 'test', 'record', 'ftrec-splicefs.c')], { encoding: 'utf8' });
  if (r.status !== 0) skip = `building ftrec-splicefs failed: ${r.stderr}`;
});

after(() => dir?.remove());

/** The daemon's log: every request it received, whole. */
function readLog(file: string): Buffer[] {
  const b = readFileSync(file);
  const out: Buffer[] = [];
  for (let off = 0; off + 4 <= b.length;) {
    const n = b.readUInt32LE(off);
    out.push(b.subarray(off + 4, off + 4 + n));
    off += 4 + n;
  }
  return out;
}

const workload = `
import * as fs from 'node:fs';
const mnt = process.argv[2];
for (let round = 0; round < 3; round++) {
  for (const name of ['a', 'bb', 'name-' + 'x'.repeat(40 + round)]) { try { fs.statSync(mnt + '/' + name); } catch {} }
  const fd = fs.openSync(mnt + '/f', 'r+');
  for (const size of [10, 3000, 4096, 5000, 70000, 131072]) fs.writeSync(fd, Buffer.alloc(size, 65 + round), 0, size, round * 1000);
  fs.closeSync(fd);
  fs.statSync(mnt + '/f');
}
console.log('ok');`;

for (const snaplen of [0, 256]) {
  test(`splice reception, six ways of taking the request out of the pipe, snaplen ${snaplen}: the capture holds what the daemon got`, async (t) => {
    if (skip) return t.skip(skip);
    const mnt = join(dir!.path, `mnt-${snaplen}`);
    mkdirSync(mnt, { recursive: true });
    const out = join(dir!.path, `cap-${snaplen}.pcapng`);
    const log = join(dir!.path, `log-${snaplen}`);
    const child = spawn(fs!, [mnt, log], {
      env: { ...process.env, LD_PRELOAD: recorderLibPath, FUSETRACE_OUT: out, FUSETRACE_QUIET: '1', FUSETRACE_SNAPLEN: String(snaplen) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (x: Buffer) => (err += x.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    try {
      for (let i = 0; i < 100 && !isMounted(mnt); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(isMounted(mnt), err);
      assert.equal((await runNode(workload, [mnt], 60000)).trim(), 'ok');
    } finally {
      spawnSync('umount', [mnt]);
      if (isMounted(mnt)) spawnSync('umount', ['-l', mnt]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      assert.equal(await exited, 0, err);
      clearTimeout(timer);
    }
    const got = readLog(log);
    assert.ok(got.length >= 40, `the daemon got ${got.length} requests`);
    const cap = readPcapng(out);
    const reqs = cap.messages.filter((m) => m.dir === 1);
    assert.equal(reqs.length, got.length, 'one inbound block per request');
    reqs.forEach((m, i) => {
      const want = got[i]!;
      assert.equal(m.origLen, want.length, `request ${i}: original length`);
      const keep = snaplen ? Math.min(snaplen, want.length) : want.length;
      assert.ok(m.data.equals(want.subarray(0, keep)), `request ${i} (mode ${i % 6}, opcode ${want.readUInt32LE(4)}, ${want.length} B): captured bytes are the request's`);
    });
    assert.ok(got.some((r) => r.readUInt32LE(4) === 16 && r.length > 70000), 'large WRITEs went through the pipe');
    const { orphans } = pairExchanges(cap);
    assert.equal(orphans, 0, 'every reply after its request');
    const stats: InterfaceStats[] = [];
    readCapture(out, { onConnection: () => {}, onNotice: () => {}, onMessage: () => {}, onStats: (s) => { stats.push({ ...s }); } });
    assert.equal(stats.length, 1);
    assert.equal(stats[0]!.ifDrop, 0, 'nothing dropped');
    const c = isbComments(out).join(' ');
    const spliced = Number(/spliced_in=(\d+)/.exec(c)?.[1] ?? -1);
    const atRead = Number(/spliced_in_at_read=(\d+)/.exec(c)?.[1] ?? -1);
    t.diagnostic(`${got.length} requests; ISB: ${c}`);
    assert.equal(spliced, got.length, 'every request counted as spliced');
    assert.ok(atRead >= Math.floor(got.length / 3), 'requests read by the daemon were taken at its read (modes 0 and 1)');
    assert.ok(atRead < got.length, 'the other modes went through tee');
  });
}
