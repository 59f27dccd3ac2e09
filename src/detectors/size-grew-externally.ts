/**
 * size-grew-externally: a reply reports a size larger than the
 * daemon-observed size with no write, truncate or other size change seen on
 * the file on any captured connection: the file grew where the capture
 * cannot see (another mount or client, the backing store, the daemon on its
 * own). The mirror of size-shrank-externally, at info severity: growth is
 * what other writers do, but until such a report the mount's cached size is
 * behind, and an O_APPEND write or a read through the page cache stops at
 * that stale end.
 *
 * A larger size the next report on the file takes back, with nothing
 * captured in between, was not growth but a wrong answer
 * (inconsistent-size-report's): so a candidate waits for the file's next
 * report, or the end of the capture, before it is reported.
 */
import { formatBytesPair } from '../model/format.js';
import { opcodeName } from '../protocol/opcodes.js';
import type { FileState, MovingReport, SizeGroup } from '../state/files.js';
import { defineDetector, type FindingInput } from './define.js';
import { reportedBack } from './common.js';

/** Candidates waiting for their file's next report, at most this many (the oldest is reported first). */
const MAX_WAITING = 4096;

export default defineDetector({
  id: 'size-grew-externally',
  meta: {
    summary: 'A reported size larger than the daemon-observed size, with no write or size change captured',
    severity: 'info',
    messages: {
      grew: '{{op}} #{{unique}} reported {{path}} at {{size}}, larger than the {{daemonSize}} the daemon had observed, and no write or other size change to it was seen on any captured connection: the file grew where the capture cannot see (another mount or client, the backing store, or the daemon on its own)',
    },
  },
  create: (ctx) => {
    const st = ctx.state;
    /** By size group: the finding, and the report record (`lastReport`) a later report would take back. */
    const waiting = new Map<SizeGroup, { finding: FindingInput; report: MovingReport | undefined; file: FileState }>();
    return {
      reportingReply(x) {
        const n = st.reportCount;
        for (let i = 0; i < n; i++) {
          const r = st.reportAt(i);
          const f = r.file;
          const g = f.group;
          const w = waiting.size === 0 ? undefined : waiting.get(g);
          if (w !== undefined) {
            waiting.delete(g);
            // Taken back with nothing captured in between: inconsistent-size-report says so, not this.
            if (w.report === undefined || reportedBack(r, x) !== w.report) ctx.report(w.finding);
          }
          // Reads and writes through a passthrough handle never cross FUSE: the sizes compared here may be behind.
          if (r.passthroughBlind || Number.isNaN(r.daemonBefore) || r.size <= r.daemonBefore || r.predates) continue;
          // A write, truncate, FALLOCATE or copy in flight (the daemon may have applied it before this reply), or any size change while the request was out, explains it.
          if (g.changing() || g.changedDuring(x.tReq, x.tReply)) continue;
          // Back to an earlier size is inconsistent-size-report's; another node of the connection reporting the ino may have grown it.
          if (reportedBack(r, x) !== undefined || st.files.sharesIno(f)) continue;
          const [size, daemonSize] = formatBytesPair(r.size, r.daemonBefore);
          waiting.set(g, {
            file: f,
            report: g.lastReport,
            finding: {
              messageId: 'grew',
              data: { op: opcodeName(x.opcode), unique: String(x.unique), path: f.path, size, daemonSize },
              conn: x.conn,
              nodeid: f.nodeid,
              path: f.path,
              t: x.tReply,
              uniques: [x.unique],
              details: {
                reportedSize: r.size, daemonSize: r.daemonBefore, grewBy: r.size - r.daemonBefore,
                kernelSizeBefore: Number.isNaN(r.kernelBefore) ? null : r.kernelBefore, opcode: opcodeName(x.opcode),
                correlatedConns: g.members.filter((m) => m !== f).map((m) => m.conn),
              },
              shape: `${opcodeName(x.opcode)} report>daemon`,
            },
          });
          if (waiting.size > MAX_WAITING) {
            const [oldest, o] = waiting.entries().next().value!;
            waiting.delete(oldest);
            ctx.report(o.finding);
          }
        }
      },
      // The kernel forgot the file: no later report will come for it here.
      retire(f) {
        const w = waiting.size === 0 ? undefined : waiting.get(f.group);
        if (w === undefined || w.file !== f) return;
        waiting.delete(f.group);
        ctx.report(w.finding);
      },
      end() {
        for (const w of waiting.values()) ctx.report(w.finding);
        waiting.clear();
      },
    };
  },
});
