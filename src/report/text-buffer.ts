/**
 * Text appended as bytes to one reusable buffer: what the writers of the
 * long outputs (dump) write into, so that a line is never a string first.
 * Numbers are written as their decimal digits, constant pieces are copied
 * as bytes, strings are encoded in place. With a sink (the CLI output), a
 * full buffer is handed to it and reused; without one (a scratch buffer),
 * the buffer grows. The CLI output is one (common.ts `Output`): dump and the
 * export tables (csv.ts) write into it. Numbers are written by row-bytes.ts's
 * `putNumber`.
 */
import { MAX_NUMBER_TEXT, digitCount, putBytes, putDigits, putNumber } from './row-bytes.js';

/**
 * Bytes an output buffer gathers before handing them on (about one write(2)
 * each). 256 KiB: a dump --json of 650 MB cost about 2.5% less CPU than with
 * 64 KiB (fewer, larger writes into the page cache); 1 MiB cost more (the
 * buffer no longer stays in the CPU's cache).
 */
export const TEXT_BUFFER = 1 << 18;

export class TextBuffer {
  buf: Buffer;
  /** A DataView of `buf` (for the writers that store digits four at a time), replaced with it. */
  view: DataView;
  pos = 0;
  /** Bytes a table row keeps free after each text cell for its remaining numbers and separators (set by csv.ts's row writer). */
  reserve = 0;
  /** Times bytes were handed to the sink: a writer that takes back what it wrote checks that none went meanwhile (csv.ts `leadAndCell`). */
  handed = 0;

  constructor(size: number, private readonly sink?: (b: Buffer) => void) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Makes room for `n` more bytes (`buf` may be another buffer after this). */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.sink !== undefined && this.pos > 0) {
      this.hand(this.buf.subarray(0, this.pos));
      this.pos = 0;
      if (n <= this.buf.length) return;
    }
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (this.pos === 0 || this.sink === undefined) return;
    const n = this.pos;
    this.pos = 0;
    this.hand(this.buf.subarray(0, n));
  }

  /** Bytes to the sink (there is one), counted in `handed`. */
  private hand(b: Buffer): void {
    this.handed++;
    this.sink!(b);
  }

  /**
   * A string as UTF-8. With a sink, text longer than the buffer goes to it on
   * its own, so the buffer is never replaced (a row writer holds it).
   */
  str(s: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const n = s.length * 3;
    if (n > this.buf.length - this.pos) {
      if (this.sink !== undefined) {
        this.flush();
        if (n > this.buf.length) {
          this.hand(Buffer.from(s, 'utf8'));
          return;
        }
      } else this.room(n);
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Bytes as they are (constant pieces: keys, names). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n > this.buf.length && this.sink !== undefined) {
      this.flush();
      this.hand(Buffer.from(b.buffer, b.byteOffset, n));
      return;
    }
    this.room(n);
    this.pos = putBytes(this.buf, this.pos, b);
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** A number as JSON writes it (`putJsonNumber`). */
  num(n: number): void {
    if (this.pos + MAX_NUMBER_TEXT > this.buf.length) this.room(MAX_NUMBER_TEXT);
    this.pos = putJsonNumber(this.buf, this.pos, n);
  }

  /** What was written since position `from`, as a string; the buffer goes back to `from`. */
  takeFrom(from: number): string {
    const s = this.buf.toString('utf8', from, this.pos);
    this.pos = from;
    return s;
  }
}

/**
 * A number as JSON writes it at b[p] (room for MAX_NUMBER_TEXT taken): an
 * integer's digits, else its String(), `null` when not finite; returns the
 * position after it.
 */
export function putJsonNumber(b: Buffer, p: number, n: number): number {
  // Most numbers of a dump are small whole ones: their digits without putNumber's general cases.
  if (n >= 0 && n < 1e9 && (n | 0) === n) return putDigits(b, p, n, digitCount(n));
  if (Number.isFinite(n)) return putNumber(b, p, n);
  b[p] = 0x6e; // null
  b[p + 1] = 0x75;
  b[p + 2] = 0x6c;
  b[p + 3] = 0x6c;
  return p + 4;
}
