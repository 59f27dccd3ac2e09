import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf, OP } from '../analysis/capture-builder.js';
import { testDetector, type Uniques } from './detector-tester.js';

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

/** /f opened twice and answered the same fh 5 both times (encfs), then u.w (pid 1) and the closes of `closes` (pid 2). */
function sharedFh(u: Uniques): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  c.open(0, 2, 10, 5, 0);
  c.open(0, 3, 10, 5, 0, 0);
  u.w = c.writeReq(0, 10, 10, 5, 0, 4 * KiB, { pid: 1, tid: 101 });
  u.fl = c.fhReq(0, 11, OP.FLUSH, 10, 5, { pid: 2, tid: 102 });
  c.rep(0, 11.5, u.fl, 0, Buffer.alloc(0), { tid: 102 });
  u.rl = c.fhReq(0, 12, OP.RELEASE, 10, 5, { tid: 102 });
  c.rep(0, 12.5, u.rl, 0, Buffer.alloc(0), { tid: 102 });
  c.writeReply(0, 20, u.w, 4 * KiB, 0, { tid: 101 });
  return c;
}

testDetector(KIND, {
  valid: [
    {
      name: 'one fh held by two opens of the file (encfs): the reader\'s FLUSH and RELEASE order nothing of the writer\'s WRITE',
      capture: (u) => sharedFh(u),
    },
  ],
  invalid: [
    {
      name: 'once the other open is released, the fh is the writer\'s alone again',
      capture: (u) => {
        const c = sharedFh(u);
        u.w2 = c.writeReq(0, 30, 10, 5, 0, 4 * KiB, { pid: 1, tid: 101 });
        u.fl2 = c.fhReq(0, 31, OP.FLUSH, 10, 5, { pid: 1, tid: 102 });
        c.rep(0, 32, u.fl2, 0, Buffer.alloc(0), { tid: 102 });
        c.writeReply(0, 40, u.w2, 4 * KiB, 0, { tid: 101 });
        return c;
      },
      findings: (u) => [{ messageId: 'reordered', uniques: [u.w2!, u.fl2!], details: { opcode: 'FLUSH' } }],
    },
  ],
});
