import assert from 'node:assert/strict';
import { Cap } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

testDetector('malformed-message', {
  valid: [
    {
      name: 'well-formed messages',
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
      name: 'a message shorter than its header, and a WRITE too short for fuse_write_in: errors with offsets',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.raw(0, 1, 1, Buffer.alloc(20));
        c.req(0, 2, 16, 1, Buffer.alloc(8));
        return c;
      },
      findings: [{ messageId: 'malformed', severity: 'error' }, { messageId: 'malformed', severity: 'error', details: { opcode: 'WRITE' } }],
      check: (r, found) => {
        assert.ok(found.every((x) => typeof x.details.offset === 'number' && x.details.offset > 0));
        assert.equal(r.model.summary.malformed, 2);
      },
    },
    {
      name: 'the fingerprint follows the problem id, not the numbers in its message',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.req(0, 1, 16, 1, Buffer.alloc(8));
        c.req(0, 2, 16, 1, Buffer.alloc(12));
        c.req(0, 3, 15, 1, Buffer.alloc(4));
        return c;
      },
      findings: [
        { messageId: 'malformed', details: { opcode: 'WRITE', problemId: 'struct-short' } },
        { messageId: 'malformed', details: { opcode: 'WRITE', problemId: 'struct-short' } },
        { messageId: 'malformed', details: { opcode: 'READ', problemId: 'struct-short' } },
      ],
      check: (_r, found) => {
        assert.notEqual(found[0]!.details.problem, found[1]!.details.problem);
        assert.equal(found[0]!.fingerprint, found[1]!.fingerprint);
        assert.notEqual(found[0]!.fingerprint, found[2]!.fingerprint);
      },
    },
  ],
});
