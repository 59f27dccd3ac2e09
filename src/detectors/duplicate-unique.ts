/**
 * duplicate-unique: a request whose unique is already in flight on the same
 * connection; replies can no longer be matched reliably.
 */
import { fromProblem, pathNote } from './common.js';

export default fromProblem({
  id: 'duplicate-unique',
  meta: {
    summary: 'A request reuses the unique of a request still in flight',
    severity: 'error',
    messages: {
      duplicate: '{{op}} #{{unique}}{{pathNote}} reuses a unique that is still in flight on connection {{conn}}: the capture is inconsistent or requests were resent without the resend bit',
    },
  },
  unknownOp: 'request',
  finding: (p, op, path) => ({
    messageId: 'duplicate',
    data: { op, unique: String(p.unique), pathNote: pathNote(path), conn: p.conn },
    uniques: [p.unique],
    details: { opcode: op, offset: p.offset, blockNo: p.blockNo, input: p.input, pairing: p.message },
    shape: op,
  }),
});
