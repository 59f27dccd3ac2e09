import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap, findingsOf, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FUSE_WRITE_CACHE, INIT, kinds, openedFile } from '../analysis/capture-builder.js';

const GiB = 2 ** 30;
const KiB = 1024;
const PDW = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
const KIND = 'parallel-write-beyond-size';

/** One mount, /big (nodeid 10, ino 500) of `size`, opened with fh 1 and `fopen`. */
const mount = (size: number, fopen = PDW, initFlags = 0): Cap => openedFile({ size, fopen, initFlags, name: 'big', ino: 500, valid: 3600 });

test('the LKML race: A and B correlated by ino, both writes start beyond the size B truncated to', () => {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(1, 1, 1, 'big', 20, { ino: 500, size: 4 * GiB });
  c.lookup(0, 2, 1, 'big', 10, { ino: 500, size: 4 * GiB, valid: 3600 });
  const t = c.truncateReq(1, 3, 20, 2 * GiB);
  c.attrReply(1, 3.1, t, { ino: 500, size: 2 * GiB });
  c.open(0, 4, 10, 1, PDW);
  const w1 = c.writeReq(0, 10, 10, 1, 3 * GiB, 64 * KiB, { pid: 2001, tid: 101 });
  const w2 = c.writeReq(0, 11, 10, 1, 3.5 * GiB, 64 * KiB, { pid: 2002, tid: 102 });
  c.writeReply(0, 510, w1, 64 * KiB, 0, { tid: 101 });
  c.writeReply(0, 511, w2, 64 * KiB, 0, { tid: 102 });
  const r = analyze({ files: c.files() });
  assert.equal(r.fatal, undefined);
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 2);
  const byU = new Map(f.map((x) => [x.uniques[0], x]));
  for (const [me, other] of [[w1, w2], [w2, w1]] as const) {
    const x = byU.get(me)!;
    assert.equal(x.severity, 'error');
    assert.equal(x.conn, 0);
    assert.equal(x.path, '/big');
    assert.deepEqual(x.details.concurrent, [other]);
    assert.equal(x.details.daemonSize, 2 * GiB);
    assert.equal(x.details.kernelSize, 4 * GiB);
    assert.equal(x.details.kernelThoughtNonExtending, true);
    assert.equal(x.details.startsBeyond, true);
    assert.deepEqual(x.details.handleFlags, ['FOPEN_DIRECT_IO', 'FOPEN_PARALLEL_DIRECT_WRITES']);
    assert.equal(x.messageId, 'hole');
  }
  assert.deepEqual(findingsOf(r, 'stale-size-write').map((x) => x.uniques[0]).sort(), [w1, w2].sort());
  assert.equal(byU.get(w1)!.fingerprint, analyze({ files: c.files() }).model.findings.find((x) => x.uniques[0] === w1 && x.kind === KIND)!.fingerprint);

  // Without correlation connection 0 only knows its own 4 GiB: nothing to report.
  const r2 = analyze({ files: c.files(), correlate: false });
  assert.deepEqual(kinds(r2), []);
});

test('parallel writes that only extend: warning, kernel sent extending writes in parallel', () => {
  const c = mount(1 * GiB);
  const w1 = c.writeReq(0, 10, 10, 1, 1 * GiB - 32 * KiB, 64 * KiB, { pid: 1 });
  const w2 = c.writeReq(0, 11, 10, 1, 0, 64 * KiB, { pid: 2 });
  c.writeReply(0, 20, w1, 64 * KiB);
  c.writeReply(0, 21, w2, 64 * KiB);
  const r = c.analyze();
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.deepEqual(f[0]!.uniques, [w1, w2]);
  assert.equal(f[0]!.details.kernelThoughtNonExtending, false);
  assert.equal(f[0]!.details.startsBeyond, false);
  assert.equal(f[0]!.details.beyondBy, 32 * KiB);
});

test('exactly touching intervals are not "in flight together"', () => {
  const c = mount(0);
  const w1 = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1 });
  c.writeReply(0, 20, w1, 4 * KiB);
  const w2 = c.writeReq(0, 20, 10, 1, 8 * KiB, 4 * KiB, { pid: 2 });
  c.writeReply(0, 30, w2, 4 * KiB);
  const r = c.analyze();
  assert.deepEqual(kinds(r), []);
  assert.equal(r.model.files.find((f) => f.path === '/big')!.maxConcurrentWrites, 1);
});

test('judged on timestamps, not block order: a late reply block does not make writes overlap', () => {
  const c = mount(0);
  const w1 = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1, tid: 101 });
  const w2 = c.writeReq(0, 30, 10, 1, 8 * KiB, 4 * KiB, { pid: 2, tid: 102 });
  c.writeReply(0, 20, w1, 4 * KiB, 0, { tid: 101 }); // block written after w2's request
  c.writeReply(0, 40, w2, 4 * KiB, 0, { tid: 102 });
  assert.deepEqual(kinds(c.analyze()), []);
});

test('judged on timestamps: a request block that comes late in the file still overlaps', () => {
  const c = mount(0);
  const w2 = c.writeReq(0, 12, 10, 1, 8 * KiB, 4 * KiB, { pid: 2, tid: 102 });
  const w1 = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1, tid: 101 }); // earlier time, later block
  c.writeReply(0, 20, w1, 4 * KiB, 0, { tid: 101 });
  c.writeReply(0, 21, w2, 4 * KiB, 0, { tid: 102 });
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 2);
  assert.deepEqual(f.map((x) => x.uniques[0]).sort(), [w1, w2].sort());
  assert.equal(f.find((x) => x.uniques[0] === w2)!.severity, 'error'); // starts at 8 KiB > 0
  assert.equal(f.find((x) => x.uniques[0] === w1)!.severity, 'warning'); // starts at 0 = size
});

test('zero-length writes never count as beyond the size', () => {
  const c = mount(0);
  const w1 = c.writeReq(0, 10, 10, 1, 4 * KiB, 0, { pid: 1 });
  const w2 = c.writeReq(0, 11, 10, 1, 8 * KiB, 0, { pid: 2 });
  c.writeReply(0, 20, w1, 0);
  c.writeReply(0, 21, w2, 0);
  assert.deepEqual(kinds(c.analyze()), []);
});

test('writes answered with an error are still reported (the kernel sent them in parallel), with the error', () => {
  const c = mount(0);
  const w1 = c.writeReq(0, 10, 10, 1, 4 * KiB, 4 * KiB, { pid: 1 });
  const w2 = c.writeReq(0, 11, 10, 1, 8 * KiB, 4 * KiB, { pid: 2 });
  c.writeReply(0, 20, w1, 0, -5);
  c.writeReply(0, 21, w2, 0, -28);
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 2);
  assert.deepEqual(f.map((x) => x.details.replyError), [-5, -28]);
});

test('writes whose reply never comes are judged in flight to the end of the capture', () => {
  const c = mount(0);
  const w1 = c.writeReq(0, 10, 10, 1, 4 * KiB, 4 * KiB, { pid: 1 });
  const w2 = c.writeReq(0, 50, 10, 1, 8 * KiB, 4 * KiB, { pid: 2 });
  c.getattrReq(0, 60, 1);
  const r = c.analyze();
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 2);
  assert.deepEqual(f.map((x) => x.details.replied), [false, false]);
  assert.deepEqual(findingsOf(r, 'unanswered-request').map((x) => x.uniques[0]).sort(), [w1, w2, w2 + 2].sort());
});

test('pieces of one split direct write are grouped and reported once at info', () => {
  const c = mount(0, 0, INIT.ASYNC_DIO);
  const us: number[] = [];
  for (let i = 0; i < 4; i++) us.push(c.writeReq(0, 10 + i * 0.01, 10, 1, i * 128 * KiB, 128 * KiB, { pid: 4242, tid: 100 + i }));
  for (let i = 0; i < 4; i++) c.writeReply(0, 100 + i, us[i]!, 128 * KiB, 0, { tid: 100 + i });
  const r = c.analyze();
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'info');
  assert.equal(f[0]!.messageId, 'split');
  assert.deepEqual(f[0]!.uniques, us);
  assert.equal(f[0]!.details.grouped, true);
  assert.equal(f[0]!.details.size, 512 * KiB);
  assert.deepEqual(kinds(r), [`${KIND}/info`]);
});

test('a split write racing another writer: the pieces concurrent with the other writer are reported on their own', () => {
  const c = mount(0);
  const a1 = c.writeReq(0, 10, 10, 1, 0, 128 * KiB, { pid: 1 });
  const a2 = c.writeReq(0, 10.1, 10, 1, 128 * KiB, 128 * KiB, { pid: 1 });
  c.writeReply(0, 20, a1, 128 * KiB);
  const b = c.writeReq(0, 21, 10, 1, 1024 * KiB, 4 * KiB, { pid: 2 });
  c.writeReply(0, 30, a2, 128 * KiB);
  c.writeReply(0, 31, b, 4 * KiB);
  const f = findingsOf(c.analyze(), KIND);
  const sev = Object.fromEntries(f.map((x) => [`${x.messageId}:${x.uniques[0]}`, x.severity]));
  assert.deepEqual(sev, { [`split:${a1}`]: 'info', [`hole:${a2}`]: 'error', [`hole:${b}`]: 'error' });
});

test('writeback-cache writes (FUSE_WRITE_CACHE) extending in parallel are expected: nothing reported', () => {
  const c = mount(0, 0, INIT.WRITEBACK_CACHE);
  const w1 = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
  const w2 = c.writeReq(0, 10.5, 10, 1, 64 * KiB, 64 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
  c.writeReply(0, 20, w1, 64 * KiB);
  c.writeReply(0, 21, w2, 64 * KiB);
  assert.deepEqual(kinds(c.analyze()), []);
});

test('after a truncate to a larger size, parallel writes below it are inside the file', () => {
  const c = mount(1 * GiB);
  const t = c.truncateReq(0, 5, 10, 8 * GiB);
  c.attrReply(0, 6, t, { ino: 500, size: 8 * GiB });
  const w1 = c.writeReq(0, 10, 10, 1, 5 * GiB, 64 * KiB, { pid: 1 });
  const w2 = c.writeReq(0, 11, 10, 1, 6 * GiB, 64 * KiB, { pid: 2 });
  c.writeReply(0, 20, w1, 64 * KiB);
  c.writeReply(0, 21, w2, 64 * KiB);
  const r = c.analyze();
  assert.deepEqual(kinds(r), []);
  const file = r.model.files.find((f) => f.path === '/big')!;
  assert.equal(file.daemonSize, 8 * GiB);
  assert.equal(file.maxConcurrentWrites, 2);
});

test('the daemon size is unknown before the first report: nothing can be proved', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.open(0, 2, 10, 1, PDW);
  const w1 = c.writeReq(0, 10, 10, 1, 5 * GiB, 64 * KiB, { pid: 1 });
  const w2 = c.writeReq(0, 11, 10, 1, 6 * GiB, 64 * KiB, { pid: 2 });
  c.writeReply(0, 20, w1, 64 * KiB);
  c.writeReply(0, 21, w2, 64 * KiB);
  assert.deepEqual(kinds(c.analyze()), []);
});
