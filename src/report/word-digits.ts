/**
 * Decimal digits of unsigned words read from message bytes, for the
 * generated dump writers (dump-json.ts, dump-format.ts). A 64-bit field
 * arrives as its two 32-bit halves: while the value is at most 2^53-1 its
 * digits are written from them without making the number a `number | bigint`
 * first (a boxed double or a bigint per field of every message). Each
 * writes the text `String(v)` gives; room (MAX_NUMBER_TEXT) is the caller's.
 * The source helpers read such words and store constant text in the
 * generated code itself.
 */
import { readScalar, u64, type Scalar } from '../protocol/layout.js';
import { digitCount, putDigits, putSafeQuads } from './row-bytes.js';
import { viewOf } from '../protocol/extract.js';

/** The digits of 0 <= v < 2^32. */
export function putU32(b: Buffer, p: number, v: number): number {
  if (v < 1e9) return putDigits(b, p, v, digitCount(v));
  const top = Math.floor(v / 1e9);
  b[p] = 0x30 + top;
  return putDigits(b, p + 1, v - top * 1e9, 9);
}

/** The digits of hi * 2^32 + lo, both unsigned 32-bit, hi < 2^21 (the value is at most 2^53-1). */
export function putU53(b: Buffer, p: number, hi: number, lo: number): number {
  if (hi === 0) return putU32(b, p, lo);
  const v = hi * 4294967296 + lo;
  const top = Math.floor(v / 1e9);
  return putDigits(b, putU32(b, p, top), v - top * 1e9, 9);
}

/**
 * The digits of hi * 2^32 + lo, both unsigned 32-bit, any 64-bit value (a
 * lock owner, a handle past 2^53): divided by 1e9 in 16-bit steps, each
 * exact in a double, so no bigint is made (nor its string).
 */
export function putU64(b: Buffer, p: number, hi: number, lo: number): number {
  if (hi < 0x200000) return putU53(b, p, hi, lo);
  const q1 = Math.floor(hi / 1e9);
  let r = hi - q1 * 1e9;
  let cur = r * 65536 + (lo >>> 16);
  const q2 = Math.floor(cur / 1e9);
  r = cur - q2 * 1e9;
  cur = r * 65536 + (lo & 0xffff);
  const q3 = Math.floor(cur / 1e9);
  r = cur - q3 * 1e9;
  // The quotient is below 2^64 / 1e9 < 2^35: exact, and at least 2^53 / 1e9, so r takes all nine places.
  const q = (q1 * 65536 + q2) * 65536 + q3;
  const top = Math.floor(q / 1e9);
  p = top > 0 ? putDigits(b, putU32(b, p, top), q - top * 1e9, 9) : putU32(b, p, q);
  return putDigits(b, p, r, 9);
}

/** The digits of a signed 32-bit value. */
export function putI32(b: Buffer, p: number, v: number): number {
  if (v >= 0) return putU32(b, p, v);
  b[p] = 0x2d;
  return putU32(b, p + 1, -v);
}

/**
 * Source of an inline read of an unsigned word of `bytes` (1, 2 or 4) at
 * `at` of the buffer `b`, in the given byte order: a byte load, or a load
 * through `bv`, the DataView of `b` that `viewSource` declares (one load and
 * its bounds check, where byte loads were two to four, each checked: dump
 * --json of the many-file recording 4.3% fewer instructions). The writers
 * are called only for structs whose bytes are all present; no Buffer method
 * with its argument checks.
 */
export function wordSource(bytes: 1 | 2 | 4, at: string, le: boolean): string {
  if (bytes === 1) return `b[${at}]`;
  return `bv.getUint${bytes * 8}(${at}, ${le})`;
}

/** Source declaring `bv`, the DataView of the message buffer `b` (extract.ts `viewOf`), for a function that reads words (`wordSource`). */
export function viewSource(dep: (x: unknown) => string): string {
  return `const bv = ${dep(viewOf)}(b);`;
}

/**
 * Source of an expression reading the scalar `t` at `at` of `b` as the
 * struct readers give it (protocol/layout.ts `readScalar`): words inline, a
 * u64 as a number from its halves while it is at most 2^53-1, through
 * `u64` (`dep` of it) only past that.
 */
export function scalarReadSource(t: Scalar, at: string, le: boolean, dep: (x: unknown) => string): string {
  switch (t) {
    case 'u8': return wordSource(1, at, le);
    case 'u16': return wordSource(2, at, le);
    case 'u32': return wordSource(4, at, le);
    case 'i32': return `(${wordSource(4, at, le)} | 0)`;
    case 'u64': {
      const lo = wordSource(4, le ? at : `${at} + 4`, le);
      const hi = wordSource(4, le ? `${at} + 4` : at, le);
      return `(${hi} < 0x200000 ? ${hi} * 4294967296 + ${lo} : ${dep(u64)}(b, ${at}, ${le}))`;
    }
    default: return `${dep(readScalar)}(b, ${at}, ${JSON.stringify(t)}, ${le})`;
  }
}

/**
 * Writes the u64 at buf[at] as its decimal digits (a value past 2^53 too) at
 * u[p], through `v`, the DataView of `u`, by words of four (row-bytes.ts
 * QUADS: a few bytes past the digits may be overwritten, inside the
 * MAX_NUMBER_TEXT of room the caller took). Both words are read through the
 * view of `buf` (two checked loads, where byte loads were eight).
 */
export function putU64At(u: Buffer, v: DataView, p: number, buf: Buffer, at: number, le: boolean): number {
  const bv = viewOf(buf);
  // Read at fixed offsets, then ordered (extract.ts u64 says why).
  const w0 = bv.getUint32(at, le);
  const w1 = bv.getUint32(at + 4, le);
  // `le === true`, not a bare test of a parameter: docs/speed.md, the truth tests.
  const lo = le === true ? w0 : w1;
  const hi = le === true ? w1 : w0;
  if (hi < 0x200000) return putSafeQuads(v, p, hi * 4294967296 + lo);
  return putU64(u, p, hi, lo);
}

/** Bytes past a constant that `storesSource` may write over when the caller allows it (`slack`). */
export const STORE_SLACK = 8;

/**
 * Source storing the ASCII constant `c` at u[p] (`bytes` names the array,
 * `u` unless told) and moving p past it: plain stores, no loop or call. With
 * `view` (the name of a DataView of the array) eight bytes a store, then four,
 * two and one, whatever the constant's length; without, byte stores, and one
 * `set` call past 16 bytes.
 *
 * Eight bytes go as the double whose bits they are (`setFloat64` of a
 * literal): each DataView store costs its own bounds check, so one store of
 * eight bytes runs about half the instructions of two of four. Any eight
 * ASCII bytes are a number (a NaN needs a top byte of 0x7f or 0xff and the
 * next at 0xf0 or more, -0 a top byte of 0x80), and `String` of a number
 * reads back as the same bits. dump --json of the many-file recording: 5%
 * fewer instructions (cachegrind); JSON Lines export 1.2%.
 *
 * With `slack` (STORE_SLACK: the caller's room covers eight bytes past the
 * constant, and what it writes next starts at the new p) a tail of three,
 * five, six or seven bytes, two or three stores, is one store of eight
 * instead, padded with spaces that the next write covers or that lie past
 * the text's end (as the digit writers' words do, row-bytes.ts QUADS).
 */
export function storesSource(c: string, dep: (x: unknown) => string, view?: string, bytes = 'u', slack = 0): string {
  // Every way below stores the characters as bytes: only ASCII is its own UTF-8.
  if (!/^[\x00-\x7f]*$/.test(c)) throw new Error(`storesSource: not ASCII: ${JSON.stringify(c)}`);
  const code = (i: number): number => c.charCodeAt(i);
  // The double whose little-endian bytes are eight ASCII characters: finite (above), so its literal reads back as them.
  const eight = (s: string): string => String(Buffer.from(s, 'latin1').readDoubleLE(0));
  if (view !== undefined) {
    const out: string[] = [];
    let i = 0;
    for (; i + 8 <= c.length; i += 8) out.push(`${view}.setFloat64(p + ${i}, ${eight(c.slice(i, i + 8))}, true);`);
    const tail = c.length - i;
    if (slack >= STORE_SLACK && (tail === 3 || tail >= 5)) {
      out.push(`${view}.setFloat64(p + ${i}, ${eight(c.slice(i).padEnd(8, ' '))}, true);`);
      i = c.length;
    }
    for (; i + 4 <= c.length; i += 4) out.push(`${view}.setUint32(p + ${i}, ${(code(i) | code(i + 1) << 8 | code(i + 2) << 16 | code(i + 3) << 24) >>> 0}, true);`);
    if (i + 2 <= c.length) {
      out.push(`${view}.setUint16(p + ${i}, ${code(i) | code(i + 1) << 8}, true);`);
      i += 2;
    }
    if (i < c.length) out.push(`${bytes}[p + ${i}] = ${code(i)};`);
    return `${out.join(' ')} p += ${c.length};`;
  }
  if (c.length > 16) return `${bytes}.set(${dep(Buffer.from(c, 'latin1'))}, p); p += ${c.length};`;
  return `${[...c].map((_, i) => `${bytes}[p + ${i}] = ${code(i)};`).join(' ')} p += ${c.length};`;
}
