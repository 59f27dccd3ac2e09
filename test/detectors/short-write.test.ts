import { Cap } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

/** /f looked up on one connection. */
function start(): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  return c;
}

testDetector('short-write', {
  valid: [
    {
      name: 'full, error and zero-length replies',
      capture: () => {
        const c = start();
        const b = c.writeReq(0, 12, 10, 1, 0, 4096, { pid: 1 });
        c.writeReply(0, 13, b, 4096);
        const e = c.writeReq(0, 14, 10, 1, 0, 4096, { pid: 1 });
        c.writeReply(0, 15, e, 0, -28);
        const z = c.writeReq(0, 16, 10, 1, 0, 0, { pid: 1 });
        c.writeReply(0, 17, z, 0);
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'WRITE answered with fewer bytes and no error',
      capture: (u) => {
        const c = start();
        u.a = c.writeReq(0, 10, 10, 1, 0, 4096, { pid: 1 });
        c.writeReply(0, 11, u.a, 1000);
        return c;
      },
      findings: (u) => [{ messageId: 'short', severity: 'warning', path: '/f', uniques: [u.a!], details: { requested: 4096, written: 1000, offset: 0 } }],
    },
  ],
});
