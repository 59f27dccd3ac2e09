import assert from 'node:assert/strict';
import { Cap, kinds } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

testDetector('unanswered-request', {
  valid: [
    {
      name: 'FORGET expects no reply; answered requests',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
        c.forget(0, 6, 10, 1);
        const g = c.getattrReq(0, 7, 1);
        c.attrReply(0, 8, g, { ino: 1, size: 4096 });
        return c;
      },
      check: (r) => assert.equal(r.model.summary.unanswered, 0),
    },
  ],
  invalid: [
    {
      name: 'a request with no reply by the end: warning with its path',
      capture: (u) => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
        u.g = c.getattrReq(0, 5, 10);
        c.forget(0, 6, 10, 1);
        const g2 = c.getattrReq(0, 7, 1);
        c.attrReply(0, 8, g2, { ino: 1, size: 4096 });
        return c;
      },
      findings: (u) => [{ messageId: 'unanswered', severity: 'warning', path: '/f', uniques: [u.g!], details: { opcode: 'GETATTR' } }],
      check: (r) => {
        assert.equal(r.model.summary.unanswered, 1);
        assert.deepEqual(kinds(r), ['unanswered-request/warning']);
      },
    },
    {
      name: 'the capture\'s last event is a request: said so, not "0 ns after"',
      capture: (u) => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
        u.g = c.getattrReq(0, 5, 10);
        return c;
      },
      findings: (u) => [{ messageId: 'last', severity: 'warning', path: '/f', uniques: [u.g!], details: { opcode: 'GETATTR', inFlightNs: 0 } }],
      check: (r) => assert.match(r.model.findings[0]!.message, /^GETATTR #\d+ for \/f got no reply: the capture ends where the daemon read it/),
    },
  ],
});
