/**
 * parallel-write-beyond-size: a WRITE (not a writeback-cache flush) in flight
 * together with another WRITE on the same or a correlated file, reaching
 * past the daemon-observed size at its t_req (the FOPEN_PARALLEL_DIRECT_WRITES
 * stale-size race of Linux 6.2+). Pieces of one write split by the kernel are
 * grouped and reported once at info severity.
 */
import type { Exchange } from '../pairing/exchange.js';
import { Op } from '../protocol/opcodes.js';
import type { SplitGroup, Track } from '../state/files.js';
import { formatBytes, formatOffset } from '../analysis/units.js';
import { defineDetector, type DetectorContext } from './define.js';
import { fopenNames, listSome, sizeBucket, writeEnd, writeNoun } from './common.js';

interface RunState {
  /** Split groups with at least one split-only piece beyond the size, not reported yet. */
  beyond: Map<SplitGroup, Track[]>;
}
const runs = new WeakMap<object, RunState>();
function run(ctx: DetectorContext<object>): RunState {
  let s = runs.get(ctx);
  if (!s) runs.set(ctx, (s = { beyond: new Map() }));
  return s;
}

function isBeyond(x: Exchange): boolean {
  return x.size > 0 && !Number.isNaN(x.offset) && !Number.isNaN(x.daemonSizeAtReq) && writeEnd(x) > x.daemonSizeAtReq;
}

function evaluate(tr: Track, ctx: DetectorContext<object>, flush = true): void {
  const x = tr.x;
  if (tr.writeCache || !tr.file) return;
  const rs = run(ctx);
  if (tr.concurrentCount > 0 && isBeyond(x)) {
    const others = tr.concurrentWrites ?? [];
    const splitOnly = tr.split !== undefined && tr.concurrentCount === others.length && others.every((o) => o.split === tr.split);
    if (splitOnly) {
      let l = rs.beyond.get(tr.split!);
      if (!l) rs.beyond.set(tr.split!, (l = []));
      l.push(tr);
    } else {
      reportOne(tr, others, ctx);
    }
  }
  if (flush && tr.split && tr.split.pending === 0) flushSplit(tr.split, ctx);
}

function reportOne(tr: Track, others: Track[], ctx: DetectorContext<object>): void {
  const x = tr.x;
  const daemon = x.daemonSizeAtReq;
  const kernel = x.kernelSizeAtReq;
  const end = writeEnd(x);
  const hole = x.offset > daemon;
  const stale = !Number.isNaN(kernel) && kernel >= end;
  const n = tr.concurrentCount + 1;
  const all = [tr, ...others];
  const offsets = [...new Set(all.map((t) => t.x.offset))].sort((a, b) => a - b).map(formatOffset);
  const kernelNote = Number.isNaN(kernel)
    ? "this mount's kernel size is unknown"
    : kernel === daemon ? `this mount's kernel believed the same` : `this mount's kernel still believed ${formatBytes(kernel)}`;
  ctx.report({
    messageId: hole ? 'hole' : 'extends',
    severity: hole ? 'error' : 'warning',
    data: {
      n, noun: writeNoun(all, true), path: x.path ?? tr.file!.path, offsets: listSome(offsets),
      daemonSize: formatBytes(daemon), kernelNote,
      conclusion: stale ? 'the kernel treated them as non-extending' : 'the kernel sent extending writes in parallel',
      unique: String(x.unique), at: formatOffset(x.offset), gap: formatBytes(hole ? x.offset - daemon : end - daemon),
    },
    conn: x.conn,
    nodeid: x.nodeid,
    path: x.path ?? tr.file!.path,
    t: x.tReq,
    uniques: [x.unique, ...others.map((o) => o.x.unique)],
    details: {
      offset: x.offset, size: x.size, end, daemonSize: daemon, kernelSize: Number.isNaN(kernel) ? null : kernel,
      startsBeyond: hole, beyondBy: hole ? x.offset - daemon : end - daemon,
      concurrent: others.map((o) => o.x.unique), concurrentCount: tr.concurrentCount,
      concurrentConns: [...new Set(others.map((o) => o.x.conn))],
      handleFlags: fopenNames(tr.fopen),
      kernelThoughtNonExtending: stale, callerPid: x.callerPid,
      replyError: x.replied ? x.error : null, replied: x.replied,
    },
    shape: `WRITE ${hole ? 'hole' : 'extends'} ${stale ? 'stale' : 'extending'} n=${n} size=${sizeBucket(x.size)}`,
    tracks: all,
  });
}

function flushSplit(s: SplitGroup, ctx: DetectorContext<object>): void {
  const rs = run(ctx);
  const beyond = rs.beyond.get(s);
  if (!beyond) return;
  rs.beyond.delete(s);
  const pieces = [...s.pieces].sort((a, b) => a.x.offset - b.x.offset);
  const first = pieces[0]!.x;
  const last = pieces[pieces.length - 1]!.x;
  const total = writeEnd(last) - first.offset;
  const daemon = Math.min(...pieces.map((p) => p.x.daemonSizeAtReq).filter((v) => !Number.isNaN(v)));
  const kernel = first.kernelSizeAtReq;
  const path = first.path ?? pieces[0]!.file?.path ?? null;
  ctx.report({
    messageId: 'split',
    severity: 'info',
    data: {
      noun: writeNoun(pieces, false), total: formatBytes(total), pid: first.callerPid, path: path ?? '?',
      n: pieces.length, from: formatOffset(first.offset), to: formatOffset(writeEnd(last)), daemonSize: formatBytes(daemon),
    },
    conn: first.conn,
    nodeid: first.nodeid,
    path,
    t: first.tReq,
    uniques: pieces.map((p) => p.x.unique),
    details: {
      grouped: true, offset: first.offset, size: total, end: writeEnd(last), pieces: pieces.map((p) => ({ unique: p.x.unique, offset: p.x.offset, size: p.x.size })),
      beyondPieces: beyond.map((p) => p.x.unique), daemonSize: daemon, kernelSize: Number.isNaN(kernel) ? null : kernel,
      kernelThoughtNonExtending: !Number.isNaN(kernel) && kernel >= writeEnd(last), callerPid: first.callerPid,
      handleFlags: fopenNames(pieces[0]!.fopen),
      grouping: 'same caller thread, same connection and file, contiguous byte ranges, in flight together: one write(2) cut into requests by the kernel',
    },
    shape: `WRITE split n=${pieces.length} size=${sizeBucket(total)} ${first.offset > daemon ? 'hole' : 'extends'}`,
    tracks: pieces,
  });
}

export default defineDetector({
  id: 'parallel-write-beyond-size',
  meta: {
    summary: 'Writes in flight together on one file, reaching past the size the daemon had observed',
    severity: 'error',
    messages: {
      hole: '{{n}} {{noun}} to {{path}} were in flight together at {{offsets}} while the daemon had observed a size of {{daemonSize}} ({{kernelNote}}): {{conclusion}}; #{{unique}} at {{at}} starts {{gap}} beyond the end, leaving a hole',
      extends: '{{n}} {{noun}} to {{path}} were in flight together at {{offsets}} while the daemon had observed a size of {{daemonSize}} ({{kernelNote}}): {{conclusion}}; #{{unique}} at {{at}} extends the file by {{gap}}',
      split: 'one {{noun}} of {{total}} by thread {{pid}} to {{path}} was split by the kernel into {{n}} requests sent together ({{from}} to {{to}}), past the daemon-observed size {{daemonSize}}: one extending write, not a race between writers',
    },
    opcodes: [Op.WRITE],
  },
  defaults: {},
  on: {
    reply(_x, tr, ctx) {
      if (tr) evaluate(tr, ctx);
    },
    end(ctx) {
      for (const tr of ctx.state.inflightTracks()) if (tr.x.opcode === Op.WRITE && tr.split) tr.split.pending--;
      for (const tr of ctx.state.inflightTracks()) if (tr.x.opcode === Op.WRITE) evaluate(tr, ctx, false);
      const rs = run(ctx);
      for (const s of [...rs.beyond.keys()]) flushSplit(s, ctx);
    },
  },
});
