/**
 * reply-rejected: the write(2) that carried a reply failed (pcapng epb_flags
 * bit 16): the kernel ignored the reply, typically because the request was
 * interrupted and abandoned (ENOENT) or the reply was malformed (EINVAL).
 * A refused RELEASE or RELEASEDIR reply loses nothing (the kernel ignores
 * their result and no process waits for it; seen when a daemon answers
 * after the unmount ended the request): info.
 */
import { errnoName } from '../model/format.js';
import { Op } from '../protocol/opcodes.js';
import { fromProblem, pathNote } from './common.js';

export default fromProblem({
  id: 'reply-rejected',
  meta: {
    summary: 'The kernel refused a reply (the write to /dev/fuse failed)',
    severity: 'warning',
    messages: {
      rejected: 'the kernel refused the reply to {{op}} #{{unique}}{{pathNote}}{{why}}: the caller never saw this result',
      noCaller: 'the kernel refused the reply to {{op}} #{{unique}}{{pathNote}}{{why}}: nothing waits for a {{op}} result, so nothing was lost',
    },
  },
  unknownOp: 'request',
  finding(p, op, path) {
    const errno = p.errno ?? -1;
    const why = errno > 0 ? ` (write failed with ${errnoName(errno)}${errno === 2 ? ': the request was no longer pending' : errno === 22 ? ': the reply was malformed' : ''})` : '';
    const noCaller = p.opcode === Op.RELEASE || p.opcode === Op.RELEASEDIR;
    return {
      messageId: noCaller ? 'noCaller' : 'rejected',
      severity: noCaller ? 'info' : undefined,
      data: { op, unique: String(p.unique), pathNote: pathNote(path), why },
      uniques: [p.unique],
      details: { opcode: op, errno: errno > 0 ? errno : null, errnoName: errno > 0 ? errnoName(errno) : null, interrupted: (p.exchange?.interrupts ?? 0) > 0, offset: p.offset, blockNo: p.blockNo, input: p.input },
      shape: `${op} ${errno > 0 ? errnoName(errno) : 'unknown'}`,
    };
  },
});
