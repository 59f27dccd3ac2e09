/**
 * The neutral analysis model: what `fusetrace analyze` computed, before any
 * rendering. The text report, `--json` (schema fusetrace.analysis/1), CSV
 * export, baseline/check and the HTML timeline all render this one model.
 * Names are the identifiers of docs/spec/analysis.md; keep them stable.
 *
 * Times: `t`-like fields are nanoseconds relative to `epochNs` (the first
 * timestamp read, an exact decimal string of ns since the Unix epoch), so
 * they stay exact as JSON numbers. 64-bit ids (uniques, nodeids, fh) are
 * numbers while <= 2^53-1 and bigints beyond; JSON writes both as exact
 * numbers (json.ts).
 */
import type { Finding, Severity } from './finding.js';
import type { ErrnoCount } from './format.js';
import type { Id } from './id64.js';
import type { SizeEvent } from './size-event.js';
import type { TimelineBar } from './timeline-bar.js';

/** The `schema` of `analyze --json` and of a baseline's analysis (docs/analysis-json.md). */
export const ANALYSIS_SCHEMA = 'fusetrace.analysis/1';

/** What `compareActivity` reads of a file: a FileModel, or the same facts taken from the state without building one. */
export interface ActivityFacts {
  timeline: { readonly length: number };
  timelineDropped?: number;
  exchanges: number;
  bytesWritten: number;
  writes: number;
  maxConcurrent: number;
  sizeHistory: { readonly length: number };
}

/** Exchanges of a file within the filters (its timeline and what the caps left out); 0 without a timeline. */
export const selectedExchanges = (f: ActivityFacts): number => f.timeline.length + (f.timelineDropped ?? 0);

/**
 * Busiest first: exchanges within the filters, then all exchanges, bytes
 * written, writes, peak concurrency and size events, so that files equal on
 * one measure are told apart by the next rather than by table order.
 */
export function compareActivity(a: ActivityFacts, b: ActivityFacts): number {
  return selectedExchanges(b) - selectedExchanges(a) || b.exchanges - a.exchanges || b.bytesWritten - a.bytesWritten ||
    b.writes - a.writes || b.maxConcurrent - a.maxConcurrent || b.sizeHistory.length - a.sizeHistory.length;
}


export interface AnalysisModel {
  schema: typeof ANALYSIS_SCHEMA;
  tool: { name: 'fusetrace'; version: string };
  epochNs: string;
  inputs: InputModel[];
  span: { startT: number; endT: number; durationNs: number };
  connections: ConnectionModel[];
  summary: SummaryModel;
  ops: OpStatsModel[];
  /** Files with findings and the busiest others, within the filters (AnalyzeLimits.maxFiles). */
  files: FileModel[];
  /** Files within the filters that `files` leaves out (`fusetrace export --table files` lists every file). */
  filesOmitted: number;
  findings: Finding[];
  /** Findings left out of `findings` by filters or caps, by kind. */
  findingsOmitted: Record<string, number>;
  limitations: Limitation[];
  filters: FilterModel;
  /**
   * Peak sizes of the analysis' bounded tables (in-flight exchanges, live
   * files, paths, handles, the time-ordering window) and counters such as
   * files retired after FORGET and events released late: the memory story
   * of the run.
   */
  tables?: Record<string, number>;
}

export interface InputModel {
  file: string;
  format: 'pcapng' | 'fusedump';
  /** Present for a compressed file read directly: `bytes` and the notices' offsets are then the decompressed data's. */
  compression?: 'gzip';
  bytes: number;
  messages: number;
  connections: number[];
  notices: { kind: string; offset: number; blockNo: number; message: string }[];
}

export interface ProtocolModel {
  kernel: string | undefined; // "7.45"
  daemon: string | undefined; // "7.31"
  negotiated: string; // "7.31"
  /** init: from the INIT exchange; user: --proto; assumed: newest layout. */
  source: 'init' | 'user' | 'assumed';
  /** Effective INIT flags by kernel name (FUSE_ASYNC_READ ...). */
  flags: string[];
  offered: string[];
  maxWrite: number | undefined;
  maxPages: number | undefined;
  maxBackground: number | undefined;
  maxReadahead: number | undefined;
  timeGran: number | undefined;
}

export interface ConnectionModel {
  conn: number;
  input: number;
  file: string;
  name: string;
  label: string | undefined;
  description: string | undefined;
  snapLen: number;
  os: string | undefined;
  /** The recording host's machine (pcapng shb_hardware, `uname -m`, else --machine): it numbers the open(2) flags of the capture. */
  hardware: string | undefined;
  recorder: string | undefined;
  protocol: ProtocolModel;
  /** The INIT facts that matter for concurrency and sizes. */
  notable: {
    parallelDirops: boolean | undefined;
    asyncDio: boolean | undefined;
    writebackCache: boolean | undefined;
    overIoUring: boolean | undefined;
    passthrough: boolean | undefined;
  };
  messages: number;
  requests: number;
  replies: number;
  notifications: number;
  /** Distinct daemon threads (tids) that read or answered requests. */
  threads: number;
  peakInflight: number;
  /** In-flight requests over time as the daemon saw them: [t, depth] steps, downsampled to a bounded count. */
  inflight: [number, number][];
  drops: number | undefined;
  /** fusectl queue state over time, when the recorder sampled it (record --bpf). */
  queue?: QueueModel;
}

/**
 * A connection's queue as fusectl showed it: `waiting` requests against its
 * `congestion_threshold` and `max_background` (capture-format.md §1, "Queue state").
 */
export interface QueueModel {
  /** [t, waiting, max_background, congestion_threshold] steps, each holding until the next; downsampled to a bounded count. */
  samples: [number, number, number, number][];
  /** Samples in the capture. */
  sampleCount: number;
  peakWaiting: number;
  peakWaitingT: number;
  /** Limits at the peak. */
  maxBackground: number;
  congestionThreshold: number;
  /**
   * Time (ns) with waiting >= congestion_threshold. `waiting` counts every
   * outstanding request, the kernel's limits only background ones (async
   * reads, writeback): so this bounds from above the time the mount was
   * congested (writeback and readahead back off).
   */
  congestedNs: number;
  /** Time (ns) with waiting >= max_background: an upper bound of the time background requests were held in the kernel. */
  fullNs: number;
}

export interface SummaryModel {
  messages: number;
  requests: number;
  replies: number;
  notifications: number;
  exchanges: number;
  unanswered: number;
  orphanReplies: number;
  malformed: number;
  files: number;
  findings: Record<Severity, number>;
}

export interface LatencyModel {
  /** Microseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface OpStatsModel {
  conn: number;
  opcode: number;
  name: string; // "LOOKUP"
  count: number;
  /** Exchanges with a reply. */
  replied: number;
  errors: number;
  /** Error counts by errno, most frequent first (JSON and baseline files key them by name, errnoCountsByName). */
  errnos: ErrnoCount[];
  latencyUs: LatencyModel | undefined;
  /** Log2 latency histogram in µs: [lo, hi, count] buckets, lo inclusive. */
  histogram: [number, number, number][];
}


/** Counts per slice `[t0 + i * width, t0 + (i + 1) * width)` (state/activity.ts bins them). */
export interface ActivityModel {
  t0: number;
  width: number;
  counts: number[];
}

/** A passthrough backing file (capture-format.md §1, "Passthrough backing files"). */
export interface PassthroughBacking {
  id: number;
  path: string | null;
  dev: Id | null;
  ino: Id | null;
}

export interface FileModel {
  conn: number;
  nodeid: Id;
  ino: Id | undefined;
  path: string;
  /** Files on other connections correlated with this one by attr.ino. */
  correlated: { conn: number; nodeid: Id }[];
  exchanges: number;
  byOpcode: Record<string, number>;
  writes: number;
  bytesWritten: number;
  maxConcurrent: number;
  maxConcurrentWrites: number;
  /** Share of the file's active time spent at each in-flight level ("1": 0.8, "2": 0.2). */
  concurrencyShare: Record<string, number>;
  reportedSize: number | undefined;
  daemonSize: number | undefined;
  /** Kernel-believed size per connection number. */
  kernelSize: Record<string, number | null>;
  /** FOPEN_* flags seen in OPEN/CREATE replies for this file. */
  openFlags: string[];
  /**
   * Opens answered with FOPEN_PASSTHROUGH: their reads and writes went to the
   * backing file, not through FUSE (absent when none). `backing`: the first
   * few backing ids, with the file the daemon registered under each when the
   * capture holds its BACKING_OPEN (path and dev/ino null otherwise).
   */
  passthrough?: { opens: number; backing: PassthroughBacking[] };
  sizeHistory: SizeEvent[];
  /** True when sizeHistory was cut to its cap. */
  sizeHistoryTruncated: boolean;
  /** Bars for the timeline (HTML); bounded, see timelineTruncated. */
  timeline: TimelineBar[];
  timelineTruncated: boolean;
  /** Exchanges within the filters the timeline's caps left out (timeline runs only; absent when none). */
  timelineDropped?: number;
  /**
   * Every exchange of the file per time slice, whatever the time window, when
   * `timeline` does not hold them all (timeline runs only): where the rest
   * of the file's activity is.
   */
  activity?: ActivityModel;
  findings: number;
}




export interface Limitation {
  kind: 'io-uring' | 'passthrough' | 'snapped' | 'after-init' | 'cut' | 'drops' | 'out-of-order' | 'other';
  conn: number | null;
  message: string;
}

export interface FilterModel {
  files: string[];
  conns: number[];
  since: number | null;
  until: number | null;
  minSeverity: Severity;
  detectors: string[] | null;
}
