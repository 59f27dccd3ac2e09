/**
 * truncate-size-mismatch: a SETATTR with FATTR_SIZE (a truncate) answered
 * without error but with an attr.size other than the size it asked for,
 * while nothing else that changes the file's size was in flight or
 * completed on any captured connection. The kernel takes the reply's size
 * as the file's size, so the caller's truncate(2) "succeeded" to a size it
 * did not ask for: the daemon ignored or mangled the truncate (a real
 * daemon answered truncates to 1,000 and 9,000 bytes with size 0), or
 * something outside the capture changed the file at that moment.
 */
import { FATTR_SIZE } from '../protocol/flags/attr.js';
import { Op } from '../protocol/opcodes.js';
import type { Exchange } from '../protocol/exchange.js';
import type { Track } from '../state/files.js';
import { formatBytesPair } from '../model/format.js';
import { defineDetector } from './define.js';

export default defineDetector({
  id: 'truncate-size-mismatch',
  meta: {
    summary: 'A truncate answered with another size than the one it asked for',
    severity: 'warning',
    messages: {
      mismatch: 'SETATTR #{{unique}} truncated {{path}} to {{asked}} and the daemon answered size {{answered}}, with nothing else changing the file while it ran: the kernel now believes {{answered}} (the daemon did not truncate as asked, or the file changed where the capture cannot see)',
    },
    opcodes: [Op.SETATTR, Op.OPEN],
    requestOpcodes: [Op.SETATTR, Op.OPEN, Op.WRITE, Op.FALLOCATE, Op.COPY_FILE_RANGE, Op.COPY_FILE_RANGE_64],
  },
  create: (ctx) => {
    // Truncates that something else changing their file overlapped (a write, another truncate, a fallocate, a copy into it).
    const overlapped = new Set<Track>();
    return {
      request(x, tr) {
        // The group whose size it may change (a copy's: its destination's, `Track.changes`).
        const g = (tr?.changes ?? tr?.file)?.group;
        if (!tr || !g) return;
        if (x.opcode === Op.SETATTR || x.opcode === Op.OPEN) {
          if (!tr.truncates) return;
          // Itself is among the truncates in flight.
          const busy = g.writesInflight.length > 0 || g.truncatesInflight.length > 1 || g.changesInflight.length > 0;
          if (busy) for (const t of g.truncatesInflight) overlapped.add(t);
          return;
        }
        for (const t of g.truncatesInflight) overlapped.add(t);
      },
      reply(x, tr) {
        if (tr && !overlapped.delete(tr) && x.opcode === Op.SETATTR) judge(x, tr);
      },
    };

    function judge(x: Exchange, tr: Track): void {
      if (x.error !== 0 || (x.opFlags & FATTR_SIZE) === 0) return;
      const asked = x.size;
      const answered = x.attrSize;
      // A size past 2^53 is not compared: its double is not the size asked.
      if (Number.isNaN(asked) || Number.isNaN(answered) || asked === answered || x.sizeExact !== undefined) return;
      const f = tr.file;
      if (!f || f.regular === false || tr.passthroughBlind) return;
      const [a, b] = formatBytesPair(asked, answered);
      ctx.report({
        messageId: 'mismatch',
        data: { unique: String(x.unique), path: f.path, asked: a, answered: b },
        conn: x.conn, nodeid: f.nodeid, path: f.path, t: x.tReply,
        uniques: [x.unique],
        details: { asked, answered, difference: answered - asked },
        shape: `SETATTR(size) answered ${answered < asked ? 'smaller' : 'larger'}${answered === 0 ? ' zero' : ''}`,
        tracks: [tr],
      });
    }
  },
});
