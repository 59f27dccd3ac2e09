/**
 * parallel-write-beyond-size: writes (not writeback-cache flushes) in flight
 * together on one file (or correlated files), reaching past the
 * daemon-observed size at their t_req (the FOPEN_PARALLEL_DIRECT_WRITES
 * stale-size race of Linux 6.2+). One finding per file, connection and
 * episode: an episode starts when two writes of the file are in flight
 * together and lasts until no write of it is in flight. Pieces of one write
 * split by the kernel (one caller, contiguous ranges) are one extending
 * write, reported at info severity.
 */
import type { Exchange, Id } from '../pairing/exchange.js';
import { Op } from '../protocol/opcodes.js';
import type { FileState, SizeGroup, Track } from '../state/files.js';
import { formatBytes, formatDuration, formatOffset } from '../analysis/units.js';
import { defineDetector, type DetectorContext } from './define.js';
import { EPISODE_UNIQUES_KEPT, fopenNames, sizeBucket, writeEnd, writeNoun } from './common.js';

/** The writes of one file and connection in an episode. */
class Part {
  /** Writes reaching past the daemon-observed size (the finding's writes). */
  n = 0;
  readonly uniques: Id[] = [];
  readonly tracks: Track[] = [];
  lo = Infinity;
  hi = -Infinity;
  tFirst = Infinity;
  tLastReq = -Infinity;
  /** Writes the kernel believed inside the file (kernel_size >= end). */
  stale = 0;
  /** The first write starting beyond the daemon-observed size, and the largest such gap. */
  hole: Exchange | undefined = undefined;
  maxGap = 0;
  /** daemon_size and kernel_size when the first beyond-size write was sent. */
  daemonSize = NaN;
  kernelSize = NaN;
  maxWrite = 0;
  minWrite = Infinity;
  /** The highest offset a write starts at. */
  lastAt = -Infinity;
  fopen = 0;
  errors = 0;
  unanswered = 0;
  /** Every write of the part (also inside the size): their bytes and span, for split writes. */
  all = 0;
  allBytes = 0;
  allLo = Infinity;
  allHi = -Infinity;
  /** Every write of the part while the episode has a single caller (the pieces of a split write). */
  pieces: Track[] | undefined = [];
  first: Track | undefined = undefined;
  constructor(readonly file: FileState) {}
}

/** Writes of one group never out of flight since two were in flight together. */
class Episode {
  readonly parts: Part[] = [];
  peak = 0;
  /** The caller of every member write, 0 when they differ (or unknown). */
  pid = -1;
  tEnd = -Infinity;

  part(f: FileState): Part {
    for (const p of this.parts) if (p.file === f) return p;
    const p = new Part(f);
    this.parts.push(p);
    return p;
  }
}

function isBeyond(x: Exchange): boolean {
  return x.size > 0 && !Number.isNaN(x.offset) && !Number.isNaN(x.daemonSizeAtReq) && writeEnd(x) > x.daemonSizeAtReq;
}

function join(ep: Episode, tr: Track): void {
  const x = tr.x;
  const p = ep.part(tr.file!);
  ep.pid = ep.pid === -1 ? x.callerPid : ep.pid === x.callerPid ? ep.pid : 0;
  p.all++;
  if (ep.pid <= 0) p.pieces = undefined;
  else if (p.pieces && p.pieces.length < EPISODE_UNIQUES_KEPT) p.pieces.push(tr);
  if (x.size > 0 && !Number.isNaN(x.offset)) {
    p.allBytes += x.size;
    if (x.offset < p.allLo) p.allLo = x.offset;
    if (writeEnd(x) > p.allHi) p.allHi = writeEnd(x);
  }
  if (!isBeyond(x)) return;
  const end = writeEnd(x);
  if (p.n === 0) {
    p.daemonSize = x.daemonSizeAtReq;
    p.kernelSize = x.kernelSizeAtReq;
    p.fopen = tr.fopen;
    p.first = tr;
  }
  p.n++;
  if (p.uniques.length < EPISODE_UNIQUES_KEPT) {
    p.uniques.push(x.unique);
    p.tracks.push(tr);
  }
  if (x.offset < p.lo) p.lo = x.offset;
  if (end > p.hi) p.hi = end;
  if (x.tReq < p.tFirst) p.tFirst = x.tReq;
  if (x.tReq > p.tLastReq) p.tLastReq = x.tReq;
  if (x.size > p.maxWrite) p.maxWrite = x.size;
  if (x.size < p.minWrite) p.minWrite = x.size;
  if (x.offset > p.lastAt) p.lastAt = x.offset;
  if (!Number.isNaN(x.kernelSizeAtReq) && x.kernelSizeAtReq >= end) p.stale++;
  const gap = x.offset - x.daemonSizeAtReq;
  if (gap > 0) {
    if (!p.hole) p.hole = x;
    if (gap > p.maxGap) p.maxGap = gap;
  }
}

function report(ep: Episode, ctx: DetectorContext): void {
  for (const p of ep.parts) {
    if (p.n === 0) continue;
    for (const tr of p.tracks) {
      if (!tr.x.replied) p.unanswered++;
      else if (tr.x.error !== 0) p.errors++;
    }
    const split = ep.parts.length === 1 && ep.pid > 0 && p.pieces !== undefined && p.all > 1 && p.allBytes === p.allHi - p.allLo;
    if (split) reportSplit(ep, p, ctx);
    else reportRace(ep, p, ctx);
  }
}

function common(ep: Episode, p: Part): Record<string, unknown> {
  return {
    writes: p.n, offsetFrom: p.lo, offsetTo: p.hi, tFirst: p.tFirst, tLast: p.tLastReq, tEnd: ep.tEnd,
    maxInFlight: ep.peak, uniques: p.uniques, uniquesOmitted: p.n - p.uniques.length,
    writeSizeMin: p.minWrite, writeSizeMax: p.maxWrite,
    daemonSize: p.daemonSize, kernelSize: Number.isNaN(p.kernelSize) ? null : p.kernelSize,
    handleFlags: fopenNames(p.fopen), callerPid: ep.pid > 0 ? ep.pid : null,
  };
}

function reportRace(ep: Episode, p: Part, ctx: DetectorContext): void {
  const x = p.first!.x;
  const path = x.path ?? p.file.path;
  const hole = p.hole;
  const conclusion = p.stale === p.n
    ? 'the kernel treated them as non-extending'
    : p.stale === 0 ? 'the kernel sent extending writes in parallel' : `the kernel treated ${p.stale} of them as non-extending`;
  const kernelNote = Number.isNaN(p.kernelSize)
    ? "This mount's kernel size was unknown"
    : p.kernelSize === p.daemonSize ? "This mount's kernel believed the same" : `This mount's kernel still believed ${formatBytes(p.kernelSize)}`;
  const others = ep.parts.filter((o) => o !== p).map((o) => o.file.conn);
  ctx.report({
    messageId: hole ? 'hole' : 'extends',
    severity: hole ? 'error' : 'warning',
    data: {
      n: p.n, noun: writeNoun(p.tracks, p.n !== 1), path, sizes: p.minWrite === p.maxWrite ? formatBytes(p.maxWrite) : `${formatBytes(p.minWrite)} to ${formatBytes(p.maxWrite)}`,
      offsets: p.n === 1 ? formatOffset(p.lo) : `offsets ${formatOffset(p.lo)} to ${formatOffset(p.lastAt)}`, peak: ep.peak,
      span: formatDuration(Math.max(0, ep.tEnd - p.tFirst)), daemonSize: formatBytes(p.daemonSize), kernelNote, conclusion,
      unique: hole ? String(hole.unique) : '', at: hole ? formatOffset(hole.offset) : '', gap: hole ? formatBytes(hole.offset - hole.daemonSizeAtReq) : '',
      otherConns: others.length ? ` (with writes through connection ${others.join(', ')})` : '',
    },
    conn: x.conn,
    nodeid: p.file.nodeid,
    path,
    t: p.tFirst,
    uniques: p.uniques,
    details: {
      ...common(ep, p),
      startsBeyond: hole !== undefined, holeUnique: hole ? hole.unique : null, maxBeyondBy: hole ? p.maxGap : p.hi - p.daemonSize,
      kernelThoughtNonExtending: p.stale, otherConns: others, replyErrors: p.errors, unanswered: p.unanswered,
    },
    shape: `WRITE episode ${hole ? 'hole' : 'extends'} ${p.stale > 0 ? 'stale' : 'extending'} size=${sizeBucket(p.maxWrite)}`,
    tracks: p.tracks,
  });
}

function reportSplit(ep: Episode, p: Part, ctx: DetectorContext): void {
  const x = p.first!.x;
  const path = x.path ?? p.file.path;
  const total = p.allHi - p.allLo;
  const pieces = p.pieces!.sort((a, b) => a.x.offset - b.x.offset);
  ctx.report({
    messageId: 'split',
    severity: 'info',
    data: {
      noun: writeNoun(p.tracks, false), total: formatBytes(total), pid: ep.pid, path, n: p.all,
      from: formatOffset(p.allLo), to: formatOffset(p.allHi), daemonSize: formatBytes(p.daemonSize),
    },
    conn: x.conn,
    nodeid: p.file.nodeid,
    path,
    t: pieces[0]!.x.tReq,
    uniques: pieces.map((tr) => tr.x.unique),
    details: {
      ...common(ep, p), pieces: p.all, size: total, grouped: true, uniques: pieces.map((tr) => tr.x.unique), uniquesOmitted: p.all - pieces.length,
      beyondPieces: p.uniques,
      grouping: 'one caller thread, contiguous byte ranges, in flight together: one write(2) cut into requests by the kernel',
    },
    shape: `WRITE split size=${sizeBucket(total)} ${p.hole ? 'hole' : 'extends'}`,
    tracks: pieces,
  });
}

export default defineDetector({
  id: 'parallel-write-beyond-size',
  meta: {
    summary: 'Writes in flight together on one file, reaching past the size the daemon had observed',
    severity: 'error',
    messages: {
      hole: '{{n}} {{noun}} to {{path}} ({{sizes}} at {{offsets}}) reached past the size of {{daemonSize}} the daemon had observed, in flight together: at most {{peak}} at the same moment, over {{span}}{{otherConns}}. {{kernelNote}}: {{conclusion}}. #{{unique}} at {{at}} starts {{gap}} beyond the end, leaving a hole',
      extends: '{{n}} {{noun}} to {{path}} ({{sizes}} at {{offsets}}) reached past the size of {{daemonSize}} the daemon had observed, in flight together: at most {{peak}} at the same moment, over {{span}}{{otherConns}}. {{kernelNote}}: {{conclusion}}',
      split: 'one {{noun}} of {{total}} by thread {{pid}} to {{path}} was split by the kernel into {{n}} requests sent together ({{from}} to {{to}}), past the daemon-observed size {{daemonSize}}: one extending write, not a race between writers',
    },
    opcodes: [Op.WRITE],
  },
  create(ctx) {
    /** The open episode of each group. */
    const open = new Map<SizeGroup, Episode>();
    const close = (g: SizeGroup, ep: Episode, t: number): void => {
      open.delete(g);
      ep.tEnd = t;
      report(ep, ctx);
    };
    return {
      request(_x, tr) {
        if (!tr?.file) return;
        const g = tr.file.group;
        const level = g.writesInflight.length;
        let ep = open.get(g);
        if (ep === undefined) {
          // Only a second write in flight opens an episode: a lone write costs nothing here.
          if (level < 2 || (tr.writeCache && g.writesInflight.every((o) => o.writeCache))) return;
          open.set(g, (ep = new Episode()));
          for (const o of g.writesInflight) if (o !== tr && !o.writeCache && o.file) join(ep, o);
        }
        if (level > ep.peak) ep.peak = level;
        if (!tr.writeCache) join(ep, tr);
      },
      reply(x, tr) {
        const g = tr?.file?.group;
        if (g === undefined || g.writesInflight.length > 0) return;
        const ep = open.get(g);
        if (ep !== undefined) close(g, ep, x.tReply);
      },
      end() {
        const t = ctx.state.tLast;
        for (const [g, ep] of [...open]) close(g, ep, t);
      },
    };
  },
});
