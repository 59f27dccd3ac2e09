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

/** The numbers of a row, by column. */
const enum Col { Conn, Unique, Opcode, TReq, Replied, TReply, Error, Tid, Offset, Size }
const STRIDE = Col.Size + 1;

/** Rows kept in the plain array; past them, rows go to typed-array chunks. */
const SMALL_ROWS = 64;

export class BarRows {
  n = 0;
  /** The first SMALL_ROWS rows. */
  private nums: number[] = [];
  /**
   * Rows past SMALL_ROWS: chunk c holds SMALL_ROWS * 2^c rows (made when the
   * first row reaches it, never copied). A busy file's bars were one array
   * grown by copies, each copy young and promoted: the copies of the few files
   * holding thousands of bars doubled what the whole run promoted.
   */
  private chunks: Float64Array[] | undefined = undefined;
  /** Per row: the unique when it is a bigint (its number slot is NaN) or null, and the info; undefined while every row has neither. */
  private refs: (bigint | string | null)[] | undefined = undefined;

  /** Adds the bar of `x` with hover `info`. */
  add(x: Exchange, info: string | null): void {
    const u = x.unique;
    const big = typeof u === 'bigint';
    this.put(x.conn, big ? NaN : u, x.opcode, x.tReq, x.replied ? 1 : 0, x.tReply, x.error, x.tid, x.offset, x.size);
    this.addRefs(big ? u : null, info);
    this.n++;
  }

  /** Adds row `i` of `from`. */
  addRow(from: BarRowSource, i: number): void {
    this.put(from.at(i, Col.Conn), from.at(i, Col.Unique), from.at(i, Col.Opcode), from.at(i, Col.TReq), from.at(i, Col.Replied), from.at(i, Col.TReply),
      from.at(i, Col.Error), from.at(i, Col.Tid), from.at(i, Col.Offset), from.at(i, Col.Size));
    this.addRefs(from.bigUnique(i), from.info(i));
    this.n++;
  }

  /** Stores the numbers of row `this.n`. */
  private put(conn: number, unique: number, opcode: number, tReq: number, replied: number, tReply: number, error: number, tid: number, offset: number, size: number): void {
    const i = this.n;
    if (i < SMALL_ROWS) {
      this.nums.push(conn, unique, opcode, tReq, replied, tReply, error, tid, offset, size);
      return;
    }
    const j = i - SMALL_ROWS;
    const c = chunkOf(j);
    const chunks = (this.chunks ??= []);
    if (c === chunks.length) chunks.push(new Float64Array((SMALL_ROWS << c) * STRIDE));
    const a = chunks[c]!;
    const o = (j - chunkStart(c)) * STRIDE;
    a[o + Col.Conn] = conn;
    a[o + Col.Unique] = unique;
    a[o + Col.Opcode] = opcode;
    a[o + Col.TReq] = tReq;
    a[o + Col.Replied] = replied;
    a[o + Col.TReply] = tReply;
    a[o + Col.Error] = error;
    a[o + Col.Tid] = tid;
    a[o + Col.Offset] = offset;
    a[o + Col.Size] = size;
  }

  /** Number `k` of row `i`. */
  at(i: number, k: number): number {
    if (i < SMALL_ROWS) return this.nums[i * STRIDE + k]!;
    const j = i - SMALL_ROWS;
    const c = chunkOf(j);
    return this.chunks![c]![(j - chunkStart(c)) * STRIDE + k]!;
  }

  private addRefs(big: bigint | null, info: string | null): void {
    if (this.refs === undefined) {
      if (big === null && info === null) return;
      // Rows before this one had neither.
      this.refs = new Array<null>(2 * this.n).fill(null);
    }
    this.refs.push(big, info);
  }

  bigUnique(i: number): bigint | null {
    return (this.refs?.[2 * i] as bigint | null | undefined) ?? null;
  }

  conn(i: number): number {
    return this.at(i, Col.Conn);
  }

  unique(i: number): Id {
    return this.bigUnique(i) ?? this.at(i, Col.Unique);
  }

  opcode(i: number): number {
    return this.at(i, Col.Opcode);
  }

  tReq(i: number): number {
    return this.at(i, Col.TReq);
  }

  replied(i: number): boolean {
    return this.at(i, Col.Replied) === 1;
  }

  tReply(i: number): number {
    return this.at(i, Col.TReply);
  }

  error(i: number): number {
    return this.at(i, Col.Error);
  }

  tid(i: number): number {
    return this.at(i, Col.Tid);
  }

  /** NaN when the opcode has none. */
  offset(i: number): number {
    return this.at(i, Col.Offset);
  }

  size(i: number): number {
    return this.at(i, Col.Size);
  }

  /** Flags worth showing on hover (write_flags, SETATTR valid ...). */
  info(i: number): string | null {
    return (this.refs?.[2 * i + 1] as string | null | undefined) ?? null;
  }
}

/** Rows `BarRows.addRow` copies from: a file's kept bars, or its recently dropped ones. */
export interface BarRowSource {
  /** Number `k` (a column) of row `i`. */
  at(i: number, k: number): number;
  /** The unique of row `i` when it is a bigint, else null. */
  bigUnique(i: number): bigint | null;
  info(i: number): string | null;
}

/**
 * The last `capacity` bars a file dropped (for a finding raised after the
 * fact to bring back), in a ring: a busy file drops a bar per exchange once
 * its budget is spent, and taking the oldest off the front of a plain array
 * moved every row after it (a directory of a many-file capture: most of the
 * exchanges). Rows are numbered oldest first.
 */
export class RecentBarRows implements BarRowSource {
  n = 0;
  /** The oldest row's place, once the ring is full (0 before). */
  private head = 0;
  /** Row by place; grows to `capacity` rows as rows come (most files drop a few). */
  private nums: number[] = [];
  /** Per place: the bigint unique or null, and the info; undefined while every row has neither. */
  private refs: (bigint | string | null)[] | undefined = undefined;

  constructor(readonly capacity: number) {}

  /** Adds the bar of `x` with hover `info`, in place of the oldest when full. */
  add(x: Exchange, info: string | null): void {
    const u = x.unique;
    const big = typeof u === 'bigint' ? u : null;
    if (this.n < this.capacity) {
      this.nums.push(x.conn, big !== null ? NaN : (u as number), x.opcode, x.tReq, x.replied ? 1 : 0, x.tReply, x.error, x.tid, x.offset, x.size);
      if (this.refs !== undefined || big !== null || info !== null) {
        // Rows before this one had neither.
        (this.refs ??= new Array<null>(2 * this.n).fill(null)).push(big, info);
      }
      this.n++;
      return;
    }
    const p = this.head;
    this.head = p + 1 === this.capacity ? 0 : p + 1;
    // Its own column writes, not a writer shared with BarRows.put: one function storing into both a plain
    // array and a Float64Array counted 2.8% more instructions a message of report (bench:cost, m5 less m2),
    // and 39% when it appended to the plain array by index too.
    const a = this.nums;
    const o = p * STRIDE;
    a[o + Col.Conn] = x.conn;
    a[o + Col.Unique] = big !== null ? NaN : (u as number);
    a[o + Col.Opcode] = x.opcode;
    a[o + Col.TReq] = x.tReq;
    a[o + Col.Replied] = x.replied ? 1 : 0;
    a[o + Col.TReply] = x.tReply;
    a[o + Col.Error] = x.error;
    a[o + Col.Tid] = x.tid;
    a[o + Col.Offset] = x.offset;
    a[o + Col.Size] = x.size;
    if (this.refs !== undefined || big !== null || info !== null) {
      const r = (this.refs ??= new Array<null>(2 * this.n).fill(null));
      r[2 * p] = big;
      r[2 * p + 1] = info;
    }
  }

  /** The place of row `i`. */
  private place(i: number): number {
    const p = this.head + i;
    return p < this.capacity ? p : p - this.capacity;
  }

  at(i: number, k: number): number {
    return this.nums[this.place(i) * STRIDE + k]!;
  }

  bigUnique(i: number): bigint | null {
    return (this.refs?.[2 * this.place(i)] as bigint | null | undefined) ?? null;
  }

  info(i: number): string | null {
    return (this.refs?.[2 * this.place(i) + 1] as string | null | undefined) ?? null;
  }

  /** The row of exchange `conn`/`unique`, -1 when none. */
  find(conn: number, unique: Id): number {
    const big = typeof unique === 'bigint';
    for (let i = 0; i < this.n; i++) {
      if (this.at(i, Col.Conn) !== conn) continue;
      if (big ? this.bigUnique(i) === unique : this.at(i, Col.Unique) === unique) return i;
    }
    return -1;
  }

  /** Removes row `i` (a rescue: rare), the rest kept in order, oldest at place 0. */
  remove(i: number): void {
    const nums: number[] = [];
    const refs = this.refs === undefined ? undefined : ([] as (bigint | string | null)[]);
    for (let j = 0; j < this.n; j++) {
      if (j === i) continue;
      const p = this.place(j);
      for (let k = 0; k < STRIDE; k++) nums.push(this.nums[p * STRIDE + k]!);
      refs?.push(this.refs![2 * p] ?? null, this.refs![2 * p + 1] ?? null);
    }
    this.nums = nums;
    this.refs = refs;
    this.head = 0;
    this.n--;
  }
}

/** The chunk of row `j` past SMALL_ROWS: chunk c starts at SMALL_ROWS * (2^c - 1). */
function chunkOf(j: number): number {
  return 31 - Math.clz32(Math.floor(j / SMALL_ROWS) + 1);
}

function chunkStart(c: number): number {
  return SMALL_ROWS * ((1 << c) - 1);
}
