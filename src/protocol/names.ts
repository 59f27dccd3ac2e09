/**
 * The strings of the names requests and directory records carry (LOOKUP,
 * CREATE, UNLINK, RENAME, READDIR ...): one per name-carrying message, so
 * the cost of making one counts. Most names are short and plain ASCII; such
 * a name is made by one `String.fromCharCode` of its bytes, which builds the
 * flat string in place, where a call into the runtime's UTF-8 decoder costs
 * about twice as much (microbenchmark of 9-byte names: 56-66 ns against
 * 109-125 ns). Other names go through the decoder. Both give the same
 * string for the same bytes: ASCII decodes to itself in UTF-8.
 */

/** Longest name made from its character codes (longer ones are rarer, and the decoder's share of their cost smaller). */
const MAX_SHORT = 16;

type Utf8Sliceable = Buffer & { utf8Slice?(start: number, end: number): string };
/** Buffer's own utf8Slice (what toString('utf8') ends in) skips the encoding dispatch: ~2x faster for short names. */
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Utf8Sliceable).utf8Slice === 'function';

/** `b[start, end)` decoded as UTF-8 (invalid sequences as U+FFFD), as `Buffer#toString` does. */
function utf8(b: Buffer, start: number, end: number): string {
  return HAS_UTF8_SLICE ? (b as Utf8Sliceable).utf8Slice!(start, end) : b.toString('utf8', start, end);
}

/**
 * `String.fromCharCode(b[s], ..., b[s + n - 1])` for 1 <= n <= MAX_SHORT:
 * one switch with a call of fixed arity per length (generated once; an
 * argument list built at run time would cost more than the decoder).
 */
const shortAscii = new Function('fcc', `return function shortAscii(b, s, n) {
  switch (n) {
${Array.from({ length: MAX_SHORT }, (_, k) => `    case ${k + 1}: return fcc(${Array.from({ length: k + 1 }, (_, i) => `b[s + ${i}]`).join(', ')});`).join('\n')}
  }
  return '';
};`)(String.fromCharCode) as (b: Buffer, s: number, n: number) => string;

/**
 * The name in `b[start, end)` as a string: decoded as UTF-8, and each byte
 * that is not part of a valid UTF-8 sequence as the lone surrogate U+DC00 +
 * byte (Python's "surrogateescape"). Names are bytes to the kernel: two
 * names that differ only in invalid bytes (Latin-1 names, say) are two files,
 * and U+FFFD for both would make the paths of one the other's. Valid UTF-8
 * never decodes to a lone surrogate, so the mapping is one to one; text
 * outputs show those characters as `\xHH` (report/untrusted-text.ts).
 */
export function nameText(b: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n <= MAX_SHORT) {
    let high = 0;
    for (let i = start; i < end; i++) high |= b[i]!;
    if (high < 0x80) return shortAscii(b, start, n);
  }
  const s = utf8(b, start, end);
  return s.indexOf('\ufffd') < 0 ? s : escapedUtf8(b, start, end);
}

/** Length of the valid UTF-8 sequence at `b[i]` (before `end`), or 0 (RFC 3629: no overlongs, surrogates or past U+10FFFF). */
function sequenceAt(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > end) return 0;
  const c1 = b[i + 1]!;
  const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
  const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return n;
}

/** The rare path of `nameText`: valid sequences decoded, other bytes as U+DC00 + byte. */
function escapedUtf8(b: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end;) {
    const n = sequenceAt(b, i, end);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + b[i]!);
      i++;
    } else {
      out += utf8(b, i, i + n);
      i += n;
    }
  }
  return out;
}
