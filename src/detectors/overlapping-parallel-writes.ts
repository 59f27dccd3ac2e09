/**
 * overlapping-parallel-writes: two WRITEs on the same (or a correlated) file
 * in flight together whose byte ranges overlap; the file's content then
 * depends on the order in which the daemon applies them.
 */
import { Op } from '../protocol/opcodes.js';
import { formatBytes } from '../model/format.js';
import { defineDetector } from './define.js';
import { describeRange, sizeBucket, writeEnd, writeNoun } from './common.js';

export default defineDetector({
  id: 'overlapping-parallel-writes',
  meta: {
    summary: 'Two writes with overlapping byte ranges in flight together on one file',
    severity: 'warning',
    messages: {
      overlap: '2 {{noun}} to {{path}} were in flight together with overlapping ranges, #{{a}} at {{ra}} and #{{b}} at {{rb}} ({{overlap}} in common{{connNote}}): the content depends on which the daemon applies last',
    },
    opcodes: [Op.WRITE],
  },
  create: (ctx) => ({
    request(x, tr) {
      if (!tr?.file || !(x.size > 0)) return;
      // The writes in flight on the file (and correlated ones) when this one was sent; later ones meet it at their own request.
      for (const o of tr.file.group.writesInflight) {
        const y = o.x;
        if (o === tr || !(y.size > 0) || (tr.writeCache && o.writeCache)) continue;
        const lo = Math.max(x.offset, y.offset);
        const hi = Math.min(writeEnd(x), writeEnd(y));
        if (hi <= lo) continue;
        ctx.report({
          messageId: 'overlap',
          data: {
            noun: writeNoun([tr, o], true), path: x.path ?? '?', a: String(y.unique), ra: describeRange(y), b: String(x.unique), rb: describeRange(x),
            overlap: formatBytes(hi - lo), connNote: y.conn === x.conn ? '' : `; #${y.unique} came through connection ${y.conn}`,
          },
          conn: x.conn, nodeid: x.nodeid, path: x.path ?? null, t: x.tReq,
          uniques: [y.unique, x.unique],
          details: {
            first: { unique: y.unique, conn: y.conn, offset: y.offset, size: y.size, writeCache: o.writeCache },
            second: { unique: x.unique, conn: x.conn, offset: x.offset, size: x.size, writeCache: tr.writeCache },
            overlapOffset: lo, overlapBytes: hi - lo,
          },
          shape: `WRITE+WRITE overlap ${y.offset === x.offset && y.size === x.size ? 'same-range' : 'partial'} size=${sizeBucket(hi - lo)}`,
          tracks: [o, tr],
        });
      }
    },
  }),
});
