/**
 * The human report of `fusetrace analyze`: renders the neutral
 * `AnalysisModel` (docs/spec/analysis.md "Outputs"), nothing computed here beyond
 * ordering, grouping and formatting. Sections, in reading order: what was
 * read, connections and the INIT facts that matter, time span and counts,
 * requests by opcode (latency percentiles, errors by errno), the busiest
 * files (concurrency, size views and a compact size history), findings worst
 * first (grouped when many), and what the capture cannot show.
 */
import { opcodeByName } from '../protocol/opcodes.js';
import { formatBound, palette, percent, plural, renderTable, type Column, type Palette } from './format.js';
import {
  errnoLabel, formatAbsolute, formatBytes, formatDuration, formatLatencyUs, formatRel, formatSizeExact,
} from '../model/format.js';
import { formatId, type Id } from '../model/id64.js';
import { severityRank, type Finding, type Severity } from '../model/finding.js';
import type { AnalysisModel, ConnectionModel, FileModel, OpStatsModel } from '../model/analysis.js';
import type { SizeEvent } from '../model/size-event.js';
import { escapeControlsDeep } from './untrusted-text.js';

export interface TextOptions {
  color?: boolean;
  /** Busiest files shown (files with findings are added up to `maxFiles + 3`). */
  maxFiles?: number;
  /** Findings shown per (kind, path, severity) group before "and N more". */
  perGroup?: number;
  /** Size-history events shown per file (first and last halves). */
  sizeEvents?: number;
  /** Latency histograms shown (for the opcodes with the most replies). */
  histograms?: number;
}

/** `LOOKUP (1)` for an opcode row of the model. */
function opLabel(name: string, opcode?: number): string {
  const code = opcode ?? opcodeByName(name)?.code;
  return code === undefined ? name : `${name} (${code})`;
}

const yesNo = (v: boolean | undefined): string => (v === undefined ? 'unknown' : v ? 'yes' : 'no');

export function renderText(model: AnalysisModel, opts: TextOptions = {}): string {
  model = escapeControlsDeep(model);
  const p = palette(opts.color ?? false);
  const out: string[] = [];
  const start = model.span.startT;
  const multiConn = model.connections.length > 1;

  // --- title and filters ------------------------------------------------------
  out.push(p.bold(`fusetrace ${model.tool.version} · ${plural(model.inputs.length, 'capture')} · ${plural(model.connections.length, 'connection')} · ${formatDuration(model.span.durationNs, 'table')}`));
  const filt = describeFilters(model);
  if (filt) out.push(p.dim(`filters: ${filt}`));

  // --- inputs -------------------------------------------------------------------
  section(out, p, 'Captures');
  for (const inp of model.inputs) {
    const conns = inp.connections.length ? `conn ${inp.connections.join(', ')}` : 'no FUSE connection';
    const size = inp.compression ? `${inp.compression}-compressed, ${formatBytes(inp.bytes, 'table')} decompressed` : formatBytes(inp.bytes, 'table');
    out.push(`  ${inp.file}  ${inp.format}, ${size}, ${plural(inp.messages, 'message')}, ${conns}`);
    const of = inp.compression ? ' of the decompressed data' : '';
    for (const n of inp.notices.slice(0, 5)) out.push(p.yellow(`    note: ${n.message} (block #${n.blockNo} at byte ${n.offset}${of})`));
    if (inp.notices.length > 5) out.push(p.yellow(`    and ${inp.notices.length - 5} more notes`));
  }

  // --- connections ----------------------------------------------------------------
  section(out, p, 'Connections');
  for (const c of model.connections) out.push(...renderConnection(c, p, model.span.startT));
  if (model.connections.length === 0) out.push('  none');

  // --- span and counts --------------------------------------------------------------
  section(out, p, 'Time span');
  out.push(`  ${formatAbsolute(model.epochNs, model.span.startT)} .. ${formatAbsolute(model.epochNs, model.span.endT)}  (${formatDuration(model.span.durationNs, 'table')})`);
  const s = model.summary;
  section(out, p, 'Counts');
  out.push(`  ${plural(s.messages, 'message')}: ${plural(s.requests, 'request')}, ${plural(s.replies, 'reply', 'replies')}, ${plural(s.notifications, 'notification')}`);
  const health = `${s.unanswered} unanswered, ${plural(s.orphanReplies, 'orphan reply', 'orphan replies')}, ${s.malformed} malformed`;
  out.push(`  ${plural(s.exchanges, 'exchange')} (${s.unanswered || s.orphanReplies || s.malformed ? p.yellow(health) : health}); ${plural(s.files, 'file')}`);

  // --- per opcode ---------------------------------------------------------------------
  section(out, p, 'Requests by opcode');
  const mf = model.filters;
  if (mf.files.length > 0 || mf.since !== null || mf.until !== null) out.push(p.dim('  only the exchanges of the selected files whose request is inside the time window'));
  out.push(...renderOps(model.ops, multiConn, p));
  out.push(...renderHistograms(model.ops, opts.histograms ?? 3, multiConn, p));

  // --- files --------------------------------------------------------------------------
  section(out, p, 'Busiest files');
  const files = pickFiles(model.files, opts.maxFiles ?? 5);
  if (files.length === 0) out.push('  none');
  for (const f of files) out.push(...renderFile(f, model, p, opts.sizeEvents ?? 8));
  const notShown = model.files.length - files.length + model.filesOmitted;
  if (notShown > 0) out.push(p.dim(`  and ${plural(notShown, 'more file')} (\`fusetrace export --table files\` lists every file)`));

  // --- findings -------------------------------------------------------------------------
  const f = s.findings;
  section(out, p, `Findings (${plural(f.error, 'error')}, ${plural(f.warning, 'warning')}, ${f.info} info)`);
  out.push(...renderFindings(model.findings, start, p, opts.perGroup ?? 3));
  const omitted = Object.entries(model.findingsOmitted).filter(([, n]) => n > 0);
  if (omitted.length) {
    const total = omitted.reduce((a, [, n]) => a + n, 0);
    out.push(p.dim(`  not shown: ${plural(total, 'finding')} left out by the filters or caps (${omitted.map(([k, n]) => `${k} ${n}`).join(', ')})`));
  }

  // --- limitations ------------------------------------------------------------------------
  section(out, p, 'What this capture cannot show');
  if (model.limitations.length === 0) out.push('  nothing known: no sign of io_uring, passthrough, snapping, a late start, a cut or drops');
  for (const l of model.limitations) out.push(p.yellow(`  - ${l.conn !== null ? `conn ${l.conn}: ` : ''}${l.message}`));

  return out.join('\n') + '\n';
}

function section(out: string[], p: Palette, title: string): void {
  out.push('', p.bold(title));
}

function describeFilters(m: AnalysisModel): string {
  const f = m.filters;
  const parts: string[] = [];
  if (f.files.length) parts.push(`file ${f.files.join(', ')}`);
  if (f.conns.length) parts.push(`conn ${f.conns.join(', ')}`);
  if (f.since !== null) parts.push(`since ${formatRel(f.since, m.span.startT)}`);
  if (f.until !== null) parts.push(`until ${formatRel(f.until, m.span.startT)}`);
  if (f.minSeverity !== 'info') parts.push(`min severity ${f.minSeverity}`);
  if (f.detectors) parts.push(`detectors ${f.detectors.join(',')}`);
  return parts.join('; ');
}

function renderConnection(c: ConnectionModel, p: Palette, startT: number): string[] {
  const out: string[] = [];
  const label = c.label ? ` "${c.label}"` : '';
  out.push(`  ${p.bold(`conn ${c.conn}`)}  ${c.name}${label}  (${c.file})`);
  const pr = c.protocol;
  const src = pr.source === 'init' ? 'from INIT' : pr.source === 'user' ? 'from --proto' : p.yellow('assumed: no INIT in the capture');
  const sides = [pr.kernel ? `kernel ${pr.kernel}` : undefined, pr.daemon ? `daemon ${pr.daemon}` : undefined].filter(Boolean).join(', ');
  out.push(`    protocol ${pr.negotiated}${sides ? ` (${sides})` : ''}, ${src}${c.hardware ? `; recorded on ${c.hardware}` : ''}`);
  const n = c.notable;
  const facts = [
    `parallel dirops: ${yesNo(n.parallelDirops)}`,
    `async DIO: ${yesNo(n.asyncDio)}`,
    `writeback cache: ${yesNo(n.writebackCache)}`,
    `max_write: ${pr.maxWrite === undefined ? 'unknown' : formatSizeExact(pr.maxWrite)}`,
  ];
  if (n.overIoUring) facts.push(p.yellow('io_uring: yes'));
  if (n.passthrough) facts.push(p.yellow('passthrough: yes'));
  out.push(`    ${facts.join('   ')}`);
  const flags = pr.flags.filter((x) => x !== 'FUSE_INIT_EXT');
  if (flags.length) out.push(p.dim(`    INIT flags: ${flags.join('|')}`));
  const drops = c.drops ? p.yellow(`; ${c.drops} dropped by the recorder`) : '';
  out.push(`    ${plural(c.messages, 'message')}: ${c.requests} requests, ${c.replies} replies, ${plural(c.notifications, 'notification')}; ${plural(c.threads, 'daemon thread')}; peak ${c.peakInflight} in flight${drops}`);
  const q = c.queue;
  if (q) {
    // Next to the daemon's in-flight depth: what the kernel itself held (fusectl), against its limits.
    const over = (ns: number, what: string): string => (ns > 0 ? p.yellow(`${formatDuration(ns, 'table')} at or above ${what}`) : `never at ${what}`);
    out.push(`    kernel queue (fusectl, ${plural(q.sampleCount, 'sample')}): waiting peak ${q.peakWaiting} at ${formatRel(q.peakWaitingT, startT)} ` +
      `(max_background ${q.maxBackground}, congestion_threshold ${q.congestionThreshold}; daemon peak ${c.peakInflight} in flight); ` +
      `${over(q.congestedNs, 'the congestion threshold')}, ${over(q.fullNs, 'max_background')}`);
  }
  return out;
}

function renderOps(ops: readonly OpStatsModel[], multiConn: boolean, p: Palette): string[] {
  if (ops.length === 0) return ['  none'];
  const rows = [...ops].sort((a, b) => a.conn - b.conn || b.count - a.count || a.opcode - b.opcode);
  const errnoCell = (o: OpStatsModel): string =>
    o.errnos.map((e) => `${errnoLabel(e)} ×${e.count}`).join(', ');
  const cols: Column<OpStatsModel>[] = [];
  if (multiConn) cols.push({ header: 'conn', align: 'right', cell: (o) => String(o.conn) });
  cols.push(
    { header: 'opcode', align: 'left', cell: (o) => opLabel(o.name, o.opcode) },
    { header: 'count', align: 'right', cell: (o) => String(o.count) },
    { header: 'errors', align: 'right', cell: (o) => String(o.errors), paint: (t, o) => (o.errors ? p.yellow(t) : t) },
    { header: 'p50', align: 'right', cell: (o) => formatLatencyUs(o.latencyUs?.p50) },
    { header: 'p90', align: 'right', cell: (o) => formatLatencyUs(o.latencyUs?.p90) },
    { header: 'p99', align: 'right', cell: (o) => formatLatencyUs(o.latencyUs?.p99) },
    { header: 'max', align: 'right', cell: (o) => formatLatencyUs(o.latencyUs?.max) },
    { header: 'errors by errno', align: 'left', cell: errnoCell },
  );
  const out = renderTable(cols, rows, p);
  out.push(p.dim('  latency: from the daemon reading the request to it writing the reply; "-": no reply'));
  return out;
}

/** Log2 histograms, bpftrace style: `[lo, hi)` labels, bars scaled to the largest bucket. */
export function renderHistogram(buckets: readonly [number, number, number][], p: Palette, width = 40, indent = '    '): string[] {
  const nonEmpty = buckets.filter((b) => b[2] > 0);
  if (nonEmpty.length === 0) return [];
  // Keep the span from the first to the last non-empty bucket, empty ones inside included.
  const first = buckets.indexOf(nonEmpty[0]!);
  const last = buckets.indexOf(nonEmpty[nonEmpty.length - 1]!);
  const shown = buckets.slice(first, last + 1);
  const max = Math.max(...shown.map((b) => b[2]));
  const labels = shown.map(([lo, hi]) => `[${formatBound(lo)}, ${formatBound(hi)})`);
  const lw = Math.max(...labels.map((l) => l.length));
  const cw = Math.max(...shown.map((b) => String(b[2]).length));
  return shown.map(([, , n], i) => {
    const bar = '@'.repeat(max ? Math.round((n / max) * width) : 0);
    return `${indent}${labels[i]!.padEnd(lw)}  ${String(n).padStart(cw)} |${p.cyan(bar)}${' '.repeat(width - bar.length)}|`;
  });
}

function renderHistograms(ops: readonly OpStatsModel[], count: number, multiConn: boolean, p: Palette): string[] {
  if (count <= 0) return [];
  const picked = [...ops].filter((o) => o.histogram.some((b) => b[2] > 0)).sort((a, b) => b.replied - a.replied).slice(0, count);
  const out: string[] = [];
  for (const o of picked) {
    out.push('', `  ${opLabel(o.name, o.opcode)}${multiConn ? ` on conn ${o.conn}` : ''} latency, µs:`);
    out.push(...renderHistogram(o.histogram, p));
  }
  return out;
}

/** The busiest files by exchanges, then any file with findings not among them. */
function pickFiles(files: readonly FileModel[], n: number): FileModel[] {
  const byBusy = [...files].sort((a, b) => b.exchanges - a.exchanges || b.findings - a.findings);
  const picked = byBusy.slice(0, n);
  for (const f of [...files].filter((x) => x.findings > 0).sort((a, b) => b.findings - a.findings)) {
    if (picked.length >= n + 3) break;
    if (!picked.includes(f)) picked.push(f);
  }
  return picked;
}

function renderFile(f: FileModel, m: AnalysisModel, p: Palette, maxEvents: number): string[] {
  const out: string[] = [];
  const ids = [`conn ${f.conn}`, `node ${formatId(f.nodeid)}`];
  if (f.ino !== undefined) ids.push(`ino ${formatId(f.ino)}`);
  const corr = f.correlated.length ? `; same file as ${f.correlated.map((c) => `conn ${c.conn} node ${formatId(c.nodeid)}`).join(', ')}` : '';
  out.push(`  ${p.bold(f.path)}  (${ids.join(', ')}${corr})${f.findings ? '  ' + p.red(plural(f.findings, 'finding')) : ''}`);
  const ops = Object.entries(f.byOpcode).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${opLabel(k)} ×${v}`).join(', ');
  out.push(`    ${plural(f.exchanges, 'exchange')}${ops ? ` (${ops})` : ''}; ${plural(f.writes, 'write')}, ${formatBytes(f.bytesWritten, 'table')} written`);
  const levels = Object.entries(f.concurrencyShare).sort((a, b) => Number(a[0]) - Number(b[0]));
  const share = levels.length ? `; share of active time at each level: ${levels.map(([k, v]) => `${k}: ${percent(v)}`).join(', ')}` : '';
  const cw = f.maxConcurrentWrites >= 2 ? p.magenta(String(f.maxConcurrentWrites)) : String(f.maxConcurrentWrites);
  out.push(`    concurrency: max ${f.maxConcurrent} in flight, max ${cw} concurrent writes${share}`);
  if (f.openFlags.length) out.push(`    open flags: ${f.openFlags.join('|')}`);
  if (f.passthrough) {
    const backing = f.passthrough.backing.map((b) => `backing id ${b.id}${b.path !== null ? ` = ${b.path}` : ''}${b.ino !== null ? ` (dev ${formatId(b.dev ?? 0)}, ino ${formatId(b.ino)})` : ''}`);
    out.push(`    ${p.yellow('passthrough')}: ${plural(f.passthrough.opens, 'open')} with FOPEN_PASSTHROUGH${backing.length ? ` (${backing.join(', ')})` : ''}; ` +
      'their reads and writes went to the backing file, not through FUSE: no size verdict while one was open');
  }
  const kernel = Object.entries(f.kernelSize).map(([c, v]) => `kernel (conn ${c}) ${v === null ? 'unknown' : formatBytes(v, 'table')}`);
  const size = (v: number | null | undefined): string => (v === null || v === undefined ? 'unknown' : formatBytes(v, 'table'));
  out.push(`    size now: reported ${size(f.reportedSize)}, daemon ${size(f.daemonSize)}${kernel.length ? ', ' + kernel.join(', ') : ''}`);
  out.push(...renderSizeHistory(f, m, p, maxEvents));
  return out;
}

/** One line per size event: when, which connection, what happened, kernel vs daemon. */
function renderSizeHistory(f: FileModel, m: AnalysisModel, p: Palette, max: number): string[] {
  const all = f.sizeHistory;
  if (all.length === 0) return [];
  // Compact: a report that changes nothing (same value and views as the event before) is hidden.
  const ev = all.filter((e, i) => {
    if (i === 0 || i === all.length - 1 || e.event !== 'report' || differs(e)) return true;
    const prev = all[i - 1]!;
    return prev.value !== e.value || prev.kernelSize !== e.kernelSize || prev.daemonSize !== e.daemonSize;
  });
  const unchanged = all.length - ev.length;
  let shown: (SizeEvent | null)[] = [...ev];
  if (ev.length > max) {
    const head = Math.ceil(max / 2);
    shown = [...ev.slice(0, head), null, ...ev.slice(ev.length - (max - head))];
  }
  const rows = shown.filter((e): e is SizeEvent => e !== null);
  const cols: Column<SizeEvent>[] = [
    { header: 'time', align: 'right', cell: (e) => formatRel(e.t, m.span.startT) },
    { header: 'conn', align: 'right', cell: (e) => String(e.conn) },
    { header: 'event', align: 'left', cell: (e) => e.event },
    { header: 'unique', align: 'right', cell: (e) => formatId(e.unique) },
    { header: 'value', align: 'right', cell: (e) => formatBytes(e.value, 'table') },
    { header: 'kernel', align: 'right', cell: (e) => formatBytes(e.kernelSize, 'table') },
    { header: 'daemon', align: 'right', cell: (e) => formatBytes(e.daemonSize, 'table') },
    { header: '', align: 'left', cell: (e) => (differs(e) ? '≠ kernel and daemon disagree' : ''), paint: (t) => p.red(t) },
  ];
  const table = renderTable(cols, rows, p, '      ');
  const hidden = unchanged ? `, ${unchanged} unchanged ${unchanged === 1 ? 'report' : 'reports'} not shown` : '';
  const out = [`    size history (${plural(all.length, 'event')}${f.sizeHistoryTruncated ? ', capped' : ''}${hidden}; kernel = what the connection's kernel believed, daemon = daemon-observed):`, table[0]!];
  let ri = 0;
  for (const e of shown) {
    if (e === null) out.push(p.dim(`      … ${ev.length - rows.length} more …`));
    else out.push(table[1 + ri++]!);
  }
  return out;
}

const differs = (e: SizeEvent): boolean => e.kernelSize !== null && e.daemonSize !== null && e.kernelSize !== e.daemonSize;

function paintSeverity(s: Severity, p: Palette): string {
  const label = s.toUpperCase().padEnd(7);
  return s === 'error' ? p.red(p.bold(label)) : s === 'warning' ? p.yellow(label) : p.cyan(label);
}

/** Findings worst first; a (kind, path, severity) group beyond `perGroup` ends with "and N more". */
function renderFindings(findings: readonly Finding[], startT: number, p: Palette, perGroup: number): string[] {
  if (findings.length === 0) return ['  none'];
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.severity}\0${f.kind}\0${f.path ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(f);
  }
  const ordered = [...groups.values()].map((g) => g.sort((a, b) => a.t - b.t || a.conn - b.conn));
  ordered.sort((a, b) => severityRank(b[0]!.severity) - severityRank(a[0]!.severity) || a[0]!.t - b[0]!.t);
  const out: string[] = [];
  for (const g of ordered) {
    for (const f of g.slice(0, perGroup)) {
      const where = [f.path ?? undefined, `conn ${f.conn}`, formatRel(f.t, startT), f.uniques.length ? `${f.uniques.length === 1 ? 'unique' : 'uniques'} ${listUniques(f.uniques)}` : undefined]
        .filter(Boolean).join('  ');
      out.push(`  ${paintSeverity(f.severity, p)} ${p.bold(f.kind)}  ${where}`);
      for (const l of wrapWords(f.message, TEXT_WIDTH)) out.push(`          ${l}`);
      for (const l of detailLines(f.details)) out.push(p.dim(`          ${l}`));
    }
    if (g.length > perGroup) {
      const f = g[0]!;
      out.push(p.dim(`  and ${g.length - perGroup} more ${f.kind}${f.path ? ` on ${f.path}` : ''} (${f.severity})`));
    }
  }
  return out;
}

/** `12, 14` or, for many, `26, 28, 30, 32, 34, 36, … (32 in all)`. */
function listUniques(u: readonly Id[], max = 8): string {
  return u.length <= max ? u.join(', ') : `${u.slice(0, max - 2).join(', ')}, … (${u.length} in all)`;
}

/** Columns of a finding's message and details lines (after the indent); longer lines wrap between words. */
const TEXT_WIDTH = 100;

/** Arrays in the details longer than this are counted, not listed (`--json` and the findings CSV list them). */
const DETAIL_LIST_MAX = 8;

/** Lines of details a finding shows in text; the rest are counted (`--json` and the findings CSV have them all). */
const DETAIL_LINES = 2;

/**
 * `offset=3221225472 size=1048576 ...`: the scalar and short-list details,
 * wrapped between items, never cut inside one; past DETAIL_LINES lines the
 * remaining items are counted.
 */
function detailLines(d: Record<string, unknown>): string[] {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') parts.push(`${k}=${String(v)}`);
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x !== 'object')) parts.push(v.length <= DETAIL_LIST_MAX ? `${k}=${v.join(',')}` : `${k}=(${v.length} values)`);
  }
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < parts.length; i++) {
    const w = parts[i]!;
    // The last line keeps room for the count of what does not fit.
    const width = lines.length === DETAIL_LINES - 1 && i < parts.length - 1 ? TEXT_WIDTH - 24 : TEXT_WIDTH;
    if (line !== '' && line.length + 1 + w.length > width) {
      if (lines.length === DETAIL_LINES - 1) {
        lines.push(`${line} (${parts.length - i} more details in --json)`);
        return lines;
      }
      lines.push(line);
      line = w;
    } else {
      line = line === '' ? w : `${line} ${w}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Splits `s` into lines of at most `width` columns at spaces (a longer word keeps its own line, whole). */
function wrapWords(s: string, width: number): string[] {
  if (s === '') return [];
  const out: string[] = [];
  let line = '';
  for (const w of s.split(' ')) {
    if (line !== '' && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else {
      line = line === '' ? w : `${line} ${w}`;
    }
  }
  if (line !== '') out.push(line);
  return out;
}
