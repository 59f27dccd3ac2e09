import { Cap } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

testDetector('duplicate-unique', {
  valid: [
    {
      name: 'a unique reused after its request was answered',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        const g = c.getattrReq(0, 1, 1);
        c.attrReply(0, 2, g, { ino: 1, size: 4096 });
        c.getattrReq(0, 3, 1, { unique: g });
        c.attrReply(0, 4, g, { ino: 1, size: 4096 });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'a request reusing the unique of one in flight',
      capture: (u) => {
        const c = new Cap(1);
        c.init(0, 0);
        u.g = c.getattrReq(0, 1, 1);
        c.getattrReq(0, 2, 1, { unique: u.g });
        c.attrReply(0, 3, u.g, { ino: 1, size: 4096 });
        return c;
      },
      findings: (u) => [{ messageId: 'duplicate', severity: 'error', uniques: [u.g!], details: { opcode: 'GETATTR' } }],
    },
  ],
});
