/**
 * Damage handling shared by the record parsers (capture-format.md §3): a
 * damaged block/record throws `CaptureError`, or with `options.resync` the
 * parser scans forward to the next plausible one and emits a `skipped-block`
 * notice; at the end of input, a scan still running or a record cut short is
 * reported by `finish`.
 *
 * Only the damage path lives here: a parser's per-message loop reads
 * `resyncing` (a field) and calls nothing of this class while the input is sound.
 */
import { byteAt, CaptureError, type OffsetSpace } from './errors.js';
import type { ParserContext } from './input.js';
import type { CaptureSink } from './message.js';

/** How one format names and scans its records. */
export interface ResyncSpec {
  /** What a unit of the format is called in messages: 'block', 'record'. */
  noun: string;
  /** What a scan looks for, in messages: 'valid block', 'plausible record'. */
  target: string;
  /** Bytes a parser needs at p to tell whether a plausible record starts there. */
  window: number;
  /** How far a scan moves after a damaged place. */
  step: number;
}

export abstract class ResyncParser {
  /** Blocks/records walked so far (the next one's number). */
  blockNo = 0;

  protected readonly file: string;
  protected readonly sink: CaptureSink;
  protected readonly resync: boolean;
  /** What the parser's offsets count (the decompressed data of a gzip-compressed capture). */
  protected readonly space: OffsetSpace;

  /** Scanning for the next plausible record after damage. */
  protected resyncing = false;
  /** Set while the last chunk is parsed again knowing no more bytes will come. */
  protected atEof = false;
  protected lastBuf: Buffer | undefined;
  protected lastEnd = 0;
  protected lastBase = 0;
  private damageAt = 0;
  private damageBlock = 0;
  private damageWhat = '';
  private readonly spec: ResyncSpec;

  protected constructor(ctx: ParserContext, spec: ResyncSpec) {
    this.file = ctx.file;
    this.sink = ctx.sink;
    this.resync = ctx.options.resync === true;
    this.space = ctx.space ?? 'file';
    this.spec = spec;
  }

  abstract parse(buf: Buffer, start: number, end: number, base: number): number;

  /** Why the record at p of the last chunk runs past the end of the input (for the skipped-block notice). */
  protected abstract pastEnd(b: Buffer, p: number): string;

  /** What the `rest` bytes left at the end of the last chunk are (for the truncated notice). */
  protected abstract cutDetail(rest: number): string;

  /**
   * Handles a damaged record at p (file offset base + p): throws, or (resync)
   * starts scanning `spec.step` bytes further on; returns where to go on.
   */
  protected damage(p: number, base: number, what: string): number {
    if (!this.resync) {
      throw new CaptureError(this.file, base + p, this.blockNo, what,
        `the file looks damaged here; --resync continues from the next ${this.spec.target}`, this.space);
    }
    this.startScan(base + p, what);
    return p + this.spec.step;
  }

  /** A scan found a plausible record at file offset `at`. */
  protected endResync(at: number): void {
    this.resyncing = false;
    const { noun, target } = this.spec;
    this.sink.onNotice({
      kind: 'skipped-block', file: this.file, offset: this.damageAt, blockNo: this.damageBlock,
      message: `${noun} #${this.damageBlock} at ${byteAt(this.damageAt, this.space)}: ${this.damageWhat}; skipped ${at - this.damageAt} bytes to the next ${target} at ${byteAt(at, this.space)}`,
    });
  }

  finish(rest: number, at: number): void {
    const b = this.lastBuf;
    const { noun, window, step } = this.spec;
    if (b !== undefined && rest > 0 && this.lastEnd - rest >= 0) {
      let p = this.lastEnd - rest;
      if (this.resyncing) {
        p = this.parseAtEof(b, p);
        if (this.resyncing) {
          this.resyncing = false;
          this.sink.onNotice({
            kind: 'skipped-block', file: this.file, offset: this.damageAt, blockNo: this.damageBlock,
            message: `${noun} #${this.damageBlock} at ${byteAt(this.damageAt, this.space)}: ${this.damageWhat}; no valid ${noun} follows (skipped ${this.lastBase + this.lastEnd - this.damageAt} bytes to the end)`,
          });
          return;
        }
      } else if (this.resync && rest >= window) {
        // With --resync, a record that runs past the end may be a damaged
        // length with whole records after it: look for one before calling it a cut.
        const saved = this.blockNo;
        this.startScan(this.lastBase + p, this.pastEnd(b, p));
        const q = this.parseAtEof(b, p + step);
        if (this.resyncing) {
          this.resyncing = false;
          this.blockNo = saved;
        } else {
          p = q;
        }
      }
      rest = this.lastEnd - p;
      at = this.lastBase + p;
    }
    if (rest <= 0) return;
    this.sink.onNotice({
      kind: 'truncated', file: this.file, offset: at, blockNo: this.blockNo,
      message: `capture cut in ${noun} #${this.blockNo} at ${byteAt(at, this.space)} (${this.cutDetail(rest)}); everything before it was read`,
    });
  }

  /** Damage at file offset `at` in the current record: scan from there on. */
  private startScan(at: number, what: string): void {
    this.resyncing = true;
    this.damageAt = at;
    this.damageBlock = this.blockNo;
    this.damageWhat = what;
    this.blockNo++;
  }

  /** Parses the last chunk again knowing that no more bytes will come. */
  private parseAtEof(b: Buffer, p: number): number {
    this.atEof = true;
    try {
      return this.parse(b, p, this.lastEnd, this.lastBase);
    } finally {
      this.atEof = false;
    }
  }
}
