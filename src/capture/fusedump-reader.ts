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
 * first word is smaller. One file is one connection; its `recorder` names the
 * writer when the first record carries a signature item it knows.
 */
import { basename } from 'node:path';
import { byteAt } from './errors.js';
import { MAX_RECORD, type ParserContext, type RecordParser } from './input.js';
import { Direction, type CaptureMessage, type ConnectionInfo, type Timebase } from './message.js';
import { askFor, newMessage, u32 } from './pcapng-reader.js';
import { ResyncParser } from './resync.js';

const R = 0x52;
const W = 0x57;

/** `ConnectionInfo.recorder` of a fusedump GlusterFS wrote. */
const GLUSTERFS_DUMP = 'GlusterFS --dump-fuse';
/** Signature items, whole (length field included), and the writer each names (capture-format.md §2). */
const SIGNATURES: [Buffer, string][] = [
  [Buffer.from('0c000000474c5553544552f5', 'hex'), GLUSTERFS_DUMP], // {12, "GLUSTER" 0xF5}
  [Buffer.from('0900000053545241ce', 'hex'), 'strace-fusedump'], // {9, "STRA" 0xCE}
];
/** Bytes of a first record that hold its timestamp and a signature item: enough to name the writer. */
const HEAD = 1 + 4 + 16 + 12;

/** The record at p (5 bytes present) is version 2 with room for a metadata item, in either byte order. */
function withSignature(dv: DataView, p: number): boolean {
  const n = Math.min(dv.getUint32(p + 1, true), dv.getUint32(p + 1, false));
  return n >= 3 && n < 16;
}

/**
 * The connection is a fusedump GlusterFS wrote. Its requests are stamped when
 * a worker dispatches them and its replies after they were written, and it
 * leaves out the requests of opcodes beyond its own table, which it answers
 * ENOSYS (capture-format.md §2).
 */
export function writtenByGlusterfs(info: ConnectionInfo | undefined): boolean {
  return info?.recorder === GLUSTERFS_DUMP;
}

/** Seconds whose high word is below this are under 2^53: exact as doubles. */
const FAST_SEC_HI = 1 << 21;
/** Seconds from the epoch below this keep (seconds * 1e9 + ns) under 2^53. */
const FAST_SEC = 9_000_000;

export class FusedumpParser extends ResyncParser implements RecordParser {
  readonly format = 'fusedump' as const;
  need = 5;
  lastT = -Infinity;
  messages = 0;
  /** Record versions seen (bit 1: v1, bit 2: v2). */
  versions = 0;

  private readonly tb: Timebase;
  private readonly msg: CaptureMessage;
  private le = true;
  private started = false;
  private conn = -1;
  /** Epoch split for the fast path; eSec -1 when it cannot be used. */
  private eSec = -1;
  private eNsec = 0;
  private epochFixed = false;
  private lastRest = 0;

  constructor(private readonly ctx: ParserContext) {
    super(ctx, { noun: 'record', target: 'plausible record', window: 21, step: 1 });
    this.tb = ctx.timebase;
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
      if (!this.started) {
        // A first record with a signature item is longer than HEAD: wait for the bytes that name the writer.
        if (avail < HEAD && !this.atEof && withSignature(dv, p)) { this.need = HEAD; break; }
        this.start(buf, p, end);
      }
      const n = dv.getUint32(p + 1, this.le);
      let msgOff: number;
      let msgLen: number;
      let recEnd: number;
      let hasTs = false;
      let secHi = 0;
      let secLo = 0;
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
          if (il < 4) { p = this.damage(p, base, `item ${i} of ${n} at ${byteAt(base + o, this.space)}: length ${il} < 4`); continue outer; }
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
            secHi = dv.getUint32(this.le ? o + 8 : o + 4, this.le);
            secLo = dv.getUint32(this.le ? o + 4 : o + 8, this.le);
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
        if (!this.epochFixed) this.fixEpoch(BigInt(secHi) * 4294967296n * 1_000_000_000n + BigInt(secLo) * 1_000_000_000n + BigInt(nsec));
        const dSec = secHi * 4294967296 + secLo - this.eSec;
        if (this.eSec >= 0 && secHi < FAST_SEC_HI && dSec < FAST_SEC && dSec > -FAST_SEC) {
          // Seconds below 2^53 and within 104 days of the epoch: doubles stay exact.
          m.t = dSec * 1e9 + (nsec - this.eNsec);
          m.tRest = 0;
        } else {
          const rel = BigInt(secHi) * 4294967296n * 1_000_000_000n + BigInt(secLo) * 1_000_000_000n + BigInt(nsec) - (this.tb.epochNs as bigint);
          m.t = Number(rel);
          m.tRest = Number(rel - BigInt(m.t));
        }
        this.lastT = m.t;
        this.lastRest = m.tRest;
      } else {
        m.t = this.lastT === -Infinity ? 0 : this.lastT;
        m.tRest = this.lastRest;
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

  protected pastEnd(): string {
    return 'record runs past the end of the input';
  }

  protected cutDetail(rest: number): string {
    return `${rest} bytes of an incomplete record`;
  }

  /** First record: fixes the byte order, names the writer and declares the connection. */
  private start(buf: Buffer, p: number, end: number): void {
    this.started = true;
    this.le = buf.readUInt32LE(p + 1) <= buf.readUInt32BE(p + 1);
    this.conn = this.tb.nextConn++;
    this.sink.onConnection({
      conn: this.conn, input: this.ctx.input, file: this.file, format: 'fusedump',
      name: this.file === '-' ? 'stdin' : basename(this.file), label: undefined, description: undefined,
      snapLen: 0, linkType: 0, os: undefined, hardware: undefined, recorder: this.writer(buf, p, end), section: 0, ifaceId: 0, le: this.le,
    });
  }

  /** The writer a signature item right after the first record's timestamp names (both write it there). */
  private writer(buf: Buffer, p: number, end: number): string | undefined {
    const n = u32(buf, p + 1, this.le);
    if (n < 3 || n >= 16 || end - p < HEAD || u32(buf, p + 5, this.le) !== 16) return undefined;
    const item = p + 21;
    const len = u32(buf, item, this.le);
    for (const [sig, name] of SIGNATURES) {
      if (len === sig.length && end - item >= len && buf.compare(sig, 4, len, item + 4, item + len) === 0) return name;
    }
    return undefined;
  }

  private fixEpoch(abs: bigint): void {
    const e = this.tb.fix(abs);
    this.epochFixed = true;
    // The fast path needs whole seconds a double holds exactly; otherwise every time takes the bigint path.
    const small = e >= 0n && e < 9_000_000_000_000_000n * 1_000_000_000n;
    this.eSec = small ? Number(e / 1_000_000_000n) : -1;
    this.eNsec = small ? Number(e % 1_000_000_000n) : 0;
  }

  /** A plausible version 2 record starts at p (21 bytes available). */
  private candidate(buf: Buffer, p: number): boolean {
    const d = buf[p];
    if (d !== R && d !== W) return false;
    const n = u32(buf, p + 1, this.le);
    return n >= 2 && n < 16 && u32(buf, p + 5, this.le) === 16 && u32(buf, p + 17, this.le) < 1_000_000_000;
  }
}

/** The `ParserFactory` entry for fusedump. */
export function createFusedumpParser(ctx: ParserContext): FusedumpParser {
  return new FusedumpParser(ctx);
}
