import assert from 'node:assert/strict';
import { Cap, findingsOf } from '../analysis/capture-builder.js';
import { testDetector, type Uniques } from './detector-tester.js';

const MiB = 2 ** 20;

/** A GETATTR sent before an extending WRITE completed, answered after it with the old size and attr_valid `valid`. */
function scenario(u: Uniques, valid: number): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: MiB });
  c.open(0, 2, 10, 1, 1);
  u.g = c.getattrReq(0, 10, 10, { tid: 101 });
  u.w = c.writeReq(0, 10.1, 10, 1, MiB, MiB, { pid: 5, tid: 102 });
  c.writeReply(0, 11, u.w, MiB, 0, { tid: 102 });
  c.attrReply(0, 12, u.g, { ino: 7, size: MiB, valid }); // computed before the write landed
  return c;
}

testDetector('stale-attr-reply', {
  valid: [
    { name: 'attr_valid 0: the kernel does not cache it', capture: (u) => scenario(u, 0) },
    {
      name: 'a report sent after the change completed is not stale',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: MiB });
        const w = c.writeReq(0, 10, 10, 1, MiB, MiB, { pid: 5 });
        c.writeReply(0, 11, w, MiB);
        const g = c.getattrReq(0, 12, 10);
        c.attrReply(0, 13, g, { ino: 7, size: 2 * MiB });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'GETATTR sent before an extending WRITE completed, answered after it with the old size',
      capture: (u) => scenario(u, 1),
      findings: (u) => [{
        messageId: 'stale', severity: 'warning', uniques: [u.g!, u.w!],
        details: { reportedSize: MiB, sizeBefore: MiB, sizeAfter: 2 * MiB, attrValidNs: 1e9 },
      }],
      check: (r) => {
        // The stale report does not move the daemon-observed size back, and is no "external shrink".
        assert.equal(r.model.files.find((x) => x.path === '/f')!.daemonSize, 2 * MiB);
        assert.equal(findingsOf(r, 'size-shrank-externally').length, 0);
      },
    },
  ],
});
