import assert from 'node:assert/strict';
import { Cap, findingsOf, OP } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

testDetector('reply-rejected', {
  valid: [
    {
      name: 'replies the kernel took',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        const g = c.getattrReq(0, 1, 1);
        c.attrReply(0, 2, g, { ino: 1, size: 0 });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'a reply whose write(2) failed: warning with the errno',
      capture: (u) => {
        const c = new Cap(1);
        c.init(0, 0);
        u.g = c.getattrReq(0, 1, 1);
        c.rep(0, 2, u.g, 0, Buffer.alloc(104), { failedErrno: 2 });
        return c;
      },
      findings: (u) => [{ messageId: 'rejected', severity: 'warning', uniques: [u.g!], details: { errnoName: 'ENOENT', errno: 2 } }],
    },
    {
      name: 'a refused reply is not applied: its attributes change no size view',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4096 });
        const g = c.getattrReq(0, 2, 10);
        c.rep(0, 3, g, 0, Buffer.alloc(104), { failedErrno: 2 }); // would report size 0
        return c;
      },
      findings: [{ messageId: 'rejected' }],
      check: (r) => {
        assert.equal(findingsOf(r, 'size-shrank-externally').length, 0);
        assert.equal(r.model.files.find((f) => f.path === '/f')!.daemonSize, 4096);
      },
    },
    {
      name: 'a refused RELEASE reply (the unmount ended the request first, rclone): info, nothing waited for it',
      capture: (u) => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'data', 10, { ino: 7, size: 9009 });
        c.open(0, 2, 10, 1, 0);
        u.r = c.fhReq(0, 3, OP.RELEASE, 10, 1, { pid: 0 });
        c.rep(0, 8, u.r, 0, Buffer.alloc(0), { failedErrno: 2 });
        return c;
      },
      findings: (u) => [{ messageId: 'noCaller', severity: 'info', path: '/data', uniques: [u.r!], details: { opcode: 'RELEASE', errnoName: 'ENOENT' } }],
      check: (_r, found) => assert.match(found[0]!.message, /nothing waits for a RELEASE result, so nothing was lost$/),
    },
  ],
});
