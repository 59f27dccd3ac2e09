/**
 * stale-size-write: a WRITE that its connection's kernel believed was inside
 * the file (kernel_size >= offset + size) while the daemon-observed size says
 * it extends the file or starts beyond its end: the kernel acted on a stale size.
 */
import { Op } from '../protocol/opcodes.js';
import { formatBytes } from '../analysis/units.js';
import { defineDetector } from './define.js';
import { describeRange, fopenNames, sizeBucket, writeEnd, writeNoun } from './common.js';

export default defineDetector({
  id: 'stale-size-write',
  meta: {
    summary: 'A write the kernel believed inside the file, beyond the size the daemon had observed',
    severity: 'warning',
    messages: {
      hole: '{{noun}} #{{unique}} at {{range}} to {{path}}: this mount\'s kernel believed the file was {{kernelSize}}, so the write looked inside it, but the daemon had observed {{daemonSize}}: it starts {{gap}} beyond the real end',
      extends: '{{noun}} #{{unique}} at {{range}} to {{path}}: this mount\'s kernel believed the file was {{kernelSize}}, so the write looked inside it, but the daemon had observed {{daemonSize}}: it extends the file by {{gap}}',
    },
    opcodes: [Op.WRITE],
  },
  defaults: {},
  on: {
    request(x, tr, ctx) {
      if (!tr || tr.writeCache || !(x.size > 0)) return;
      const k = x.kernelSizeAtReq;
      const d = x.daemonSizeAtReq;
      const end = writeEnd(x);
      if (Number.isNaN(k) || Number.isNaN(d) || k < end || end <= d) return;
      const hole = x.offset > d;
      ctx.report({
        messageId: hole ? 'hole' : 'extends',
        data: {
          noun: writeNoun([tr], false).replace(/^./, (c) => c.toUpperCase()), unique: String(x.unique), range: describeRange(x), path: x.path ?? '?',
          kernelSize: formatBytes(k), daemonSize: formatBytes(d), gap: formatBytes(hole ? x.offset - d : end - d),
        },
        conn: x.conn, nodeid: x.nodeid, path: x.path ?? null, t: x.tReq,
        uniques: [x.unique],
        details: {
          offset: x.offset, size: x.size, end, kernelSize: k, daemonSize: d, startsBeyond: hole, beyondBy: hole ? x.offset - d : end - d,
          handleFlags: fopenNames(tr.fopen), concurrentCount: tr.concurrentCount,
        },
        shape: `WRITE ${hole ? 'hole' : 'extends'} size=${sizeBucket(x.size)}`,
        tracks: [tr],
      });
    },
  },
});
