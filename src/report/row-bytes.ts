/**
 * The byte level of the table writers (csv.ts): cells written as UTF-8
 * straight into the output buffer (text-buffer.ts), handed on whole when it fills. A row of
 * `export --table requests` has some thirty cells, most of them numbers; as
 * strings each would be made, joined and encoded again, and collecting those
 * strings cost more than making them. Here a number is written digit by digit,
 * and a text cell is copied character by character while it is plain ASCII
 * that needs no quoting or escape, which is nearly always; any other text
 * goes through the one rule of its format (`csvCell`, `jsonString`) and is
 * encoded once.
 *
 * Every function here writes exactly the text the string-level rules write
 * (`String(v)`, `csvCell`, `jsonlCell`); test/report/row-bytes
 * compares them on random and hostile values.
 */

/** Longest text of a number cell: `String(v)` of any double (`-1.2345678901234567e-300`) is at most 24 characters. */
export const MAX_NUMBER_TEXT = 26;

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const ZERO = 0x30;
const MINUS = 0x2d;

/**
 * `String(v)` of a number at `p` (room for MAX_NUMBER_TEXT bytes taken);
 * returns the position after it. Safe integers are written digit by digit,
 * in 32-bit integer arithmetic (a 53-bit one as two parts).
 */
export function putNumber(b: Buffer, p: number, v: number): number {
  if ((v | 0) === v) {
    if (v < 0) {
      if (v === -2147483648) return putAscii(b, p, '-2147483648');
      b[p++] = MINUS;
      v = -v;
    }
    return putUint31(b, p, v);
  }
  if (v === Math.floor(v) && v <= 9007199254740991 && v >= -9007199254740991) {
    if (v < 0) {
      b[p++] = MINUS;
      v = -v;
    }
    if (v < 1e9) return putUint31(b, p, v);
    const hi = Math.floor(v / 1e9);
    return putDigits(b, putUint31(b, p, hi), v - hi * 1e9, 9);
  }
  return putAscii(b, p, String(v));
}

/**
 * `String(v)` of an int32 (`(v | 0) === v`, checked by the caller): the
 * generated row writers call it for nearly every number cell, so it is one
 * flat function (digit count, then two digits per division) rather than
 * `putNumber`'s chain of calls.
 */
export function putInt32(b: Buffer, p: number, v: number): number {
  v |= 0;
  if (v < 0) {
    if (v === -2147483648) return putAscii(b, p, '-2147483648');
    b[p++] = MINUS;
    v = -v;
  }
  const n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
  let i = p + n;
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    b[--i] = PAIRS[r + 1]!;
    b[--i] = PAIRS[r]!;
    v = q;
  }
  if (v >= 10) {
    b[--i] = PAIRS[(v << 1) + 1]!;
    b[--i] = PAIRS[v << 1]!;
  } else b[--i] = ZERO + v;
  return p + n;
}

/** The digits of 0 <= v < 2^31. */
function putUint31(b: Buffer, p: number, v: number): number {
  return putDigits(b, p, v, digitCount(v));
}

/** How many decimal digits 0 <= v < 2^31 has. */
export function digitCount(v: number): number {
  return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** "00" to "99" as byte pairs: digits are written two per division (a division is most of a digit's cost). */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = ZERO + Math.floor(i / 10);
  PAIRS[2 * i + 1] = ZERO + (i % 10);
}

/** The last `n` decimal digits of 0 <= v < 2^31, zero-padded to `n`. */
export function putDigits(b: Buffer, p: number, v: number, n: number): number {
  // As an int32 the divisions by 100 below are multiplications (a double division costs several times more).
  v |= 0;
  let i = p + n;
  while (i - p >= 2) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    b[--i] = PAIRS[r + 1]!;
    b[--i] = PAIRS[r]!;
    v = q;
  }
  if (i > p) b[p] = ZERO + (v % 10);
  return p + n;
}

/**
 * `String(v)` at `p`, faster for the fractions every time and latency column
 * holds (ms with ns resolution: k / 1e6). Such a number below 1e9 has at most
 * 15 significant digits, so its shortest round-trip text, which String writes,
 * is exactly the decimal k * 10^-6: written here from two small integers
 * instead of by the general double-to-text algorithm.
 */
export function putFraction(b: Buffer, p: number, v: number): number {
  if (!(v > 0 && v < 1e9) || v === Math.floor(v)) return putNumber(b, p, v);
  const k = Math.round(v * 1e6);
  if (k / 1e6 !== v) return putAscii(b, p, String(v));
  const whole = Math.floor(k / 1e6);
  p = putNumber(b, p, whole);
  b[p++] = DOT;
  // Six digits, then the trailing zeros taken back off (they are not all 0: v is no integer).
  p = putDigits(b, p, k - whole * 1e6, 6);
  while (b[p - 1] === ZERO) p--;
  return p;
}

/** 10^d for the `d` of `putScaled`. */
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/**
 * `String(k / 10^d)` for a whole count `k` of 10^-d units (0 < d <= 9): the
 * ms and µs columns, written from whole ns without the division's double.
 * For 0 <= k < 1e15 that text is k's digits with the point put d from the
 * end and trailing zeros dropped (at most 15 significant digits: see
 * `putFraction`); for any other k nothing is written and -1 returned.
 */
export function putScaled(b: Buffer, p: number, k: number, d: number): number {
  if (!(k >= 0 && k < 1e15)) return -1;
  const unit = POW10[d]!;
  const whole = Math.floor(k / unit);
  const frac = k - whole * unit;
  p = whole <= 2147483647 ? putInt32(b, p, whole) : putNumber(b, p, whole);
  if (frac === 0) return p;
  b[p++] = DOT;
  p = putDigits(b, p, frac, d);
  while (b[p - 1] === ZERO) p--;
  return p;
}

/** Whole seconds and ns as one decimal: `sec` then `nsec` in nine digits (room for MAX_NUMBER_TEXT bytes taken; sec < 2^53 fits in it). */
export function putNanos(b: Buffer, p: number, sec: number, nsec: number): number {
  return putDigits(b, sec <= 2147483647 ? putInt32(b, p, sec) : putNumber(b, p, sec), nsec, 9);
}

/** Bytes at `p` (room taken by the caller). */
export function putBytes(b: Buffer, p: number, s: Uint8Array): number {
  const n = s.length;
  // set() costs about as much as a dozen bytes copied by the loop, whatever its length.
  if (n > 12) b.set(s, p);
  else for (let i = 0; i < n; i++) b[p + i] = s[i]!;
  return p + n;
}

/** An ASCII string's bytes at `p` (room taken by the caller). */
export function putAscii(b: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
  return p;
}

/**
 * Writes `s` as it is if it is a plain CSV field: ASCII without a quote,
 * comma, CR or LF, and (`defuse`, text columns) not starting like a formula
 * (csv.ts `csvCell`). Returns the position after it, or -1 when `s` needs
 * `csvCell` (nothing counts as written then). Room for s.length bytes taken.
 */
export function putCsvPlain(b: Buffer, p: number, s: string, defuse: boolean): number {
  const n = s.length;
  if (defuse && n > 0) {
    const c = s.charCodeAt(0);
    // = + - @ TAB CR
    if (c === 0x3d || c === 0x2b || c === MINUS || c === 0x40 || c === 0x09 || c === CR) return -1;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === QUOTE || c === COMMA || c === CR || c === LF) return -1;
    b[p + i] = c;
  }
  return p + n;
}

/**
 * Writes `s` as a JSON string literal if it is printable ASCII without `"`
 * or `\` (json.ts `jsonString` writes such a string between quotes as it
 * is); returns the position after it, or -1 when `s` needs `jsonString`.
 * Room for s.length + 2 bytes taken.
 */
export function putJsonPlain(b: Buffer, p: number, s: string): number {
  b[p] = QUOTE;
  const q = putJsonChars(b, p + 1, s);
  if (q < 0) return -1;
  b[q] = QUOTE;
  return q + 1;
}

/** The characters of `putJsonPlain` without the quotes: the position after them, or -1. */
export function putJsonChars(b: Buffer, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return -1;
    b[p + i] = c;
  }
  return p + n;
}

/** Whether `s` is an optional minus and decimal digits (an exact 64-bit id or time carried as text). */
export function isIntegerText(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === MINUS ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > ZERO + 9) return false;
  }
  return true;
}

/**
 * Four digits at a time: "0000" to "9999", each as the little-endian 32-bit
 * word of its digit bytes, stored by one `DataView.setUint32` (a division by
 * 10000 and one store instead of two divisions by 100 and four stores). The
 * writers below store whole words and move past the digits only, so a few
 * bytes after a number's last digit may be overwritten (the rest of a word,
 * trailing zeros taken back): they are inside the MAX_NUMBER_TEXT bytes of
 * room the row took for the cell, and whatever comes next is written over
 * them.
 */
const QUADS = new Uint32Array(10000);
for (let i = 0; i < 10000; i++) {
  QUADS[i] = (ZERO + Math.floor(i / 1000)) | (ZERO + (Math.floor(i / 100) % 10)) << 8 | (ZERO + (Math.floor(i / 10) % 10)) << 16 | (ZERO + (i % 10)) << 24;
}

/** The digits of 0 <= x < 2^31 (an int32 the caller checked), by words of four (see QUADS). */
export function putUint31Quads(v: DataView, p: number, x: number): number {
  x |= 0;
  // The head (the first one to four digits) is written in place, not by a helper: a call per number
  // where TurboFan, out of inlining budget in a large generated writer, would not inline it.
  if (x < 10000) {
    const n = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : 4;
    v.setUint32(p, QUADS[x]! >>> ((4 - n) << 3), true);
    return p + n;
  }
  const big = x >= 100000000;
  const h = big ? (x / 100000000) | 0 : (x / 10000) | 0;
  const r = big ? x - h * 100000000 : x - h * 10000;
  const n = h < 10 ? 1 : h < 100 ? 2 : h < 1000 ? 3 : 4;
  v.setUint32(p, QUADS[h]! >>> ((4 - n) << 3), true);
  p += n;
  if (!big) {
    v.setUint32(p, QUADS[r]!, true);
    return p + 4;
  }
  const m = (r / 10000) | 0;
  v.setUint32(p, QUADS[m]!, true);
  v.setUint32(p + 4, QUADS[r - m * 10000]!, true);
  return p + 8;
}

/** The nine digits of 0 <= x < 1e9, zero-padded (`putDigits(b, p, x, 9)`), by words of four. */
export function putNineQuads(v: DataView, p: number, x: number): number {
  x |= 0;
  const a = (x / 100000000) | 0;
  const r = x - a * 100000000;
  const h = (r / 10000) | 0;
  v.setUint8(p, ZERO + a);
  v.setUint32(p + 1, QUADS[h]!, true);
  v.setUint32(p + 5, QUADS[r - h * 10000]!, true);
  return p + 9;
}

/** "00" to "99" as the little-endian 16-bit words of their digit bytes (PAIRS as words: one store a pair). */
const PAIR_WORDS = new Uint16Array(100);
for (let i = 0; i < 100; i++) PAIR_WORDS[i] = PAIRS[2 * i]! | PAIRS[2 * i + 1]! << 8;

/** The six digits of 0 <= x < 1e6, zero-padded (`putDigits(b, p, x, 6)`): a pair and a word of four. */
export function putSixQuads(v: DataView, p: number, x: number): number {
  x |= 0;
  const h = (x / 10000) | 0;
  v.setUint16(p, PAIR_WORDS[h]!, true);
  v.setUint32(p + 2, QUADS[x - h * 10000]!, true);
  return p + 6;
}

/** The three digits of 0 <= x < 1000, zero-padded (`putDigits(b, p, x, 3)`): one word, its fourth byte overwritten by what comes next. */
export function putThreeQuads(v: DataView, p: number, x: number): number {
  v.setUint32(p, QUADS[x | 0]! >>> 8, true);
  return p + 3;
}

/** The digits of a safe integer 0 <= x <= 2^53-1 (`String(x)`), by words of four. */
export function putSafeQuads(v: DataView, p: number, x: number): number {
  if (x < 2147483648) return putUint31Quads(v, p, x);
  const hi = Math.floor(x / 1e9);
  return putNineQuads(v, putUint31Quads(v, p, hi), x - hi * 1e9);
}

/**
 * `putScaled(b, p, k, d)` for d = 3 or 6 (µs and ms from ns), by words of
 * four: the same text, -1 for the k it leaves to its caller.
 */
export function putScaledQuads(v: DataView, b: Buffer, p: number, k: number, d: 3 | 6): number {
  if (!(k >= 0 && k < 1e15)) return -1;
  const unit = d === 6 ? 1000000 : 1000;
  const whole = Math.floor(k / unit);
  return putScaledParts(v, b, p, whole, (k - whole * unit) | 0, d);
}

/**
 * `putScaledQuads(v, b, p, k, d)` from k's parts: `whole` (k / 10^d rounded
 * down, a safe integer) and `frac` (the rest, an int32). The generated row
 * writers (csv.ts) split k themselves: a k in ns is past 2^31, and a call
 * given it would box it (a heap number per cell); its parts are int32s.
 */
export function putScaledParts(v: DataView, b: Buffer, p: number, whole: number, frac: number, d: 3 | 6): number {
  p = whole < 2147483648 ? putUint31Quads(v, p, whole) : putSafeQuads(v, p, whole);
  if (frac === 0) return p;
  b[p] = DOT;
  if (d === 6) {
    const h = (frac / 10000) | 0;
    b[p + 1] = PAIRS[h << 1]!;
    b[p + 2] = PAIRS[(h << 1) + 1]!;
    v.setUint32(p + 3, QUADS[frac - h * 10000]!, true);
    p += 7;
  } else {
    v.setUint32(p, (QUADS[frac]! & 0xffffff00) | DOT, true);
    p += 4;
  }
  while (b[p - 1] === ZERO) p--;
  return p;
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * `0x` and the hex digits of a safe integer >= 0 at u[p] (at most 16 bytes),
 * as `v.toString(16)` writes them. From its two 32-bit words with shifts:
 * a digit at a time by `% 16` and `/ 16` on the double was a call of the C
 * library's fmod per digit, and handles are often pointers (12 digits).
 */
export function putHex(u: Buffer, p: number, v: number): number {
  u[p] = 0x30;
  u[p + 1] = 0x78;
  // Exact below 2^53: hi < 2^21, and lo = v - hi * 2^32 is the low word.
  const hi = Math.floor(v / 4294967296);
  const lo = (v - hi * 4294967296) >>> 0;
  if (hi === 0) return putHexWord(u, p + 2, lo, hexDigits(lo));
  return putHexWord(u, putHexWord(u, p + 2, hi, hexDigits(hi)), lo, 8);
}

/** Hex digits of the 32-bit word `w` (1 for 0). */
function hexDigits(w: number): number {
  return w === 0 ? 1 : (35 - Math.clz32(w)) >> 2;
}

/** The last `n` hex digits of the 32-bit word `w`, zero-padded to `n`. */
function putHexWord(u: Buffer, p: number, w: number, n: number): number {
  for (let s = 4 * (n - 1); s >= 0; s -= 4) u[p++] = HEX_DIGITS[(w >>> s) & 15]!;
  return p;
}
