/**
 * malformed-message: a message that cannot be decoded (too short, length
 * mismatch, impossible field); details give its byte offset in the capture.
 */
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { problemPath } from './common.js';

export default defineDetector({
  id: 'malformed-message',
  meta: {
    summary: 'A message that cannot be decoded',
    severity: 'error',
    messages: {
      malformed: '{{what}} (input {{input}}, block #{{block}} at byte {{offset}})',
    },
  },
  defaults: {},
  on: {
    problem(p, ctx) {
      if (p.kind !== 'malformed-message') return;
      const path = problemPath(p, (c, n) => ctx.state.conn(c).paths.path(n));
      const op = p.opcode !== undefined ? opcodeName(p.opcode) : 'message';
      ctx.report({
        messageId: 'malformed',
        data: { what: p.message, input: p.input, block: p.blockNo, offset: p.offset },
        conn: p.conn, nodeid: p.nodeid ?? null, path, t: p.t,
        uniques: p.unique !== 0 ? [p.unique] : [],
        details: { opcode: p.opcode !== undefined ? op : null, problem: p.message, offset: p.offset, blockNo: p.blockNo, input: p.input },
        shape: `${op} ${p.message.replace(/\d+/g, 'N').replace(/#\S+/g, '')}`,
      });
    },
  },
});
