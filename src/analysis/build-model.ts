/**
 * Turns the reconstruction (state, pairing counts, findings) into the
 * neutral `AnalysisModel` (schema fusetrace.analysis/1, docs/analysis-json.md).
 */
import { writtenByGlusterfs } from '../capture/fusedump-reader.js';
import type { ConnectionInfo, InterfaceStats, QueueSample } from '../capture/message.js';
import type { Pairer } from '../pairing/pairer.js';
import { InitBit } from '../protocol/flags/init.js';
import { openFlagsKnown } from '../protocol/flags/open.js';
import { opcodeName } from '../protocol/opcodes.js';
import { ANALYSIS_SCHEMA, compareActivity, type ActivityFacts, type AnalysisModel, type ConnectionModel, type FileModel, type QueueModel, type InputModel, type Limitation, type OpStatsModel } from '../model/analysis.js';
import type { Finding, Severity } from '../model/finding.js';
import { FileState, type SizeFacts } from '../state/files.js';
import type { BarRows } from '../state/bar-rows.js';
import type { AnalysisState } from '../state/state.js';
import { exactId, type Id } from '../model/id64.js';
import type { SizeEvent } from '../model/size-event.js';
import type { TimelineBar } from '../model/timeline-bar.js';
import { fopenNames } from '../detectors/common.js';
import type { ResolvedFilters } from './filters.js';
import type { Selection } from './selection.js';

const num = (v: number): number | undefined => (Number.isNaN(v) ? undefined : v);

const nullNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** The model's record of a size event of file `conn`/`nodeid`. */
export function sizeEvent(conn: number, nodeid: Id, e: SizeFacts): SizeEvent {
  return {
    t: e.t, conn, nodeid, path: e.path, event: e.kind, unique: e.unique === null ? null : exactId(e.unique),
    value: nullNaN(e.value), kernelSize: nullNaN(e.kernel), daemonSize: nullNaN(e.daemon), reportedSize: nullNaN(e.reported),
  };
}

/** The model's timeline bars of the exchanges the state kept (by request time). */
function timelineBars(b: BarRows | undefined): TimelineBar[] {
  const out: TimelineBar[] = [];
  if (b === undefined) return out;
  for (let i = 0; i < b.n; i++) {
    const op = b.opcode(i);
    const replied = b.replied(i);
    out.push({
      conn: b.conn(i), unique: exactId(b.unique(i)), opcode: op, name: opcodeName(op), tReq: b.tReq(i),
      tReply: replied ? b.tReply(i) : null, error: replied ? b.error(i) : null, tid: b.tid(i),
      offset: nullNaN(b.offset(i)), size: nullNaN(b.size(i)), info: b.info(i),
    });
  }
  return out.sort((x, y) => x.tReq - y.tReq);
}

/**
 * FileModel of a file as it is now (also used when a file is retired).
 * `slim`: a table row's worth (the export of every file), without the size
 * history, timeline and activity, which are most of a model's memory.
 */
function fileModel(f: FileState, slim = false): FileModel {
  const byOpcode: Record<string, number> = {};
  for (const [op, n] of [...f.byOpcode.entries()].sort((a, b) => b[1] - a[1])) byOpcode[opcodeName(op)] = n;
  const kernelSize: Record<string, number | null> = {};
  for (const m of f.group.members) kernelSize[String(m.conn)] = Number.isNaN(m.kernelSize) ? null : m.kernelSize;
  if (!(String(f.conn) in kernelSize)) kernelSize[String(f.conn)] = Number.isNaN(f.kernelSize) ? null : f.kernelSize;
  const nodeid = exactId(f.nodeid);
  const history: SizeEvent[] = [];
  if (f.sizeHistory && !slim) f.sizeHistory.forEach((e) => history.push(sizeEvent(f.conn, nodeid, e)));
  const bars = slim ? [] : timelineBars(f.bars);
  return {
    conn: f.conn,
    nodeid,
    ino: f.ino === undefined ? undefined : exactId(f.ino),
    path: f.path,
    correlated: f.group.members.filter((m) => m !== f).map((m) => ({ conn: m.conn, nodeid: exactId(m.nodeid) })),
    exchanges: f.exchanges,
    byOpcode,
    writes: f.writes,
    bytesWritten: f.bytesWritten,
    maxConcurrent: f.level?.max ?? 0,
    maxConcurrentWrites: f.writeLevel?.max ?? 0,
    concurrencyShare: f.level?.share() ?? {},
    reportedSize: num(f.group.reportedSize),
    daemonSize: num(f.group.daemonSize),
    kernelSize,
    openFlags: fopenNames(f.fopenSeen),
    ...(f.passthroughOpens > 0 ? { passthrough: { opens: f.passthroughOpens, backing: f.backing ?? [] } } : {}),
    sizeHistory: history,
    sizeHistoryTruncated: f.sizeEvents > history.length,
    timeline: bars,
    timelineTruncated: f.barsDropped > 0,
    ...(f.barsDropped > 0 ? { timelineDropped: f.barsDropped } : {}),
    ...(f.activity && !slim ? { activity: f.activity.model() } : {}),
    findings: f.findings,
  };
}

/** What `compareActivity` reads of `fileModel(f, slim)`, without building it. */
function activityFacts(f: FileState, slim = false): ActivityFacts {
  return fillActivityFacts(f, noActivity(), slim);
}

function noActivity(): ActivityFacts {
  return { timeline: { length: 0 }, timelineDropped: undefined, exchanges: 0, bytesWritten: 0, writes: 0, maxConcurrent: 0, sizeHistory: { length: 0 } };
}

/** `activityFacts` into a record of the caller's (one per retired file is three objects that only a comparison reads). */
function fillActivityFacts(f: FileState, out: ActivityFacts, slim = false): ActivityFacts {
  (out.timeline as { length: number }).length = slim ? 0 : f.barCount;
  out.timelineDropped = f.barsDropped > 0 ? f.barsDropped : undefined;
  out.exchanges = f.exchanges;
  out.bytesWritten = f.bytesWritten;
  out.writes = f.writes;
  out.maxConcurrent = f.level?.max ?? 0;
  (out.sizeHistory as { length: number }).length = slim ? 0 : (f.sizeHistory?.n ?? 0);
  return out;
}

/** The activity facts of a parked file (no exchange, `sizeEvents` size events): one object per count, shared. */
const PARKED_FACTS: ActivityFacts[] = [0, 1].map((n) => ({
  timeline: { length: 0 }, timelineDropped: undefined, exchanges: 0, bytesWritten: 0, writes: 0, maxConcurrent: 0, sizeHistory: { length: n },
}));

function parkedFacts(sizeEvents: number): ActivityFacts {
  return PARKED_FACTS[sizeEvents]!;
}

/**
 * The `keep` busiest of the entries added, in the order a stable sort on
 * `compareActivity` of all of them would list them first: ties go to the
 * entry added first. Holds at most about twice `keep` entries at a time, so
 * that ranking a million files does not hold a record for each.
 */
class Busiest<T> {
  private list: { e: T; facts: ActivityFacts; pos: number }[] = [];
  private added = 0;
  constructor(private readonly keep: number) {}

  add(e: T, facts: ActivityFacts): void {
    this.list.push({ e, facts, pos: this.added++ });
    if (this.list.length >= 2 * this.keep + 1024) this.cut();
  }

  private cut(): void {
    this.list.sort((a, b) => compareActivity(a.facts, b.facts) || a.pos - b.pos);
    if (this.list.length > this.keep) this.list.length = this.keep;
  }

  take(): T[] {
    this.cut();
    return this.list.map((r) => r.e);
  }
}

/**
 * Summaries of files whose state was dropped (FORGET), bounded: the busiest
 * and those with findings (unbounded with `keep` Infinity, for the export of
 * every file). Files outside the filters are only counted.
 *
 * A retired file alone in its size group can change no more (nothing reaches
 * it or its group once dropped), so it waits as it is and its model is built
 * only if the bound keeps it: on a many-file capture nearly every file is
 * retired and nearly all of them are pruned. A file correlated with others
 * is summarised at once (the others go on changing the shared size views).
 *
 * Once a prune has kept `keep` files, the last of them is a floor: a file
 * added later that is not busier ranks after it (ties go to the file added
 * first) and after everything ahead of it, so no later prune could keep it.
 * Such a file is counted as dropped at once instead of waiting, so that its
 * state dies young (the garbage collector copies what survives).
 */
export class RetiredFiles {
  private list: (FileModel | FileState)[] = [];
  /** The least busy file the last prune kept within `keep` (undefined until a prune filled it). */
  private floor: ActivityFacts | undefined = undefined;
  /** Entries of `list` with findings, and without (ranked by activity). */
  private nWithFindings = 0;
  private nRanked = 0;
  /** The facts of the file `add` compares with the floor (reused: most retired files are turned away). */
  private readonly scratch: ActivityFacts = noActivity();
  /** Files retired, selected or not. */
  count = 0;
  /** Selected files summarised and then left out by the bound. */
  dropped = 0;
  /** `emit`: hand each selected file on as a table row instead of keeping it (the export of every file). */
  constructor(private readonly keep: number, private readonly keepWithFindings = 1000, private readonly emit?: (m: FileModel) => void) {}

  add(f: FileState, selected = true): void {
    this.count++;
    if (!selected) return;
    if (this.emit) return this.emit(fileModel(f, true));
    if (this.floor !== undefined && f.findings === 0 && compareActivity(fillActivityFacts(f, this.scratch), this.floor) >= 0) {
      this.dropped++;
      return;
    }
    this.list.push(f.group.members.length === 1 && f.group.members[0] === f ? f : fileModel(f));
    // Each side is pruned at twice its own bound: once the floor turns the
    // quiet files away, nearly every file that gets in is a busy one holding
    // up to a file's bar budget, so a shared bound of 2 * (keep +
    // keepWithFindings) entries would hold that many busy files.
    if (f.findings > 0) this.nWithFindings++;
    else this.nRanked++;
    if (this.nRanked > 2 * this.keep || this.nWithFindings > 2 * this.keepWithFindings) this.prune();
  }

  private prune(): void {
    const before = this.list.length;
    const withF = this.list.filter((m) => m.findings > 0).slice(-this.keepWithFindings);
    const ranked = this.list.filter((m) => m.findings === 0)
      .map((e) => ({ e, facts: e instanceof FileState ? activityFacts(e) : e }))
      .sort((a, b) => compareActivity(a.facts, b.facts)).slice(0, this.keep);
    if (this.keep > 0 && ranked.length === this.keep) this.floor = ranked[this.keep - 1]!.facts;
    this.list = [...withF, ...ranked.map((r) => r.e)];
    this.nWithFindings = withF.length;
    this.nRanked = ranked.length;
    this.dropped += before - this.list.length;
  }

  /** Files held now (kept so far, and added since the last prune). */
  get held(): number {
    return this.list.length;
  }

  all(): FileModel[] {
    const models = this.list.map((e) => (e instanceof FileState ? fileModel(e) : e));
    this.list = models;
    return models;
  }
}

export interface InputFacts {
  file: string;
  format: 'pcapng' | 'fusedump';
  compression?: 'gzip';
  bytes: number;
  messages: number;
  notices: InputModel['notices'];
}

export interface BuildInput {
  version: string;
  epochNs: bigint;
  startT: number;
  endT: number;
  inputs: InputFacts[];
  connections: ConnectionInfo[];
  stats: InterfaceStats[];
  /** Queue-state samples of every connection, in capture order. */
  queue?: QueueSample[];
  pairer: Pairer;
  state: AnalysisState;
  findings: Finding[];
  findingsOmitted: Record<string, number>;
  retired: RetiredFiles;
  filters: ResolvedFilters;
  /** What --file/--since/--until selected, when they narrowed the run: its opcode table and in-flight depth replace the capture-wide ones. */
  selection: Selection | undefined;
  maxFiles: number;
  /** Files as table rows (fileModel `slim`). */
  slimFiles: boolean;
  unanswered: number;
  /** Messages per connection the recorder rebuilt from kernel state (capture/rebuilt.ts). */
  rebuilt?: number[];
  extraLimitations: Limitation[];
  peaks: Record<string, number>;
}

/** Samples kept in the model per connection (the peak is always among them). */
const MAX_QUEUE_SAMPLES = 2000;

/**
 * A connection's queue over time: the recorder writes a sample when a value
 * changed (at most every 100 ms), so each holds until the next one (the last
 * until the end of the capture).
 */
export function queueModel(samples: QueueSample[], endT: number): QueueModel | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  let peak = sorted[0]!;
  let congestedNs = 0;
  let fullNs = 0;
  sorted.forEach((q, i) => {
    if (q.waiting > peak.waiting) peak = q;
    const dur = Math.max(0, (sorted[i + 1]?.t ?? Math.max(endT, q.t)) - q.t);
    if (q.congestionThreshold > 0 && q.waiting >= q.congestionThreshold) congestedNs += dur;
    if (q.maxBackground > 0 && q.waiting >= q.maxBackground) fullNs += dur;
  });
  const stride = Math.ceil(sorted.length / MAX_QUEUE_SAMPLES);
  const kept = sorted.filter((q, i) => i % stride === 0 || q === peak);
  return {
    samples: kept.map((q) => [q.t, q.waiting, q.maxBackground, q.congestionThreshold]),
    sampleCount: sorted.length,
    peakWaiting: peak.waiting,
    peakWaitingT: peak.t,
    maxBackground: peak.maxBackground,
    congestionThreshold: peak.congestionThreshold,
    congestedNs,
    fullNs,
  };
}

export function buildModel(b: BuildInput): AnalysisModel {
  const { pairer, state, filters } = b;
  const connections: ConnectionModel[] = [];
  const limitations: Limitation[] = [...b.extraLimitations];
  for (const info of b.connections) {
    const c = info.conn;
    const p = pairer.protocol(c);
    const s = p.summary();
    const cs = state.conn(c);
    const st = b.stats.find((x) => x.conn === c);
    const drops = st?.ifDrop;
    connections.push({
      conn: c, input: info.input, file: info.file, name: info.name, label: info.label, description: info.description,
      snapLen: info.snapLen, os: info.os, hardware: p.machine, recorder: info.recorder,
      protocol: {
        kernel: s.kernel, daemon: s.daemon, negotiated: s.negotiated, source: s.source, flags: s.flags, offered: s.offered,
        maxWrite: s.maxWrite, maxPages: s.maxPages, maxBackground: s.maxBackground, maxReadahead: s.maxReadahead, timeGran: s.timeGran,
      },
      notable: {
        parallelDirops: p.has(InitBit.PARALLEL_DIROPS),
        asyncDio: p.has(InitBit.ASYNC_DIO),
        writebackCache: p.has(InitBit.WRITEBACK_CACHE) ?? (cs.writeback === true ? true : undefined),
        overIoUring: p.has(InitBit.OVER_IO_URING),
        passthrough: p.has(InitBit.PASSTHROUGH),
      },
      messages: cs.requests + cs.replies + cs.notifications,
      requests: cs.requests,
      replies: cs.replies,
      notifications: cs.notifications,
      threads: cs.concurrency.threads,
      peakInflight: cs.concurrency.peak,
      inflight: b.selection ? b.selection.inflight(c).steps : cs.concurrency.timeline.points,
      drops,
      queue: queueModel((b.queue ?? []).filter((q) => q.conn === c), b.endT),
    });
    if (p.has(InitBit.OVER_IO_URING)) {
      const rebuilt = b.rebuilt?.[c] ?? 0;
      limitations.push({
        kind: 'io-uring', conn: c,
        message: rebuilt > 0
          ? `connection ${c} negotiated FUSE over io_uring: the recorder rebuilt ${rebuilt} ring messages from the kernel's request state; ` +
            'a ring request\'s time is when it was queued, not when the daemon took it, no daemon thread is named for it, ' +
            'and FORGET, INTERRUPT and notifications are there only as far as they crossed /dev/fuse'
          : `connection ${c} negotiated FUSE over io_uring: requests after INIT bypass read/write on /dev/fuse and are not in the capture`,
      });
    }
    if (cs.passthroughSeen) {
      limitations.push({ kind: 'passthrough', conn: c, message: `connection ${c} opened files with FOPEN_PASSTHROUGH: their READ/WRITE never reach the daemon and are not in the capture, so no size verdict is made on those files while such a handle is open` });
    }
    if (cs.snapped > 0) {
      // Snap length 0 keeps whole messages: what was cut, the recorder cut (a rebuilt message's data it could not read).
      const by = info.snapLen ? `the snap length (${info.snapLen} bytes)` : 'the recorder';
      // A cut name is no name: the files it would have named have no path through it (`?<nodeid>`).
      const names = cs.namesCut === 0 ? '' : `; ${cs.namesCut === 1 ? '1 name was' : `${cs.namesCut} names were`} cut too, and the paths through them are unknown`;
      limitations.push({ kind: 'snapped', conn: c, message: `${cs.snapped} messages of connection ${c} were cut by ${by}: data payloads are unknown (headers and argument structs are complete)${names}` });
    }
    if (writtenByGlusterfs(info)) {
      limitations.push({
        kind: 'other', conn: c,
        message: `connection ${c} was written by GlusterFS's --dump-fuse, which stamps a request when a worker takes it and a reply after writing it: ` +
          'times are later than the messages crossed /dev/fuse (by up to 0.3 ms, up to 7 ms for INIT, in recordings against fusetrace record on one mount), ' +
          'so a reply can seem to end after the next request began (latencies and in-flight counts are GlusterFS\'s view); ' +
          'requests of opcodes GlusterFS does not know are not in the capture',
      });
    }
    if (!openFlagsKnown(p.machine)) {
      limitations.push({
        kind: 'other', conn: c,
        message: `connection ${c} was recorded on ${p.machine}, whose kernel numbers open(2) flags in a way fusetrace does not know ` +
          '(it knows asm-generic\'s, as x86 and riscv, and those of arm, arm64, m68k and powerpc): their names are x86-64\'s, and O_DIRECT and O_TRUNC may be misread',
      });
    }
    if (s.source !== 'init') {
      limitations.push({ kind: 'after-init', conn: c, message: s.note ?? `connection ${c}: no INIT in the capture, layouts assumed` });
    } else if (p.initFailed) {
      limitations.push({ kind: 'other', conn: c, message: `connection ${c}: ${p.initFailed}` });
    }
    if (drops !== undefined && drops > 0) {
      limitations.push({ kind: 'drops', conn: c, message: `the recorder counted ${drops} messages of connection ${c} it failed to record: exchanges may be missing` });
    }
    if (cs.handles.dropped > 0) {
      limitations.push({
        kind: 'other', conn: c,
        message: `connection ${c} had more handles with FOPEN flags open at once than fusetrace keeps (${cs.handles.max}): the flags of the ${cs.handles.dropped} opened first were forgotten, ` +
          'so a handle not found may be a direct-I/O one, and no READ through one changes the kernel\'s size or is judged against it',
      });
    }
  }
  for (const inp of b.inputs) {
    for (const n of inp.notices) {
      if (n.kind === 'truncated') limitations.push({ kind: 'cut', conn: null, message: `${inp.file}: ${n.message}` });
    }
  }

  const ops: OpStatsModel[] = (b.selection ? b.selection.ops : state.latency).all().filter((o) => filters.conn(o.conn)).map((o) => {
    const h = o.latency;
    const us = (ns: number): number => Math.round(ns / 10) / 100;
    return {
      conn: o.conn, opcode: o.opcode, name: opcodeName(o.opcode), count: o.count, replied: o.replied, errors: o.errors,
      errnos: o.errnoCounts(),
      latencyUs: h.count > 0 ? { p50: us(h.percentile(0.5)), p90: us(h.percentile(0.9)), p99: us(h.percentile(0.99)), max: us(h.max), mean: us(h.sum / h.count) } : undefined,
      histogram: h.log2Us(),
    };
  });

  // Files: those with findings, then the busiest, within the filters. Live
  // files are ranked on their facts: a model is built only for those listed;
  // parked files (rows of the file table) on the facts they all share.
  const slim = b.slimFiles;
  const parked = state.files.parked;
  const withFindings: (FileModel | FileState)[] = [];
  const busiest = new Busiest<FileModel | FileState | number>(b.maxFiles);
  let candidates = 0;
  for (const e of state.files.entries()) {
    if (typeof e === 'number') {
      if (!filters.conn(parked.conn(e)) || !filters.file(parked.nodeid(e), parked.path(e))) continue;
      candidates++;
      busiest.add(e, parkedFacts(slim ? 0 : parked.sizeEvents(e)));
    } else if (filters.conn(e.conn) && filters.file(e.nodeid, e.path)) {
      candidates++;
      if (e.findings > 0) withFindings.push(e);
      else busiest.add(e, activityFacts(e, slim));
    }
  }
  for (const m of b.retired.all()) {
    if (!filters.conn(m.conn) || !filters.file(m.nodeid, m.path)) continue;
    candidates++;
    if (m.findings > 0) withFindings.push(m);
    else busiest.add(m, m);
  }
  const files = [...withFindings, ...busiest.take()]
    .map((e) => (typeof e === 'number' ? fileModel(state.files.unpark(e), slim) : e instanceof FileState ? fileModel(e, slim) : e))
    .sort(compareActivity);
  const filesOmitted = candidates - files.length + b.retired.dropped;

  const findingsBySev: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of b.findings) findingsBySev[f.severity]++;
  const pc = pairer.counts;
  const model: AnalysisModel = {
    schema: ANALYSIS_SCHEMA,
    tool: { name: 'fusetrace', version: b.version },
    epochNs: b.epochNs.toString(),
    inputs: b.inputs.map((i, idx) => ({
      file: i.file, format: i.format, ...(i.compression ? { compression: i.compression } : {}), bytes: i.bytes, messages: i.messages,
      connections: b.connections.filter((c) => c.input === idx).map((c) => c.conn), notices: i.notices,
    })),
    span: { startT: b.startT, endT: b.endT, durationNs: b.endT - b.startT },
    connections,
    summary: {
      messages: pc.messages, requests: pc.requests, replies: pc.replies, notifications: pc.notifications,
      exchanges: pc.requests, unanswered: b.unanswered, orphanReplies: pc.orphans, malformed: pc.malformed,
      files: state.files.created, findings: findingsBySev,
    },
    ops,
    files,
    filesOmitted,
    findings: b.findings,
    findingsOmitted: b.findingsOmitted,
    limitations,
    filters: filters.model(),
  };
  model.tables = b.peaks;
  return model;
}
