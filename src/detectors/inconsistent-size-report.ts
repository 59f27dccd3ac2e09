/**
 * inconsistent-size-report: the daemon reported a size for a file, then the
 * size the file had before that report again, with nothing captured in
 * between that changes a size. One of its two answers was wrong (gocryptfs
 * answered a LINK with a size GETATTR never gave); the kernel may have
 * cached either.
 */
import { formatBytesPair } from '../model/format.js';
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { eachSizeReport, reportedBack } from './common.js';

export default defineDetector({
  id: 'inconsistent-size-report',
  meta: {
    summary: 'The daemon reported two sizes for a file nothing captured changed',
    severity: 'warning',
    messages: {
      twoSizes: '{{op}} #{{unique}} reported {{path}} at {{odd}}, but the daemon-observed size was {{size}} before it and {{op2}} #{{unique2}} reports {{size}} again, with no write, truncate or other size change captured in between: the daemon reported two sizes for one unchanged file',
    },
  },
  create: (ctx) => ({
    reportingReply: eachSizeReport(ctx, (r, x) => {
      const p = reportedBack(r, x);
      if (p === undefined) return undefined;
      const [odd, size] = formatBytesPair(p.size, r.size);
      return {
        messageId: 'twoSizes',
        data: { op: opcodeName(p.opcode), unique: String(p.unique), path: p.path, odd, size, op2: opcodeName(x.opcode), unique2: String(x.unique) },
        uniques: [p.unique, x.unique],
        details: {
          size: r.size, oddSize: p.size, difference: p.size - r.size,
          oddReport: { unique: p.unique, opcode: opcodeName(p.opcode), conn: p.conn, t: p.t },
          opcode: opcodeName(x.opcode),
        },
        shape: `${opcodeName(p.opcode)} ${p.size > r.size ? 'larger' : 'smaller'} then ${opcodeName(x.opcode)}`,
      };
    }),
  }),
});
