/**
 * stale-size-write: writes that their connection's kernel believed were
 * inside the file (kernel_size >= offset + size) while the daemon-observed
 * size says they extend the file or start beyond its end: the kernel acted on
 * a stale size. One finding per file, connection and episode, an episode
 * lasting until no such write was in flight for EPISODE_QUIET_NS (as
 * parallel-write-beyond-size groups). An episode in which a stale write was
 * in flight together with another write is a parallel-write-beyond-size
 * episode, whose finding tells the stale size too: it is left to it.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';
import { Op } from '../protocol/opcodes.js';
import type { FileState, Track } from '../state/files.js';
import { formatBytes, formatBytesPair, formatOffset, formatOffsetPair } from '../model/format.js';
import { defineDetector, type DetectorContext } from './define.js';
import { EPISODE_QUIET_NS, EPISODE_UNIQUES_KEPT, fopenNames, sizeBucket, writeEnd, writeNoun } from './common.js';

/** The lone stale writes of one file and connection, until they fall quiet. */
class Run {
  n = 0;
  /** A write of it was in flight together with another write. */
  raced = false;
  /** The latest reply of its writes (or the end of the capture). */
  tEnd = -Infinity;
  readonly tracks: Track[] = [];
  lo = Infinity;
  hi = -Infinity;
  tFirst = Infinity;
  tLast = -Infinity;
  /** The write sent first, and the first (sent first) starting beyond the size. */
  first: Track;
  hole: Exchange | undefined = undefined;
  maxGap = 0;
  minWrite = Infinity;
  maxWrite = 0;
  lastAt = -Infinity;
  constructor(tr: Track) {
    this.first = tr;
  }
}

/** The kernel believed the write inside the file; the daemon-observed size says it reaches past the end. */
function isStale(x: Exchange): boolean {
  if (!(x.size > 0) || Number.isNaN(x.offset)) return false;
  const k = x.kernelSizeAtReq;
  const d = x.daemonSizeAtReq;
  const end = writeEnd(x);
  return !Number.isNaN(k) && !Number.isNaN(d) && k >= end && end > d;
}

function add(r: Run, tr: Track, tEnd: number): void {
  const x = tr.x;
  r.n++;
  if (tr.writesTogether > 0) r.raced = true;
  if (tEnd > r.tEnd) r.tEnd = tEnd;
  if (r.tracks.length < EPISODE_UNIQUES_KEPT) {
    r.tracks.push(tr);
    // The finding comes when the episode ends: its timeline bar must be kept now.
    tr.keepBar = true;
  }
  if (x.tReq < r.first.x.tReq) r.first = tr;
  if (x.offset < r.lo) r.lo = x.offset;
  if (writeEnd(x) > r.hi) r.hi = writeEnd(x);
  if (x.offset > r.lastAt) r.lastAt = x.offset;
  if (x.tReq < r.tFirst) r.tFirst = x.tReq;
  if (x.tReq > r.tLast) r.tLast = x.tReq;
  if (x.size > r.maxWrite) r.maxWrite = x.size;
  if (x.size < r.minWrite) r.minWrite = x.size;
  const gap = x.offset - x.daemonSizeAtReq;
  if (gap > 0) {
    if (!r.hole || x.tReq < r.hole.tReq) r.hole = x;
    if (gap > r.maxGap) r.maxGap = gap;
  }
}

function report(r: Run, ctx: DetectorContext): void {
  const x = r.first.x;
  const f = r.first.file!;
  const path = x.path ?? f.path;
  const d = x.daemonSizeAtReq;
  const hole = r.hole;
  // Writes join when they end: list them in the order they were sent.
  const uniques: Id[] = r.tracks.sort((a, b) => a.x.tReq - b.x.tReq).map((tr) => tr.x.unique);
  ctx.report({
    messageId: hole ? 'hole' : 'extends',
    data: {
      n: r.n, noun: writeNoun(r.tracks, r.n !== 1), path, they: r.n === 1 ? 'it' : 'they',
      sizes: r.minWrite === r.maxWrite ? formatBytes(r.maxWrite) : formatBytesPair(r.minWrite, r.maxWrite).join(' to '),
      offsets: r.n === 1 ? formatOffset(r.lo) : `offsets ${formatOffsetPair(r.lo, r.lastAt).join(' to ')}`,
      kernelSize: formatBytesPair(x.kernelSizeAtReq, d)[0], daemonSize: formatBytesPair(x.kernelSizeAtReq, d)[1],
      unique: hole ? String(hole.unique) : '', at: hole ? formatOffset(hole.offset) : '',
      gap: hole ? formatBytes(hole.offset - hole.daemonSizeAtReq) : formatBytes(r.hi - d),
    },
    conn: x.conn, nodeid: f.nodeid, path, t: r.tFirst,
    uniques,
    details: {
      writes: r.n, offsetFrom: r.lo, offsetTo: r.hi, tFirst: r.tFirst, tLast: r.tLast, tEnd: r.tEnd,
      uniques, uniquesOmitted: r.n - uniques.length, writeSizeMin: r.minWrite, writeSizeMax: r.maxWrite,
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
      hole: '{{n}} {{noun}} to {{path}} ({{sizes}} at {{offsets}}), one at a time: this mount\'s kernel believed the file was {{kernelSize}}, so {{they}} looked inside it, but the daemon had observed {{daemonSize}}; #{{unique}} at {{at}} starts {{gap}} beyond the real end',
      extends: '{{n}} {{noun}} to {{path}} ({{sizes}} at {{offsets}}), one at a time: this mount\'s kernel believed the file was {{kernelSize}}, so {{they}} looked inside it, but the daemon had observed {{daemonSize}}; {{they}} extended the file by {{gap}}',
    },
    opcodes: [Op.WRITE],
  },
  create(ctx) {
    const runs = new Map<FileState, Run>();
    const close = (f: FileState): void => {
      const r = runs.get(f);
      if (r === undefined) return;
      runs.delete(f);
      if (!r.raced) report(r, ctx);
    };
    // Judged when the write is over: only then is it known whether another write was in flight with it.
    const judge = (tr: Track, tEnd: number): void => {
      const f = tr.file;
      if (!f || tr.writeCache || tr.passthroughBlind || !isStale(tr.x)) return;
      let r = runs.get(f);
      if (r !== undefined && tr.x.tReq - r.tEnd > EPISODE_QUIET_NS) {
        close(f);
        r = undefined;
      }
      if (r === undefined) runs.set(f, (r = new Run(tr)));
      // The run keeps the track (and may keep the exchange as its hole) until it ends.
      ctx.keep(tr.x);
      add(r, tr, tEnd);
    };
    /** Capture time of the last sweep for ended episodes. */
    let swept = -Infinity;
    return {
      reply(x, tr) {
        if (tr) judge(tr, x.tReply);
        // Episodes of files no longer written end (once per quiet stretch of capture time): memory stays bounded.
        if (runs.size > 0 && x.tReply - swept > EPISODE_QUIET_NS) {
          swept = x.tReply;
          for (const [f, r] of [...runs]) if (f.group.writesInflight.length === 0 && x.tReply - r.tEnd > EPISODE_QUIET_NS) close(f);
        }
      },
      end() {
        const t = ctx.state.tLast;
        for (const tr of ctx.state.inflightTracks()) if (tr.x.opcode === Op.WRITE) judge(tr, t);
        for (const f of [...runs.keys()]) close(f);
      },
    };
  },
});
