/**
 * Baselines for CI (`fusetrace baseline`, `fusetrace check`): what a set of
 * recorded captures looked like, and the comparison of a new analysis with it.
 *
 * The file (schema `fusetrace.baseline/1`, docs/export-and-check.md) holds per
 * capture its findings by fingerprint (kind + path + the shape of the
 * requests involved: survives re-recording, unlike uniques and times), and
 * per connection and opcode the counts, error counts and latency
 * percentiles. It is written with a stable key order, one finding or opcode
 * per line, so that a change of the daemon shows as a readable diff.
 *
 * A regression: a finding the baseline does not have (at or above the
 * chosen severity), an error count or a latency percentile worse than the
 * tolerance AND worse by more than an absolute floor (so that microsecond
 * noise does not fail builds). Fixed findings and improvements beyond the
 * same thresholds are reported as good news.
 */
import { basename } from 'node:path';
import { UsageError } from '../capture/errors.js';
import { severityRank, SEVERITIES, type Severity } from '../model/finding.js';
import { errnoCountsByName, formatVerdictUs } from '../model/format.js';
import type { AnalysisModel } from '../model/analysis.js';
import { stringifyJson } from './json.js';
import { escapeControlsDeep } from './untrusted-text.js';

export const BASELINE_SCHEMA = 'fusetrace.baseline/1';
export const CHECK_SCHEMA = 'fusetrace.check/1';

export interface BaselineFinding {
  fingerprint: string;
  kind: string;
  severity: Severity;
  path: string | null;
  count: number;
  /** One message of the current run (not written to the baseline file: it names uniques). */
  example: string;
}

export interface BaselineOp {
  conn: number;
  op: string;
  opcode: number;
  count: number;
  replied: number;
  errors: number;
  /** Errors by errno name, as the file keys them (`{"ENOENT": 2}`). */
  errnos: Record<string, number>;
  p50_us: number | null;
  p90_us: number | null;
  p99_us: number | null;
  max_us: number | null;
}

export interface BaselineCapture {
  /** File names (no directories) joined with " + " for captures analysed together. */
  name: string;
  files: string[];
  findings: BaselineFinding[];
  ops: BaselineOp[];
}

export interface BaselineDoc {
  schema: typeof BASELINE_SCHEMA;
  tool: { name: 'fusetrace'; version: string };
  /**
   * The finding kinds (detectors) that made the baseline, sorted; absent in
   * baselines of older fusetrace versions. `check` takes a finding of a kind
   * outside it for the tool's news, not the daemon's.
   */
  detectors?: string[];
  captures: BaselineCapture[];
}

/** The name a capture (or a group analysed together) has in a baseline. */
export function captureName(files: readonly string[]): string {
  return files.map((f) => basename(f)).join(' + ');
}

const round1 = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10) / 10);

const sortedRecord = (r: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));

/** The baseline entry of one analysis. */
export function baselineCapture(files: readonly string[], model: AnalysisModel): BaselineCapture {
  const byFp = new Map<string, BaselineFinding>();
  for (const f of model.findings) {
    const b = byFp.get(f.fingerprint);
    if (b) {
      b.count++;
      if (severityRank(f.severity) > severityRank(b.severity)) b.severity = f.severity;
    } else {
      byFp.set(f.fingerprint, { fingerprint: f.fingerprint, kind: f.kind, severity: f.severity, path: f.path, count: 1, example: f.message });
    }
  }
  const findings = [...byFp.values()].sort((a, b) => cmp(a.fingerprint, b.fingerprint));
  const ops: BaselineOp[] = model.ops
    .map((o) => ({
      conn: o.conn,
      op: o.name,
      opcode: o.opcode,
      count: o.count,
      replied: o.replied,
      errors: o.errors,
      errnos: sortedRecord(errnoCountsByName(o.errnos)),
      p50_us: round1(o.latencyUs?.p50),
      p90_us: round1(o.latencyUs?.p90),
      p99_us: round1(o.latencyUs?.p99),
      max_us: round1(o.latencyUs?.max),
    }))
    .sort((a, b) => a.conn - b.conn || a.opcode - b.opcode);
  return { name: captureName(files), files: files.map((f) => basename(f)), findings, ops };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function baselineDoc(version: string, captures: BaselineCapture[], detectors: readonly string[]): BaselineDoc {
  return {
    schema: BASELINE_SCHEMA, tool: { name: 'fusetrace', version }, detectors: [...detectors].sort(cmp),
    captures: [...captures].sort((a, b) => cmp(a.name, b.name)),
  };
}

/** Stable, diff-friendly text: one capture key, finding or opcode per line. */
export function renderBaseline(doc: BaselineDoc): string {
  const j = (v: unknown): string => stringifyJson(v);
  const lines: string[] = ['{', `  "schema": ${j(doc.schema)},`, `  "tool": ${j(doc.tool)},`];
  if (doc.detectors) lines.push(`  "detectors": ${j(doc.detectors)},`);
  lines.push('  "captures": [');
  doc.captures.forEach((c, ci) => {
    lines.push('    {', `      "name": ${j(c.name)},`, `      "files": ${j(c.files)},`);
    lines.push(`      "findings": [${c.findings.length ? '' : '],'}`);
    c.findings.forEach((f, i) => {
      // No example message in the file: messages name uniques and times, which change on every re-recording.
      const rec = { fingerprint: f.fingerprint, kind: f.kind, severity: f.severity, path: f.path, count: f.count };
      lines.push(`        ${j(rec)}${i < c.findings.length - 1 ? ',' : ''}`);
    });
    if (c.findings.length) lines.push('      ],');
    lines.push(`      "ops": [${c.ops.length ? '' : ']'}`);
    c.ops.forEach((o, i) => {
      const rec = {
        conn: o.conn, op: o.op, opcode: o.opcode, count: o.count, replied: o.replied, errors: o.errors, errnos: o.errnos,
        p50_us: o.p50_us, p90_us: o.p90_us, p99_us: o.p99_us, max_us: o.max_us,
      };
      lines.push(`        ${j(rec)}${i < c.ops.length - 1 ? ',' : ''}`);
    });
    if (c.ops.length) lines.push('      ]');
    lines.push(`    }${ci < doc.captures.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]', '}');
  return lines.join('\n') + '\n';
}

/** Reads and validates a baseline file's text. */
export function parseBaseline(text: string, file: string): BaselineDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON: ${(e as Error).message}`, 'make a baseline with `fusetrace baseline CAPTURE... -o FILE`');
  }
  const d = doc as Partial<BaselineDoc>;
  if (!d || typeof d !== 'object' || d.schema !== BASELINE_SCHEMA) {
    throw new UsageError(`${file}: schema ${JSON.stringify(d?.schema)}, expected "${BASELINE_SCHEMA}"`, 'make a baseline with `fusetrace baseline CAPTURE... -o FILE`');
  }
  if (!Array.isArray(d.captures)) throw new UsageError(`${file}: "captures" is missing or not a list`);
  if (d.detectors !== undefined && !(Array.isArray(d.detectors) && d.detectors.every((k) => typeof k === 'string'))) {
    throw new UsageError(`${file}: "detectors" is not a list of finding kinds`);
  }
  for (const [i, c] of d.captures.entries()) {
    if (typeof c?.name !== 'string' || !Array.isArray(c.findings) || !Array.isArray(c.ops)) {
      throw new UsageError(`${file}: captures[${i}] needs "name", "findings" and "ops"`);
    }
  }
  return d as BaselineDoc;
}

// --- check ------------------------------------------------------------------------------

export interface Thresholds {
  /** Relative tolerance: 0.25 = 25% worse is still fine. */
  tolerance: number;
  /** Latency differences up to this many µs never count. */
  latencyFloorUs: number;
  /** Error-count differences up to this never count. */
  errorFloor: number;
  /** Percentiles are compared only with at least this many replies on both sides. */
  minSamples: number;
  /** New findings below this severity are notes, not regressions. */
  failOn: Severity;
}

export const DEFAULT_THRESHOLDS: Thresholds = { tolerance: 0.25, latencyFloorUs: 100, errorFloor: 0, minSamples: 10, failOn: 'warning' };

export type CheckName = 'findings' | 'errors' | 'latency';
export const CHECKS: readonly CheckName[] = ['findings', 'errors', 'latency'];

export interface CheckItem {
  kind: 'regression' | 'improvement' | 'note';
  /** What it is about: a fingerprint, `conn 0 LOOKUP (1)`, `conn 0 WRITE (16) p99`. */
  subject: string;
  message: string;
  baseline: number | null;
  current: number | null;
  /** For findings: kind, severity, path. */
  finding?: { kind: string; severity: Severity; path: string | null; fingerprint: string; count: number };
}

export interface CaptureCheck {
  name: string;
  files: string[];
  /** The capture has no entry in the baseline (compared with an empty one). */
  newCapture: boolean;
  checks: Record<CheckName, { status: 'pass' | 'fail' | 'skipped'; items: CheckItem[]; reason?: string }>;
  status: 'pass' | 'fail';
}

export interface CheckReport {
  schema: typeof CHECK_SCHEMA;
  verdict: 'pass' | 'fail';
  baseline: string | null;
  thresholds: Thresholds;
  regressions: number;
  improvements: number;
  captures: CaptureCheck[];
  /** Baseline captures that this run did not check. */
  unchecked: string[];
}

const worse = (cur: number, base: number, tol: number, floor: number): boolean => cur > base * (1 + tol) && cur - base > floor;

/**
 * The finding kinds each side ran (the baseline's `detectors`, the current
 * run's): a finding of a kind the other side did not run is no change of the
 * daemon's. Undefined: not known (a baseline of an older fusetrace).
 */
export interface KindsRun {
  baseline: ReadonlySet<string> | undefined;
  current: ReadonlySet<string> | undefined;
}

/** Compares one analysed capture with its baseline entry (or none). */
export function compareCapture(cur: BaselineCapture, base: BaselineCapture | undefined, th: Thresholds, kinds: KindsRun = { baseline: undefined, current: undefined }): CaptureCheck {
  const checks: CaptureCheck['checks'] = {
    findings: { status: 'pass', items: [] },
    errors: { status: 'pass', items: [] },
    latency: { status: 'pass', items: [] },
  };
  // Findings by fingerprint.
  const baseFp = new Map((base?.findings ?? []).map((f) => [f.fingerprint, f]));
  const curFp = new Map(cur.findings.map((f) => [f.fingerprint, f]));
  for (const f of cur.findings) {
    const b = baseFp.get(f.fingerprint);
    const finding = { kind: f.kind, severity: f.severity, path: f.path, fingerprint: f.fingerprint, count: f.count };
    const where = f.path ? ` on ${f.path}` : '';
    if (!b && kinds.baseline !== undefined && !kinds.baseline.has(f.kind)) {
      checks.findings.items.push({
        kind: 'note',
        subject: f.fingerprint,
        message: `${f.severity} finding ${f.kind}${where}${f.count > 1 ? ` (×${f.count})` : ''}, a kind the baseline did not look for (make the baseline again to compare it): ${f.example}`,
        baseline: null, current: f.count, finding,
      });
    } else if (!b) {
      const counts = severityRank(f.severity) >= severityRank(th.failOn);
      checks.findings.items.push({
        kind: counts ? 'regression' : 'note',
        subject: f.fingerprint,
        message: `new ${f.severity} finding ${f.kind}${where}${f.count > 1 ? ` (×${f.count})` : ''}: ${f.example}`,
        baseline: 0, current: f.count, finding,
      });
    } else if (f.count !== b.count) {
      checks.findings.items.push({
        kind: 'note', subject: f.fingerprint,
        message: `${f.kind}${where} occurs ${f.count}× (baseline ${b.count}×)`, baseline: b.count, current: f.count, finding,
      });
    }
  }
  for (const b of base?.findings ?? []) {
    // Not looked for this time (--detectors, or a detector fusetrace no longer has): not fixed.
    if (curFp.has(b.fingerprint) || (kinds.current !== undefined && !kinds.current.has(b.kind))) continue;
    checks.findings.items.push({
      kind: 'improvement', subject: b.fingerprint,
      message: `fixed: ${b.severity} finding ${b.kind}${b.path ? ` on ${b.path}` : ''} is gone`,
      baseline: b.count, current: 0,
      finding: { kind: b.kind, severity: b.severity, path: b.path, fingerprint: b.fingerprint, count: 0 },
    });
  }
  // Errors and latency by (conn, opcode).
  if (!base) {
    checks.errors = { status: 'skipped', items: [], reason: 'the capture is not in the baseline' };
    checks.latency = { status: 'skipped', items: [], reason: 'the capture is not in the baseline' };
  } else {
    const key = (o: BaselineOp): string => `${o.conn}:${o.opcode}`;
    const baseOps = new Map(base.ops.map((o) => [key(o), o]));
    let compared = 0;
    for (const o of cur.ops) {
      const b = baseOps.get(key(o));
      const label = `conn ${o.conn} ${o.op} (${o.opcode})`;
      if (!b) {
        if (o.errors > th.errorFloor) checks.errors.items.push({ kind: 'regression', subject: label, message: `${label}: ${o.errors} errors, and the baseline has no ${o.op} at all`, baseline: null, current: o.errors });
        continue;
      }
      if (worse(o.errors, b.errors, th.tolerance, th.errorFloor)) {
        checks.errors.items.push({ kind: 'regression', subject: label, message: `${label}: ${o.errors} errors (baseline ${b.errors})${errnoDiff(o.errnos, b.errnos)}`, baseline: b.errors, current: o.errors });
      } else if (worse(b.errors, o.errors, th.tolerance, th.errorFloor)) {
        checks.errors.items.push({ kind: 'improvement', subject: label, message: `${label}: ${o.errors} errors (baseline ${b.errors})`, baseline: b.errors, current: o.errors });
      }
      if (o.replied < th.minSamples || b.replied < th.minSamples) continue;
      compared++;
      for (const p of ['p50_us', 'p90_us', 'p99_us'] as const) {
        const c = o[p];
        const v = b[p];
        if (c === null || v === null) continue;
        const pn = p.slice(0, 3);
        if (worse(c, v, th.tolerance, th.latencyFloorUs)) {
          checks.latency.items.push({ kind: 'regression', subject: `${label} ${pn}`, message: `${label} ${pn} latency ${formatVerdictUs(c)} (baseline ${formatVerdictUs(v)}, +${pct(c, v)})`, baseline: v, current: c });
        } else if (worse(v, c, th.tolerance, th.latencyFloorUs)) {
          checks.latency.items.push({ kind: 'improvement', subject: `${label} ${pn}`, message: `${label} ${pn} latency ${formatVerdictUs(c)} (baseline ${formatVerdictUs(v)}, ${pct(c, v)})`, baseline: v, current: c });
        }
      }
    }
    const curKeys = new Set(cur.ops.map(key));
    for (const b of base.ops) {
      if (!curKeys.has(key(b))) checks.errors.items.push({ kind: 'note', subject: `conn ${b.conn} ${b.op} (${b.opcode})`, message: `conn ${b.conn} ${b.op} (${b.opcode}) no longer appears (baseline ${b.count})`, baseline: b.count, current: 0 });
    }
    if (compared === 0) checks.latency = { status: 'skipped', items: checks.latency.items, reason: `no opcode has ${th.minSamples} replies on both sides` };
  }
  for (const c of CHECKS) {
    if (checks[c].items.some((i) => i.kind === 'regression')) checks[c].status = 'fail';
  }
  const status = CHECKS.some((c) => checks[c].status === 'fail') ? 'fail' : 'pass';
  return { name: cur.name, files: cur.files, newCapture: !base, checks, status };
}

/** `--expect-clean`: no baseline; any finding at or above `failOn` fails. */
export function checkClean(cur: BaselineCapture, th: Thresholds): CaptureCheck {
  const items: CheckItem[] = cur.findings.map((f) => {
    const counts = severityRank(f.severity) >= severityRank(th.failOn);
    return {
      kind: counts ? 'regression' : 'note',
      subject: f.fingerprint,
      message: `${f.severity} finding ${f.kind}${f.path ? ` on ${f.path}` : ''}${f.count > 1 ? ` (×${f.count})` : ''}: ${f.example}`,
      baseline: null, current: f.count,
      finding: { kind: f.kind, severity: f.severity, path: f.path, fingerprint: f.fingerprint, count: f.count },
    };
  });
  const failed = items.some((i) => i.kind === 'regression');
  const skipped = { status: 'skipped' as const, items: [], reason: '--expect-clean compares no numbers' };
  return {
    name: cur.name, files: cur.files, newCapture: false,
    checks: { findings: { status: failed ? 'fail' : 'pass', items }, errors: skipped, latency: { ...skipped, items: [] } },
    status: failed ? 'fail' : 'pass',
  };
}

export function checkReport(captures: CaptureCheck[], baseline: string | null, th: Thresholds, unchecked: string[]): CheckReport {
  let regressions = 0;
  let improvements = 0;
  for (const c of captures) for (const n of CHECKS) for (const i of c.checks[n].items) {
    if (i.kind === 'regression') regressions++;
    else if (i.kind === 'improvement') improvements++;
  }
  return {
    schema: CHECK_SCHEMA, verdict: regressions ? 'fail' : 'pass', baseline, thresholds: th, regressions, improvements, captures, unchecked,
  };
}

function errnoDiff(cur: Record<string, number>, base: Record<string, number>): string {
  const parts: string[] = [];
  for (const k of new Set([...Object.keys(cur), ...Object.keys(base)])) {
    const d = (cur[k] ?? 0) - (base[k] ?? 0);
    if (d > 0) parts.push(`${k} +${d}`);
  }
  return parts.length ? `: ${parts.join(', ')}` : '';
}

const pct = (c: number, b: number): string => (b === 0 ? '∞' : `${Math.round(((c - b) / b) * 100)}%`);

/** Parses `25%` or `0.25`. */
export function parseTolerance(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v);
  if (!m) throw new UsageError(`--tolerance ${v}: expected a percentage such as 25%`);
  const n = Number(m[1]);
  return m[2] ? n / 100 : n;
}

/** Parses a duration into µs: `100us`, `100µs`, `2ms`, `0`, `1s`, a bare number = µs. */
export function parseDurationUs(v: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?\s*$/.exec(v);
  if (!m) throw new UsageError(`${option} ${v}: expected a duration such as 100us or 2ms`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'ns': return n / 1000;
    case 'ms': return n * 1000;
    case 's': return n * 1e6;
    default: return n;
  }
}

export function parseCount(v: string, option: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option} ${v}: expected a whole number >= 0`);
  return n;
}

export { SEVERITIES };

// --- the human verdict ---------------------------------------------------------------------

/** Short verdict for people: the result first, then regressions, good news and notes per capture. */
export function renderCheckText(r: CheckReport, p: { red(s: string): string; green(s: string): string; yellow(s: string): string; bold(s: string): string; dim(s: string): string }): string {
  r = escapeControlsDeep(r);
  const out: string[] = [];
  const th = r.thresholds;
  const against = r.baseline ? `against ${r.baseline} (tolerance ${Math.round(th.tolerance * 100)}%, floors ${th.latencyFloorUs} µs and ${th.errorFloor} errors, new findings from ${th.failOn})` : `--expect-clean (findings from ${th.failOn} fail)`;
  const head = r.verdict === 'fail'
    ? p.red(p.bold(`FAIL: ${r.regressions} regression${r.regressions === 1 ? '' : 's'}`))
    : p.green(p.bold('PASS'));
  const good = r.improvements ? `, ${r.improvements} improvement${r.improvements === 1 ? '' : 's'}` : '';
  out.push(`fusetrace check: ${head}${good}, ${r.captures.length} capture${r.captures.length === 1 ? '' : 's'} ${against}`);
  for (const c of r.captures) {
    const note = c.newCapture ? p.yellow(' (not in the baseline: compared with an empty one)') : '';
    out.push(`  ${p.bold(c.name)}: ${c.status === 'fail' ? p.red('FAIL') : p.green('ok')}${note}`);
    for (const name of CHECKS) {
      for (const i of c.checks[name].items) {
        if (i.kind === 'regression') out.push(`    ${p.red(r.baseline ? 'worse ' : 'found ')} ${i.message}`);
      }
    }
    for (const name of CHECKS) {
      for (const i of c.checks[name].items) {
        if (i.kind === 'improvement') out.push(`    ${p.green('better')} ${i.message}`);
      }
    }
    for (const name of CHECKS) {
      for (const i of c.checks[name].items) {
        if (i.kind === 'note') out.push(p.dim(`    note   ${i.message}`));
      }
    }
  }
  for (const u of r.unchecked) out.push(p.dim(`  ${u}: in the baseline but not given to this check`));
  return out.join('\n') + '\n';
}
