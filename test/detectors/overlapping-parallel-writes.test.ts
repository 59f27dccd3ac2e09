import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Cap, findingsOf, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FUSE_WRITE_CACHE, INIT, openedFile } from '../analysis/capture-builder.js';

const KiB = 1024;
const KIND = 'overlapping-parallel-writes';

/** /f of 1 MiB opened with FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES. */
const mount = (initFlags = 0): Cap => openedFile({ size: 1024 * KiB, fopen: FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES, initFlags });

test('overlapping ranges in flight together: one warning naming both', () => {
  const c = mount();
  const a = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  const b = c.writeReq(0, 11, 10, 1, 32 * KiB, 64 * KiB, { pid: 2 });
  c.writeReply(0, 20, a, 64 * KiB);
  c.writeReply(0, 21, b, 64 * KiB);
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.deepEqual(f[0]!.uniques, [a, b]);
  assert.equal(f[0]!.details.overlapBytes, 32 * KiB);
  assert.equal(f[0]!.details.overlapOffset, 32 * KiB);
});

test('exactly touching ranges do not overlap', () => {
  const c = mount();
  const a = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  const b = c.writeReq(0, 11, 10, 1, 64 * KiB, 64 * KiB, { pid: 2 });
  c.writeReply(0, 20, a, 64 * KiB);
  c.writeReply(0, 21, b, 64 * KiB);
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});

test('overlapping ranges one after the other are fine; zero-length writes never overlap', () => {
  const c = mount();
  const a = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  c.writeReply(0, 20, a, 64 * KiB);
  const b = c.writeReq(0, 20, 10, 1, 0, 64 * KiB, { pid: 2 });
  const z = c.writeReq(0, 21, 10, 1, 16 * KiB, 0, { pid: 3 });
  c.writeReply(0, 30, b, 64 * KiB);
  c.writeReply(0, 31, z, 0);
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});

test('two writeback flushes of the same range are left to the kernel', () => {
  const c = mount(INIT.WRITEBACK_CACHE);
  const a = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
  const b = c.writeReq(0, 11, 10, 1, 0, 4 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
  c.writeReply(0, 20, a, 4 * KiB);
  c.writeReply(0, 21, b, 4 * KiB);
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});
