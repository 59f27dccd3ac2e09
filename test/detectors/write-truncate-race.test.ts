import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap, findingsOf, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FUSE_WRITE_CACHE, INIT, O_RDWR, O_TRUNC, openedFile } from '../analysis/capture-builder.js';

const KiB = 1024;
const KIND = 'write-truncate-race';

/** /f of 1 MiB opened with FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES. */
const mount = (initFlags = 0): Cap => openedFile({ size: 1024 * KiB, fopen: FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES, initFlags });

test('a truncate arriving while a write is in flight: error naming both', () => {
  const c = mount();
  const w = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  const t = c.truncateReq(0, 11, 10, 0);
  c.attrReply(0, 12, t, { ino: 5, size: 0 });
  c.writeReply(0, 20, w, 64 * KiB);
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'error');
  assert.deepEqual(f[0]!.uniques, [w, t]);
  assert.equal((f[0]!.details.truncate as { size: number }).size, 0);
});

test('a write arriving while a truncate to a larger size is in flight: still a race', () => {
  const c = mount();
  const t = c.truncateReq(0, 10, 10, 4096 * KiB);
  const w = c.writeReq(0, 11, 10, 1, 0, 64 * KiB, { pid: 1 });
  c.attrReply(0, 12, t, { ino: 5, size: 4096 * KiB });
  c.writeReply(0, 20, w, 64 * KiB);
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.uniques, [w, t]);
});

test('OPEN with O_TRUNC counts as a truncate; one after the other is fine', () => {
  const c = mount(INIT.ATOMIC_O_TRUNC);
  const w = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  c.open(0, 11, 10, 2, 0, O_RDWR | O_TRUNC, 12);
  c.writeReply(0, 20, w, 64 * KiB);
  const w2 = c.writeReq(0, 30, 10, 1, 0, 64 * KiB, { pid: 1 });
  c.writeReply(0, 31, w2, 64 * KiB);
  const t = c.truncateReq(0, 31, 10, 0);
  c.attrReply(0, 32, t, { ino: 5, size: 0 });
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.uniques[0], w);
});

test('across correlated connections', () => {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 1024 * KiB });
  c.lookup(1, 1, 1, 'f', 30, { ino: 5, size: 1024 * KiB });
  c.open(0, 2, 10, 1, 0x41);
  const w = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  const t = c.truncateReq(1, 11, 30, 0);
  c.attrReply(1, 12, t, { ino: 5, size: 0 });
  c.writeReply(0, 20, w, 64 * KiB);
  const f = findingsOf(analyze({ files: c.files() }), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.details.sameConn, false);
  assert.equal(findingsOf(analyze({ files: c.files(), correlate: false }), KIND).length, 0);
});

test('a writeback flush overlapping its own connection\'s truncate is the kernel\'s business', () => {
  const c = mount(INIT.WRITEBACK_CACHE);
  const w = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
  const t = c.truncateReq(0, 11, 10, 0);
  c.attrReply(0, 12, t, { ino: 5, size: 0 });
  c.writeReply(0, 20, w, 4 * KiB);
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});
