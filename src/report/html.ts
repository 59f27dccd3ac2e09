/**
 * The HTML report: one self-contained page (`fusetrace report`) rendering
 * the neutral AnalysisModel. The summary, the per-opcode tables and the
 * latency histograms are written here as static HTML; the time-axis views
 * (per-file timelines with their size history, in-flight depth per
 * connection) are drawn as plain SVG by a small inlined client script
 * (./html/client.ts) from an embedded, bounded JSON of the page data.
 *
 * No dependency and no network at view time: styles and script are inline,
 * and a Content-Security-Policy forbids any fetch (default-src 'none'; the
 * script is allowed by its hash). Every string from the capture (paths,
 * labels, messages) is HTML-escaped here, and the JSON is embedded with
 * `<`, `>`, `&`, U+2028 and U+2029 escaped so that a path such as
 * `</script><script>` stays text.
 *
 * Bounded: at most `limits.bars` exchanges are drawn across all files; a file
 * with more keeps the bars of its findings plus a contiguous time window of
 * the rest, and shows the count of every exchange per time slice (a density
 * strip) so nothing is hidden silently. Size events, files, findings and
 * histograms have caps too, and the page says where one applied.
 */
import { createHash } from 'node:crypto';
import { type AnalysisModel, type FileModel, type OpStatsModel, compareActivity, selectedExchanges, type ActivityModel } from '../model/analysis.js';
import { type Finding, severityRank } from '../model/finding.js';
import { idCell, type Id } from '../model/id64.js';
import type { SizeEvent } from '../model/size-event.js';
import type { TimelineBar } from '../model/timeline-bar.js';
import { mergeActivity, shiftFor } from '../state/activity.js';
import { errnoLabel, errnoOf, formatBytes, formatDuration } from '../model/format.js';
import { CLIENT_JS } from './html/client.js';
import { CSS } from './html/style.js';

/** Caps that keep the page small and the browser quick. */
export interface HtmlLimits {
  /** Drawn exchanges over all files. */
  bars: number;
  /** Files (groups of correlated files) that get a timeline. */
  files: number;
  /** Size events per file group. */
  sizeEvents: number;
  /** Findings listed in the summary. */
  findings: number;
  /** Latency histograms drawn. */
  histograms: number;
  /** In-flight steps per connection. */
  inflightSteps: number;
  /** Time slices of the density strip. */
  densityBuckets: number;
  /** Rows of the "other files" table. */
  otherFiles: number;
}

export const DEFAULT_HTML_LIMITS: HtmlLimits = {
  bars: 12000,
  files: 40,
  sizeEvents: 4000,
  findings: 500,
  histograms: 64,
  inflightSteps: 4000,
  densityBuckets: 300,
  otherFiles: 200,
};

export interface HtmlOptions {
  limits?: Partial<HtmlLimits>;
  /** Shown in the title; defaults to the input file names. */
  title?: string;
  /** The command line that made the report, shown in the footer. */
  command?: string;
}

/** A drawn exchange: [lane, tReq, tEnd, opIndex, conn, unique, tid, error ("-ENOENT (2)"), offset, size, info, flags]. flags bit 0: in a finding; bit 1: no reply. */
export type PageBar = [number, number, number, number, number, Id, number, string | null, number | null, number | null, string | null, number];

/** A size event: [t, conn, event, kernelSize, daemonSize, reportedSize, value, unique]. */
export type PageSize = [number, number, string, number | null, number | null, number | null, number | null, Id | null];

export interface PageGroup {
  id: string;
  title: string;
  files: { conn: number; nodeid: Id; path: string }[];
  conns: number[];
  /** Lanes per connection, in `conns` order. */
  lanes: number[];
  bars: PageBar[];
  /** Bars the analysis kept for the page to draw from. */
  barsTotal: number;
  /** Exchanges within the filters (kept or left out by the analysis' caps). */
  selected: number;
  /** Every exchange of the files, whatever the filters (the density strip's total). */
  all: number;
  /** Times of the window the non-finding bars were taken from, when not all were drawn. */
  window: [number, number] | null;
  /** True when the analysis itself cut the timeline (model.timelineTruncated). */
  modelTruncated: boolean;
  density: { t0: number; width: number; counts: number[] } | null;
  sizes: PageSize[];
  sizesTotal: number;
  sizesTruncated: boolean;
  findings: number[];
}

export interface PageFinding {
  i: number;
  kind: string;
  severity: string;
  conn: number;
  t: number;
  uniques: Id[];
  /** "conn:unique" of the finding's exchanges on its timeline. */
  bars: string[];
  message: string;
  path: string | null;
  group: string | null;
}

/** A connection's in-flight chart, with the kernel's queue when the recorder sampled fusectl. */
export interface PageInflight {
  conn: number;
  steps: [number, number][];
  peak: number;
  truncated: boolean;
  /** fusectl samples [t, waiting, max_background, congestion_threshold], each holding until the next (whole capture, not narrowed by the filters). */
  queue?: [number, number, number, number][];
}

export interface PageData {
  span: { startT: number; endT: number };
  /** The time range shown first: the --since/--until window, else the whole span. */
  view: [number, number];
  epochNs: string;
  conns: { conn: number; name: string; color: string }[];
  ops: { name: string; color: string }[];
  groups: PageGroup[];
  findings: PageFinding[];
  inflight: PageInflight[];
  limits: HtmlLimits;
  /** Exchanges within the filters of the files that got a timeline. */
  barsTotal: number;
  /** --file, --since or --until narrowed the report. */
  filtered: boolean;
  barsDrawn: number;
  /** Exchanges of files beyond `limits.files` (listed without a timeline). */
  barsOtherFiles: number;
}

// ---------------------------------------------------------------- escaping

const HTML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESC[c]!);
}

/** JSON safe inside a `<script>` element: no `<`, `>`, `&`, U+2028, U+2029 left raw. */
export function embedJson(v: unknown): string {
  // Ids past 2^53 go to the page as strings: the page's JSON.parse would round a number.
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? idCell(x) : x)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------- formatting

/** A duration in ns as the page writes it (its script runs the same function). */
const formatNs = (ns: number): string => formatDuration(ns, 'page');

/** Latency in µs for the tables. */
function formatUs(us: number | undefined): string {
  return us === undefined ? '–' : formatNs(us * 1000);
}

const int = (n: number): string => n.toLocaleString('en-US');

// ---------------------------------------------------------------- colours

const OP_COLORS: Record<string, string> = {
  WRITE: '#2563eb',
  READ: '#16a34a',
  SETATTR: '#9333ea',
  GETATTR: '#94a3b8',
  LOOKUP: '#64748b',
  OPEN: '#0d9488',
  CREATE: '#0f766e',
  FLUSH: '#a16207',
  RELEASE: '#854d0e',
  FSYNC: '#c2410c',
  FALLOCATE: '#db2777',
  COPY_FILE_RANGE: '#be185d',
  READDIRPLUS: '#0891b2',
  READDIR: '#0e7490',
  STATX: '#475569',
  INTERRUPT: '#facc15',
};
const SPARE_COLORS = ['#7c3aed', '#0284c7', '#65a30d', '#ea580c', '#4f46e5', '#059669', '#b45309', '#e11d48', '#6d28d9', '#0369a1'];
const CONN_COLORS = ['#d97706', '#7c3aed', '#059669', '#db2777', '#0284c7', '#65a30d', '#dc2626', '#4f46e5'];

function opColor(name: string): string {
  const c = OP_COLORS[name];
  if (c) return c;
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return SPARE_COLORS[h % SPARE_COLORS.length]!;
}

// ---------------------------------------------------------------- page data

/**
 * Greedy lane assignment: bars sorted by start go to the lowest-numbered
 * lane that is free at their start (free when its last bar ended at or
 * before it). Returns the lane of each bar, in input order.
 */
export function assignLanes(starts: ArrayLike<number>, ends: ArrayLike<number>): number[] {
  const n = starts.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => starts[a]! - starts[b]! || a - b);
  const laneEnd: number[] = [];
  const out = new Array<number>(n);
  for (const i of order) {
    const s = starts[i]!;
    let lane = -1;
    for (let l = 0; l < laneEnd.length; l++) {
      if (laneEnd[l]! <= s) {
        lane = l;
        break;
      }
    }
    if (lane < 0) {
      lane = laneEnd.length;
      laneEnd.push(0);
    }
    // A zero-length exchange still occupies its lane for that instant.
    laneEnd[lane] = Math.max(ends[i]!, s + 1);
    out[i] = lane;
  }
  return out;
}

const idKey = (conn: number, id: Id | null): string => `${conn}:${String(id)}`;

interface Group {
  files: FileModel[];
  findings: number[];
  exchanges: number;
}

/** The group's files' activity measures summed (peak concurrency: the highest), compared as compareActivity does. */
function groupActivity(g: Group): FileModel {
  const f0 = g.files[0]!;
  if (g.files.length === 1) return f0;
  let selected = 0;
  const sum = { exchanges: 0, bytesWritten: 0, writes: 0, maxConcurrent: 0, sizes: 0 };
  for (const f of g.files) {
    selected += selectedExchanges(f);
    sum.exchanges += f.exchanges;
    sum.bytesWritten += f.bytesWritten;
    sum.writes += f.writes;
    sum.maxConcurrent = Math.max(sum.maxConcurrent, f.maxConcurrent);
    sum.sizes += f.sizeHistory.length;
  }
  return {
    ...f0, timeline: [], timelineDropped: selected, exchanges: sum.exchanges, bytesWritten: sum.bytesWritten, writes: sum.writes,
    maxConcurrent: sum.maxConcurrent, sizeHistory: new Array<SizeEvent>(sum.sizes),
  };
}

/** Joins files correlated across connections (attr.ino) into one group. */
function groupFiles(model: AnalysisModel): Group[] {
  const byKey = new Map<string, number>();
  model.files.forEach((f, i) => byKey.set(idKey(f.conn, f.nodeid), i));
  const parent = model.files.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  model.files.forEach((f, i) => {
    for (const c of f.correlated ?? []) {
      const j = byKey.get(idKey(c.conn, c.nodeid));
      if (j !== undefined) parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, Group>();
  model.files.forEach((f, i) => {
    const r = find(i);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = { files: [], findings: [], exchanges: 0 }));
    g.files.push(f);
    g.exchanges += f.exchanges;
  });
  const fileGroup = new Map<string, Group>();
  for (const g of groups.values()) for (const f of g.files) fileGroup.set(idKey(f.conn, f.nodeid), g);
  model.findings.forEach((fd, i) => {
    if (fd.nodeid === null) return;
    const g = fileGroup.get(idKey(fd.conn, fd.nodeid));
    if (g) g.findings.push(i);
  });
  // Findings first (worst, then most), then by activity.
  const ranked = [...groups.values()].map((g) => ({
    g,
    worst: Math.max(-1, ...g.findings.map((i) => severityRank(model.findings[i]!.severity))),
    activity: groupActivity(g),
  }));
  ranked.sort((a, b) => b.worst - a.worst || b.g.findings.length - a.g.findings.length || compareActivity(a.activity, b.activity));
  return ranked.map((r) => r.g);
}

/** Splits a total budget over demands: equal shares, unused shares go to the rest (water-filling). */
function shareBudget(demands: number[], budget: number): number[] {
  const out = demands.map(() => 0);
  let left = Math.max(0, budget);
  let open = demands.map((_, i) => i).filter((i) => demands[i]! > 0);
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    const next: number[] = [];
    for (const i of open) {
      if (left <= 0) break;
      const take = Math.min(share, demands[i]! - out[i]!, left);
      out[i]! += take;
      left -= take;
      if (out[i]! < demands[i]!) next.push(i);
    }
    open = next;
  }
  return out;
}

interface GroupBars {
  /** The group's bars by start time (references into the model, not copies). */
  all: TimelineBar[];
  /** 1 where the bar is one of a finding's exchanges. */
  hl: Uint8Array;
  mandatory: number;
}

function sortedByStart<T>(xs: T[], key: (x: T) => number): T[] {
  for (let i = 1; i < xs.length; i++) if (key(xs[i - 1]!) > key(xs[i]!)) return [...xs].sort((a, b) => key(a) - key(b));
  return xs;
}

/**
 * The "conn:unique" keys of a finding's exchanges among the group's bars:
 * its uniques on its own connection, or, for a unique that connection does
 * not have here, that unique on a correlated connection of the group.
 */
function findingKeys(fd: Finding, present: Set<string>, conns: number[]): string[] {
  const out: string[] = [];
  for (const u of fd.uniques) {
    const own = idKey(fd.conn, u);
    if (present.has(own)) out.push(own);
    else for (const c of conns) if (c !== fd.conn && present.has(idKey(c, u))) out.push(idKey(c, u));
  }
  return out;
}

function collectBars(model: AnalysisModel, g: Group, keysOut: Map<number, string[]>): GroupBars {
  const parts = g.files.map((f) => f.timeline ?? []);
  const joined = parts.length === 1 ? parts[0]! : parts.flat();
  const all = sortedByStart(joined, (b) => b.tReq);
  const hl = new Uint8Array(all.length);
  let mandatory = 0;
  if (g.findings.length === 0) return { all, hl, mandatory };
  const present = new Set<string>();
  for (const b of all) present.add(idKey(b.conn, b.unique));
  const conns = [...new Set(all.map((b) => b.conn))];
  const hlKeys = new Set<string>();
  for (const i of g.findings) {
    const keys = findingKeys(model.findings[i]!, present, conns);
    keysOut.set(i, keys);
    for (const k of keys) hlKeys.add(k);
  }
  for (let i = 0; i < all.length; i++) {
    const b = all[i]!;
    if (hlKeys.has(idKey(b.conn, b.unique))) {
      hl[i] = 1;
      mandatory++;
    }
  }
  return { all, hl, mandatory };
}

/** Picks the bars to draw: those of findings, then a contiguous window of the rest around the worst finding. */
function pickBars(gb: GroupBars, budget: number, center: number | null): { picked: number[]; window: [number, number] | null } {
  const all = gb.all;
  if (all.length <= budget) return { picked: all.map((_, i) => i), window: null };
  const hl: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < all.length; i++) {
    if (gb.hl[i] && hl.length < budget) hl.push(i);
    else if (!gb.hl[i]) rest.push(i);
  }
  const room = budget - hl.length;
  let lo = 0;
  if (center !== null && rest.length > 0) {
    // First bar starting at or after center, then the window centred on it.
    let a = 0;
    let z = rest.length;
    while (a < z) {
      const m = (a + z) >> 1;
      if (all[rest[m]!]!.tReq < center) a = m + 1;
      else z = m;
    }
    lo = Math.max(0, Math.min(rest.length - room, a - (room >> 1)));
  }
  const win = room > 0 ? rest.slice(lo, lo + room) : [];
  const picked = [...hl, ...win].sort((a, b) => a - b);
  const window: [number, number] | null = win.length > 0 ? [all[win[0]!]!.tReq, all[win[win.length - 1]!]!.tReq] : null;
  return { picked, window };
}

/**
 * Every exchange of the group's files per time slice over the whole capture:
 * the files' activity bins where the analysis kept them (their timeline did
 * not hold everything), their bars otherwise. Slices are powers of two of ns
 * at least span / (buckets - 1) wide, so at most `buckets` + 1 of them.
 */
function densityOf(g: Group, startT: number, endT: number, buckets: number): ActivityModel {
  const minShift = shiftFor(Math.max(1, endT - startT) / Math.max(1, buckets - 1));
  const parts: ActivityModel[] = [];
  const times: number[] = [];
  for (const f of g.files) {
    if (f.activity) parts.push(f.activity);
    else for (const b of f.timeline) times.push(b.tReq);
  }
  return mergeActivity(parts, times, minShift);
}

function pickSizes(g: Group, cap: number, center: number | null): { sizes: PageSize[]; total: number; truncated: boolean } {
  const modelCut = g.files.some((f) => f.sizeHistoryTruncated === true);
  let evs = sortedByStart(g.files.length === 1 ? (g.files[0]!.sizeHistory ?? []) : g.files.flatMap((f) => f.sizeHistory ?? []), (e) => e.t);
  if (g.files.length > 1) {
    // Correlated files may carry the same events: keep one of each (equal ones share a time).
    const out: SizeEvent[] = [];
    let runStart = 0;
    for (const e of evs) {
      if (out.length > 0 && out[out.length - 1]!.t !== e.t) runStart = out.length;
      let dup = false;
      for (let k = runStart; k < out.length && !dup; k++) {
        const o = out[k]!;
        dup = o === e || (o.conn === e.conn && o.event === e.event && String(o.unique) === String(e.unique));
      }
      if (!dup) out.push(e);
    }
    evs = out;
  }
  let lo = 0;
  let hi = evs.length;
  if (evs.length > cap) {
    if (center !== null) {
      let a = 0;
      let z = evs.length;
      while (a < z) {
        const m = (a + z) >> 1;
        if (evs[m]!.t < center) a = m + 1;
        else z = m;
      }
      lo = Math.max(0, Math.min(evs.length - cap, a - (cap >> 1)));
    }
    hi = lo + cap;
  }
  const sizes: PageSize[] = [];
  for (let i = lo; i < hi; i++) {
    const e = evs[i]!;
    sizes.push([e.t, e.conn, e.event, e.kernelSize, e.daemonSize, e.reportedSize, e.value, e.unique]);
  }
  return { sizes, total: evs.length, truncated: modelCut || sizes.length < evs.length };
}

function strideSteps(steps: [number, number][], cap: number): { steps: [number, number][]; truncated: boolean } {
  if (steps.length <= cap) return { steps, truncated: false };
  // Keep the peak of each stride so the maxima stay visible.
  const stride = Math.ceil(steps.length / cap);
  const out: [number, number][] = [];
  for (let i = 0; i < steps.length; i += stride) {
    let best = steps[i]!;
    for (let j = i + 1; j < Math.min(steps.length, i + stride); j++) if (steps[j]![1] > best[1]) best = steps[j]!;
    out.push([steps[i]![0], best[1]]);
  }
  return { steps: out, truncated: true };
}

/**
 * The time range the page opens on: the --since/--until window when given;
 * else where the findings are and, when --file chose files, where those
 * files' exchanges are; the whole capture when neither says more.
 */
function openingView(model: AnalysisModel, groups: PageGroup[], findings: PageFinding[], startT: number, endT: number): [number, number] {
  const clamp = (t: number): number => Math.max(startT, Math.min(endT, t));
  const f = model.filters;
  if (f.since !== null || f.until !== null) {
    const v0 = clamp(f.since ?? startT);
    const v1 = clamp(f.until ?? endT);
    if (v1 > v0) return [v0, v1];
  }
  let lo = Infinity;
  let hi = -Infinity;
  const take = (a: number, b: number): void => {
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  };
  for (const fd of findings) {
    take(fd.t, fd.t);
    const keys = new Set(fd.bars);
    const g = groups.find((x) => x.id === fd.group);
    if (g && keys.size > 0) for (const b of g.bars) if (keys.has(`${b[4]}:${String(b[5])}`)) take(b[1], b[2]);
  }
  if (f.files.length > 0) {
    for (const g of groups) {
      if (g.density && g.density.counts.length > 0) take(g.density.t0, g.density.t0 + g.density.counts.length * g.density.width);
      for (const b of g.bars) take(b[1], b[2]);
    }
  }
  if (!(hi >= lo)) return [startT, endT];
  // Wider margins than a finding's "show on timeline" link (client.ts showFinding: 0.35 r), so that the link zooms in.
  const r = Math.max(hi - lo, (endT - startT) / 200, 1000);
  // Moved rather than cut at the capture's ends, as the client's setView does.
  const width = Math.min(endT - startT, hi - lo + r);
  const v0 = Math.max(startT, Math.min(endT - width, lo - r * 0.5));
  return [v0, v0 + width];
}

function findingOrder(model: AnalysisModel): number[] {
  return model.findings
    .map((_, i) => i)
    .sort((a, b) => {
      const fa = model.findings[a]!;
      const fb = model.findings[b]!;
      return severityRank(fb.severity) - severityRank(fa.severity) || fa.t - fb.t || a - b;
    });
}

/** Builds the bounded data the client script draws. */
export function buildPageData(model: AnalysisModel, limits: HtmlLimits = DEFAULT_HTML_LIMITS): PageData {
  const groups = groupFiles(model);
  const shown = groups.slice(0, limits.files);
  const startT = model.span.startT;
  const endT = Math.max(model.span.endT, startT + 1);

  const opIndex = new Map<string, number>();
  const ops: PageData['ops'] = [];
  const opOf = (name: string): number => {
    let i = opIndex.get(name);
    if (i === undefined) {
      i = ops.length;
      opIndex.set(name, i);
      ops.push({ name, color: opColor(name) });
    }
    return i;
  };

  const findingBarKeys = new Map<number, string[]>();
  const groupBars = shown.map((g) => collectBars(model, g, findingBarKeys));
  // Bars of findings first (bounded by the budget), then share the rest.
  const mandatory = shareBudget(
    groupBars.map((gb) => gb.mandatory),
    limits.bars,
  );
  const spare = limits.bars - mandatory.reduce((a, b) => a + b, 0);
  const extra = shareBudget(
    groupBars.map((gb, i) => gb.all.length - mandatory[i]!),
    spare,
  );

  const findingGroup = new Map<number, string>();
  let barsTotal = 0;
  let barsDrawn = 0;
  const pageGroups: PageGroup[] = shown.map((g, gi) => {
    const id = `g${gi}`;
    for (const i of g.findings) findingGroup.set(i, id);
    const worst = [...g.findings].sort(
      (a, b) => severityRank(model.findings[b]!.severity) - severityRank(model.findings[a]!.severity) || model.findings[a]!.t - model.findings[b]!.t,
    )[0];
    const center = worst !== undefined ? model.findings[worst]!.t : null;
    const gb = groupBars[gi]!;
    const { picked: pickedIdx, window } = pickBars(gb, mandatory[gi]! + extra[gi]!, center);
    const picked = pickedIdx.map((i) => gb.all[i]!);
    const pickedHl = pickedIdx.map((i) => gb.hl[i] === 1);
    const selected = gb.all.length + g.files.reduce((a, f) => a + (f.timelineDropped ?? 0), 0);
    barsTotal += selected;
    barsDrawn += picked.length;
    const ends = picked.map((b) => b.tReply ?? endT);
    const conns = [...new Set([...g.files.map((f) => f.conn), ...picked.map((b) => b.conn)])].sort((a, b) => a - b);
    // One block of lanes per connection, so the mounts read apart yet share the time axis.
    const lanesPer: number[] = [];
    const laneOf = new Array<number>(picked.length);
    let base = 0;
    for (const c of conns) {
      const idx = picked.map((b, i) => (b.conn === c ? i : -1)).filter((i) => i >= 0);
      const lanes = assignLanes(
        idx.map((i) => picked[i]!.tReq),
        idx.map((i) => ends[i]!),
      );
      idx.forEach((i, k) => (laneOf[i] = base + lanes[k]!));
      const n = lanes.length === 0 ? 0 : Math.max(...lanes) + 1;
      lanesPer.push(n);
      base += n;
    }
    const bars: PageBar[] = picked.map((b, i) => [
      laneOf[i]!,
      b.tReq,
      ends[i]!,
      opOf(b.name),
      b.conn,
      b.unique,
      b.tid,
      b.error ? `-${errnoLabel(errnoOf(b.error))}` : null,
      b.offset,
      b.size,
      b.info,
      (pickedHl[i] ? 1 : 0) | (b.tReply === null ? 2 : 0),
    ]);
    const sz = pickSizes(g, limits.sizeEvents, center ?? (window ? window[0] : null));
    const density = picked.length < gb.all.length || g.files.some((f) => f.activity) ? densityOf(g, startT, endT, limits.densityBuckets) : null;
    const paths = [...new Set(g.files.map((f) => f.path))];
    return {
      id,
      title: paths.join(' = '),
      files: g.files.map((f) => ({ conn: f.conn, nodeid: f.nodeid, path: f.path })),
      conns,
      lanes: lanesPer,
      bars,
      barsTotal: gb.all.length,
      window,
      modelTruncated: g.files.some((f) => f.timelineTruncated),
      selected,
      all: density ? density.counts.reduce((a, n) => a + n, 0) : selected,
      density,
      sizes: sz.sizes,
      sizesTotal: sz.total,
      sizesTruncated: sz.truncated,
      findings: g.findings,
    };
  });
  let barsOtherFiles = 0;
  for (const g of groups.slice(limits.files)) for (const f of g.files) barsOtherFiles += f.timeline?.length ?? 0;

  const order = findingOrder(model).slice(0, limits.findings);
  const findings: PageFinding[] = order.map((i) => {
    const f = model.findings[i]!;
    return { i, kind: f.kind, severity: f.severity, conn: f.conn, t: f.t, uniques: f.uniques, bars: findingBarKeys.get(i) ?? [], message: f.message, path: f.path, group: findingGroup.get(i) ?? null };
  });

  const filtered = model.filters.files.length > 0 || model.filters.since !== null || model.filters.until !== null;
  return {
    span: { startT, endT },
    view: openingView(model, pageGroups, findings, startT, endT),
    epochNs: model.epochNs,
    conns: model.connections.map((c, i) => ({ conn: c.conn, name: c.label ?? c.name, color: CONN_COLORS[i % CONN_COLORS.length]! })),
    ops,
    groups: pageGroups,
    findings,
    inflight: model.connections.map((c) => {
      const s = strideSteps(c.inflight ?? [], limits.inflightSteps);
      // Narrowed, the steps are those of the selected exchanges: their own peak scales the chart.
      const peak = filtered ? Math.max(0, ...s.steps.map((x) => x[1])) : c.peakInflight;
      const row: PageInflight = { conn: c.conn, steps: s.steps, peak, truncated: s.truncated };
      if (c.queue !== undefined) row.queue = c.queue.samples;
      return row;
    }),
    limits,
    filtered,
    barsTotal,
    barsDrawn,
    barsOtherFiles,
  };
}

// ---------------------------------------------------------------- static HTML

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function renderConnections(model: AnalysisModel, page: PageData): string {
  const rows = model.connections.map((c) => {
    const p = c.protocol;
    const host = c.hardware !== undefined ? `; recorded on ${escapeHtml(c.hardware)}` : '';
    const proto = `${escapeHtml(p.negotiated)} <span class="dim">(kernel ${escapeHtml(p.kernel ?? '?')}, daemon ${escapeHtml(p.daemon ?? '?')}, ${escapeHtml(p.source)}${host})</span>`;
    const notable = Object.entries(c.notable)
      .filter(([, v]) => v === true)
      .map(([k]) => escapeHtml(k))
      .join(', ');
    const color = page.conns.find((x) => x.conn === c.conn)?.color ?? '#888';
    return [
      `<span class="swatch" style="background:${color}"></span>${c.conn}`,
      escapeHtml(c.label ?? c.name),
      escapeHtml(c.file),
      proto,
      notable || '<span class="dim">–</span>',
      int(c.messages),
      int(c.requests),
      int(c.replies),
      int(c.notifications),
      int(c.threads),
      int(c.peakInflight),
      c.drops === undefined ? '–' : int(c.drops),
    ];
  });
  return table(['conn', 'name', 'capture', 'protocol', 'INIT facts', 'messages', 'requests', 'replies', 'notifications', 'threads', 'peak in flight', 'drops'], rows);
}

function renderCounts(model: AnalysisModel): string {
  const s = model.summary;
  const items: [string, string][] = [
    ['time span', `${formatNs(model.span.durationNs)}`],
    ['messages', int(s.messages)],
    ['requests', int(s.requests)],
    ['replies', int(s.replies)],
    ['notifications', int(s.notifications)],
    ['exchanges', int(s.exchanges)],
    ['unanswered', int(s.unanswered)],
    ['orphan replies', int(s.orphanReplies)],
    ['malformed', int(s.malformed)],
    ['files', int(s.files)],
    ['findings', `<a href="#findings" id="findings-count"><span class="sev-error">${s.findings.error} error</span>, <span class="sev-warning">${s.findings.warning} warning</span>, <span class="sev-info">${s.findings.info} info</span></a>`],
  ];
  return `<dl class="counts">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

function renderOps(model: AnalysisModel): string {
  const rows = [...model.ops]
    .sort((a, b) => a.conn - b.conn || b.count - a.count)
    .map((o) => [
      String(o.conn),
      `${escapeHtml(o.name)} <span class="dim">(${o.opcode})</span>`,
      int(o.count),
      int(o.replied),
      o.errors === 0
        ? '0'
        : `${int(o.errors)} <span class="dim">${o.errnos
            .map((e) => `${escapeHtml(errnoLabel(e))}: ${int(e.count)}`)
            .join(', ')}</span>`,
      formatUs(o.latencyUs?.p50),
      formatUs(o.latencyUs?.p90),
      formatUs(o.latencyUs?.p99),
      formatUs(o.latencyUs?.max),
      formatUs(o.latencyUs?.mean),
    ]);
  return table(['conn', 'opcode', 'count', 'replied', 'errors', 'p50', 'p90', 'p99', 'max', 'mean'], rows, 'num');
}

function renderFindings(model: AnalysisModel, page: PageData): string {
  if (model.findings.length === 0) return '<p class="dim">No findings.</p>';
  const items = page.findings.map((f) => {
    const where = f.path !== null ? ` <span class="path">${escapeHtml(f.path)}</span>` : '';
    const link =
      f.group !== null
        ? `<a class="goto" href="#${f.group}" data-finding="${f.i}">show on timeline</a>`
        : `<a class="goto" href="#inflight" data-finding="${f.i}">show the time on the in-flight charts</a> <span class="dim">(no file timeline for it)</span>`;
    return `<li class="finding sev-${escapeHtml(f.severity)}" id="finding-${f.i}"><span class="badge">${escapeHtml(f.severity)}</span> <code>${escapeHtml(f.kind)}</code>${where} <span class="dim">conn ${f.conn}, at ${escapeHtml(formatNs(f.t - model.span.startT))}</span><div>${escapeHtml(f.message)}</div>${link}</li>`;
  });
  const more = model.findings.length - page.findings.length;
  const omitted = Object.entries(model.findingsOmitted ?? {});
  return `<ol class="findings">${items.join('')}</ol>${more > 0 ? `<p class="note">${int(more)} more findings are not listed here (the page lists at most ${int(page.limits.findings)}); <code>fusetrace analyze --json</code> has them all.</p>` : ''}${
    omitted.length > 0 ? `<p class="note">Left out by filters or caps: ${omitted.map(([k, v]) => `${escapeHtml(k)} ${int(v)}`).join(', ')}.</p>` : ''
  }`;
}

function renderLimitations(model: AnalysisModel): string {
  if (model.limitations.length === 0) return '';
  return `<section><h2>What this capture cannot show</h2><ul class="limits">${model.limitations
    .map((l) => `<li><code>${escapeHtml(l.kind)}</code>${l.conn !== null ? ` conn ${l.conn}:` : ''} ${escapeHtml(l.message)}</li>`)
    .join('')}</ul></section>`;
}

/** One log2 latency histogram as a small table with bars scaled to the largest bucket. */
function renderHistogram(o: OpStatsModel): string {
  const max = Math.max(1, ...o.histogram.map((b) => b[2]));
  const rows = o.histogram
    .map(([lo, hi, n]) => {
      const w = n === 0 ? 0 : Math.max(1, Math.round((100 * n) / max));
      return `<tr><td class="rng">[${escapeHtml(formatUs(lo))}, ${escapeHtml(formatUs(hi))})</td><td class="cnt">${int(n)}</td><td class="hbar"><span style="width:${w}%"></span></td></tr>`;
    })
    .join('');
  const lat = o.latencyUs ? ` p50 ${escapeHtml(formatUs(o.latencyUs.p50))}, p99 ${escapeHtml(formatUs(o.latencyUs.p99))}` : '';
  return `<figure class="hist"><figcaption><b>${escapeHtml(o.name)}</b> <span class="dim">(${o.opcode}) conn ${o.conn}, n=${int(o.count)}${lat}</span></figcaption><table>${rows}</table></figure>`;
}

function renderHistograms(model: AnalysisModel, limits: HtmlLimits): string {
  const withData = model.ops.filter((o) => o.histogram && o.histogram.length > 0).sort((a, b) => a.conn - b.conn || b.count - a.count);
  const shown = withData.slice(0, limits.histograms);
  const more = withData.length - shown.length;
  return `<p class="dim">Log2 buckets of latency (request to reply, as the daemon saw it); each row doubles the previous one's range, bars scaled to the largest bucket.</p><div class="hists">${shown.map(renderHistogram).join('')}</div>${
    more > 0 ? `<p class="note">${more} more histograms are not drawn (the page draws at most ${limits.histograms}).</p>` : ''
  }`;
}

function renderOtherFiles(model: AnalysisModel, page: PageData): string {
  const drawn = new Set<string>();
  for (const g of page.groups) for (const f of g.files) drawn.add(idKey(f.conn, f.nodeid));
  const rest = model.files.filter((f) => !drawn.has(idKey(f.conn, f.nodeid))).sort((a, b) => b.exchanges - a.exchanges);
  if (rest.length === 0) return '';
  const shown = rest.slice(0, page.limits.otherFiles);
  const rows = shown.map((f) => [String(f.conn), `<span class="path">${escapeHtml(f.path)}</span>`, int(f.exchanges), int(f.writes), int(f.maxConcurrent), formatBytes(f.daemonSize, 'page')]);
  return `<section><h2>Files without a timeline</h2><p class="note">The page draws timelines for at most ${page.limits.files} files (those with findings first, then the busiest); ${int(rest.length)} more are listed here${
    rest.length > shown.length ? ` (the first ${shown.length})` : ''
  }. Use <code>--file</code> to draw one of them.</p>${table(['conn', 'path', 'exchanges', 'writes', 'max concurrent', 'daemon size'], rows, 'num')}</section>`;
}

function renderFilters(model: AnalysisModel): string {
  const f = model.filters;
  const parts: string[] = [];
  if (f.files.length > 0) parts.push(`files ${f.files.map((p) => `<span class="path">${escapeHtml(p)}</span>`).join(', ')}`);
  if (f.conns.length > 0) parts.push(`connections ${f.conns.join(', ')}`);
  if (f.since !== null) parts.push(`since ${escapeHtml(formatNs(f.since))}`);
  if (f.until !== null) parts.push(`until ${escapeHtml(formatNs(f.until))}`);
  if (f.minSeverity !== 'info') parts.push(`severity ≥ ${escapeHtml(f.minSeverity)}`);
  if (f.detectors) parts.push(`detectors ${f.detectors.map(escapeHtml).join(', ')}`);
  return parts.length > 0 ? `<p class="note">Filtered: ${parts.join('; ')}.</p>` : '';
}

/** Renders the whole page. */
export function renderHtml(model: AnalysisModel, options: HtmlOptions = {}): string {
  const limits: HtmlLimits = { ...DEFAULT_HTML_LIMITS, ...options.limits };
  const page = buildPageData(model, limits);
  const title = options.title ?? `fusetrace report: ${model.inputs.map((i) => i.file.split('/').pop()).join(', ')}`;
  const scriptHash = createHash('sha256').update(CLIENT_JS, 'utf8').digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'`;
  const notes: string[] = [];
  if (page.barsDrawn < page.barsTotal)
    notes.push(
      `Drawn: ${int(page.barsDrawn)} of ${int(page.barsTotal)} exchanges of these files (the page draws at most ${int(limits.bars)}). Each file keeps the exchanges of its findings and a window of the others; a grey strip above its lanes counts every exchange per time slice. Narrow with <code>--file</code>, <code>--since</code>, <code>--until</code> to draw them all.`,
    );
  if (page.barsOtherFiles > 0)
    notes.push(`${int(page.barsOtherFiles)} more exchanges belong to files without a timeline (the page draws at most ${int(limits.files)} files; the others are listed below the timelines).`);
  const boundNote =
    notes.length > 0
      ? `<div id="bars-note">${notes.map((n) => `<p class="note">${n}</p>`).join('')}</div>`
      : `<p class="dim" id="bars-note">All ${int(page.barsTotal)} exchanges of these files are drawn.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fusetrace ${escapeHtml(model.tool.version)}">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p class="dim">fusetrace ${escapeHtml(model.tool.version)}, ${escapeHtml(model.schema)}, capture start ${escapeHtml(formatEpoch(model.epochNs))}${
    options.command ? `<br><code>${escapeHtml(options.command)}</code>` : ''
  }</p></header>
<nav class="toc"><a href="#summary">Summary</a> · <a href="#findings">Findings</a> · <a href="#timelines">Timelines</a> · <a href="#inflight">In flight</a> · <a href="#ops">Per opcode</a> · <a href="#latency">Latency</a></nav>
<main>
<section id="summary"><h2>Summary</h2>${renderFilters(model)}${renderCounts(model)}
<h3>Connections</h3>${renderConnections(model, page)}</section>
<section id="findings"><h2>Findings, worst first</h2>${renderFindings(model, page)}</section>
${renderLimitations(model)}
<section id="timelines"><h2>Timelines</h2>
<div id="toolbar" class="toolbar"><button type="button" id="zoom-in" title="zoom in">+</button><button type="button" id="zoom-out" title="zoom out">−</button><button type="button" id="pan-left" title="pan left">←</button><button type="button" id="pan-right" title="pan right">→</button><button type="button" id="zoom-reset" title="show everything">all</button><span id="range" class="range"></span><span class="dim hint">Ctrl+wheel or double-click to zoom, drag to pan, hover a bar for details</span></div>
${boundNote}
<div id="legend" class="legend"></div>
<noscript><p class="note">The timelines, size history and in-flight charts are drawn by the page's script; enable JavaScript for this file to see them.</p></noscript>
<div id="groups">${page.groups.map((g) => `<section class="group" id="${g.id}"><h3 class="path">${escapeHtml(g.title)}</h3><div class="ginfo"></div><div class="plot"></div></section>`).join('\n')}</div>
${page.groups.length === 0 ? '<p class="dim">No file has exchanges in this capture (or the filters left none).</p>' : ''}
</section>
${renderOtherFiles(model, page)}
<section id="inflight"><h2>In flight per connection</h2><p class="dim">Requests in flight as the daemon saw them (queue depth)${
    page.filtered ? ', counting only the exchanges of the selected files, inside the time window' : ''
  }, over the same time axis.${
    page.inflight.some((c) => c.queue !== undefined)
      ? ' Where the recorder sampled the kernel\'s queue (fusectl), the line is <code>waiting</code> (every request the kernel holds, background or not; for the whole connection), the dashed lines its <code>congestion_threshold</code> and <code>max_background</code>: waiting at or above a limit means the limit may have been reached.'
      : ''
  }</p><div id="inflight-plots"></div></section>
<section id="ops"><h2>Per opcode</h2>${page.filtered ? '<p class="dim">The exchanges of the selected files whose request is inside the time window.</p>' : ''}${renderOps(model)}</section>
<section id="latency"><h2>Latency histograms</h2>${renderHistograms(model, limits)}</section>
</main>
<div id="tip" class="tip" hidden></div>
<script type="application/json" id="fusetrace-data">${embedJson(page)}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

function formatEpoch(epochNs: string): string {
  try {
    const ms = Number(BigInt(epochNs) / 1000000n);
    return new Date(ms).toISOString();
  } catch {
    return epochNs;
  }
}

