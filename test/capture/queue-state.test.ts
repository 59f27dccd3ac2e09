/**
 * Queue-state samples (capture-format.md §1, "Queue state"): read back from
 * their Custom Blocks, turned into time at or above the kernel's limits, and
 * shown next to the in-flight depth by analyze.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueSample } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { queueModel } from '../../src/analysis/build-model.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { PageData } from '../../src/report/html.js';
import { makeTempDir, run, fusetraceBin } from '../helpers/mount.js';

const T0 = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;

/** INIT-less capture: one GETATTR exchange and queue samples around it. */
function capture(): Buffer {
  return pcapngToBuffer((w) => {
    const i = w.addInterface({ name: 'fuse:/mnt/q' });
    const other = w.addInterface({ name: 'eth0', linkType: 1 });
    w.queueState(i, { ts: T0, waiting: 0, maxBackground: 12, congestionThreshold: 9 });
    const req = Buffer.alloc(56);
    req.writeUInt32LE(56, 0);
    req.writeUInt32LE(3, 4); // GETATTR
    req.writeBigUInt64LE(2n, 8);
    req.writeBigUInt64LE(1n, 16);
    w.packet({ iface: i, ts: T0 + 1n * MS, data: req, dir: 1, pid: 1, tid: 1 });
    w.queueState(i, { ts: T0 + 100n * MS, waiting: 10, maxBackground: 12, congestionThreshold: 9 });
    w.queueState(other, { ts: T0 + 150n * MS, waiting: 99, maxBackground: 1, congestionThreshold: 1 });
    w.queueState(i, { ts: T0 + 200n * MS, waiting: 12, maxBackground: 12, congestionThreshold: 9 });
    w.queueState(i, { ts: T0 + 300n * MS, waiting: 1, maxBackground: 12, congestionThreshold: 9 });
    const rep = Buffer.alloc(16 + 104);
    rep.writeUInt32LE(rep.length, 0);
    rep.writeBigUInt64LE(2n, 8);
    w.packet({ iface: i, ts: T0 + 400n * MS, data: rep, dir: 2, pid: 1, tid: 1 });
  });
}

test('queue-state blocks are read per connection, at their time; other interfaces and custom blocks are skipped', () => {
  const dir = makeTempDir('queue');
  const f = dir.sub('q.pcapng');
  writeFileSync(f, capture());
  const got: QueueSample[] = [];
  const notices: string[] = [];
  readCapture(f, { onConnection() {}, onMessage() {}, onNotice: (n) => notices.push(n.message), onQueue: (q) => got.push({ ...q }) });
  assert.deepEqual(got.map((q) => [q.conn, q.waiting, q.maxBackground, q.congestionThreshold]), [[0, 0, 12, 9], [0, 10, 12, 9], [0, 12, 12, 9], [0, 1, 12, 9]]);
  assert.deepEqual(got.map((q) => q.t - got[0]!.t), [0, 100e6, 200e6, 300e6]);
  dir.remove();
});

test('queueModel: peak, time at or above the congestion threshold and max_background, each sample holding until the next', () => {
  const s = (t: number, waiting: number): QueueSample => ({ conn: 0, t, waiting, maxBackground: 12, congestionThreshold: 9 });
  const q = queueModel([s(0, 0), s(100, 10), s(200, 12), s(300, 1)], 400)!;
  assert.equal(q.peakWaiting, 12);
  assert.equal(q.peakWaitingT, 200);
  assert.equal(q.congestedNs, 200, '10 from 100 to 200, 12 from 200 to 300');
  assert.equal(q.fullNs, 100);
  assert.equal(q.sampleCount, 4);
  assert.equal(queueModel([], 10), undefined);
  const many = Array.from({ length: 10_000 }, (_, i) => s(i, i === 7777 ? 50 : i % 3));
  const m = queueModel(many, 10_000)!;
  assert.ok(m.samples.length <= 2001, 'bounded');
  assert.ok(m.samples.some(([t, w]) => t === 7777 && w === 50), 'the peak is kept');
});

test('analyze shows the kernel queue next to the in-flight depth, and in --json', async () => {
  const dir = makeTempDir('queue-cli');
  const f = dir.sub('q.pcapng');
  writeFileSync(f, capture());
  const r = await run(process.execPath, [fusetraceBin, 'analyze', '--proto', '7.31', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kernel queue \(fusectl, 4 samples\): waiting peak 12 at \+0\.199\d+s \(max_background 12, congestion_threshold 9; daemon peak 1 in flight\); 200\.0 ms at or above the congestion threshold, 100\.0 ms at or above max_background/);
  const j = await run(process.execPath, [fusetraceBin, 'analyze', '--json', '--proto', '7.31', f]);
  const conn = (JSON.parse(j.stdout) as { connections: { queue?: { peakWaiting: number; congestedNs: number } }[] }).connections[0]!;
  assert.equal(conn.queue?.peakWaiting, 12);
  assert.equal(conn.queue?.congestedNs, 200e6);
  dir.remove();
});

test('report carries the kernel queue next to the in-flight depth in the page data, and explains the lines', async () => {
  const dir = makeTempDir('queue-report');
  const f = dir.sub('q.pcapng');
  const out = dir.sub('q.html');
  writeFileSync(f, capture());
  const r = await run(process.execPath, [fusetraceBin, 'report', '--proto', '7.31', '-o', out, f]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  const m = /<script type="application\/json" id="fusetrace-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the page embeds its data');
  const data = JSON.parse(m[1]!) as PageData;
  const c = data.inflight[0]!;
  assert.ok(c.queue, 'the connection has queue samples');
  const t0 = c.queue[0]![0];
  assert.deepEqual(c.queue.map(([t, w, mb, ct]) => [t - t0, w, mb, ct]), [[0, 0, 12, 9], [100e6, 10, 12, 9], [200e6, 12, 12, 9], [300e6, 1, 12, 9]]);
  assert.ok(c.steps.length > 0, 'the in-flight depth is there too');
  assert.match(html, /the line is <code>waiting<\/code>/);
  dir.remove();
});

test('report of a capture without queue samples has no queue data nor its explanation', async () => {
  const dir = makeTempDir('queue-report-none');
  const out = dir.sub('s.html');
  const r = await run(process.execPath, [fusetraceBin, 'report', '-o', out, new URL('../../../fixtures/smoke.pcapng', import.meta.url).pathname]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  const data = JSON.parse(/id="fusetrace-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as PageData;
  assert.ok(data.inflight.length > 0 && data.inflight.every((c) => c.queue === undefined));
  assert.doesNotMatch(html, /<code>waiting<\/code>/);
  dir.remove();
});
