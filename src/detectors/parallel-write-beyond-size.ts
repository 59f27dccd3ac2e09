/**
 * parallel-write-beyond-size: writes (not writeback-cache flushes) in flight
 * together with another write on one file (or correlated files), reaching
 * past the daemon-observed size at their t_req (the
 * FOPEN_PARALLEL_DIRECT_WRITES stale-size race of Linux 6.2+). One finding
 * per file, connection and episode: an episode opens with the first such
 * write and gathers every write reaching past the size (in flight together
 * with another or not) until no write of the file was in flight for
 * EPISODE_QUIET_NS. An episode of one caller's contiguous writes is one
 * write split by the kernel, reported at info severity.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';
import { Op } from '../protocol/opcodes.js';
import type { FileState, SizeGroup, Track } from '../state/files.js';
import { formatBytes, formatBytesPair, formatDuration, formatOffset, formatOffsetPair } from '../model/format.js';
import { defineDetector, type DetectorContext } from './define.js';
import { EPISODE_QUIET_NS, EPISODE_UNIQUES_KEPT, fopenNames, sizeBucket, writeEnd, writeNoun } from './common.js';

/** The writes of one file and connection in an episode. */
class Part {
  /** Writes reaching past the daemon-observed size (the finding's writes), and how many were in flight together with another write. */
  n = 0;
  together = 0;
  readonly uniques: Id[] = [];
  readonly tracks: Track[] = [];
  lo = Infinity;
  hi = -Infinity;
  tFirst = Infinity;
  tLastReq = -Infinity;
  /** Writes the kernel believed inside the file (kernel_size >= end). */
  stale = 0;
  /** Writes sent while the connection's kernel_size was unknown (after an INVAL_INODE, say): neither stale nor known to extend. */
  kernelUnknown = 0;
  /** The first write (sent first) starting beyond the daemon-observed size, and the largest such gap. */
  hole: Exchange | undefined = undefined;
  maxGap = 0;
  /** daemon_size and kernel_size when the first of its writes was sent. */
  daemonSize = NaN;
  kernelSize = NaN;
  maxWrite = 0;
  minWrite = Infinity;
  /** The highest offset a write starts at. */
  lastAt = -Infinity;
  fopen = 0;
  errors = 0;
  unanswered = 0;
  /** Bytes of its writes: equal to the span hi - lo when they are contiguous (a split write). */
  bytes = 0;
  first: Track | undefined = undefined;
  constructor(readonly file: FileState) {}
}

/** The racing writes of one group, until the group's writes fall quiet. */
class Episode {
  readonly parts: Part[] = [];
  /** The most writes in flight at the same moment while one of its writes was. */
  peak = 0;
  /** The caller of every member write, 0 when they differ (or unknown). */
  pid = -1;
  /** When the group last had no write in flight (-Infinity: not since the episode began). */
  tIdle = -Infinity;
  /** The last member write's reply (or the end of the capture). */
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

/** Adds a write that reached past the size to the episode. */
function join(ep: Episode, tr: Track, tEnd: number): void {
  const x = tr.x;
  const p = ep.part(tr.file!);
  const end = writeEnd(x);
  if (tr.writesPeak > ep.peak) ep.peak = tr.writesPeak;
  if (tEnd > ep.tEnd) ep.tEnd = tEnd;
  ep.pid = ep.pid === -1 ? x.callerPid : ep.pid === x.callerPid ? ep.pid : 0;
  if (p.first === undefined || x.tReq < p.first.x.tReq) {
    p.daemonSize = x.daemonSizeAtReq;
    p.kernelSize = x.kernelSizeAtReq;
    p.fopen = tr.fopen;
    p.first = tr;
  }
  p.n++;
  if (tr.writesTogether > 0) p.together++;
  if (p.uniques.length < EPISODE_UNIQUES_KEPT) {
    p.uniques.push(x.unique);
    p.tracks.push(tr);
    // The finding comes when the episode ends: its timeline bar must be kept now.
    tr.keepBar = true;
  }
  p.bytes += x.size;
  if (x.offset < p.lo) p.lo = x.offset;
  if (end > p.hi) p.hi = end;
  if (x.tReq < p.tFirst) p.tFirst = x.tReq;
  if (x.tReq > p.tLastReq) p.tLastReq = x.tReq;
  if (x.size > p.maxWrite) p.maxWrite = x.size;
  if (x.size < p.minWrite) p.minWrite = x.size;
  if (x.offset > p.lastAt) p.lastAt = x.offset;
  if (Number.isNaN(x.kernelSizeAtReq)) p.kernelUnknown++;
  else if (x.kernelSizeAtReq >= end) p.stale++;
  const gap = x.offset - x.daemonSizeAtReq;
  if (gap > 0) {
    if (!p.hole || x.tReq < p.hole.tReq) p.hole = x;
    if (gap > p.maxGap) p.maxGap = gap;
  }
}

function report(ep: Episode, ctx: DetectorContext): void {
  for (const p of ep.parts) {
    if (p.n === 0) continue;
    // Members join when they end: list them in the order they were sent.
    p.tracks.sort((a, b) => a.x.tReq - b.x.tReq);
    p.uniques.length = 0;
    for (const tr of p.tracks) p.uniques.push(tr.x.unique);
    for (const tr of p.tracks) {
      if (!tr.x.replied) p.unanswered++;
      else if (tr.x.error !== 0) p.errors++;
    }
    // One caller, one connection, contiguous ranges: the kernel cut one write(2) into pieces.
    const split = ep.parts.length === 1 && ep.pid > 0 && p.n > 1 && p.n === p.tracks.length && p.bytes === p.hi - p.lo;
    if (split) reportSplit(ep, p, ctx);
    else reportRace(ep, p, ctx);
  }
}

function common(ep: Episode, p: Part): Record<string, unknown> {
  return {
    writes: p.n, writesInFlightTogether: p.together, offsetFrom: p.lo, offsetTo: p.hi, tFirst: p.tFirst, tLast: p.tLastReq, tEnd: ep.tEnd,
    maxInFlight: ep.peak, uniques: p.uniques, uniquesOmitted: p.n - p.uniques.length,
    writeSizeMin: p.minWrite, writeSizeMax: p.maxWrite,
    daemonSize: p.daemonSize, kernelSize: Number.isNaN(p.kernelSize) ? null : p.kernelSize,
    handleFlags: fopenNames(p.fopen), callerPid: ep.pid > 0 ? ep.pid : null,
  };
}

/** What the kernel took the part's writes for: known only for those sent while its size was. */
function kernelConclusion(p: Part): string {
  if (p.stale === p.n) return 'the kernel treated them as non-extending';
  if (p.kernelUnknown === p.n) return 'whether the kernel took them for extending is not known';
  if (p.stale === 0 && p.kernelUnknown === 0) return 'the kernel sent extending writes in parallel';
  const unknown = p.kernelUnknown > 0 ? ` (its size was unknown for ${p.kernelUnknown})` : '';
  return `the kernel treated ${p.stale} of them as non-extending${unknown}`;
}

function reportRace(ep: Episode, p: Part, ctx: DetectorContext): void {
  const x = p.first!.x;
  const path = x.path ?? p.file.path;
  const hole = p.hole;
  const conclusion = kernelConclusion(p);
  const [kernelText, daemonText] = formatBytesPair(p.kernelSize, p.daemonSize);
  const kernelNote = Number.isNaN(p.kernelSize)
    ? "This mount's kernel size was unknown"
    : p.kernelSize === p.daemonSize ? "This mount's kernel believed the same" : `This mount's kernel still believed ${kernelText}`;
  const others = ep.parts.filter((o) => o !== p).map((o) => o.file.conn);
  ctx.report({
    messageId: hole ? 'hole' : 'extends',
    severity: hole ? 'error' : 'warning',
    data: {
      n: p.n, noun: writeNoun(p.tracks, p.n !== 1), path, sizes: p.minWrite === p.maxWrite ? formatBytes(p.maxWrite) : formatBytesPair(p.minWrite, p.maxWrite).join(' to '),
      offsets: p.n === 1 ? formatOffset(p.lo) : `offsets ${formatOffsetPair(p.lo, p.lastAt).join(' to ')}`, peak: ep.peak,
      together: p.together === p.n ? (p.n === 1 ? 'it was' : 'all') : String(p.together),
      span: formatDuration(Math.max(0, ep.tEnd - p.tFirst)), daemonSize: daemonText, kernelNote, conclusion,
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
  const total = p.hi - p.lo;
  ctx.report({
    messageId: 'split',
    severity: 'info',
    data: {
      noun: writeNoun(p.tracks, false), total: formatBytes(total), pid: ep.pid, path, n: p.n,
      from: formatOffsetPair(p.lo, p.hi)[0], to: formatOffsetPair(p.lo, p.hi)[1], daemonSize: formatBytes(p.daemonSize),
    },
    conn: x.conn,
    nodeid: p.file.nodeid,
    path,
    t: p.tFirst,
    uniques: p.uniques,
    details: {
      ...common(ep, p), pieces: p.n, size: total, grouped: true,
      grouping: 'one caller thread, contiguous byte ranges, in flight together: one write(2) cut into requests by the kernel',
    },
    shape: `WRITE split size=${sizeBucket(total)} ${p.hole ? 'hole' : 'extends'}`,
    tracks: p.tracks,
  });
}

export default defineDetector({
  id: 'parallel-write-beyond-size',
  meta: {
    summary: 'Writes in flight together on one file, reaching past the size the daemon had observed',
    severity: 'error',
    messages: {
      hole: '{{n}} {{noun}} to {{path}} ({{sizes}} at {{offsets}}) reached past the size of {{daemonSize}} the daemon had observed while writes to it ran in parallel ({{together}} in flight together with another, at most {{peak}} at the same moment, over {{span}}{{otherConns}}). {{kernelNote}}: {{conclusion}}. #{{unique}} at {{at}} starts {{gap}} beyond the end, leaving a hole',
      extends: '{{n}} {{noun}} to {{path}} ({{sizes}} at {{offsets}}) reached past the size of {{daemonSize}} the daemon had observed while writes to it ran in parallel ({{together}} in flight together with another, at most {{peak}} at the same moment, over {{span}}{{otherConns}}). {{kernelNote}}: {{conclusion}}',
      split: 'one {{noun}} of {{total}} by thread {{pid}} to {{path}} was split by the kernel into {{n}} requests sent together ({{from}} to {{to}}), past the daemon-observed size {{daemonSize}}: one extending write, not a race between writers',
    },
    opcodes: [Op.WRITE],
  },
  create(ctx) {
    /** The open episode of each group. */
    const open = new Map<SizeGroup, Episode>();
    /** Capture time of the last sweep for ended episodes. */
    let swept = -Infinity;
    const close = (g: SizeGroup, ep: Episode): void => {
      open.delete(g);
      report(ep, ctx);
    };
    /**
     * A write that reached past the size joins its group's episode when it was
     * in flight together with another write (which opens the episode if none
     * is open), or, alone, while the episode is open.
     */
    const judge = (tr: Track, tEnd: number): void => {
      if (tr.writeCache || tr.passthroughBlind || !tr.file || !isBeyond(tr.x)) return;
      const g = tr.file.group;
      let ep = open.get(g);
      if (ep === undefined) {
        if (tr.writesTogether === 0) return;
        open.set(g, (ep = new Episode()));
      }
      // The episode keeps the track (and may keep the exchange as its hole) until it ends.
      ctx.keep(tr.x);
      join(ep, tr, tEnd);
    };
    return {
      request(x, tr) {
        if (open.size === 0 || !tr?.file) return;
        const g = tr.file.group;
        const ep = open.get(g);
        // The first write after a quiet stretch ends the group's episode.
        if (ep !== undefined && g.writesInflight.length === 1 && x.tReq - ep.tIdle > EPISODE_QUIET_NS) close(g, ep);
        // Episodes of files no longer written end too (once per quiet stretch of capture time): memory stays bounded.
        if (x.tReq - swept > EPISODE_QUIET_NS) {
          swept = x.tReq;
          for (const [og, oep] of [...open]) if (og.writesInflight.length === 0 && x.tReq - oep.tIdle > EPISODE_QUIET_NS) close(og, oep);
        }
      },
      reply(x, tr) {
        if (!tr) return;
        judge(tr, x.tReply);
        if (open.size === 0 || !tr.file) return;
        const g = tr.file.group;
        if (g.writesInflight.length > 0) return;
        const ep = open.get(g);
        if (ep !== undefined) ep.tIdle = x.tReply;
      },
      end() {
        const t = ctx.state.tLast;
        for (const tr of ctx.state.inflightTracks()) if (tr.x.opcode === Op.WRITE) judge(tr, t);
        for (const [g, ep] of [...open]) close(g, ep);
      },
    };
  },
});
