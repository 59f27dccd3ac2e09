import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

test('WRITE answered with fewer bytes and no error: warning; full, error and zero-length replies are not', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  const a = c.writeReq(0, 10, 10, 1, 0, 4096, { pid: 1 });
  c.writeReply(0, 11, a, 1000);
  const b = c.writeReq(0, 12, 10, 1, 0, 4096, { pid: 1 });
  c.writeReply(0, 13, b, 4096);
  const e = c.writeReq(0, 14, 10, 1, 0, 4096, { pid: 1 });
  c.writeReply(0, 15, e, 0, -28);
  const z = c.writeReq(0, 16, 10, 1, 0, 0, { pid: 1 });
  c.writeReply(0, 17, z, 0);
  const f = findingsOf(c.analyze(), 'short-write');
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.uniques, [a]);
  assert.deepEqual([f[0]!.details.requested, f[0]!.details.written], [4096, 1000]);
});
