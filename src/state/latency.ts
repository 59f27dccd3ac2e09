/**
 * Per-connection, per-opcode latency and error counts (analysis.md,
 * "Concurrency views"). Latencies go into a bounded log-linear histogram
 * (16 sub-buckets per power of two of nanoseconds, relative error < 6.25%),
 * so percentiles cost constant memory whatever the capture size; the maximum
 * and the mean are exact.
 */
import { errnoOf, type ErrnoCount } from '../model/format.js';

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
/** Enough buckets for latencies up to 2^60 ns. */
const BUCKETS = SUB + (60 - SUB_BITS) * SUB;

/** Bucket index of a latency in ns. */
function bucketOf(ns: number): number {
  if (ns < SUB) return ns < 0 ? 0 : Math.floor(ns);
  if (ns < 4294967296) {
    // Below 4.3 s: integer bit tricks instead of log2 and pow.
    const v = ns >>> 0;
    const e = 31 - Math.clz32(v);
    return SUB + (e - SUB_BITS) * SUB + ((v >>> (e - SUB_BITS)) - SUB);
  }
  const e = Math.floor(Math.log2(ns));
  const sub = Math.floor(ns / 2 ** (e - SUB_BITS)) - SUB;
  const i = SUB + (e - SUB_BITS) * SUB + sub;
  return i >= BUCKETS ? BUCKETS - 1 : i;
}

/** Lower bound (ns) of a bucket. */
function bucketLow(i: number): number {
  if (i < SUB) return i;
  const e = Math.floor((i - SUB) / SUB) + SUB_BITS;
  const sub = (i - SUB) % SUB;
  return (SUB + sub) * 2 ** (e - SUB_BITS);
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;
  min = Infinity;

  add(ns: number): void {
    if (!(ns >= 0)) ns = 0;
    const b = bucketOf(ns);
    this.counts[b] = this.counts[b]! + 1;
    this.count++;
    this.sum += ns;
    if (ns > this.max) this.max = ns;
    if (ns < this.min) this.min = ns;
  }

  /** Percentile in ns (q in [0,1]): midpoint of the bucket holding the rank, clamped to [min, max]. */
  percentile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const lo = bucketLow(i);
        const hi = i + 1 < BUCKETS ? bucketLow(i + 1) : lo * 2;
        const mid = i < SUB ? lo : (lo + hi) / 2;
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  /** Log2 buckets in µs: [lo, hi, count], lo inclusive, only non-empty ones, ascending. */
  log2Us(): [number, number, number][] {
    const out = new Map<number, number>();
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const us = bucketLow(i) / 1000;
      const k = us < 1 ? 0 : Math.floor(Math.log2(us)) + 1;
      out.set(k, (out.get(k) ?? 0) + c);
    }
    return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([k, c]) => (k === 0 ? [0, 1, c] : [2 ** (k - 1), 2 ** k, c]));
  }
}

export class OpStats {
  count = 0;
  replied = 0;
  errors = 0;
  /** Errors by errno number (the sign of the error field dropped, as errnoName drops it), up to the current run. */
  private errnos = new Map<number, number>();
  /**
   * The current run of one errno (LOOKUPs of new names answered ENOENT, one
   * after another), counted here and added to `errnos` when another errno
   * comes or the counts are read: no Map update per error. Each errno still
   * enters `errnos` when its first run ends, so in the order first answered.
   */
  private runErrno = 0;
  private runCount = 0;
  readonly latency = new LatencyHistogram();
  constructor(readonly conn: number, readonly opcode: number) {}

  addRequest(): void {
    this.count++;
  }

  addReply(error: number, latencyNs: number): void {
    this.replied++;
    this.latency.add(latencyNs);
    if (error !== 0) {
      this.errors++;
      const n = Math.abs(error);
      if (n === this.runErrno && this.runCount > 0) {
        this.runCount++;
      } else {
        this.endRun();
        this.runErrno = n;
        this.runCount = 1;
      }
    }
  }

  private endRun(): void {
    if (this.runCount === 0) return;
    this.errnos.set(this.runErrno, (this.errnos.get(this.runErrno) ?? 0) + this.runCount);
    this.runCount = 0;
  }

  /** Most frequent first; equal counts in the order first answered. */
  errnoCounts(): ErrnoCount[] {
    this.endRun();
    return [...this.errnos.entries()].sort((a, b) => b[1] - a[1]).map(([e, count]) => ({ ...errnoOf(e), count }));
  }
}

/** Opcodes below this go to a per-connection array; others (rare, unknown codes) to a Map. */
const DIRECT_OPS = 256;

/** OpStats per connection and opcode. */
export class LatencyTable {
  private byConn: (OpStats | undefined)[][] = [];
  private other: Map<number, OpStats>[] = [];

  get(conn: number, opcode: number): OpStats {
    if (opcode >= 0 && opcode < DIRECT_OPS) {
      let a = this.byConn[conn];
      if (a === undefined) this.byConn[conn] = a = new Array<OpStats | undefined>(DIRECT_OPS).fill(undefined);
      let s = a[opcode];
      if (s === undefined) a[opcode] = s = new OpStats(conn, opcode);
      return s;
    }
    let m = this.other[conn];
    if (!m) this.other[conn] = m = new Map();
    let s = m.get(opcode);
    if (!s) m.set(opcode, (s = new OpStats(conn, opcode)));
    return s;
  }

  all(): OpStats[] {
    const out: OpStats[] = [];
    for (const a of this.byConn) if (a) for (const s of a) if (s) out.push(s);
    for (const m of this.other) if (m) for (const s of m.values()) out.push(s);
    return out.sort((a, b) => a.conn - b.conn || a.opcode - b.opcode);
  }
}
