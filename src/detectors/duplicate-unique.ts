/**
 * duplicate-unique: a request whose unique is already in flight on the same
 * connection; replies can no longer be matched reliably.
 */
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { problemPath } from './common.js';

export default defineDetector({
  id: 'duplicate-unique',
  meta: {
    summary: 'A request reuses the unique of a request still in flight',
    severity: 'error',
    messages: {
      duplicate: '{{op}} #{{unique}}{{pathNote}} reuses a unique that is still in flight on connection {{conn}}: the capture is inconsistent or requests were resent without the resend bit',
    },
  },
  defaults: {},
  on: {
    problem(p, ctx) {
      if (p.kind !== 'duplicate-unique') return;
      const path = problemPath(p, (c, n) => ctx.state.conn(c).paths.path(n));
      const op = p.opcode !== undefined ? opcodeName(p.opcode) : 'request';
      ctx.report({
        messageId: 'duplicate',
        data: { op, unique: String(p.unique), pathNote: path ? ` for ${path}` : '', conn: p.conn },
        conn: p.conn, nodeid: p.nodeid ?? null, path, t: p.t,
        uniques: [p.unique],
        details: { opcode: op, offset: p.offset, blockNo: p.blockNo, input: p.input, pairing: p.message },
        shape: op,
      });
    },
  },
});
