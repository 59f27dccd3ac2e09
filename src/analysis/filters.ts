/**
 * Output filters of `analyze`/`export`/`check` (analysis.md: filters restrict
 * what is reported, never the reconstruction): files by path or nodeid,
 * connections, a time window (relative to the capture start, or absolute),
 * a minimum severity and a detector list. `parseFilters` turns the CLI
 * strings into `Filters` and throws `UsageError` naming the bad value and
 * the expected form.
 */
import { UsageError } from '../capture/errors.js';
import { DETECTOR_IDS } from '../detectors/index.js';
import { SEVERITIES, severityRank, type Severity } from '../model/finding.js';
import type { FilterModel } from '../model/analysis.js';
import { exactId, type Id } from '../model/id64.js';

/** A time bound: relative ns from the capture start, or absolute ns since the Unix epoch. */
export type TimeBound = { kind: 'relative'; ns: number; text: string } | { kind: 'absolute'; ns: bigint; text: string };

export interface Filters {
  /** Paths inside the mount (`/dir/file`; a directory also selects what is below it). */
  paths: string[];
  nodeids: Id[];
  conns: number[];
  since: TimeBound | undefined;
  until: TimeBound | undefined;
  minSeverity: Severity;
  /** Detector ids to run; null = all. */
  detectors: string[] | null;
}

export interface FilterCli {
  file?: string[];
  conn?: string[];
  since?: string;
  until?: string;
  minSeverity?: string;
  detectors?: string;
}

export const NO_FILTERS: Filters = { paths: [], nodeids: [], conns: [], since: undefined, until: undefined, minSeverity: 'info', detectors: null };

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, min: 60e9, h: 3600e9 };

/** Parses `2.5s`, `300ms`, `1500us`, `10` (seconds), ISO 8601 (`2026-11-24T23:10:02.5Z`) or `@<epoch ns>`. */
function parseTime(v: string, option: string): TimeBound {
  const s = v.trim();
  const rel = /^(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|s|m|min|h)?$/.exec(s);
  if (rel) {
    const ns = Math.round(Number(rel[1]) * UNIT_NS[rel[2] ?? 's']!);
    // A bare integer of 16+ digits is an epoch timestamp in ns.
    if (rel[2] === undefined && /^\d{16,}$/.test(s)) return { kind: 'absolute', ns: BigInt(s), text: s };
    return { kind: 'relative', ns, text: s };
  }
  const epoch = /^@(\d+)$/.exec(s);
  if (epoch) return { kind: 'absolute', ns: BigInt(epoch[1]!), text: s };
  const iso = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.exec(s);
  if (iso) {
    const ms = Date.parse(`${iso[1]!.replace(' ', 'T')}${iso[3] ?? ''}`);
    if (!Number.isNaN(ms)) {
      const frac = iso[2] ? BigInt((iso[2].slice(1) + '000000000').slice(0, 9)) : 0n;
      return { kind: 'absolute', ns: BigInt(ms) * 1_000_000n + frac, text: s };
    }
  }
  throw new UsageError(`${option} ${v}: not a time`,
    `expected a time relative to the capture start (2.5s, 300ms, 1500us, 10 = seconds), an ISO 8601 time (2026-11-24T23:10:02.5Z) or @<ns since the epoch>`);
}

/** CLI strings -> Filters; throws UsageError on a bad value. */
export function parseFilters(cli: FilterCli): Filters {
  const paths: string[] = [];
  const nodeids: Id[] = [];
  for (const raw of cli.file ?? []) {
    for (const f of raw.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (/^\d+$/.test(f) || /^0x[0-9a-f]+$/i.test(f)) {
        nodeids.push(exactId(BigInt(f)));
      } else if (f.startsWith('/')) {
        paths.push(f.length > 1 ? f.replace(/\/+$/, '') : f);
      } else {
        throw new UsageError(`--file ${f}: not a path inside the mount or a nodeid`,
          'expected a path as the daemon sees it, starting with / (/data/big.img), or a nodeid (1234 or 0x4d2)');
      }
    }
  }
  const conns: number[] = [];
  for (const raw of cli.conn ?? []) {
    for (const c of raw.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (!/^\d+$/.test(c)) throw new UsageError(`--conn ${c}: not a connection number`, 'expected a number from 0, as listed by `fusetrace analyze` (connections are numbered in input order)');
      conns.push(Number(c));
    }
  }
  const since = cli.since !== undefined ? parseTime(cli.since, '--since') : undefined;
  const until = cli.until !== undefined ? parseTime(cli.until, '--until') : undefined;
  if (since && until && since.kind === until.kind && since.ns > until.ns) {
    throw new UsageError(`--since ${since.text} is after --until ${until.text}`, 'give a window whose start precedes its end');
  }
  let minSeverity: Severity = 'info';
  if (cli.minSeverity !== undefined) {
    const s = cli.minSeverity.toLowerCase();
    const norm = s === 'warn' ? 'warning' : s;
    if (!(SEVERITIES as readonly string[]).includes(norm)) {
      throw new UsageError(`--min-severity ${cli.minSeverity}: not a severity`, `expected one of ${SEVERITIES.join(', ')}`);
    }
    minSeverity = norm as Severity;
  }
  let detectors: string[] | null = null;
  if (cli.detectors !== undefined) {
    detectors = cli.detectors.split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (detectors.length === 0) throw new UsageError('--detectors: empty list', `expected comma-separated kinds among: ${DETECTOR_IDS.join(', ')}`);
    for (const d of detectors) {
      if (!DETECTOR_IDS.includes(d)) throw new UsageError(`--detectors: unknown detector ${d}`, `known: ${DETECTOR_IDS.join(', ')}`);
    }
  }
  return { paths, nodeids, conns, since, until, minSeverity, detectors };
}

/**
 * `--file p` selects `path`: the same path, or a path below the directory p.
 * A name the path table marked after an UNLINK or a replacing RENAME
 * (`/d/f (deleted)`, `/d (deleted)/f`) is still selected by its plain path.
 */
function pathSelects(p: string, path: string): boolean {
  if (p === '/' || path === p) return true;
  if (!path.startsWith(p)) return false;
  const c = path[p.length];
  return c === '/' || (c === ' ' && path.startsWith(' (', p.length));
}

/** Filters with the time window resolved against the run's epoch. */
export class ResolvedFilters {
  readonly since: number | null;
  readonly until: number | null;
  readonly anyFile: boolean;
  private readonly nodeidSet: Set<string>;
  /** `--file` values no exchange has matched yet (see `noteFile`). */
  private readonly unseenFiles: Set<string>;

  constructor(readonly f: Filters, epochNs: bigint) {
    const rel = (b: TimeBound | undefined): number | null =>
      b === undefined ? null : b.kind === 'relative' ? b.ns : Number(b.ns - epochNs);
    this.since = rel(f.since);
    this.until = rel(f.until);
    this.anyFile = f.paths.length === 0 && f.nodeids.length === 0;
    this.nodeidSet = new Set(f.nodeids.map(String));
    this.unseenFiles = new Set([...f.paths, ...this.nodeidSet]);
  }

  /** Records which `--file` values an exchange of (nodeid, path) matches, for `misses`. */
  noteFile(nodeid: Id | string | number | null | undefined, path: string | null | undefined): void {
    if (this.unseenFiles.size === 0) return;
    if (nodeid !== null && nodeid !== undefined) this.unseenFiles.delete(String(nodeid));
    if (!path) return;
    for (const p of this.unseenFiles) {
      if (pathSelects(p, path)) this.unseenFiles.delete(p);
    }
  }

  /**
   * Filters that selected nothing, as sentences for stderr: `--file` values
   * no exchange matched, `--conn` numbers the captures do not have, a time
   * window outside [startT, endT].
   */
  misses(conns: readonly number[], startT: number, endT: number): string[] {
    const out: string[] = [];
    for (const v of this.unseenFiles) {
      out.push(`--file ${v} matches no file in the captures${v.startsWith('/') ? ' (paths are as the daemon saw them, e.g. /dir/file; a directory selects every file below it)' : ' (no exchange has this nodeid)'}`);
    }
    const have = new Set(conns);
    for (const c of this.f.conns) {
      if (!have.has(c)) out.push(`--conn ${c} matches no connection (the captures have ${conns.length === 0 ? 'none' : `connection${conns.length === 1 ? '' : 's'} ${[...have].sort((a, b) => a - b).join(', ')}`})`);
    }
    const span = `the captures span +0s to +${((endT - startT) / 1e9).toFixed(6)}s`;
    if (this.since !== null && this.since > endT) out.push(`--since ${this.f.since!.text} is after the last message (${span})`);
    if (this.until !== null && this.until < startT) out.push(`--until ${this.f.until!.text} is before the first message (${span})`);
    return out;
  }

  conn(c: number): boolean {
    return this.f.conns.length === 0 || this.f.conns.includes(c);
  }

  time(t: number): boolean {
    return (this.since === null || t >= this.since) && (this.until === null || t <= this.until);
  }

  /** A file, by nodeid or path (a directory path selects what is below it). */
  file(nodeid: Id | string | number | null | undefined, path: string | null | undefined): boolean {
    if (this.anyFile) return true;
    if (nodeid !== null && nodeid !== undefined && this.nodeidSet.has(String(nodeid))) return true;
    if (path) {
      for (const p of this.f.paths) {
        if (pathSelects(p, path)) return true;
      }
    }
    return false;
  }

  severity(s: Severity): boolean {
    return severityRank(s) >= severityRank(this.f.minSeverity);
  }

  detector(kind: string): boolean {
    return this.f.detectors === null || this.f.detectors.includes(kind);
  }

  model(): FilterModel {
    return {
      files: [...this.f.paths, ...this.f.nodeids.map(String)],
      conns: [...this.f.conns],
      since: this.since,
      until: this.until,
      minSeverity: this.f.minSeverity,
      detectors: this.f.detectors ? [...this.f.detectors] : null,
    };
  }
}
