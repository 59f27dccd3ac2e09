/**
 * reply-rejected: the write(2) that carried a reply failed (pcapng epb_flags
 * bit 16): the kernel ignored the reply, typically because the request was
 * interrupted and abandoned (ENOENT) or the reply was malformed (EINVAL).
 */
import { errnoName } from '../protocol/errno.js';
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { problemPath } from './common.js';

export default defineDetector({
  id: 'reply-rejected',
  meta: {
    summary: 'The kernel refused a reply (the write to /dev/fuse failed)',
    severity: 'warning',
    messages: {
      rejected: 'the kernel refused the reply to {{op}} #{{unique}}{{pathNote}}{{why}}: the caller never saw this result',
    },
  },
  defaults: {},
  on: {
    problem(p, ctx) {
      if (p.kind !== 'reply-rejected') return;
      const path = problemPath(p, (c, n) => ctx.state.conn(c).paths.path(n));
      const op = p.opcode !== undefined ? opcodeName(p.opcode) : 'request';
      const errno = p.errno ?? -1;
      const why = errno > 0 ? ` (write failed with ${errnoName(errno)}${errno === 2 ? ': the request was no longer pending' : errno === 22 ? ': the reply was malformed' : ''})` : '';
      ctx.report({
        messageId: 'rejected',
        data: { op, unique: String(p.unique), pathNote: path ? ` for ${path}` : '', why },
        conn: p.conn, nodeid: p.nodeid ?? null, path, t: p.t,
        uniques: [p.unique],
        details: { opcode: op, errno: errno > 0 ? errno : null, errnoName: errno > 0 ? errnoName(errno) : null, interrupted: (p.exchange?.interrupts ?? 0) > 0, offset: p.offset, blockNo: p.blockNo, input: p.input },
        shape: `${op} ${errno > 0 ? errnoName(errno) : 'unknown'}`,
      });
    },
  },
});
