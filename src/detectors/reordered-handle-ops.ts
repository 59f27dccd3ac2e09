/**
 * reordered-handle-ops: on one file handle, a FLUSH, FSYNC or RELEASE
 * answered while a WRITE sent before it on that handle is still in flight:
 * the daemon completed a "everything before me is done" request too early.
 * Not when several opens of the file hold that fh (a daemon answering every
 * open of a file with one fh, as encfs does): the FLUSH or RELEASE may then
 * close another open than the WRITE's, which orders nothing.
 */
import { Op, opcodeName } from '../protocol/opcodes.js';
import { formatDuration } from '../model/format.js';
import { defineDetector } from './define.js';
import { describeRange } from './common.js';

export default defineDetector({
  id: 'reordered-handle-ops',
  meta: {
    summary: 'FLUSH/FSYNC/RELEASE answered while an earlier WRITE on the same handle was in flight',
    severity: 'warning',
    messages: {
      reordered: '{{op}} #{{unique}} on handle {{fh}} of {{path}} was answered while WRITE #{{wunique}} at {{range}}, sent {{ago}} before it on the same handle, was still in flight',
    },
    opcodes: [Op.FLUSH, Op.FSYNC, Op.RELEASE],
  },
  create: (ctx) => ({
    reply(x, tr) {
      if (tr?.file === undefined || x.fh === undefined || tr.handleOpens > 1) return;
      for (const w of tr.file.inflight) {
        const y = w.x;
        if (y.opcode !== Op.WRITE || w.writeCache || y.conn !== x.conn || y.fh !== x.fh || !(y.tReq < x.tReq)) continue;
        ctx.report({
          messageId: 'reordered',
          data: {
            op: opcodeName(x.opcode), unique: String(x.unique), fh: String(x.fh), path: x.path ?? tr.file.path, wunique: String(y.unique),
            range: describeRange(y), ago: formatDuration(x.tReq - y.tReq),
          },
          conn: x.conn, nodeid: x.nodeid, path: x.path ?? tr.file.path, t: x.tReply,
          uniques: [y.unique, x.unique],
          details: { fh: x.fh, opcode: opcodeName(x.opcode), write: { unique: y.unique, offset: y.offset, size: y.size, tReq: y.tReq } },
          shape: `${opcodeName(x.opcode)} before WRITE`,
          tracks: [w, tr],
        });
      }
    },
  }),
});
