/**
 * read-past-size: a READ through the page cache answered with data past the
 * size the reader's kernel holds for the file, while that size was the
 * daemon's own latest word and nothing captured changed the file. The
 * kernel keeps its size on such a read (a short read only ever lowers it),
 * so readers see the file end at that size: the bytes after it are in the
 * daemon but out of their reach. The daemon's attributes are behind its
 * data (a real daemon reported 9 bytes for a value it read back as 10), or
 * the file grew where the capture cannot see. Direct I/O is not judged:
 * there the kernel hands the reader what the daemon returned.
 */
import { FOPEN_DIRECT_IO, O_DIRECT } from '../protocol/flags/open.js';
import { Op } from '../protocol/opcodes.js';
import type { FileState } from '../state/files.js';
import { formatBytesPair } from '../model/format.js';
import { defineDetector } from './define.js';

export default defineDetector({
  id: 'read-past-size',
  meta: {
    summary: 'A page-cache READ answered with data past the size the kernel holds for the file',
    severity: 'warning',
    messages: {
      past: 'READ #{{unique}} of {{path}} returned data up to {{end}}, past the {{size}} the daemon last reported and the kernel holds, with nothing changing the file: readers through the page cache see it end at {{size}} (the daemon\'s size is behind its data, or the file grew where the capture cannot see)',
    },
    opcodes: [Op.READ],
  },
  create: (ctx) => {
    // Reported once for a file at a size: every READ of it would say the same.
    const reported = new WeakMap<FileState, number>();
    return {
      reply(x, tr) {
        if (!tr || x.error !== 0 || !(x.resultSize > 0) || Number.isNaN(x.offset)) return;
        const f = tr.file;
        if (!f || f.regular !== true || tr.passthroughBlind) return;
        // Only a read through the page cache keeps the kernel's size.
        if (!ctx.state.handleFlagsKnown(tr)) return;
        const writeback = ctx.state.opts.writeback(x.conn);
        if ((tr.fopen & FOPEN_DIRECT_IO) !== 0 || (x.flags & O_DIRECT) !== 0) return;
        // With FUSE_WRITEBACK_CACHE the kernel owns the size.
        if (writeback === true || ctx.state.conn(x.conn).writeback === true) return;
        const g = f.group;
        const size = f.kernelSize;
        const end = x.offset + x.resultSize;
        if (Number.isNaN(size) || end <= size) return;
        // What the kernel holds must be what the daemon last said, and nothing captured may have moved since the READ was sent.
        if (g.reportedSize !== size || g.daemonSize !== size) return;
        if (g.changing() || g.changedDuring(x.tReq, x.tReply)) return;
        if (f.tKernelChange > x.tReq || f.tAttrApplied > x.tReq) return;
        if (reported.get(f) === size) return;
        reported.set(f, size);
        const [e, s] = formatBytesPair(end, size);
        ctx.report({
          messageId: 'past',
          data: { unique: String(x.unique), path: f.path, end: e, size: s },
          conn: x.conn, nodeid: f.nodeid, path: f.path, t: x.tReply,
          uniques: [x.unique],
          details: { offset: x.offset, returned: x.resultSize, end, size, beyond: end - size },
          shape: `READ past size${x.offset === 0 ? ' from 0' : ''}`,
          tracks: [tr],
        });
      },
    };
  },
});
