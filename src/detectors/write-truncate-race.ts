/**
 * write-truncate-race: a WRITE in flight together with a size-changing
 * SETATTR (FATTR_SIZE) or an OPEN with O_TRUNC of the same (or a correlated)
 * file: the final size and content depend on the order the daemon applies them.
 */
import type { Exchange } from '../protocol/exchange.js';
import { FATTR_SIZE } from '../protocol/flags/attr.js';
import { Op } from '../protocol/opcodes.js';
import type { Track } from '../state/files.js';
import { formatBytes } from '../model/format.js';
import { defineDetector, type DetectorContext } from './define.js';
import { describeRange, writeNoun } from './common.js';

function truncName(x: Exchange): string {
  return x.opcode === Op.SETATTR ? `SETATTR(size ${formatBytes(x.size)})` : 'OPEN(O_TRUNC)';
}

function report(w: Track, t: Track, later: Exchange, ctx: DetectorContext): void {
  const wx = w.x;
  const tx = t.x;
  ctx.report({
    messageId: 'race',
    data: {
      noun: writeNoun([w], false), unique: String(wx.unique), range: describeRange(wx), path: wx.path ?? tx.path ?? '?',
      trunc: truncName(tx), tunique: String(tx.unique), connNote: tx.conn === wx.conn ? '' : ` through connection ${tx.conn}`,
    },
    conn: wx.conn, nodeid: wx.nodeid, path: wx.path ?? null, t: later.tReq,
    uniques: [wx.unique, tx.unique],
    details: {
      write: { unique: wx.unique, conn: wx.conn, offset: wx.offset, size: wx.size, writeCache: w.writeCache },
      truncate: { unique: tx.unique, conn: tx.conn, opcode: tx.opcode, size: tx.opcode === Op.SETATTR && (tx.opFlags & FATTR_SIZE) ? tx.size : 0 },
      sameConn: wx.conn === tx.conn,
    },
    shape: `WRITE+${tx.opcode === Op.SETATTR ? 'SETATTR(size)' : 'OPEN(O_TRUNC)'} ${wx.conn === tx.conn ? 'same-conn' : 'cross-conn'}`,
    tracks: [w, t],
  });
}

/** The kernel itself orders writeback flushes before its own truncates: not a race on one connection. */
function ignorable(w: Track, t: Track): boolean {
  return w.writeCache && w.x.conn === t.x.conn;
}

export default defineDetector({
  id: 'write-truncate-race',
  meta: {
    summary: 'A write in flight together with a truncate of the same file',
    severity: 'error',
    messages: {
      race: '{{noun}} #{{unique}} at {{range}} to {{path}} was in flight together with {{trunc}} #{{tunique}}{{connNote}}: the final size and content depend on which the daemon applied first',
    },
    opcodes: [Op.WRITE, Op.SETATTR, Op.OPEN],
  },
  create: (ctx) => ({
    request(x, tr) {
      if (!tr || !tr.file) return;
      const g = tr.file.group;
      if (x.opcode === Op.WRITE) {
        for (const t of g.truncatesInflight) if (!ignorable(tr, t)) report(tr, t, x, ctx);
      } else if (tr.truncates) {
        for (const w of g.writesInflight) if (!ignorable(w, tr)) report(w, tr, x, ctx);
      }
    },
  }),
});
