import { Cap } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

testDetector('orphan-reply', {
  valid: [
    {
      name: 'every reply answers a pending request',
      capture: () => {
        const c = new Cap(1);
        const g = c.getattrReq(0, 2, 1);
        c.attrReply(0, 3, g, { ino: 1, size: 4096 });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'a reply before the first request is info (capture started late); a second answer later is a warning',
      capture: (u) => {
        const c = new Cap(1);
        c.rep(0, 1, 40, 0, Buffer.alloc(0));
        u.g = c.getattrReq(0, 2, 1);
        c.attrReply(0, 3, u.g, { ino: 1, size: 4096 });
        c.rep(0, 4, u.g, -2); // answered twice
        return c;
      },
      findings: (u) => [
        { messageId: 'early', severity: 'info', uniques: [40], details: { beforeFirstRequest: true, error: 0 } },
        { messageId: 'orphan', severity: 'warning', uniques: [u.g!], details: { beforeFirstRequest: false, error: -2 } },
      ],
    },
  ],
});
