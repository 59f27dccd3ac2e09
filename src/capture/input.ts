/**
 * Reads one capture file (or standard input) in large chunks, synchronously,
 * and hands whole records to the format's parser. The buffer is reused: the
 * unparsed tail of a chunk moves to the front and the next read fills the
 * rest, so memory stays at one buffer per input whatever the capture size.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CaptureError, systemReason, type OffsetSpace } from './errors.js';
import { GzipStream, isGzip } from './gzip-stream.js';
import type { CaptureFormat, CaptureSink, Direction } from './message.js';
import { Timebase } from './message.js';
import { Block } from './pcapng-format.js';

/** A format parser driven by `CaptureInput`. */
export interface RecordParser {
  readonly format: CaptureFormat;
  /**
   * Parses the whole records in buf[start, end) and returns the offset of the
   * first byte not consumed. `base` is the file offset of buf[0]. Throws
   * `CaptureError` for damage it cannot step over.
   */
  parse(buf: Buffer, start: number, end: number, base: number): number;
  /** Bytes needed from the last returned offset before parse can progress. */
  readonly need: number;
  /** End of input: `rest` bytes at file offset `at` were left unparsed. */
  finish(rest: number, at: number): void;
  /** Relative time of the latest message parsed (for merging inputs by time). */
  readonly lastT: number;
  /** Messages handed to the sink so far. */
  readonly messages: number;
}

export interface ReaderOptions {
  /** Continue after a damaged block from the next plausible block. */
  resync?: boolean;
  /** Accept interfaces with this link type even without a `fuse` name. */
  linkType?: number;
  /**
   * Classifies a message whose direction the capture did not record (pcapng
   * SPB, EPB without epb_flags) from its content: protocol/guess-direction.ts,
   * given by the stage that knows the opcodes. Without it such messages stay
   * `Direction.Unknown`.
   */
  guessDirection?: DirectionGuesser;
}

/** Inbound, outbound or unknown for the message at b[off] (capLen bytes captured of origLen). */
export type DirectionGuesser = (b: Buffer, off: number, capLen: number, origLen: number, le: boolean) => Direction;

export interface ParserContext {
  file: string;
  input: number;
  timebase: Timebase;
  sink: CaptureSink;
  options: ReaderOptions;
  /** What the parser's offsets count: 'decompressed' for a gzip-compressed capture (default 'file'). */
  space?: OffsetSpace;
}

export type ParserFactory = (format: CaptureFormat, ctx: ParserContext) => RecordParser;

/**
 * Read size. Small enough that the chunk is still in the CPU cache when the
 * parser walks it right after the read (measured on the metadata-heavy bench
 * capture: 256 KiB takes ~10% less CPU than 4 MiB); captures of large records
 * grow the buffer (see `fill`).
 */
const CHUNK = 256 << 10;
/** Buffer size for captures of large records (see `fill`). */
const LARGE_CHUNK = 4 << 20;
/** Largest record any parser may ask for (capture-format.md: 64 MiB sanity bound). */
export const MAX_RECORD = 64 << 20;

const PCAPNG_MAGIC = Buffer.alloc(4);
PCAPNG_MAGIC.writeUInt32LE(Block.SHB);

/**
 * Recognises a capture by its first bytes, never by its name. `space` says
 * whether `head` is the file's or the data decompressed from it (a gzip file
 * is decompressed before this is asked; see `CaptureInput`).
 */
function detectFormat(head: Buffer, file: string, space: OffsetSpace = 'file'): CaptureFormat {
  const data = space === 'decompressed' ? 'the decompressed data' : 'the file';
  if (head.length === 0) {
    throw new CaptureError(file, 0, undefined, `${data} is empty`, 'record a capture with `fusetrace record`, or check the path', space);
  }
  if (head.length >= 4 && head.readUInt32LE(0) === Block.SHB) return 'pcapng';
  if (head.length < 4 && PCAPNG_MAGIC.subarray(0, head.length).equals(head)) {
    throw new CaptureError(file, head.length, 0, `${data} ends after ${head.length} byte${head.length === 1 ? '' : 's'}, inside the first pcapng section header`,
      'the recorder was probably killed before it wrote anything; record again', space);
  }
  if (head[0] === 0x52 /* R */ || head[0] === 0x57 /* W */) return 'fusedump';
  const magic = head.length >= 4 ? head.readUInt32LE(0) : 0;
  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
    throw new CaptureError(file, 0, undefined, `${space === 'decompressed' ? 'the decompressed data is' : 'this is'} a classic pcap file, expected pcapng or fusedump`,
      'convert it with `editcap -F pcapng IN OUT` (Wireshark) and try again', space);
  }
  const packer = compressedBy(head);
  if (packer !== undefined) {
    if (space === 'decompressed') {
      throw new CaptureError(file, 0, undefined, `the decompressed data is ${packer.name}-compressed again, expected pcapng or fusedump`,
        `decompress it on the way in: \`gzip -dc ${file === '-' ? 'FILE' : shellWord(file)} | ${packer.cat} | fusetrace <command> -\``, space);
    }
    throw new CaptureError(file, 0, undefined, `this is a ${packer.name}-compressed file, expected pcapng or fusedump`,
      file === '-'
        ? `decompress it on the way in: \`${packer.cat} FILE | fusetrace <command> -\``
        : `decompress it on the way in: \`${packer.cat} ${shellWord(file)} | fusetrace <command> -\`, or once with \`${packer.unpack} ${shellWord(file)}\``);
  }
  throw new CaptureError(file, 0, undefined,
    `unknown capture format (first bytes ${head.subarray(0, 8).toString('hex')}); expected pcapng (0a0d0d0a) or fusedump ('R'/'W' record)`,
    'fusetrace reads captures made by `fusetrace record`, GlusterFS --dump-fuse or strace-fusedump', space);
}

/**
 * Compressed files people keep captures in, known by their magic bytes, that
 * fusetrace does not decompress itself (gzip it does: `CaptureInput`; here
 * only for a gzip file inside one).
 */
const COMPRESSED: readonly { magic: readonly number[]; name: string; cat: string; unpack: string }[] = [
  { magic: [0x1f, 0x8b], name: 'gzip', cat: 'gzip -dc', unpack: 'gunzip -k' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd', cat: 'zstd -dc', unpack: 'unzstd' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz', cat: 'xz -dc', unpack: 'unxz -k' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2', cat: 'bzip2 -dc', unpack: 'bunzip2 -k' },
  { magic: [0x04, 0x22, 0x4d, 0x18], name: 'lz4', cat: 'lz4 -dc', unpack: 'lz4 -d' },
];

function compressedBy(head: Buffer): (typeof COMPRESSED)[number] | undefined {
  return COMPRESSED.find((c) => head.length >= c.magic.length && c.magic.every((b, i) => head[i] === b));
}

/** A path as one shell word, quoted only when it needs to be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * One input file being read chunk by chunk. A gzip-compressed file (known by
 * its first bytes) is decompressed on the way in: offsets the parser gives are
 * then those of the decompressed data.
 */
export class CaptureInput {
  private fd = -1;
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private end = 0;
  /** Capture offset of buf[0] (in the decompressed data of a gzip file). */
  private base = 0;
  private eof = false;
  private parser: RecordParser | undefined;
  /** The decompressor of a gzip-compressed file. */
  private gz: GzipStream | undefined;
  done = false;
  /** Bytes read from the file (compressed bytes for a gzip file): progress against its size. */
  bytesRead = 0;
  /** Bytes of capture data read: the file's, or those decompressed from it. */
  dataBytes = 0;

  constructor(
    readonly file: string,
    readonly ctx: ParserContext,
    private readonly makeParser: ParserFactory,
  ) {}

  get format(): CaptureFormat | undefined {
    return this.parser?.format;
  }

  /** 'gzip' for a gzip-compressed file (known once the first bytes are read). */
  get compression(): 'gzip' | undefined {
    return this.gz ? 'gzip' : undefined;
  }

  get lastT(): number {
    return this.parser?.lastT ?? -Infinity;
  }

  /** Messages its parser handed to the sink so far. */
  get messages(): number {
    return this.parser?.messages ?? 0;
  }

  private open(): void {
    this.fd = openCaptureFile(this.file);
  }

  private fill(): void {
    const need = this.parser?.need ?? 0;
    if (need * 8 > this.buf.length && this.buf.length < LARGE_CHUNK) {
      // Large records (bulk WRITE/READ data): in a buffer of a few records, the
      // head of the record cut at the end of each chunk is copied to the front
      // again, nearly doubling the bytes moved. Hold at least 8 of them (up to
      // LARGE_CHUNK; `need` is bounded by the parser, never a raw length field).
      this.regrow(Math.min(LARGE_CHUNK, Math.max(need * 8, this.buf.length * 2)));
    }
    if (this.start > 0 && (this.end - this.start) < this.buf.length / 2) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (need > this.buf.length - this.start) {
      // A record larger than the buffer: grow to fit it (parsers bound `need`).
      this.regrow(Math.max(need, this.buf.length * 2));
    }
    if (this.end === this.buf.length) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    let n: number;
    if (this.gz) {
      n = this.gz.read(this.buf, this.end, this.buf.length - this.end);
      this.bytesRead = this.gz.fileBytes;
    } else {
      n = this.readFile(this.buf, this.end, this.buf.length - this.end, this.base + this.end);
      this.bytesRead += n;
    }
    if (n === 0) this.eof = true;
    this.end += n;
    this.dataBytes += n;
  }

  /** read(2) of the file into buf[off, off + len), `at` being its file offset (for the error). */
  private readFile(buf: Buffer, off: number, len: number, at: number): number {
    try {
      return readFully(this.fd, buf, off, len);
    } catch (e) {
      throw readError(this.file, at, e, this.gz ? 'compressed' : 'file');
    }
  }

  /** Moves the unparsed bytes to the front of a new buffer of `size` bytes. */
  private regrow(size: number): void {
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, this.start, this.end);
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
    this.buf = grown;
  }

  /**
   * Makes the parser once enough first bytes are in; undefined while they are
   * not. A gzip file's first bytes start its decompression instead: the
   * format is that of the decompressed data.
   */
  private startParser(): RecordParser | undefined {
    if (this.end - this.start < 4 && !this.eof) return undefined;
    const head = this.buf.subarray(this.start, this.end);
    if (this.gz === undefined && isGzip(head)) {
      this.gz = new GzipStream(this.file, head, (b, off, len, at) => this.readFile(b, off, len, at));
      this.start = this.end = this.base = this.dataBytes = 0;
      this.eof = false;
      return undefined;
    }
    const space = this.gz ? 'decompressed' : 'file';
    this.parser = this.makeParser(detectFormat(head, this.file, space), { ...this.ctx, space });
    return this.parser;
  }

  /** The capture's format (inside its gzip compression), from its first bytes, parsing nothing. */
  sniff(): CaptureFormat {
    if (this.fd < 0) this.open();
    for (;;) {
      const parser = this.parser ?? this.startParser();
      if (parser !== undefined) return parser.format;
      this.fill();
    }
  }

  /** Reads and parses one chunk. Returns false once the input is exhausted. */
  step(): boolean {
    if (this.done) return false;
    if (this.fd < 0) this.open();
    this.fill();
    const parser = this.parser ?? this.startParser();
    if (parser === undefined) return true;
    this.start = parser.parse(this.buf, this.start, this.end, this.base);
    if (this.eof) {
      if (this.end > this.start) parser.finish(this.end - this.start, this.base + this.start);
      this.close();
      return false;
    }
    return true;
  }

  /** Reads the whole input. */
  readAll(): void {
    try {
      while (this.step());
    } finally {
      this.close();
    }
  }

  close(): void {
    this.done = true;
    if (this.fd > 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Opens a capture for reading ('-' is standard input, fd 0). What cannot be
 * read as a stream of bytes (missing, unreadable, a directory) is bad input,
 * reported like damage: file, what, hint.
 */
function openCaptureFile(file: string): number {
  if (file === '-') return 0;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw isDirectory(file);
    throw new CaptureError(file, -1, undefined, `cannot open: ${systemReason(e)}`,
      code === 'ENOENT' ? 'check the path' : code === 'EACCES' ? 'check the file\'s permissions' : undefined);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw isDirectory(file);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

function isDirectory(file: string): CaptureError {
  return new CaptureError(file, -1, undefined, 'is a directory, expected a capture file (pcapng or fusedump)',
    `give the capture files inside it, e.g. ${file.replace(/\/+$/, '')}/*.pcapng`);
}

/** A failed read(2) of a capture as bad input at `offset`. */
function readError(file: string, offset: number, e: unknown, space: OffsetSpace): CaptureError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return isDirectory(file);
  return new CaptureError(file, offset, undefined, `cannot read: ${systemReason(e)}`,
    code === 'EIO' ? 'the device or file system reported an I/O error' : undefined, space);
}

function readFully(fd: number, buf: Buffer, off: number, len: number): number {
  for (;;) {
    try {
      return readSync(fd, buf, off, len, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // Non-blocking stdin pipe with nothing yet: wait a little, synchronously.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') return 0;
      throw e;
    }
  }
}
