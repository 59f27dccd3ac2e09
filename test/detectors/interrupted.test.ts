import { Cap } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

/** /f (nodeid 10) looked up on one connection. */
function start(): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  return c;
}

testDetector('interrupted', {
  valid: [
    {
      name: 'requests answered without an INTERRUPT',
      capture: () => {
        const c = start();
        const a = c.writeReq(0, 10, 10, 1, 0, 4096, { pid: 1 });
        c.writeReply(0, 12, a, 4096);
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'answered EINTR, completed anyway, never answered, target already gone',
      capture: (u) => {
        const c = start();
        u.a = c.writeReq(0, 10, 10, 1, 0, 4096, { pid: 1, tid: 101 });
        c.interrupt(0, 11, u.a);
        c.writeReply(0, 12, u.a, 0, -4, { tid: 101 });
        u.b = c.getattrReq(0, 20, 10, { tid: 102 });
        c.interrupt(0, 21, u.b);
        c.attrReply(0, 22, u.b, { ino: 7, size: 0 });
        u.d = c.getattrReq(0, 30, 10, { tid: 103 });
        c.interrupt(0, 31, u.d);
        u.late = c.interrupt(0, 40, u.b);
        return c;
      },
      findings: (u) => [
        { messageId: 'interrupted', severity: 'info', uniques: [u.a!], details: { ended: 'eintr', error: -4 } },
        { messageId: 'interrupted', severity: 'info', uniques: [u.b!], details: { ended: 'completed', error: 0 } },
        { messageId: 'interrupted', severity: 'info', uniques: [u.d!], details: { ended: 'no-reply', error: null } },
        { messageId: 'late', severity: 'info', uniques: [u.late!, u.b!], details: { ended: 'not-in-flight' } },
      ],
    },
    {
      // Blocks of different daemon threads are not in time order: the times decide.
      name: 'an INTERRUPT block before the reply it is stamped after is late; one after the reply it is stamped before interrupted it',
      capture: (u) => {
        const c = start();
        u.a = c.getattrReq(0, 10, 10, { tid: 101 });
        u.lateA = c.interrupt(0, 13, u.a); // read after the reply below, written first
        c.attrReply(0, 12, u.a, { ino: 7, size: 0 });
        u.b = c.getattrReq(0, 20, 10, { tid: 102 });
        c.attrReply(0, 22, u.b, { ino: 7, size: 0 });
        c.interrupt(0, 21, u.b); // read before that reply, written after it
        return c;
      },
      findings: (u) => [
        { messageId: 'late', severity: 'info', uniques: [u.lateA!, u.a!], details: { ended: 'not-in-flight' } },
        { messageId: 'interrupted', severity: 'info', uniques: [u.b!], details: { ended: 'completed', interrupts: 1, afterInterruptNs: 1e6 } },
      ],
    },
  ],
});
