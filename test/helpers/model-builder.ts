/**
 * Hand-made `AnalysisModel` objects for renderer tests: a small, complete
 * model (one or two connections, a few opcodes, a file with a size history
 * and findings) that each test can change through `overrides`.
 */
import { ANALYSIS_SCHEMA, type AnalysisModel, type ConnectionModel, type FileModel, type OpStatsModel } from '../../src/model/analysis.js';
import type { Finding, Severity } from '../../src/model/finding.js';

export function connection(conn: number, over: Partial<ConnectionModel> = {}): ConnectionModel {
  return {
    conn,
    input: conn,
    file: `cap${conn}.pcapng`,
    name: `fuse:m${conn}`,
    label: `m${conn}`,
    description: undefined,
    snapLen: 4096,
    os: 'Linux 6.18',
    hardware: 'x86_64',
    recorder: 'ftrec 1.0',
    protocol: {
      kernel: '7.45', daemon: '7.31', negotiated: '7.31', source: 'init',
      flags: ['FUSE_ASYNC_READ', 'FUSE_PARALLEL_DIROPS', 'FUSE_ASYNC_DIO'], offered: [],
      maxWrite: 131072, maxPages: 32, maxBackground: 12, maxReadahead: 131072, timeGran: 1,
    },
    notable: { parallelDirops: true, asyncDio: true, writebackCache: false, overIoUring: false, passthrough: false },
    messages: 10, requests: 5, replies: 5, notifications: 0, threads: 2, peakInflight: 2, inflight: [], drops: 0,
    ...over,
  };
}

export function op(conn: number, name: string, opcode: number, over: Partial<OpStatsModel> = {}): OpStatsModel {
  return {
    conn, opcode, name, count: 4, replied: 4, errors: 0, errnos: [],
    latencyUs: { p50: 20, p90: 40, p99: 80, max: 90, mean: 30 },
    histogram: [[16, 32, 2], [32, 64, 1], [64, 128, 1]],
    ...over,
  };
}

export function finding(kind: string, severity: Severity, over: Partial<Finding> = {}): Finding {
  return {
    kind, severity, conn: 0, nodeid: 5, path: '/big.img', t: 1_000_000, uniques: [12, 14],
    message: `${kind} happened`, details: { offset: 3221225472, size: 1048576 },
    fingerprint: `${kind}:/big.img:WRITE+WRITE`,
    ...over,
  };
}

export function file(over: Partial<FileModel> = {}): FileModel {
  return {
    conn: 0, nodeid: 5, ino: 1234, path: '/big.img', correlated: [],
    exchanges: 6, byOpcode: { WRITE: 4, GETATTR: 2 }, writes: 4, bytesWritten: 4 << 20,
    maxConcurrent: 2, maxConcurrentWrites: 2, concurrencyShare: { '1': 0.75, '2': 0.25 },
    reportedSize: 4294967296, daemonSize: 2147483648, kernelSize: { '0': 4294967296 },
    openFlags: ['FOPEN_DIRECT_IO', 'FOPEN_PARALLEL_DIRECT_WRITES'],
    sizeHistory: [
      { t: 100, conn: 0, nodeid: 5, path: '/big.img', event: 'report', unique: 2, value: 4294967296, kernelSize: 4294967296, daemonSize: 4294967296, reportedSize: 4294967296 },
      { t: 500, conn: 1, nodeid: 7, path: '/big.img', event: 'truncate', unique: 3, value: 2147483648, kernelSize: 2147483648, daemonSize: 2147483648, reportedSize: 2147483648 },
    ],
    sizeHistoryTruncated: false, timeline: [], timelineTruncated: false, findings: 2,
    ...over,
  };
}

export function model(over: Partial<AnalysisModel> = {}): AnalysisModel {
  const findings = over.findings ?? [finding('parallel-write-beyond-size', 'error'), finding('stale-size-write', 'warning', { uniques: [12] })];
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    schema: ANALYSIS_SCHEMA,
    tool: { name: 'fusetrace', version: '0.1.0' },
    epochNs: '1795561795892945704',
    inputs: [{ file: 'cap0.pcapng', format: 'pcapng', bytes: 4096, messages: 10, connections: [0], notices: [] }],
    span: { startT: 0, endT: 2_000_000, durationNs: 2_000_000 },
    connections: [connection(0)],
    summary: {
      messages: 10, requests: 5, replies: 5, notifications: 0, exchanges: 5, unanswered: 0, orphanReplies: 0, malformed: 0,
      files: 1, findings: counts,
    },
    ops: [op(0, 'WRITE', 16), op(0, 'LOOKUP', 1, { errors: 2, errnos: [{ errno: 2, name: 'ENOENT', count: 2 }] })],
    files: [file()],
    filesOmitted: 0,
    findings,
    findingsOmitted: {},
    limitations: [],
    filters: { files: [], conns: [], since: null, until: null, minSeverity: 'info', detectors: null },
    ...over,
  };
}
