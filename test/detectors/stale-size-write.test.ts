import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap, findingsOf, FUSE_WRITE_CACHE, INIT } from '../analysis/capture-builder.js';

const MiB = 2 ** 20;
const KIND = 'stale-size-write';

function twoMounts(): Cap {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 8 * MiB, valid: 3600 });
  c.lookup(1, 1, 1, 'f', 30, { ino: 7, size: 8 * MiB });
  const t = c.truncateReq(1, 2, 30, 2 * MiB);
  c.attrReply(1, 3, t, { ino: 7, size: 2 * MiB });
  c.open(0, 4, 10, 1, 0x41);
  return c;
}

test('a lone write the kernel believed inside, beyond the daemon size: warning (no concurrency needed)', () => {
  const c = twoMounts();
  const w = c.writeReq(0, 10, 10, 1, 4 * MiB, MiB, { pid: 1 });
  c.writeReply(0, 20, w, MiB);
  const r = analyze({ files: c.files() });
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.equal(f[0]!.messageId, 'hole');
  assert.deepEqual(f[0]!.details, { ...f[0]!.details, offset: 4 * MiB, size: MiB, kernelSize: 8 * MiB, daemonSize: 2 * MiB, startsBeyond: true, beyondBy: 2 * MiB });
  assert.equal(findingsOf(r, 'parallel-write-beyond-size').length, 0);
});

test('a write that only extends: messageId extends', () => {
  const c = twoMounts();
  const w = c.writeReq(0, 10, 10, 1, 2 * MiB - 4096, MiB, { pid: 1 });
  c.writeReply(0, 20, w, MiB);
  const f = findingsOf(analyze({ files: c.files() }), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.messageId, 'extends');
});

test('kernel and daemon agree: nothing; after INVAL_INODE the kernel size is unknown: nothing', () => {
  const c = twoMounts();
  const w = c.writeReq(1, 10, 30, 9, 4 * MiB, MiB, { pid: 1 });
  c.writeReply(1, 20, w, MiB);
  c.invalInode(0, 21, 10);
  const w2 = c.writeReq(0, 30, 10, 1, 7 * MiB, MiB, { pid: 1 });
  c.writeReply(0, 40, w2, MiB);
  assert.equal(findingsOf(analyze({ files: c.files() }), KIND).length, 0);
});

test('writeback-cache writes are not judged', () => {
  const c = new Cap(1);
  c.init(0, 0, INIT.WRITEBACK_CACHE);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  const w = c.writeReq(0, 10, 10, 1, 0, MiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
  c.writeReply(0, 20, w, MiB);
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});
