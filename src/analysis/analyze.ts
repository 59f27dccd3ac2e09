/**
 * `analyze()`: the whole analysis in one synchronous streaming pass
 * (analysis.md): readers -> Pairer -> time-ordering window -> state
 * (paths, handles, sizes, concurrency, latency) -> detectors -> model.
 * Memory is bounded by the in-flight requests, the live files and the
 * ordering window, never by the number of messages.
 */
import { CaptureError } from '../capture/errors.js';
import type { CaptureInput } from '../capture/input.js';
import { Timebase, type CaptureMessage, type CaptureNotice, type ConnectionInfo, type InterfaceStats, type QueueSample, type BackingOp } from '../capture/message.js';
import { bytesRead, captureBytes, openCaptures, readMerged } from '../capture/open.js';
import { guessDirection } from '../protocol/guess-direction.js';
import type { Exchange } from '../protocol/exchange.js';
import { Pairer, type PairingProblem } from '../pairing/pairer.js';
import type { NotifyEvent } from '../protocol/extract.js';
import { InitBit } from '../protocol/flags/init.js';
import type { ProtocolOverride } from '../protocol/version.js';
import type { AnalysisModel, FileModel, PassthroughBacking } from '../model/analysis.js';
import { type Finding, type Severity, severityRank } from '../model/finding.js';
import type { SizeEvent } from '../model/size-event.js';
import { DETECTORS } from '../detectors/index.js';
import { DetectorRunner, type FindingInput } from '../detectors/define.js';
import { AnalysisState } from '../state/state.js';
import { MAX_HANDLES } from '../state/handles.js';
import { exactId } from '../model/id64.js';
import { toolVersion } from '../model/format.js';
import { buildModel, RetiredFiles, sizeEvent, type InputFacts } from './build-model.js';
import { NO_FILTERS, ResolvedFilters, type Filters } from './filters.js';
import { EventHeap, EvKind, ORDER_WINDOW, ORDER_WINDOW_GROWTH, RELEASE_EVERY } from '../pairing/order.js';
import { Selection } from './selection.js';
import { isRebuilt } from '../capture/rebuilt.js';

export interface AnalyzeHooks {
  /**
   * Each exchange after the state update, in time order (at its reply;
   * unanswered ones at the end), with path and size views set. Valid during
   * the call only: the analysis reuses the record for a later request, so
   * copy what you keep.
   */
  onExchange?(x: Exchange): void;
  /** Each size event (report, write, truncate ...), in time order. */
  onSizeEvent?(e: SizeEvent): void;
  /** Each finding the filters keep, when the detector raises it (the model lists them again at the end). */
  onFinding?(f: Finding): void;
  /** With `fileRows`: each file whose state is dropped (FORGET), within the filters, as a table row. */
  onFileRetired?(f: FileModel): void;
  /** Each connection when its capture declares it (before any of its messages). */
  onConnection?(c: ConnectionInfo): void;
}

export interface AnalyzeOptions {
  files: string[];
  proto?: ProtocolOverride;
  /** The recording host of connections whose capture does not name it (PairerOptions.machine). */
  machine?: string;
  /** Correlate files across connections by attr.ino (default: true when more than one connection). */
  correlate?: boolean;
  filters?: Filters;
  /** Keep timeline bars for the HTML report (bounded). */
  timeline?: boolean;
  /**
   * Every file as a table row (the export): each file whose state is dropped
   * goes to `hooks.onFileRetired` instead of `model.files`, and `files` lists
   * every remaining one, all without size history, timeline and activity, so
   * memory does not grow with the files already done.
   */
  fileRows?: boolean;
  resync?: boolean;
  /** Also read interfaces of this pcapng link type as FUSE. */
  linkType?: number;
  hooks?: AnalyzeHooks;
  /** Bytes read so far and the total size of the inputs (0 when unknown, e.g. stdin). */
  progress?(done: number, total: number): void;
  /** Shared time base (the caller can read epochNs while hooks run). */
  timebase?: Timebase;
  /** Tuning (tests, benchmarks). */
  limits?: Partial<AnalyzeLimits>;
  /** Tests: a completed exchange is poisoned instead of reused, so that reading it later throws (`PairerOptions.poisonRecycled`). */
  poisonRecycled?: boolean;
  /**
   * Only the hooks' exchanges and size events are wanted (the export's
   * `requests` and `sizes` tables): the state keeps their views only
   * (`StateOptions.viewsOnly`) and retired files are not summarised, so the
   * model's files, latency and concurrency are left empty.
   */
  viewsOnly?: boolean;
}

export interface AnalyzeLimits {
  /** An event leaves the ordering window once every input is this far (ns) past it. */
  windowNs: number;
  /** ... or when this many events wait. */
  maxWaiting: number;
  /** Files listed without findings (the busiest). */
  maxFiles: number;
  /** Findings kept; more are counted in findingsOmitted. */
  maxFindings: number;
  /** Timeline bars kept in total. */
  maxBars: number;
  /** Timeline bars kept per file when --file, --since or --until narrow the report. */
  barsPerFileNarrowed: number;
  /** Open handles with FOPEN flags kept per connection; the oldest are dropped past it. */
  maxHandles: number;
}

const DEFAULT_LIMITS: AnalyzeLimits = { windowNs: 1e9, maxWaiting: ORDER_WINDOW, maxFiles: 100, maxFindings: 20_000, maxBars: 200_000, barsPerFileNarrowed: 12_000, maxHandles: MAX_HANDLES };

export interface AnalyzeResult {
  model: AnalysisModel;
  /** Input damage that stopped reading: the model still holds everything before it. */
  fatal: CaptureError | undefined;
  /** Filters that selected nothing, as sentences for the user (stderr). */
  filterMisses: string[];
}

/**
 * The backing files of passthrough handles, from the recorder's BACKING_OPEN
 * blocks (capture-format.md §1). An id is looked up when the OPEN/CREATE reply
 * carrying it is applied, which is after its block was read (the ioctl comes
 * before the reply); kernel ids are allocated cyclically, so the latest open
 * of an id is the one meant. Bounded per connection.
 */
class BackingFiles {
  private readonly byConn = new Map<number, Map<number, PassthroughBacking>>();
  add(b: BackingOp): void {
    if (b.op !== 'open' || b.result <= 0) return;
    let m = this.byConn.get(b.conn);
    if (m === undefined) this.byConn.set(b.conn, (m = new Map()));
    if (m.size >= MAX_BACKING_IDS && !m.has(b.result)) {
      const oldest = m.keys().next();
      if (!oldest.done) m.delete(oldest.value);
    }
    m.delete(b.result);
    m.set(b.result, { id: b.result, path: b.path === '' ? null : b.path, dev: b.dev === 0 ? null : exactId(b.dev), ino: b.ino === 0 ? null : exactId(b.ino) });
  }
  get(conn: number, id: number): PassthroughBacking | undefined {
    return this.byConn.get(conn)?.get(id);
  }
}
/** Backing ids remembered per connection. */
const MAX_BACKING_IDS = 65536;

/** Runs the analysis over `opts.files`, merged by time. Never throws for damaged input (see `fatal`). */
export function analyze(opts: AnalyzeOptions): AnalyzeResult {
  const limits: AnalyzeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const timebase = opts.timebase ?? new Timebase();
  const filtersIn = opts.filters ?? NO_FILTERS;
  const narrowed = filtersIn.paths.length > 0 || filtersIn.nodeids.length > 0 || filtersIn.since !== undefined || filtersIn.until !== undefined;
  const hooks = opts.hooks ?? {};
  const heap = new EventHeap();
  const connections: ConnectionInfo[] = [];
  const stats: InterfaceStats[] = [];
  const queue: QueueSample[] = [];
  /** Passthrough backing files by connection and backing id (the latest BACKING_OPEN of each id). */
  const backings = new BackingFiles();
  const inputFacts: InputFacts[] = opts.files.map((file) => ({ file, format: 'pcapng', bytes: 0, messages: 0, notices: [] }));
  // Latest message time of each input; earliest and latest of all. Typed
  // arrays: a time stored in a closure's variable would allocate a number per message.
  const maxT = new Float64Array(opts.files.length).fill(-Infinity);
  const span = new Float64Array([Infinity, -Infinity]);

  // Problems wait in the ordering window while reading; at the end they go straight to the detectors.
  let onProblem = (p: PairingProblem): void => heap.problem(p);
  const pairer = new Pairer({
    onRequest: (x) => heap.request(x),
    onExchange: (x) => {
      if (!x.noReplyExpected) heap.reply(x);
    },
    onNotify: (n) => heap.notify(n),
    onProblem: (p) => onProblem(p),
  }, { proto: opts.proto, machine: opts.machine, poisonRecycled: opts.poisonRecycled });

  // Filters are resolved once the epoch is known (first message); until then nothing is released.
  let filters: ResolvedFilters | undefined;
  const resolved = (): ResolvedFilters => (filters ??= new ResolvedFilters(filtersIn, timebase.epochNs ?? 0n));

  let correlate = opts.correlate;
  let state: AnalysisState | undefined;
  let runner: DetectorRunner | undefined;
  const findings: Finding[] = [];
  const findingsOmitted: Record<string, number> = {};
  const maxFiles = opts.fileRows ? Infinity : limits.maxFiles;
  const retired = new RetiredFiles(maxFiles, 1000, opts.fileRows ? (m) => hooks.onFileRetired?.(m) : undefined);

  const onFinding = (kind: string, severity: Severity, input: FindingInput, build: () => Finding): void => {
    const flt = resolved();
    const st = state!;
    const nodeid = input.nodeid ?? null;
    const keep = findings.length < limits.maxFindings && flt.severity(severity) && flt.conn(input.conn) && flt.time(input.t) &&
      (flt.anyFile || flt.file(nodeid === null ? null : exactId(nodeid), input.path ?? null));
    if (!keep) {
      findingsOmitted[kind] = (findingsOmitted[kind] ?? 0) + 1;
      return;
    }
    const f = build();
    findings.push(f);
    hooks.onFinding?.(f);
    const file = nodeid !== null ? st.files.get(input.conn, nodeid) : undefined;
    if (file) file.findings++;
    // Bars of the exchanges involved are always kept: not added yet -> forced in; dropped -> rescued.
    for (const tr of input.tracks ?? []) {
      tr.keepBar = true;
      tr.file?.rescueBar(tr.x.conn, tr.x.unique);
    }
  };

  const start = (): void => {
    if (state) return;
    // Correlation only ever joins files of different connections, so "on unless
    // turned off" is the same as "on when there is more than one connection".
    if (correlate === undefined) correlate = true;
    state = new AnalysisState({
      correlate,
      timeline: opts.timeline === true,
      maxBars: limits.maxBars,
      // Narrowed by file or time, a report has room to draw all it selected (up to the page's cap).
      barsPerFile: narrowed ? limits.barsPerFileNarrowed : undefined,
      // Without filters every bar is wanted: no call per exchange to say so.
      barWanted: !narrowed && filtersIn.conns.length === 0 ? undefined : (x, f) => {
        const flt = resolved();
        const tEnd = x.replied ? x.tReply : Infinity;
        return flt.conn(x.conn) && (flt.since === null || tEnd >= flt.since) && (flt.until === null || x.tReq <= flt.until) &&
          flt.file(exactId(f.nodeid), f.path);
      },
      writeback: (c) => pairer.protocol(c).has(InitBit.WRITEBACK_CACHE),
      backing: (c, id) => backings.get(c, id),
      onSizeEvent: hooks.onSizeEvent
        ? (e, f) => {
            const flt = resolved();
            const nodeid = exactId(f.nodeid);
            if (flt.conn(f.conn) && flt.time(e.t) && flt.file(nodeid, e.path)) hooks.onSizeEvent!(sizeEvent(f.conn, nodeid, e));
          }
        : undefined,
      onRetire: opts.viewsOnly
        ? undefined
        : (f) => {
            // Detectors report what they still hold about the file first, so that its summary counts it.
            runner?.retire(f);
            const flt = resolved();
            retired.add(f, flt.conn(f.conn) && flt.file(f.nodeid, f.path));
          },
      poisonRecycled: opts.poisonRecycled,
      viewsOnly: opts.viewsOnly,
      maxHandles: limits.maxHandles,
    });
    const selected = filtersIn.detectors ? DETECTORS.filter((d) => filtersIn.detectors!.includes(d.id)) : DETECTORS;
    runner = new DetectorRunner(selected, state, onFinding);
  };

  const emitExchange = (x: Exchange): void => {
    const flt = resolved();
    if (flt.anyFile !== true) flt.noteFile(x.nodeid, x.path);
    if (hooks.onExchange === undefined) return;
    // `path` only when a file filter needs it: reading it joins a child's name to its directory's path (Exchange.dirPath).
    if (flt.conn(x.conn) === true && flt.time(x.tReq) === true && (flt.anyFile === true || flt.file(x.nodeid, x.path) === true)) hooks.onExchange(x);
  };

  // The opcode table and in-flight depth of what --file/--since/--until select (the state keeps the capture-wide ones).
  let selection: Selection | undefined;

  const release = (): void => {
    const e = heap.pop()!;
    const st = state!;
    const run = runner!;
    switch (e.kind) {
      case EvKind.Request: {
        const x = e.x!;
        const tr = st.request(x);
        if (narrowed) (selection ??= new Selection(resolved())).request(x);
        run.request(x, tr);
        if (x.noReplyExpected) {
          emitExchange(x);
          // Complete: no stage looks at it again unless it said so (Exchange.held).
          pairer.recycle(x);
        }
        break;
      }
      case EvKind.Reply: {
        const x = e.x!;
        const tr = st.reply(x);
        selection?.reply(x);
        run.reply(x, tr);
        emitExchange(x);
        if (tr !== undefined) {
          st.finishReply(tr);
          st.recycle(tr);
        }
        // Its last event: the state, the selection and the hooks are done with it, detectors that keep it hold it.
        pairer.recycle(x);
        break;
      }
      case EvKind.Notify: {
        const n = e.n!;
        st.notify(notifyFacts(n));
        run.notify(n);
        break;
      }
      case EvKind.Problem:
        run.problem(e.p!);
        break;
    }
    heap.recycle(e);
  };

  let fatal: CaptureError | undefined;
  let sinceDrain = 0;
  /** Messages per connection the recorder rebuilt (FUSE over io_uring). */
  const rebuilt: number[] = [];
  let inputs: CaptureInput[] = [];
  ({ inputs } = openCaptures(opts.files, {
    onConnection: (c) => {
      connections.push(c);
      pairer.onConnection(c);
      hooks.onConnection?.(c);
    },
    onMessage: (m: CaptureMessage) => {
      const t = m.t;
      if (t > maxT[m.input]!) maxT[m.input] = t;
      if (t < span[0]!) span[0] = t;
      if (t > span[1]!) span[1] = t;
      if (isRebuilt(m.comment)) rebuilt[m.conn] = (rebuilt[m.conn] ?? 0) + 1;
      pairer.message(m);
      if (++sinceDrain >= RELEASE_EVERY) {
        sinceDrain = 0;
        drain(false);
      }
    },
    onNotice: (n: CaptureNotice) => {
      const i = opts.files.indexOf(n.file);
      inputFacts[i >= 0 ? i : 0]?.notices.push({ kind: n.kind, offset: n.offset, blockNo: n.blockNo, message: n.message });
    },
    onStats: (s) => stats.push(s),
    onQueue: (q) => queue.push(q),
    onBacking: (b) => backings.add(b),
  }, { timebase, resync: opts.resync, linkType: opts.linkType, guessDirection }));

  const total = captureBytes(opts.files);

  /** Events that may wait in the ordering window: `limits.maxWaiting`, doubled after each drain that released a message late. */
  let waitCap = limits.maxWaiting;
  let lateSeen = 0;
  const drain = (all: boolean): void => {
    if (heap.size === 0) return;
    start();
    let wm = Infinity;
    if (!all) {
      for (let i = 0; i < inputs.length; i++) if (!inputs[i]!.done && maxT[i]! < wm) wm = maxT[i]!;
    }
    const limit = wm - limits.windowNs;
    const maxWaiting = waitCap;
    // Over the cap is the common reason (checked first: no peek); the order of the tests changes nothing.
    for (let n = heap.size; n > 0 && (all || n > maxWaiting || heap.peekT() < limit); n = heap.size) release();
    // A message came further behind than the window: this capture's threads lag more than it allows, so
    // the window doubles (up to ORDER_WINDOW_GROWTH times its start) and the next such lag is put in order.
    if (heap.late > lateSeen) {
      lateSeen = heap.late;
      waitCap = Math.min(waitCap * 2, limits.maxWaiting * ORDER_WINDOW_GROWTH);
    }
  };

  try {
    readMerged(inputs, () => {
      drain(false);
      if (opts.progress) opts.progress(bytesRead(inputs), total);
    });
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    fatal = e;
  }
  inputs.forEach((inp, i) => {
    // Counted by the readers: a count here was a closure, an array and an object loaded a message.
    inputFacts[i]!.messages = inp.messages;
    inputFacts[i]!.bytes = inp.dataBytes;
    inputFacts[i]!.format = inp.format ?? 'pcapng';
    if (inp.compression) inputFacts[i]!.compression = inp.compression;
  });

  drain(true);
  start();
  const st = state!;
  const run = runner!;
  const startT = Number.isFinite(span[0]!) ? span[0]! : 0;
  const endT = Number.isFinite(span[1]!) ? span[1]! : startT;
  st.tLast = Math.max(st.tLast, endT);

  // End of capture: unanswered requests, then the detectors' end handlers.
  let unanswered = 0;
  onProblem = (p) => {
    if (p.kind === 'unanswered-request') unanswered++;
    run.problem(p);
  };
  pairer.end(endT);
  for (const tr of st.inflightTracks()) emitExchange(tr.x);
  st.end(endT);
  run.end();

  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.t - b.t);
  const model = buildModel({
    version: toolVersion(),
    epochNs: timebase.epochNs ?? 0n,
    startT, endT,
    inputs: inputFacts,
    connections,
    stats,
    queue,
    pairer,
    state: st,
    findings,
    findingsOmitted,
    retired,
    filters: resolved(),
    selection: narrowed ? (selection ?? new Selection(resolved())) : undefined,
    maxFiles,
    slimFiles: opts.fileRows === true,
    unanswered,
    rebuilt,
    extraLimitations: [
      ...(fatal ? [{ kind: 'cut' as const, conn: null, message: `reading stopped at damaged input (${fatal.message}); everything before it is analyzed` }] : []),
      ...(heap.late > 0 ? [{ kind: 'out-of-order' as const, conn: null, message: outOfOrderMessage(heap.late, limits, waitCap) }] : []),
    ],
    peaks: {
      inflight: st.peakTracks,
      files: st.files.peak,
      filesRetired: retired.count,
      paths: Math.max(0, ...st.conns.filter((c) => c).map((c) => c.paths.peak)),
      handles: Math.max(0, ...st.conns.filter((c) => c).map((c) => c.handles.peak)),
      orderingWindow: heap.peak,
      releasedLate: heap.late,
      timelineBars: st.bars,
    },
  });
  const filterMisses = resolved().misses(connections.map((c) => c.conn), startT, endT);
  return { model, fatal, filterMisses };
}

/** The `out-of-order` limitation: what came too late for the ordering window, and what that may change. */
function outOfOrderMessage(late: number, limits: AnalyzeLimits, grownTo: number): string {
  const what = late === 1 ? '1 message was' : `${late} messages were`;
  const grew = grownTo > limits.maxWaiting ? `, which then grew to ${grownTo} messages` : '';
  return `${what} recorded too long after messages stamped later (more than ${limits.maxWaiting} messages or ${limits.windowNs / 1e9} s behind, the reordering window${grew}) and applied out of time order: in-flight counts, size views and findings around ${late === 1 ? 'it' : 'them'} may be off`;
}

function notifyFacts(n: NotifyEvent): { conn: number; t: number; code: number; nodeid: NotifyEvent['nodeid']; offset: number; size: number; parent: NotifyEvent['parent']; name: string | undefined; nameCut: boolean } {
  return { conn: n.conn, t: n.t, code: n.code, nodeid: n.nodeid, offset: n.offset ?? 0, size: n.size ?? 0, parent: n.parent, name: n.entryName, nameCut: n.nameCaptured !== undefined };
}
