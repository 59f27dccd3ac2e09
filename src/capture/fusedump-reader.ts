/**
 * Reads fusedump captures (GlusterFS `--dump-fuse`, strace-fusedump; see
 * capture-format.md §2) as a `RecordParser`. A record is a direction byte
 * ('R' kernel -> daemon, 'W' daemon -> kernel) followed by either
 * - version 2: u32 nitems (< 16) and nitems items, each led by its own u32
 *   length; the first is the timestamp {len=16, u64 sec, u32 nsec}, the last
 *   the FUSE message, the ones between opaque metadata; or
 * - version 1: the FUSE message directly (its u32 len is >= 16).
 * The two are told apart per record, as parsefuse does. The byte order is the
 * recording host's; the reader takes the one in which the first record's
 * first word is smaller. One file is one connection.
 */
import { basename } from 'node:path';
import { CaptureError } from './errors.js';
import { MAX_RECORD, type ParserContext, type RecordParser } from './input.js';
import { Direction, type CaptureMessage, type CaptureSink, type Timebase } from './message.js';
import { askFor, newMessage } from './pcapng-reader.js';

const R = 0x52;
const W = 0x57;
const RESYNC_HINT = 'the file looks damaged here; --resync continues from the next plausible record';

export class FusedumpParser implements RecordParser {
  readonly format = 'fusedump' as const;
  need = 5;
  lastT = -Infinity;
  /** Records walked so far (the next record's number). */
  blockNo = 0;
  messages = 0;
  /** Record versions seen (bit 1: v1, bit 2: v2). */
  versions = 0;

  private readonly file: string;
  private readonly sink: CaptureSink;
  private readonly tb: Timebase;
  private readonly resync: boolean;
  private readonly msg: CaptureMessage;
  private le = true;
  private started = false;
  private conn = -1;
  private eSec = -1;
  private eNsec = 0;

  private resyncing = false;
  private damageAt = 0;
  private damageBlock = 0;
  private damageWhat = '';
  private atEof = false;
  private lastBuf: Buffer | undefined;
  private lastEnd = 0;
  private lastBase = 0;

  constructor(private readonly ctx: ParserContext) {
    this.file = ctx.file;
    this.sink = ctx.sink;
    this.tb = ctx.timebase;
    this.resync = ctx.options.resync === true;
    this.msg = newMessage(ctx.input);
  }

  private viewBuf: Buffer | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** A DataView on the chunk buffer, made again only for a new buffer (see pcapng-reader.ts `viewOf`). */
  private viewOf(buf: Buffer): DataView {
    if (buf !== this.viewBuf) {
      this.viewBuf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.view;
  }

  /** u32 in the file's byte order (plain element loads: callers check bounds). */
  private r32(b: Buffer, o: number): number {
    return this.le
      ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 16777216
      : (b[o + 3]! | (b[o + 2]! << 8) | (b[o + 1]! << 16)) + b[o]! * 16777216;
  }

  parse(buf: Buffer, start: number, end: number, base: number): number {
    this.lastBuf = buf;
    this.lastEnd = end;
    this.lastBase = base;
    const dv = this.viewOf(buf);
    let p = start;
    outer: for (;;) {
      const avail = end - p;
      if (this.resyncing) {
        if (avail < 21) {
          if (this.atEof) { p = end; break; }
          this.need = 21;
          break;
        }
        if (!this.candidate(buf, p)) { p++; continue; }
        this.endResync(base + p);
      }
      if (avail < 5) { this.need = 5; break; }
      const d = buf[p];
      if (d !== R && d !== W) {
        p = this.damage(p, base, `record marker 0x${d!.toString(16).padStart(2, '0')}, expected 'R' (0x52) or 'W' (0x57)`);
        continue;
      }
      if (!this.started) this.start(buf, p);
      const n = dv.getUint32(p + 1, this.le);
      let msgOff: number;
      let msgLen: number;
      let recEnd: number;
      let hasTs = false;
      let sec = 0;
      let nsec = 0;
      if (n < 16) {
        if (n === 0) { p = this.damage(p, base, 'version 2 record with 0 items'); continue; }
        let o = p + 5;
        msgOff = 0;
        msgLen = 0;
        for (let i = 0; i < n; i++) {
          if (o + 4 - p > MAX_RECORD) { p = this.damage(p, base, `record of ${n} items grows past the limit ${MAX_RECORD}`); continue outer; }
          if (end - o < 4) { this.need = o + 4 - p; break outer; }
          const il = dv.getUint32(o, this.le);
          if (il < 4) { p = this.damage(p, base, `item ${i} of ${n} at byte 0x${(base + o).toString(16)}: length ${il} < 4`); continue outer; }
          // The items after this one need at least their 4-byte lengths: count them now so
          // that `need` never passes the limit.
          if (o + il - p + 4 * (n - 1 - i) > MAX_RECORD) { p = this.damage(p, base, `item ${i} of ${n}: length ${il} takes the record past the limit ${MAX_RECORD}`); continue outer; }
          if (i === n - 1) {
            if (il < 16) { p = this.damage(p, base, `message item length ${il} < 16 (a FUSE header)`); continue outer; }
            msgOff = o;
            msgLen = il;
          } else if (i === 0 && il !== 16) {
            p = this.damage(p, base, `first item (timestamp) length ${il}, expected 16`);
            continue outer;
          }
          if (end - o < il) { this.need = askFor(o + il - p, avail); break outer; }
          if (i === 0 && n > 1) {
            hasTs = true;
            sec = this.le ? dv.getUint32(o + 8, this.le) * 4294967296 + dv.getUint32(o + 4, this.le)
              : dv.getUint32(o + 4, this.le) * 4294967296 + dv.getUint32(o + 8, this.le);
            nsec = dv.getUint32(o + 12, this.le);
          }
          o += il;
        }
        recEnd = o;
        this.versions |= 4;
      } else {
        if (1 + n > MAX_RECORD) { p = this.damage(p, base, `version 1 message length ${n} > limit ${MAX_RECORD - 1}`); continue; }
        if (avail < 1 + n) { this.need = askFor(1 + n, avail); break; }
        msgOff = p + 1;
        msgLen = n;
        recEnd = p + 1 + n;
        this.versions |= 2;
      }
      const m = this.msg;
      if (hasTs) {
        if (this.eSec < 0) this.fixEpoch(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
        m.t = (sec - this.eSec) * 1e9 + (nsec - this.eNsec);
        this.lastT = m.t;
      } else {
        m.t = this.lastT === -Infinity ? 0 : this.lastT;
      }
      m.conn = this.conn;
      m.dir = d === R ? Direction.Inbound : Direction.Outbound;
      m.data = buf;
      m.off = msgOff;
      m.capLen = msgLen;
      m.origLen = msgLen;
      m.le = this.le;
      m.fileOffset = base + p;
      m.blockNo = this.blockNo;
      this.messages++;
      this.sink.onMessage(m);
      p = recEnd;
      this.blockNo++;
    }
    return p;
  }

  finish(rest: number, at: number): void {
    const b = this.lastBuf;
    if (b !== undefined && rest > 0 && this.lastEnd - rest >= 0) {
      let p = this.lastEnd - rest;
      if (this.resyncing) {
        p = this.parseAtEof(b, p);
        if (this.resyncing) {
          this.resyncing = false;
          this.sink.onNotice({
            kind: 'skipped-block', file: this.file, offset: this.damageAt, blockNo: this.damageBlock,
            message: `record #${this.damageBlock} at byte 0x${this.damageAt.toString(16)}: ${this.damageWhat}; no valid record follows (skipped ${this.lastBase + this.lastEnd - this.damageAt} bytes to the end)`,
          });
          return;
        }
      } else if (this.resync && rest >= 21) {
        // With --resync, a record that runs past the end may be a damaged
        // length with whole records after it: look for one before calling it a cut.
        const saved = this.blockNo;
        this.resyncing = true;
        this.damageAt = this.lastBase + p;
        this.damageBlock = saved;
        this.damageWhat = 'record runs past the end of the input';
        this.blockNo++;
        const q = this.parseAtEof(b, p + 1);
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
      message: `capture cut in record #${this.blockNo} at byte 0x${at.toString(16)} (${rest} bytes of an incomplete record); everything before it was read`,
    });
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

  /** First record: fixes the byte order and declares the connection. */
  private start(buf: Buffer, p: number): void {
    this.started = true;
    this.le = buf.readUInt32LE(p + 1) <= buf.readUInt32BE(p + 1);
    this.conn = this.tb.nextConn++;
    this.sink.onConnection({
      conn: this.conn, input: this.ctx.input, file: this.file, format: 'fusedump',
      name: this.file === '-' ? 'stdin' : basename(this.file), label: undefined, description: undefined,
      snapLen: 0, linkType: 0, os: undefined, recorder: undefined, section: 0, ifaceId: 0, le: this.le,
    });
  }

  private fixEpoch(abs: bigint): void {
    const e = this.tb.fix(abs);
    this.eSec = Number(e / 1_000_000_000n);
    this.eNsec = Number(e % 1_000_000_000n);
  }

  private damage(p: number, base: number, what: string): number {
    if (!this.resync) throw new CaptureError(this.file, base + p, this.blockNo, what, RESYNC_HINT);
    this.resyncing = true;
    this.damageAt = base + p;
    this.damageBlock = this.blockNo;
    this.damageWhat = what;
    this.blockNo++;
    return p + 1;
  }

  private endResync(at: number): void {
    this.resyncing = false;
    this.sink.onNotice({
      kind: 'skipped-block', file: this.file, offset: this.damageAt, blockNo: this.damageBlock,
      message: `record #${this.damageBlock} at byte 0x${this.damageAt.toString(16)}: ${this.damageWhat}; skipped ${at - this.damageAt} bytes to the next plausible record at byte 0x${at.toString(16)}`,
    });
  }

  /** A plausible version 2 record starts at p (21 bytes available). */
  private candidate(buf: Buffer, p: number): boolean {
    const d = buf[p];
    if (d !== R && d !== W) return false;
    const n = this.r32(buf, p + 1);
    return n >= 2 && n < 16 && this.r32(buf, p + 5) === 16 && this.r32(buf, p + 17) < 1_000_000_000;
  }
}

/** The `ParserFactory` entry for fusedump. */
export function createFusedumpParser(ctx: ParserContext): FusedumpParser {
  return new FusedumpParser(ctx);
}
