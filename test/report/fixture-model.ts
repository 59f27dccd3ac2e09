/**
 * Hand-made AnalysisModels for the HTML report tests: the stale-size-race
 * shape (two mounts over one backing file; B truncates to 2 GiB while A
 * still believes 4 GiB; two parallel O_DIRECT writes through A at 3 GiB and
 * 3.5 GiB), plus a generator of huge timelines for the bounding test.
 */
import { ANALYSIS_SCHEMA, type AnalysisModel, type ConnectionModel, type FileModel, type OpStatsModel } from '../../src/model/analysis.js';
import type { Finding } from '../../src/model/finding.js';
import type { SizeEvent } from '../../src/model/size-event.js';
import type { TimelineBar } from '../../src/model/timeline-bar.js';

const MS = 1_000_000;
const GiB = 1024 ** 3;

function conn(n: number, name: string, file: string, inflight: [number, number][]): ConnectionModel {
  return {
    conn: n,
    input: n,
    file,
    name,
    label: name,
    description: undefined,
    snapLen: 256,
    os: 'Linux 6.18',
    hardware: 'x86_64',
    recorder: 'fusetrace-record',
    protocol: { kernel: '7.45', daemon: '7.45', negotiated: '7.45', source: 'init', flags: ['FUSE_ASYNC_READ', 'FUSE_PARALLEL_DIROPS'], offered: [], maxWrite: 1048576, maxPages: 256, maxBackground: 12, maxReadahead: 131072, timeGran: 1 },
    notable: { parallelDirops: true, asyncDio: true, writebackCache: false, overIoUring: false, passthrough: false },
    messages: 40,
    requests: 20,
    replies: 20,
    notifications: 0,
    threads: 4,
    peakInflight: Math.max(0, ...inflight.map((s) => s[1])),
    inflight,
    drops: 0,
  };
}

function bar(conn: number, unique: number, name: string, opcode: number, tReq: number, tReply: number | null, extra: Partial<TimelineBar> = {}): TimelineBar {
  return { conn, unique, opcode, name, tReq, tReply, error: null, tid: 100 + (unique % 4), offset: null, size: null, info: null, ...extra };
}

function size(t: number, c: number, event: SizeEvent['event'], value: number | null, kernelSize: number | null, daemonSize: number | null, reportedSize: number | null, unique: number | null): SizeEvent {
  return { t, conn: c, nodeid: c === 0 ? 2 : 3, path: '/file', event, unique, value, kernelSize, daemonSize, reportedSize };
}

function ops(c: number, name: string, opcode: number, count: number, us: number): OpStatsModel {
  return {
    conn: c,
    opcode,
    name,
    count,
    replied: count,
    errors: 0,
    errnos: [],
    latencyUs: { p50: us, p90: us, p99: us, max: us, mean: us },
    histogram: [
      [us / 4, us / 2, 1],
      [us / 2, us, Math.max(0, count - 1)],
    ],
  };
}

/** A model shaped like the stale-size-race capture pair; `path` lets tests plant a hostile name. */
export function makeRaceModel(path = '/file'): AnalysisModel {
  const A = 0;
  const B = 1;
  const barsA: TimelineBar[] = [
    bar(A, 10, 'LOOKUP', 1, 110 * MS, 111 * MS),
    bar(A, 12, 'OPEN', 14, 300 * MS, 301 * MS, { info: 'FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES' }),
    bar(A, 14, 'OPEN', 14, 300.5 * MS, 301.5 * MS, { info: 'FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES' }),
    bar(A, 16, 'WRITE', 16, 302 * MS, 802 * MS, { offset: 3 * GiB, size: 65536, info: 'write_flags 0' }),
    bar(A, 18, 'WRITE', 16, 302.4 * MS, 802.5 * MS, { offset: 3.5 * GiB, size: 65536, info: 'write_flags 0' }),
    bar(A, 20, 'FLUSH', 25, 803 * MS, 803.2 * MS),
    bar(A, 22, 'RELEASE', 18, 803.5 * MS, 803.6 * MS),
  ];
  const barsB: TimelineBar[] = [
    bar(B, 4, 'CREATE', 35, 10 * MS, 11 * MS),
    bar(B, 6, 'SETATTR', 4, 12 * MS, 13 * MS, { info: 'FATTR_SIZE size 4294967296' }),
    bar(B, 8, 'SETATTR', 4, 200 * MS, 201 * MS, { info: 'FATTR_SIZE size 2147483648' }),
    bar(B, 10, 'GETATTR', 3, 202 * MS, 202.3 * MS),
  ];
  const sizes: SizeEvent[] = [
    size(11 * MS, B, 'report', 0, 0, 0, 0, 4),
    size(13 * MS, B, 'truncate', 4 * GiB, 4 * GiB, 4 * GiB, 4 * GiB, 6),
    size(111 * MS, A, 'report', 4 * GiB, 4 * GiB, 4 * GiB, 4 * GiB, 10),
    size(201 * MS, B, 'truncate', 2 * GiB, 2 * GiB, 2 * GiB, 2 * GiB, 8),
    size(202.3 * MS, B, 'report', 2 * GiB, 2 * GiB, 2 * GiB, 2 * GiB, 10),
    size(802 * MS, A, 'write', 3 * GiB + 65536, 4 * GiB, 3 * GiB + 65536, 2 * GiB, 16),
    size(802.5 * MS, A, 'write', 3.5 * GiB + 65536, 4 * GiB, 3.5 * GiB + 65536, 2 * GiB, 18),
  ];
  const file = (c: number, nodeid: number, timeline: TimelineBar[], other: { conn: number; nodeid: number }): FileModel => ({
    conn: c,
    nodeid,
    ino: 131,
    path,
    correlated: [other],
    exchanges: timeline.length,
    byOpcode: {},
    writes: timeline.filter((b) => b.name === 'WRITE').length,
    bytesWritten: 0,
    maxConcurrent: 2,
    maxConcurrentWrites: c === A ? 2 : 0,
    concurrencyShare: { '1': 0.5, '2': 0.5 },
    reportedSize: 2 * GiB,
    daemonSize: 3.5 * GiB + 65536,
    kernelSize: { '0': 4 * GiB, '1': 2 * GiB },
    openFlags: c === A ? ['FOPEN_DIRECT_IO', 'FOPEN_PARALLEL_DIRECT_WRITES'] : [],
    sizeHistory: sizes.filter((s) => s.conn === c || c === A),
    sizeHistoryTruncated: false,
    timeline,
    timelineTruncated: false,
    findings: c === A ? 1 : 0,
  });
  const finding: Finding = {
    kind: 'parallel-write-beyond-size',
    severity: 'error',
    conn: A,
    nodeid: 2,
    path,
    t: 302 * MS,
    uniques: [16, 18],
    message: `WRITE at 3 GiB (64 KiB) on ${path} started beyond the file's end (2 GiB) while another WRITE was in flight; conn 0 believed 4 GiB`,
    details: { offset: 3 * GiB, size: 65536, daemon_size: 2 * GiB, kernel_size: 4 * GiB },
    fingerprint: 'x',
  };
  const info: Finding = { ...finding, kind: 'stale-size-write', severity: 'warning', uniques: [16], message: 'WRITE believed inside the file', fingerprint: 'y' };
  return {
    schema: ANALYSIS_SCHEMA,
    tool: { name: 'fusetrace', version: '0.1.0' },
    epochNs: '1764000000000000000',
    inputs: [
      { file: 'stale-size-race-A.pcapng', format: 'pcapng', bytes: 1000, messages: 40, connections: [A], notices: [] },
      { file: 'stale-size-race-B.pcapng', format: 'pcapng', bytes: 1000, messages: 40, connections: [B], notices: [] },
    ],
    span: { startT: 0, endT: 900 * MS, durationNs: 900 * MS },
    connections: [
      {
        ...conn(A, 'A', 'stale-size-race-A.pcapng', [[0, 0], [110 * MS, 1], [111 * MS, 0], [302 * MS, 1], [302.4 * MS, 2], [802 * MS, 1], [802.5 * MS, 0]]),
        // fusectl samples as record --bpf writes them: on change, every 100 ms at most.
        queue: {
          samples: [[0, 0, 12, 9], [300 * MS, 2, 12, 9], [800 * MS, 0, 12, 9]],
          sampleCount: 3,
          peakWaiting: 2,
          peakWaitingT: 300 * MS,
          maxBackground: 12,
          congestionThreshold: 9,
          congestedNs: 0,
          fullNs: 0,
        },
      },
      conn(B, 'B', 'stale-size-race-B.pcapng', [[0, 0], [10 * MS, 1], [11 * MS, 0], [200 * MS, 1], [201 * MS, 0]]),
    ],
    summary: { messages: 80, requests: 40, replies: 40, notifications: 0, exchanges: 40, unanswered: 0, orphanReplies: 0, malformed: 0, files: 2, findings: { error: 1, warning: 1, info: 0 } },
    ops: [ops(A, 'WRITE', 16, 2, 500000), ops(A, 'LOOKUP', 1, 1, 900), ops(B, 'SETATTR', 4, 2, 1000)],
    files: [file(B, 3, barsB, { conn: A, nodeid: 2 }), file(A, 2, barsA, { conn: B, nodeid: 3 })],
    filesOmitted: 0,
    findings: [info, finding],
    findingsOmitted: {},
    limitations: [],
    filters: { files: [], conns: [], since: null, until: null, minSeverity: 'info', detectors: null },
  };
}

/** A model with one file holding `n` timeline bars (the analysis asked for everything). */
export function makeHugeModel(n: number): AnalysisModel {
  const m = makeRaceModel();
  const f = m.files[1]!;
  const timeline: TimelineBar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * 1000;
    timeline[i] = { conn: 0, unique: 100 + 2 * i, opcode: 16, name: i % 3 === 0 ? 'READ' : 'WRITE', tReq: t, tReply: t + 5000, error: null, tid: i % 8, offset: i * 4096, size: 4096, info: null };
  }
  // The race's own exchanges stay in (unsorted after the rest), so the finding bars exist.
  f.timeline = timeline.concat(f.timeline);
  f.exchanges = f.timeline.length;
  const sizes: SizeEvent[] = new Array(n / 2);
  for (let i = 0; i < n / 2; i++) sizes[i] = size(i * 2000, 0, 'write', i * 8192, i * 8192, i * 8192, 0, 100 + 4 * i);
  f.sizeHistory = sizes;
  m.span = { startT: 0, endT: n * 1000 + 5000, durationNs: n * 1000 + 5000 };
  m.connections[0]!.inflight = Array.from({ length: n / 10 }, (_, i) => [i * 10000, i % 7] as [number, number]);
  return m;
}
