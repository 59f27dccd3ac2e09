/**
 * stale-attr-reply: an attribute reply whose request reached the daemon
 * before a size change of the same file completed, reporting the size from
 * before that change with a non-zero attr_valid: the kernel may cache the
 * wrong size for that long.
 */
import { formatBytesPair, formatDuration } from '../model/format.js';
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { eachSizeReport } from './common.js';

export default defineDetector({
  id: 'stale-attr-reply',
  meta: {
    summary: 'An attribute reply reporting the size from before a change that completed while it was in flight',
    severity: 'warning',
    messages: {
      stale: '{{op}} #{{unique}} reported {{path}} at {{size}}, the size from before {{change}} #{{cunique}} changed it to {{after}} while the request was in flight; the kernel may cache this stale size for {{valid}}',
    },
  },
  create: (ctx) => ({
    reportingReply: eachSizeReport(ctx, (r, x) => {
      const ch = r.predates;
      if (!ch || !(r.attrValidNs > 0)) return undefined;
      const f = r.file;
      const [size, after] = formatBytesPair(r.size, ch.after);
      return {
        messageId: 'stale',
        data: {
          op: opcodeName(x.opcode), unique: String(x.unique), path: f.path, size, change: opcodeName(ch.opcode),
          cunique: String(ch.unique), after, valid: formatDuration(r.attrValidNs),
        },
        uniques: [x.unique, ch.unique],
        details: {
          reportedSize: r.size, sizeBefore: ch.before, sizeAfter: ch.after, attrValidNs: r.attrValidNs,
          change: { unique: ch.unique, conn: ch.conn, opcode: opcodeName(ch.opcode), tReq: ch.tReq, tReply: ch.tReply },
          kernelApplied: r.kernelAfter === r.size,
        },
        shape: `${opcodeName(x.opcode)} after ${opcodeName(ch.opcode)}`,
      };
    }),
  }),
});
