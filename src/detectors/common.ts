/** Helpers the detectors share: names of flags, write ranges, wording; detectors of pairing problems and size reports. */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';
import type { PairingProblem, ProblemKind } from '../pairing/pairer.js';
import { formatFlags } from '../protocol/layout.js';
import { FOPEN_DIRECT_IO, FOPEN_FLAGS, O_DIRECT } from '../protocol/flags/open.js';
import { opcodeName } from '../protocol/opcodes.js';
import type { MovingReport, SizeReport, Track } from '../state/files.js';
import { formatBytes, formatOffset } from '../model/format.js';
import { defineDetector, type Detector, type DetectorContext, type DetectorMeta, type FindingInput } from './define.js';

/** Uniques (and timeline bars) kept per grouped finding (an episode); more are counted. */
export const EPISODE_UNIQUES_KEPT = 4096;

/** Write episodes end when no write that belongs to them was in flight on the file for this long (ns). */
export const EPISODE_QUIET_NS = 1e9;

/** FOPEN_* names of a flag word (empty when 0). */
export function fopenNames(v: number): string[] {
  if (v === 0) return [];
  return formatFlags(FOPEN_FLAGS, v).split('|');
}

/**
 * "direct writes" when every handle bypasses the page cache (FOPEN_DIRECT_IO
 * or O_DIRECT), "writes" when none does, "writes (2 direct)" when some do: a
 * run of write-through page-cache WRITEs must not be called direct because
 * one O_DIRECT write joined it.
 */
export function writeNoun(trs: Track[], plural: boolean): string {
  const direct = trs.filter((t) => (t.fopen & FOPEN_DIRECT_IO) !== 0 || (t.x.flags & O_DIRECT) !== 0).length;
  const noun = `write${plural ? 's' : ''}`;
  if (direct === 0) return noun;
  return direct === trs.length ? `direct ${noun}` : `${noun} (${direct} direct)`;
}

export function writeEnd(x: Exchange): number {
  return x.offset + x.size;
}

/** `3.0 GiB (64.0 KiB)`. */
export function describeRange(x: Exchange): string {
  return `${formatOffset(x.offset)} (${formatBytes(x.size)})`;
}


/** Power-of-two bucket of a byte count, for fingerprints ("64K", "1M"). */
export function sizeBucket(n: number): string {
  if (!(n > 0)) return '0';
  const e = Math.ceil(Math.log2(n));
  if (e >= 30) return `${2 ** (e - 30)}G`;
  if (e >= 20) return `${2 ** (e - 20)}M`;
  if (e >= 10) return `${2 ** (e - 10)}K`;
  return `${2 ** e}`;
}

/** Path of a pairing problem's exchange or nodeid, null when it has neither. */
function problemPath(p: { conn: number; nodeid: Id | undefined; exchange?: Exchange }, paths: (conn: number, nodeid: Id) => string): string | null {
  if (p.exchange?.path !== undefined) return p.exchange.path;
  if (p.nodeid === undefined || p.nodeid === 0) return null;
  return paths(p.conn, p.nodeid);
}

/** What a pairing-problem detector adds to the fields every such finding has. */
export type ProblemFinding = Omit<FindingInput, 'conn' | 'nodeid' | 'path' | 't'>;

/**
 * Declares the detector of one pairing-problem kind: it reports each problem
 * of that kind at the problem's connection, nodeid, path and time. `finding`
 * gets the opcode's name (`unknownOp` when the problem has none) and the path.
 */
export function fromProblem(d: {
  id: ProblemKind;
  meta: DetectorMeta;
  unknownOp: string;
  finding(p: PairingProblem, op: string, path: string | null, ctx: DetectorContext): ProblemFinding;
}): Detector {
  const { id, unknownOp, finding } = d;
  return defineDetector({
    id,
    meta: d.meta,
    create: (ctx) => ({
      problem(p) {
        if (p.kind !== id) return;
        const path = problemPath(p, (c, n) => ctx.state.conn(c).paths.path(n));
        const op = p.opcode !== undefined ? opcodeName(p.opcode) : unknownOp;
        ctx.report({ ...finding(p, op, path, ctx), conn: p.conn, nodeid: p.nodeid ?? null, path, t: p.t });
      },
    }),
  });
}

/** "" or " for /path". */
export function pathNote(path: string | null): string {
  return path ? ` for ${path}` : '';
}

/** What a size-report detector adds to the fields every such finding has. */
export type SizeReportFinding = Omit<FindingInput, 'conn' | 'nodeid' | 'path' | 't' | 'tracks'>;

/**
 * A `reportingReply` handler that reports, for each size report the reply carried
 * (`state.reportAt`), what `finding` makes of it (undefined: nothing), at the
 * reply's connection and time and the reported file's nodeid and path.
 */
export function eachSizeReport(
  ctx: DetectorContext,
  finding: (r: SizeReport, x: Exchange) => SizeReportFinding | undefined,
): (x: Exchange, tr: Track | undefined) => void {
  const st = ctx.state;
  return (x: Exchange, tr: Track | undefined): void => {
    const n = st.reportCount;
    for (let i = 0; i < n; i++) {
      const r = st.reportAt(i);
      // Reads and writes through a passthrough handle never cross FUSE: the sizes compared here may be behind (analysis.md "Passthrough").
      if (r.passthroughBlind) continue;
      const fi = finding(r, x);
      if (fi === undefined) continue;
      const f = r.file;
      ctx.report({ ...fi, conn: x.conn, nodeid: f.nodeid, path: f.path, t: x.tReply, tracks: tr ? [tr] : [] });
    }
  };
}

/**
 * The report before `r` when `r` takes the file back to the size it had
 * before that one, with nothing captured that changes a size between the
 * earlier request and this reply (no write, truncate or other size change
 * completed; no write or truncate in flight now; no two short READs showing
 * the data ending in different places): the daemon reported two
 * sizes for an unchanged file, and that earlier report is the odd one out.
 * Undefined otherwise.
 */
export function reportedBack(r: SizeReport, x: Exchange): MovingReport | undefined {
  const p = r.previous;
  if (p === undefined || r.predates !== undefined || p.size === p.before || r.size !== p.before) return undefined;
  const g = r.file.group;
  if (g.changing()) return undefined;
  if (g.tLastTruncate > p.tReq || g.changedDuring(p.tReq, x.tReply)) return undefined;
  // READs between the two reports showed the data ending in two places: the file did change.
  if (g.tContentMoved > p.tReq && g.tContentMoved <= x.tReply) return undefined;
  return p;
}
