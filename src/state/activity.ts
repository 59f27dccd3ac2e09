/**
 * Where a file's exchanges were in time, in bounded memory: counts per time
 * slice, the slices being powers of two of ns aligned at t = 0, so that the
 * bins of several files (correlated files, one HTML timeline) merge exactly
 * by widening to the widest of them. At most MAX_BINS slices are kept; when
 * an exchange falls outside them, the slice width doubles until all fit.
 *
 * Files with few exchanges keep their times as they are (a few numbers
 * rather than a bin array): a capture may hold hundreds of thousands of
 * files with two exchanges each.
 */
import type { ActivityModel } from '../model/analysis.js';

/** Slices kept per file. */
export const MAX_BINS = 256;
/** Raw times kept before switching to slices. */
const RAW_TIMES = 8;
/** Width of the first slices: 2^10 ns (about 1 µs). */
const FIRST_SHIFT = 10;


export class ActivityBins {
  /** Exchanges counted. */
  total = 0;
  private raw: number[] | undefined = [];
  private shift = FIRST_SHIFT;
  /**
   * 2^shift, kept: `2 ** shift` is a call of the C library's pow from
   * optimised code, and `bin` runs once for each exchange of a report.
   */
  private width = 2 ** FIRST_SHIFT;
  /** Index (t / width) of counts[0]. */
  private k0 = 0;
  private counts: number[] = [];

  add(t: number): void {
    this.total++;
    const raw = this.raw;
    if (raw !== undefined) {
      if (raw.length < RAW_TIMES) {
        raw.push(t);
        return;
      }
      this.raw = undefined;
      for (const r of raw) this.bin(r);
    }
    this.bin(t);
  }

  private bin(t: number): void {
    const k = Math.floor(t / this.width);
    const n = this.counts.length;
    if (n === 0) {
      this.k0 = k;
      this.counts.push(1);
      return;
    }
    const i = k - this.k0;
    if (i >= 0 && i < n) {
      this.counts[i]!++;
      return;
    }
    if (i >= n && i < MAX_BINS) {
      while (this.counts.length < i) this.counts.push(0);
      this.counts.push(1);
      return;
    }
    // Outside what fits: widen until the old range and k fit, then re-bin.
    let lo = Math.min(this.k0, k);
    let hi = Math.max(this.k0 + n - 1, k);
    let shift = this.shift;
    while (hi - lo + 1 > MAX_BINS) {
      shift++;
      lo = Math.floor(lo / 2);
      hi = Math.floor(hi / 2);
    }
    const d = 2 ** (shift - this.shift);
    const next = new Array<number>(hi - lo + 1).fill(0);
    for (let j = 0; j < n; j++) next[Math.floor((this.k0 + j) / d) - lo]! += this.counts[j]!;
    next[Math.floor(k / d) - lo]!++;
    this.counts = next;
    this.k0 = lo;
    this.shift = shift;
    this.width = 2 ** shift;
  }

  /** The counts at `2^shift` ns per slice (at least this one's own width). */
  model(minShift = 0): ActivityModel {
    let shift = Math.max(minShift, this.raw !== undefined ? 0 : this.shift);
    if (this.raw !== undefined && this.raw.length > 0) {
      // Raw times: the finest slices in which they fit MAX_BINS.
      const lo = Math.min(...this.raw);
      const hi = Math.max(...this.raw);
      while (Math.floor(hi / 2 ** shift) - Math.floor(lo / 2 ** shift) + 1 > MAX_BINS) shift++;
    }
    const width = 2 ** shift;
    const out = new Map<number, number>();
    const put = (k: number, n: number): void => void out.set(k, (out.get(k) ?? 0) + n);
    if (this.raw !== undefined) for (const t of this.raw) put(Math.floor(t / width), 1);
    else {
      const d = 2 ** (shift - this.shift);
      for (let j = 0; j < this.counts.length; j++) if (this.counts[j]! > 0) put(Math.floor((this.k0 + j) / d), this.counts[j]!);
    }
    return fromMap(out, width);
  }
}

function fromMap(m: Map<number, number>, width: number): ActivityModel {
  if (m.size === 0) return { t0: 0, width, counts: [] };
  const ks = [...m.keys()];
  const lo = Math.min(...ks);
  const hi = Math.max(...ks);
  const counts = new Array<number>(hi - lo + 1).fill(0);
  for (const [k, n] of m) counts[k - lo] = n;
  return { t0: lo * width, width, counts };
}

/** The smallest power-of-two exponent whose width is at least `ns`. */
export function shiftFor(ns: number): number {
  return ns <= 1 ? 0 : Math.ceil(Math.log2(ns));
}

/**
 * Merges activity models (each with a power-of-two width aligned at 0) and
 * plain times into one model at a common width of at least 2^minShift.
 */
export function mergeActivity(parts: ActivityModel[], times: Iterable<number>, minShift: number): ActivityModel {
  let shift = minShift;
  for (const p of parts) if (p.counts.length > 0) shift = Math.max(shift, shiftFor(p.width));
  const width = 2 ** shift;
  const out = new Map<number, number>();
  const put = (k: number, n: number): void => void out.set(k, (out.get(k) ?? 0) + n);
  for (const p of parts) {
    for (let j = 0; j < p.counts.length; j++) {
      const n = p.counts[j]!;
      if (n > 0) put(Math.floor((p.t0 + j * p.width) / width), n);
    }
  }
  for (const t of times) put(Math.floor(t / width), 1);
  return fromMap(out, width);
}
