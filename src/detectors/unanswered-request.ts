/**
 * unanswered-request: a request that expects a reply has none by the end of
 * the capture (the daemon hung, lost it, or the capture stopped first).
 */
import { formatDuration } from '../analysis/units.js';
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { problemPath } from './common.js';

export default defineDetector({
  id: 'unanswered-request',
  meta: {
    summary: 'A request that expects a reply got none by the end of the capture',
    severity: 'warning',
    messages: {
      unanswered: '{{op}} #{{unique}}{{pathNote}} got no reply by the end of the capture ({{ago}} after the daemon read it)',
    },
  },
  defaults: {},
  on: {
    problem(p, ctx) {
      if (p.kind !== 'unanswered-request') return;
      const path = problemPath(p, (c, n) => ctx.state.conn(c).paths.path(n));
      const op = p.opcode !== undefined ? opcodeName(p.opcode) : 'request';
      const ago = ctx.state.tLast - p.t;
      ctx.report({
        messageId: 'unanswered',
        data: { op, unique: String(p.unique), pathNote: path ? ` for ${path}` : '', ago: formatDuration(ago) },
        conn: p.conn, nodeid: p.nodeid ?? null, path, t: p.t,
        uniques: [p.unique],
        details: { opcode: op, inFlightNs: ago, interrupted: (p.exchange?.interrupts ?? 0) > 0, offset: p.offset, input: p.input },
        shape: op,
        tracks: p.exchange ? [ctx.state.track(p.exchange)].filter((t) => t !== undefined) : [],
      });
    },
  },
});
