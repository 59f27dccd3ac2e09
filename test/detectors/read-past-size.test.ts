import assert from 'node:assert/strict';
import { Cap, FOPEN_DIRECT_IO, INIT, O_DIRECT, O_RDWR, openedFile, twoMounts } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

/** /f (nodeid 10, ino 5) of 9 bytes, opened (fh 1) with `fopen`. */
const mount = (fopen = 0, initFlags = 0): Cap => openedFile({ size: 9, fopen, initFlags });

/** A READ of 4 KiB at `offset` through fh 1 on connection 0, sent at `t` and answered with `returned` bytes at t + 1. */
function readOnce(c: Cap, t: number, returned: number, offset = 0, opts?: { flags: number }): number {
  const a = c.readReq(0, t, 10, 1, offset, 4096, opts);
  c.readReply(0, t + 1, a, returned);
  return a;
}

testDetector('read-past-size', {
  valid: [
    {
      name: 'page-cache READs ending at or before the size',
      capture: () => {
        const c = mount();
        readOnce(c, 10, 9);
        readOnce(c, 12, 3, 4);
        return c;
      },
    },
    {
      name: 'a FOPEN_DIRECT_IO handle (the reader gets what the daemon returned)',
      capture: () => {
        const c = mount(FOPEN_DIRECT_IO);
        readOnce(c, 10, 10);
        return c;
      },
    },
    {
      name: 'a FOPEN_DIRECT_IO handle whose flags the handle table dropped at its bound: not taken for a page-cache one',
      options: { limits: { maxHandles: 1 } },
      capture: () => {
        const c = mount(FOPEN_DIRECT_IO);
        // A second direct-I/O open, still open: the table keeps one, and drops fh 1's.
        c.open(0, 5, 10, 2, FOPEN_DIRECT_IO);
        readOnce(c, 10, 10);
        return c;
      },
      check: (r) => {
        const l = r.model.limitations.find((x) => x.message.includes('FOPEN flags open at once'));
        assert.ok(l, 'a limitation says handles were dropped');
        assert.equal(l.conn, 0);
        assert.match(l.message, /than fusetrace keeps \(1\): the flags of the 1 opened first were forgotten/);
      },
    },
    {
      name: 'an O_DIRECT read on a handle opened without FOPEN flags',
      capture: () => {
        const c = mount();
        readOnce(c, 10, 10, 0, { flags: O_RDWR | O_DIRECT });
        return c;
      },
    },
    {
      name: 'another captured mount extended the file: this kernel\'s size is stale, not the daemon\'s',
      perConnection: true,
      capture: () => {
        const c = twoMounts({ ino: 5, size: 9 });
        c.open(0, 2, 10, 1, 0);
        c.open(1, 2, 30, 1, 0);
        const w = c.writeReq(1, 10, 30, 1, 9, 1, { pid: 1, flags: O_RDWR });
        c.writeReply(1, 11, w, 1);
        readOnce(c, 12, 10);
        return c;
      },
    },
    {
      name: 'a write in flight while the READ is out',
      capture: () => {
        const c = mount();
        const w = c.writeReq(0, 10, 10, 1, 9, 1, { pid: 1, flags: O_RDWR });
        const a = c.readReq(0, 11, 10, 1, 0, 4096);
        c.readReply(0, 12, a, 10);
        c.writeReply(0, 13, w, 1);
        return c;
      },
    },
    {
      name: 'writeback cache: the kernel owns the size',
      capture: () => {
        const c = mount(0, INIT.WRITEBACK_CACHE);
        readOnce(c, 10, 10);
        return c;
      },
    },
    {
      name: 'a capture without INIT: a handle the capture did not see open may be direct',
      capture: () => {
        const c = new Cap(1);
        c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 9 });
        const a = c.readReq(0, 10, 10, 7, 0, 4096);
        c.readReply(0, 11, a, 10);
        return c;
      },
    },
    {
      name: 'attributes applied while the READ was out',
      capture: () => {
        const c = mount();
        const a = c.readReq(0, 10, 10, 1, 0, 4096);
        const g = c.getattrReq(0, 10.5, 10);
        c.attrReply(0, 11, g, { ino: 5, size: 9 });
        c.readReply(0, 12, a, 10);
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'reported 9 bytes, read back 10 (winregfs), once at that size; again after the size moved',
      capture: (u) => {
        const c = mount();
        u.a = readOnce(c, 10, 10);
        readOnce(c, 12, 10);
        const g = c.getattrReq(0, 14, 10);
        c.attrReply(0, 15, g, { ino: 5, size: 10 });
        u.b = readOnce(c, 16, 12);
        return c;
      },
      findings: (u) => [
        { messageId: 'past', severity: 'warning', path: '/f', uniques: [u.a!], details: { offset: 0, returned: 10, end: 10, size: 9, beyond: 1 } },
        { messageId: 'past', uniques: [u.b!], details: { end: 12, size: 10 } },
      ],
    },
  ],
});
