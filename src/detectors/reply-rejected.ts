/**
 * reply-rejected: the write(2) that carried a reply failed (pcapng epb_flags
 * bit 16): the kernel ignored the reply, typically because the request was
 * interrupted and abandoned (ENOENT) or the reply was malformed (EINVAL).
 */
import { errnoName } from '../protocol/errno.js';
import { fromProblem, pathNote } from './common.js';

export default fromProblem({
  id: 'reply-rejected',
  meta: {
    summary: 'The kernel refused a reply (the write to /dev/fuse failed)',
    severity: 'warning',
    messages: {
      rejected: 'the kernel refused the reply to {{op}} #{{unique}}{{pathNote}}{{why}}: the caller never saw this result',
    },
  },
  unknownOp: 'request',
  finding(p, op, path) {
    const errno = p.errno ?? -1;
    const why = errno > 0 ? ` (write failed with ${errnoName(errno)}${errno === 2 ? ': the request was no longer pending' : errno === 22 ? ': the reply was malformed' : ''})` : '';
    return {
      messageId: 'rejected',
      data: { op, unique: String(p.unique), pathNote: pathNote(path), why },
      uniques: [p.unique],
      details: { opcode: op, errno: errno > 0 ? errno : null, errnoName: errno > 0 ? errnoName(errno) : null, interrupted: (p.exchange?.interrupts ?? 0) > 0, offset: p.offset, blockNo: p.blockNo, input: p.input },
      shape: `${op} ${errno > 0 ? errnoName(errno) : 'unknown'}`,
    };
  },
});
