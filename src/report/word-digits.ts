/**
 * Decimal digits of unsigned words read from message bytes, for the
 * generated dump writers (dump-json.ts, dump-format.ts). A 64-bit field
 * arrives as its two 32-bit halves: while the value is at most 2^53-1 its
 * digits are written from them without making the number a `number | bigint`
 * first (a boxed double or a bigint per field of every message). Each
 * writes the text `String(v)` gives; room (MAX_NUMBER_TEXT) is the caller's.
 */
import { digitCount, putDigits } from './row-bytes.js';

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

/** The digits of a signed 32-bit value. */
export function putI32(b: Buffer, p: number, v: number): number {
  if (v >= 0) return putU32(b, p, v);
  b[p] = 0x2d;
  return putU32(b, p + 1, -v);
}

/**
 * Source of an inline read of an unsigned word of `bytes` (1, 2 or 4) at
 * `at` of the buffer `b`, in the given byte order: plain byte loads (the
 * writers are called only for structs whose bytes are all present), no
 * Buffer method with its argument checks.
 */
export function wordSource(bytes: 1 | 2 | 4, at: string, le: boolean): string {
  const byte = (i: number): string => `b[${at} + ${le ? i : bytes - 1 - i}]`;
  if (bytes === 1) return `b[${at}]`;
  if (bytes === 2) return `(${byte(0)} | ${byte(1)} << 8)`;
  return `((${byte(0)} | ${byte(1)} << 8 | ${byte(2)} << 16 | ${byte(3)} << 24) >>> 0)`;
}
