/**
 * A file's timeline bars as the state keeps them: one row of numbers per
 * exchange in one array of doubles, and the rare values that are not numbers
 * (a bigint unique, hover info) in a second array made on first need. The
 * model builder draws the model's TimelineBar from the rows it lists.
 *
 * A file keeps up to its bar budget (thousands) for as long as it lives; an
 * object per bar, with its boxed times, made every young-generation
 * collection copy them all until they were promoted (report's timeline cost
 * more than the rest of the analysis). A double array is copied as one block.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';

/** Numbers per row: conn, unique, opcode, tReq, replied, tReply, error, tid, offset, size. */
const STRIDE = 10;
const CONN = 0;
const UNIQUE = 1;
const OPCODE = 2;
const TREQ = 3;
const REPLIED = 4;
const TREPLY = 5;
const ERROR = 6;
const TID = 7;
const OFFSET = 8;
const SIZE = 9;

export class BarRows {
  n = 0;
  private nums: number[] = [];
  /** Per row: the unique when it is a bigint (its number slot is NaN) or null, and the info; undefined while every row has neither. */
  private refs: (bigint | string | null)[] | undefined = undefined;

  /** Adds the bar of `x` with hover `info`. */
  add(x: Exchange, info: string | null): void {
    const u = x.unique;
    const big = typeof u === 'bigint';
    this.nums.push(x.conn, big ? NaN : u, x.opcode, x.tReq, x.replied ? 1 : 0, x.tReply, x.error, x.tid, x.offset, x.size);
    this.addRefs(big ? u : null, info);
    this.n++;
  }

  /** Adds row `i` of `from`. */
  addRow(from: BarRows, i: number): void {
    const a = from.nums;
    for (let k = i * STRIDE, end = k + STRIDE; k < end; k++) this.nums.push(a[k]!);
    this.addRefs(from.bigUnique(i), from.info(i));
    this.n++;
  }

  private addRefs(big: bigint | null, info: string | null): void {
    if (this.refs === undefined) {
      if (big === null && info === null) return;
      // Rows before this one had neither.
      this.refs = new Array<null>(2 * this.n).fill(null);
    }
    this.refs.push(big, info);
  }

  /** Removes row `i` (later rows move up). */
  remove(i: number): void {
    this.nums.splice(i * STRIDE, STRIDE);
    this.refs?.splice(2 * i, 2);
    this.n--;
  }

  /** The row of exchange `conn`/`unique`, -1 when none. */
  find(conn: number, unique: Id): number {
    const a = this.nums;
    const big = typeof unique === 'bigint';
    for (let i = 0; i < this.n; i++) {
      const o = i * STRIDE;
      if (a[o + CONN] !== conn) continue;
      if (big ? this.refs?.[2 * i] === unique : a[o + UNIQUE] === unique) return i;
    }
    return -1;
  }

  private bigUnique(i: number): bigint | null {
    return (this.refs?.[2 * i] as bigint | null | undefined) ?? null;
  }

  conn(i: number): number {
    return this.nums[i * STRIDE + CONN]!;
  }

  unique(i: number): Id {
    return this.bigUnique(i) ?? this.nums[i * STRIDE + UNIQUE]!;
  }

  opcode(i: number): number {
    return this.nums[i * STRIDE + OPCODE]!;
  }

  tReq(i: number): number {
    return this.nums[i * STRIDE + TREQ]!;
  }

  replied(i: number): boolean {
    return this.nums[i * STRIDE + REPLIED] === 1;
  }

  tReply(i: number): number {
    return this.nums[i * STRIDE + TREPLY]!;
  }

  error(i: number): number {
    return this.nums[i * STRIDE + ERROR]!;
  }

  tid(i: number): number {
    return this.nums[i * STRIDE + TID]!;
  }

  /** NaN when the opcode has none. */
  offset(i: number): number {
    return this.nums[i * STRIDE + OFFSET]!;
  }

  size(i: number): number {
    return this.nums[i * STRIDE + SIZE]!;
  }

  /** Flags worth showing on hover (write_flags, SETATTR valid ...). */
  info(i: number): string | null {
    return (this.refs?.[2 * i + 1] as string | null | undefined) ?? null;
  }
}
