/**
 * size-shrank-externally: a reply reports a size smaller than the
 * daemon-observed size with no truncate seen on any captured connection:
 * something outside the capture (another mount, the backing store) changed
 * the file. With one connection this is how a stale kernel size shows in
 * hindsight. A report that only takes the file back to the size it had
 * before the daemon's previous report is inconsistent-size-report's.
 */
import { formatBytesPair } from '../model/format.js';
import { opcodeName } from '../protocol/opcodes.js';
import { defineDetector } from './define.js';
import { eachSizeReport, reportedBack } from './common.js';

export default defineDetector({
  id: 'size-shrank-externally',
  meta: {
    summary: 'A reported size smaller than the daemon-observed size, with no truncate captured',
    severity: 'warning',
    messages: {
      shrank: '{{op}} #{{unique}} reported {{path}} at {{size}}, smaller than the {{daemonSize}} the daemon had observed, and no truncate was seen on any captured connection: the file shrank where the capture cannot see (another mount or client, the backing store, or the daemon on its own)',
    },
  },
  create: (ctx) => ({
    reportingReply: eachSizeReport(ctx, (r, x) => {
      if (Number.isNaN(r.daemonBefore) || r.size >= r.daemonBefore || r.predates) return undefined;
      const f = r.file;
      const g = f.group;
      // A truncate in flight or completed since the request, or any size change while it was in flight, explains the smaller size.
      if (g.truncatesInflight.length > 0 || g.changesInflight.length > 0 || g.tLastTruncate > x.tReq || g.changedDuring(x.tReq, x.tReply)) return undefined;
      if (reportedBack(r, x) !== undefined) return undefined;
      const [size, daemonSize] = formatBytesPair(r.size, r.daemonBefore);
      return {
        messageId: 'shrank',
        data: { op: opcodeName(x.opcode), unique: String(x.unique), path: f.path, size, daemonSize },
        uniques: [x.unique],
        details: {
          reportedSize: r.size, daemonSize: r.daemonBefore, shrankBy: r.daemonBefore - r.size,
          kernelSizeBefore: Number.isNaN(r.kernelBefore) ? null : r.kernelBefore, opcode: opcodeName(x.opcode),
          correlatedConns: f.group.members.filter((m) => m !== f).map((m) => m.conn),
        },
        shape: `${opcodeName(x.opcode)} report<daemon`,
      };
    }),
  }),
});
