import assert from 'node:assert/strict';
import { Cap, findingsOf } from '../analysis/capture-builder.js';
import { testDetector, type Uniques } from './detector-tester.js';

const KIND = 'inconsistent-size-report';

/** /f (nodeid 10) looked up at `base` bytes, opened with fh 1, then `sizes` reported by GETATTRs one after another (u.g0, u.g1, ...). */
function reports(u: Uniques, base: number, ...sizes: number[]): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: base });
  c.open(0, 2, 10, 1, 0);
  sizes.forEach((size, i) => {
    const g = c.getattrReq(0, 10 + 10 * i, 10);
    c.attrReply(0, 10.5 + 10 * i, g, { ino: 7, size });
    u[`g${i}`] = g;
  });
  return c;
}

testDetector(KIND, {
  valid: [
    {
      name: 'a smaller size that stays is a shrink (size-shrank-externally), not two sizes',
      capture: (u) => reports(u, 9009, 4096, 4096),
      check: (r) => assert.equal(findingsOf(r, 'size-shrank-externally').length, 1),
    },
    {
      name: 'a third size is no return to the earlier one',
      capture: (u) => reports(u, 9009, 9123, 9500),
    },
    {
      name: 'a truncate back to the earlier size between the reports explains them',
      capture: (u) => {
        const c = reports(u, 9009, 9123);
        const t = c.truncateReq(0, 20, 10, 9009);
        c.attrReply(0, 20.5, t, { ino: 7, size: 9009 });
        const g = c.getattrReq(0, 30, 10);
        c.attrReply(0, 30.5, g, { ino: 7, size: 9009 });
        return c;
      },
    },
    {
      name: 'a write in flight when the size comes back may be what moved it',
      capture: (u) => {
        const c = reports(u, 9009, 9123);
        const w = c.writeReq(0, 20, 10, 1, 0, 4096, { flags: 2 });
        const g = c.getattrReq(0, 21, 10, { tid: 101 });
        c.attrReply(0, 21.5, g, { ino: 7, size: 9009 });
        c.writeReply(0, 30, w, 4096);
        return c;
      },
    },
    {
      name: 'short READs between the reports end in two places: the content moved (a generated file, lxcfs /proc/stat)',
      capture: (u) => {
        const c = reports(u, 9009);
        const r0 = c.readReq(0, 5, 10, 1, 0, 131072);
        c.readReply(0, 5.5, r0, 8970);
        const g0 = c.getattrReq(0, 10, 10);
        c.attrReply(0, 10.5, g0, { ino: 7, size: 9010 });
        const r1 = c.readReq(0, 11, 10, 1, 0, 131072);
        c.readReply(0, 11.5, r1, 8971);
        const g1 = c.getattrReq(0, 20, 10);
        c.attrReply(0, 20.5, g1, { ino: 7, size: 9009 });
        return c;
      },
      check: (r) => assert.equal(findingsOf(r, 'size-shrank-externally').length, 1, 'the file did shrink, with no truncate'),
    },
    {
      name: 'a directory: no size views at all',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'd', 10, { ino: 7, size: 456, mode: 0o040755 });
        for (const [i, size] of [500, 456].entries()) {
          const g = c.getattrReq(0, 10 + i, 10);
          c.attrReply(0, 10.5 + i, g, { ino: 7, size, mode: 0o040755 });
        }
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'short READs that end in one place show nothing moved: still two sizes',
      capture: (u) => {
        const c = reports(u, 9009);
        for (const [i, size] of [9123, 9009].entries()) {
          const r = c.readReq(0, 5 + 10 * i, 10, 1, 0, 131072);
          c.readReply(0, 5.5 + 10 * i, r, 9009);
          const g = c.getattrReq(0, 10 + 10 * i, 10);
          c.attrReply(0, 10.5 + 10 * i, g, { ino: 7, size });
          u[`g${i}`] = g;
        }
        return c;
      },
      findings: (u) => [{
        messageId: 'twoSizes', severity: 'warning', path: '/f', uniques: [u.g0!, u.g1!],
        details: { size: 9009, oddSize: 9123, difference: 114, opcode: 'GETATTR' },
      }],
    },
    {
      name: 'a larger size, then the earlier one again, nothing written (gocryptfs LINK vs GETATTR)',
      capture: (u) => reports(u, 9009, 9123, 9009),
      findings: (u) => [{
        messageId: 'twoSizes', severity: 'warning', path: '/f', uniques: [u.g0!, u.g1!],
        details: { size: 9009, oddSize: 9123, difference: 114, opcode: 'GETATTR' },
      }],
      check: (r) => assert.equal(findingsOf(r, 'size-shrank-externally').length, 0, 'not also a shrink'),
    },
    {
      name: 'sizes that round the same are printed in exact bytes',
      capture: (u) => reports(u, 4096, 4100, 4096),
      findings: [{ messageId: 'twoSizes', details: { size: 4096, oddSize: 4100 } }],
      check: (_r, found) => assert.match(found[0]!.message, /^GETATTR #\d+ reported \/f at 4100 bytes, but the daemon-observed size was 4096 bytes before it and GETATTR #\d+ reports 4096 bytes again/),
    },
    {
      name: 'a smaller size, then the earlier one again',
      capture: (u) => reports(u, 9009, 4096, 9009),
      findings: (u) => [{ messageId: 'twoSizes', uniques: [u.g0!, u.g1!], details: { size: 9009, oddSize: 4096, difference: -4913 } }],
    },
  ],
});
