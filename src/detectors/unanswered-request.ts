/**
 * unanswered-request: a request that expects a reply has none by the end of
 * the capture (the daemon hung, lost it, or the capture stopped first).
 */
import { formatDuration } from '../model/format.js';
import { fromProblem, pathNote } from './common.js';

export default fromProblem({
  id: 'unanswered-request',
  meta: {
    summary: 'A request that expects a reply got none by the end of the capture',
    severity: 'warning',
    messages: {
      unanswered: '{{op}} #{{unique}}{{pathNote}} got no reply by the end of the capture ({{ago}} after the daemon read it)',
      // Nothing later was captured: the capture (or the daemon) ended as it was read.
      last: '{{op}} #{{unique}}{{pathNote}} got no reply: the capture ends where the daemon read it, nothing later was captured',
    },
  },
  unknownOp: 'request',
  finding(p, op, path, ctx) {
    const ago = ctx.state.tLast - p.t;
    return {
      messageId: ago > 0 ? 'unanswered' : 'last',
      data: { op, unique: String(p.unique), pathNote: pathNote(path), ago: formatDuration(ago) },
      uniques: [p.unique],
      details: { opcode: op, inFlightNs: ago, interrupted: (p.exchange?.interrupts ?? 0) > 0, offset: p.offset, input: p.input },
      shape: op,
      tracks: p.exchange ? [ctx.state.track(p.exchange)].filter((t) => t !== undefined) : [],
    };
  },
});
