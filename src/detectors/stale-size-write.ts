/**
 * stale-size-write: writes that their connection's kernel believed were
 * inside the file (kernel_size >= offset + size) while the daemon-observed
 * size says they extend the file or start beyond its end: the kernel acted on
 * a stale size. One finding per run of such writes on a file and connection
 * (until a write of that file is not stale). Writes in flight together with
 * another write are part of a parallel-write-beyond-size episode, which says
 * the same, and are left to it.
 */
import type { Exchange, Id } from '../pairing/exchange.js';
import { Op } from '../protocol/opcodes.js';
import type { FileState, Track } from '../state/files.js';
import { formatBytes, formatOffset } from '../analysis/units.js';
import { defineDetector, type DetectorContext } from './define.js';
import { EPISODE_UNIQUES_KEPT, fopenNames, sizeBucket, writeEnd, writeNoun } from './common.js';

/** Consecutive stale writes of one file and connection. */
class Run {
  n = 0;
  readonly uniques: Id[] = [];
  readonly tracks: Track[] = [];
  lo = Infinity;
  hi = -Infinity;
  tFirst = Infinity;
  tLast = -Infinity;
  hole: Exchange | undefined = undefined;
  maxGap = 0;
  maxWrite = 0;
  constructor(readonly first: Track) {}
}

/** The kernel believed the write inside the file; the daemon-observed size says it reaches past the end. */
function isStale(x: Exchange): boolean {
  if (!(x.size > 0) || Number.isNaN(x.offset)) return false;
  const k = x.kernelSizeAtReq;
  const d = x.daemonSizeAtReq;
  const end = writeEnd(x);
  return !Number.isNaN(k) && !Number.isNaN(d) && k >= end && end > d;
}

function add(r: Run, tr: Track): void {
  const x = tr.x;
  r.n++;
  if (r.uniques.length < EPISODE_UNIQUES_KEPT) {
    r.uniques.push(x.unique);
    r.tracks.push(tr);
  }
  if (x.offset < r.lo) r.lo = x.offset;
  if (writeEnd(x) > r.hi) r.hi = writeEnd(x);
  if (x.tReq < r.tFirst) r.tFirst = x.tReq;
  if (x.tReq > r.tLast) r.tLast = x.tReq;
  if (x.size > r.maxWrite) r.maxWrite = x.size;
  const gap = x.offset - x.daemonSizeAtReq;
  if (gap > 0) {
    if (!r.hole) r.hole = x;
    if (gap > r.maxGap) r.maxGap = gap;
  }
}

function report(r: Run, ctx: DetectorContext): void {
  const x = r.first.x;
  const f = r.first.file!;
  const path = x.path ?? f.path;
  const d = x.daemonSizeAtReq;
  const hole = r.hole;
  const noun = writeNoun(r.tracks, r.n !== 1);
  ctx.report({
    messageId: hole ? 'hole' : 'extends',
    data: {
      n: r.n, noun, path, from: formatOffset(r.lo), to: formatOffset(r.hi), they: r.n === 1 ? 'it' : 'they',
      kernelSize: formatBytes(x.kernelSizeAtReq), daemonSize: formatBytes(d),
      unique: hole ? String(hole.unique) : '', at: hole ? formatOffset(hole.offset) : '',
      gap: hole ? formatBytes(hole.offset - hole.daemonSizeAtReq) : formatBytes(r.hi - d),
    },
    conn: x.conn, nodeid: f.nodeid, path, t: r.tFirst,
    uniques: r.uniques,
    details: {
      writes: r.n, offsetFrom: r.lo, offsetTo: r.hi, tFirst: r.tFirst, tLast: r.tLast,
      uniques: r.uniques, uniquesOmitted: r.n - r.uniques.length,
      kernelSize: x.kernelSizeAtReq, daemonSize: d, startsBeyond: hole !== undefined, holeUnique: hole ? hole.unique : null,
      maxBeyondBy: hole ? r.maxGap : r.hi - d, handleFlags: fopenNames(r.first.fopen),
    },
    shape: `WRITE ${hole ? 'hole' : 'extends'} size=${sizeBucket(r.maxWrite)}`,
    tracks: r.tracks,
  });
}

export default defineDetector({
  id: 'stale-size-write',
  meta: {
    summary: 'Writes the kernel believed inside the file, beyond the size the daemon had observed',
    severity: 'warning',
    messages: {
      hole: '{{n}} {{noun}} to {{path}} between {{from}} and {{to}}: this mount\'s kernel believed the file was {{kernelSize}}, so {{they}} looked inside it, but the daemon had observed {{daemonSize}}; #{{unique}} at {{at}} starts {{gap}} beyond the real end',
      extends: '{{n}} {{noun}} to {{path}} between {{from}} and {{to}}: this mount\'s kernel believed the file was {{kernelSize}}, so {{they}} looked inside it, but the daemon had observed {{daemonSize}}; {{they}} extended the file by {{gap}}',
    },
    opcodes: [Op.WRITE],
  },
  create(ctx) {
    const runs = new Map<FileState, Run>();
    const close = (f: FileState): void => {
      const r = runs.get(f);
      if (r === undefined) return;
      runs.delete(f);
      report(r, ctx);
    };
    // Judged when the write is over: only then is it known whether another write was in flight with it.
    const judge = (tr: Track): void => {
      const f = tr.file;
      if (!f || tr.writeCache) return;
      if (!isStale(tr.x)) {
        if (runs.size > 0) close(f);
        return;
      }
      if (tr.writesTogether > 0) return;
      let r = runs.get(f);
      if (r === undefined) runs.set(f, (r = new Run(tr)));
      add(r, tr);
    };
    return {
      reply(_x, tr) {
        if (tr) judge(tr);
      },
      end() {
        for (const tr of ctx.state.inflightTracks()) if (tr.x.opcode === Op.WRITE) judge(tr);
        for (const f of [...runs.keys()]) close(f);
      },
    };
  },
});
