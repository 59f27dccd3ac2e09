/**
 * A gzip-compressed capture (RFC 1952) decompressed on the way in, in small
 * pieces and synchronously, so that `CaptureInput` reads it as it reads a
 * plain capture: one bounded buffer whatever the file's size.
 *
 * Node's zlib has no synchronous streaming API, so the inflating is fflate's
 * `Gunzip` (multi-member files included). fflate checks neither a member's
 * CRC-32 and length nor that the file ends where a member does: that is done
 * here, so that damage or a cut gives an error naming the compressed file's
 * byte offset, never silently wrong data.
 */
import { Gunzip } from 'fflate';
import * as zlib from 'node:zlib';
import { CaptureError } from './errors.js';

/**
 * Compressed bytes handed to the inflater at once. Deflate expands at most
 * 1032:1, so one push yields at most ~8.4 MB however hostile the file (a
 * "decompression bomb" never becomes one huge allocation); smaller pieces cost
 * more time per byte (fflate sets up each push; inflating
 * fixtures/manyfiles.pcapng.gz alone took 0.22-0.41 CPU-s in 4 KiB pieces,
 * 0.17-0.26 in 8 KiB, 0.16-0.23 in 16 KiB).
 */
const PIECE = 8 << 10;
/** Compressed bytes read from the file at once. */
const READ = 256 << 10;
/**
 * Compressed bytes that may pass with no decompressed byte coming out. Real
 * deflate data yields output every few bytes (a stored block every 64 KiB at
 * worst); bytes that give none are a member header (fflate gathers a header
 * whole before parsing it, copying what it has at every push) or damage.
 */
const QUIET_LIMIT = 128 << 10;
/** Compressed bytes kept behind the inflater's position: a member's trailer lies at most this far back when the next member begins. */
const KEEP = QUIET_LIMIT + 2 * PIECE + 8;

/** Reads up to `len` bytes of the file into buf[off..] (its byte `at`); 0 at its end. */
export type ReadInto = (buf: Buffer, off: number, len: number, at: number) => number;

/** A gzip file starts with 1f 8b (RFC 1952 §2.3.1). */
export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** One gzip member being decompressed. */
interface Member {
  no: number;
  /** Compressed offset of its header. */
  start: number;
  crc: number;
  /** Decompressed bytes mod 2^32 (the trailer's ISIZE). */
  size: number;
}

const HINT_DAMAGED = 'fusetrace read what was decompressed before the damage; `gzip -t FILE` tests the file, `gzip -dc FILE > OUT` keeps what can be decompressed';
const HINT_CUT = 'fusetrace read what was decompressed before the cut; an interrupted copy or download? (`gzip -t FILE` tests the file)';

export class GzipStream {
  /** Compressed bytes read from the file. */
  fileBytes = 0;
  /** Decompressed bytes handed on. */
  dataBytes = 0;
  private readonly gz: Gunzip;
  /** Compressed bytes [inBase, inBase + inEnd) of the file; those before `fed` were pushed. */
  private inBuf: Buffer;
  private inBase = 0;
  private inEnd = 0;
  private fed = 0;
  private eof = false;
  /** Decompressed pieces not handed on yet (one push's output: bounded by PIECE). */
  private queue: Uint8Array[] = [];
  private queuePos = 0;
  private member: Member = { no: 1, start: 0, crc: 0, size: 0 };
  /** Compressed bytes pushed since the last decompressed byte or member header. */
  private quiet = 0;
  /** The input ended or failed: nothing more is pushed. */
  private over = false;
  /** The damage found, thrown once what came before it was handed on. */
  private failure: CaptureError | undefined;

  /** `head`: the file's first bytes, already read. */
  constructor(
    private readonly file: string,
    head: Buffer,
    private readonly readInto: ReadInto,
  ) {
    this.gz = new Gunzip((data) => this.take(data));
    this.gz.onmember = (start) => this.nextMember(start);
    this.inBuf = Buffer.allocUnsafe(KEEP + Math.max(READ, head.length));
    head.copy(this.inBuf, 0);
    this.inEnd = head.length;
    this.fileBytes = head.length;
  }

  /**
   * Copies up to `len` decompressed bytes into buf[off..]; 0 at the end. Damage
   * is thrown only once everything decompressed before it was returned.
   */
  read(buf: Buffer, off: number, len: number): number {
    let n = 0;
    while (n < len) {
      const q = this.queue[0];
      if (q === undefined) {
        if (this.over) break;
        this.pushPiece();
        continue;
      }
      const k = Math.min(q.length - this.queuePos, len - n);
      buf.set(q.subarray(this.queuePos, this.queuePos + k), off + n);
      n += k;
      this.dataBytes += k;
      this.queuePos += k;
      if (this.queuePos === q.length) {
        this.queue.shift();
        this.queuePos = 0;
      }
    }
    if (n === 0 && this.failure) throw this.failure;
    return n;
  }

  /** Hands the inflater the next piece, reading the file as needed; at its end, checks how the file ends. */
  private pushPiece(): void {
    try {
      if (this.fed === this.inBase + this.inEnd) {
        if (this.eof) {
          this.over = true;
          this.inflate(new Uint8Array(0), true);
          this.checkEnd();
          return;
        }
        this.readMore();
        return;
      }
      const from = this.fed - this.inBase;
      const k = Math.min(PIECE, this.inEnd - from);
      this.fed += k;
      this.quiet += k;
      // A copy: fflate may keep the array it is given, and inBuf is refilled.
      this.inflate(this.inBuf.subarray(from, from + k).slice(), false);
      if (this.quiet > QUIET_LIMIT) {
        throw this.error(this.fed - this.quiet, `${this.quiet} compressed bytes from here gave no decompressed data (gzip member ${this.member.no}): damaged data, or a member header longer than fusetrace reads`);
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      this.over = true;
      this.failure = e;
    }
  }

  private readMore(): void {
    if (this.inEnd + READ > this.inBuf.length) {
      // Keep KEEP bytes behind the inflater: the trailer of a member that ends there.
      const keepFrom = Math.max(this.inBase, this.fed - KEEP);
      this.inBuf.copy(this.inBuf, 0, keepFrom - this.inBase, this.inEnd);
      this.inEnd -= keepFrom - this.inBase;
      this.inBase = keepFrom;
    }
    const n = this.readInto(this.inBuf, this.inEnd, this.inBuf.length - this.inEnd, this.inBase + this.inEnd);
    if (n === 0) this.eof = true;
    this.inEnd += n;
    this.fileBytes += n;
  }

  private inflate(piece: Uint8Array, final: boolean): void {
    try {
      this.gz.push(piece, final);
    } catch (e) {
      if (e instanceof CaptureError) throw e;
      throw this.inflateError(e, piece.length);
    }
  }

  /** Decompressed output: counted into the member's CRC-32 and length, queued for `read`. */
  private take(data: Uint8Array): void {
    if (data.length === 0) return;
    const m = this.member;
    m.crc = zlib.crc32(data, m.crc);
    m.size = (m.size + data.length) % 0x1_0000_0000;
    this.quiet = 0;
    this.queue.push(data);
  }

  /** fflate found the header of another member at `start`: the one before ends with its trailer just before it. */
  private nextMember(start: number): void {
    const m = this.member;
    const at = start - 8;
    if (at < this.inBase || at < m.start) {
      throw this.error(start, `gzip member ${m.no + 1}'s header is longer than fusetrace reads (${KEEP} bytes)`);
    }
    this.checkTrailer(at);
    this.member = { no: m.no + 1, start, crc: 0, size: 0 };
    this.quiet = 0;
  }

  /** The member's trailer at compressed offset `at`: its CRC-32 and length must match what was decompressed. */
  private checkTrailer(at: number): void {
    const m = this.member;
    const p = at - this.inBase;
    const crc = this.inBuf.readUInt32LE(p);
    const size = this.inBuf.readUInt32LE(p + 4);
    if (crc !== m.crc) {
      throw this.error(at, `gzip member ${m.no}: its trailer gives CRC-32 ${hex32(crc)}, its decompressed data has ${hex32(m.crc)}: the compressed data is damaged`);
    }
    if (size !== m.size) {
      throw this.error(at, `gzip member ${m.no}: its trailer gives a length of ${size} bytes (mod 2^32), ${m.size} were decompressed: the compressed data is damaged`);
    }
  }

  /**
   * The file ended and fflate took it: the last member's trailer must be its
   * last 8 bytes. fflate says nothing when a file is cut inside a trailer or
   * a member header, or ends in a few stray bytes.
   */
  private checkEnd(): void {
    const m = this.member;
    const end = this.inBase + this.inEnd;
    const lo = this.dataStart();
    if (lo < 0) throw this.error(end, `the file ends inside the header of gzip member ${m.no}: it was cut short`, HINT_CUT);
    const expected = this.expectedTrailer();
    if (end - 8 >= lo && this.view(end - 8).equals(expected)) return;
    const stray = this.strayAfterTrailer(lo, end, true);
    if (stray) throw stray;
    // A trailer with one of its two fields right is a damaged member, not a cut one.
    if (end - 8 >= lo) {
      const last = this.view(end - 8);
      if (last.readUInt32LE(0) === m.crc || last.readUInt32LE(4) === m.size) this.checkTrailer(end - 8);
    }
    for (let k = 7; k > 0; k--) {
      if (end - k >= lo && this.view(end - k).equals(expected.subarray(0, k))) {
        throw this.error(end, `the file ends inside the trailer of gzip member ${m.no} (${k} of its 8 bytes): it was cut short`, HINT_CUT);
      }
    }
    if (end - 8 < lo) throw this.error(end, `the file ends inside gzip member ${m.no}: it was cut short`, HINT_CUT);
    // Neither field right: the trailer is missing (a cut at the end of the compressed data) or damaged.
    const last = this.view(end - 8);
    throw this.error(end - 8, `the file's last 8 bytes are not the CRC-32 and length of gzip member ${m.no} (${hex32(m.crc)} and ${m.size} bytes as decompressed; they read ${hex32(last.readUInt32LE(0))} and ${last.readUInt32LE(4)}): the file was cut short, or is damaged`, HINT_CUT);
  }

  /** Compressed bytes from `at` to what was read. */
  private view(at: number): Buffer {
    return this.inBuf.subarray(at - this.inBase, this.inEnd);
  }

  /**
   * Compressed offset after the current member's header, or where the kept
   * bytes begin if its header is out of view (a member with much data); -1
   * if the bytes read end inside the header.
   */
  private dataStart(): number {
    const m = this.member;
    if (m.start < this.inBase) return this.inBase;
    const header = headerLength(this.view(m.start));
    return header < 0 ? -1 : m.start + header;
  }

  /** The trailer the current member should end with: its CRC-32 and length as decompressed. */
  private expectedTrailer(): Buffer {
    const t = Buffer.alloc(8);
    t.writeUInt32LE(this.member.crc, 0);
    t.writeUInt32LE(this.member.size, 4);
    return t;
  }

  /**
   * The current member's data ended and its trailer is somewhere in [lo, end),
   * followed by bytes that are no gzip member (fflate refuses them, or, at the
   * end of the file, takes a few or a header cut short without a word): the
   * error naming them.
   */
  private strayAfterTrailer(lo: number, end: number, atEnd: boolean): CaptureError | undefined {
    const found = this.inBuf.subarray(lo - this.inBase, end - this.inBase).lastIndexOf(this.expectedTrailer());
    if (found < 0) return undefined;
    const at = lo + found + 8;
    const stray = this.inBuf.subarray(at - this.inBase, end - this.inBase);
    const what = `after the end of gzip member ${this.member.no} (its CRC-32 and length are right),`;
    if (atEnd && isGzip(stray)) {
      return this.error(at, `${what} another member's header begins and the file ends inside it: it was cut short`, HINT_CUT);
    }
    return this.error(at, `${what} bytes that are not a gzip member (${stray.subarray(0, 8).toString('hex')}${stray.length > 8 ? '...' : ''}): stray bytes after the compressed data`,
      'fusetrace read everything before them; the file was damaged when it was written or copied, or has bytes appended');
  }

  /** An fflate error as the input's damage, at the compressed piece being inflated. */
  private inflateError(e: unknown, pieceLen: number): CaptureError {
    const code = (e as { code?: unknown }).code;
    const msg = (e as Error).message;
    const from = this.fed - pieceLen;
    const m = this.member;
    const decoded = `after ${this.dataBytes + this.queued()} bytes of decompressed data`;
    if (code === 0) {
      return this.error(this.fed, `the file ends inside the compressed data of gzip member ${m.no} (${decoded}): it was cut short`, HINT_CUT);
    }
    if (code === 6) {
      // A member header was expected here: the file's first bytes, or what follows a member's trailer.
      if (m.no === 1 && from === 0 && this.dataBytes + this.queued() === 0) {
        return this.error(2, `not a gzip stream fusetrace reads: compression method ${this.inBuf[2] ?? '?'}, expected 8 (deflate)`);
      }
      const lo = Math.max(this.dataStart(), this.inBase);
      return this.strayAfterTrailer(lo, this.fed, false) ?? this.error(from,
        `after the data of gzip member ${m.no} (${decoded}), compressed bytes ${from}..${this.fed} hold neither its CRC-32 and length nor another member: the compressed data is damaged`);
    }
    if (typeof code === 'number' && code >= 1 && code <= 3) {
      return this.error(from, `damaged deflate data in gzip member ${m.no}: ${msg}, found in compressed bytes ${from}..${this.fed} (${decoded})`);
    }
    throw e;
  }

  private queued(): number {
    let n = -this.queuePos;
    for (const q of this.queue) n += q.length;
    return n;
  }

  private error(at: number, what: string, hint = HINT_DAMAGED): CaptureError {
    return new CaptureError(this.file, at, undefined, what, hint, 'compressed');
  }
}

/**
 * Length of the gzip member header at b[0] (RFC 1952 §2.3: 10 bytes, then
 * the optional extra field, name, comment and header CRC its flags announce);
 * -1 if b ends inside it.
 */
function headerLength(b: Buffer): number {
  if (b.length < 10) return -1;
  const flags = b[3]!;
  let p = 10;
  if (flags & 4) {
    if (b.length < p + 2) return -1;
    p += 2 + b.readUInt16LE(p);
  }
  for (const bit of [8, 16]) {
    if (flags & bit) {
      const z = b.indexOf(0, p);
      if (z < 0) return -1;
      p = z + 1;
    }
  }
  if (flags & 2) p += 2;
  return p <= b.length ? p : -1;
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}
