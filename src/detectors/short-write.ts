/**
 * short-write: a WRITE reply with no error and a `size` smaller than
 * requested. For direct I/O the kernel stops the write there and the caller
 * sees a short write(2); few programs handle that.
 */
import { Op } from '../protocol/opcodes.js';
import { formatBytes } from '../model/format.js';
import { defineDetector } from './define.js';
import { describeRange, sizeBucket } from './common.js';

export default defineDetector({
  id: 'short-write',
  meta: {
    summary: 'A WRITE answered with fewer bytes than requested and no error',
    severity: 'warning',
    messages: {
      short: 'WRITE #{{unique}} at {{range}} to {{path}} was answered with {{written}} written and no error',
    },
    opcodes: [Op.WRITE],
  },
  create: (ctx) => ({
    reply(x, tr) {
      if (x.error !== 0 || !(x.resultSize < x.size)) return;
      ctx.report({
        messageId: 'short',
        data: { unique: String(x.unique), range: describeRange(x), path: x.path ?? '?', written: formatBytes(x.resultSize) },
        conn: x.conn, nodeid: x.nodeid, path: x.path ?? null, t: x.tReply,
        uniques: [x.unique],
        details: { offset: x.offset, requested: x.size, written: x.resultSize, writeCache: tr?.writeCache ?? false },
        shape: `WRITE short size=${sizeBucket(x.size)} ${x.resultSize === 0 ? 'zero' : 'partial'}`,
        tracks: tr ? [tr] : [],
      });
    },
  }),
});
