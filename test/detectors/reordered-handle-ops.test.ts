import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf, OP } from '../analysis/capture-builder.js';

const KiB = 1024;
const KIND = 'reordered-handle-ops';

function mount(): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  c.open(0, 2, 10, 1, 1);
  c.open(0, 3, 10, 2, 1);
  return c;
}

test('FLUSH answered while an earlier WRITE on the same handle is in flight: warning', () => {
  const c = mount();
  const w = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1, tid: 101 });
  const fl = c.fhReq(0, 11, OP.FLUSH, 10, 1, { tid: 102 });
  c.rep(0, 12, fl, 0, Buffer.alloc(0), { tid: 102 });
  c.writeReply(0, 20, w, 4 * KiB, 0, { tid: 101 });
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.uniques, [w, fl]);
  assert.equal(f[0]!.details.opcode, 'FLUSH');
});

test('another handle, or a WRITE sent after the FSYNC, or a WRITE already answered: nothing', () => {
  const c = mount();
  const w = c.writeReq(0, 10, 10, 2, 0, 4 * KiB, { pid: 1, tid: 101 });
  const fs = c.fhReq(0, 11, OP.FSYNC, 10, 1, { tid: 102 });
  const w2 = c.writeReq(0, 11.5, 10, 1, 0, 4 * KiB, { pid: 1, tid: 103 });
  c.rep(0, 12, fs, 0, Buffer.alloc(0), { tid: 102 });
  c.writeReply(0, 20, w, 4 * KiB, 0, { tid: 101 });
  c.writeReply(0, 21, w2, 4 * KiB, 0, { tid: 103 });
  const w3 = c.writeReq(0, 30, 10, 1, 0, 4 * KiB, { pid: 1 });
  c.writeReply(0, 31, w3, 4 * KiB);
  const rl = c.fhReq(0, 31, OP.RELEASE, 10, 1);
  c.rep(0, 32, rl);
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});
