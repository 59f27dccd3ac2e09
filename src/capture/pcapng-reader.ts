/**
 * Reads FUSE-over-pcapng (capture-format.md §1) as a `RecordParser`: walks
 * whole blocks of a chunk with a plain loop, overwrites one `CaptureMessage`
 * per EPB/SPB/OPB and hands it to the sink. Both byte orders, any number of
 * sections (interface ids restart per section, each FUSE interface gets a new
 * global connection number), if_tsresol (10^-n or 2^-n) and if_tsoffset,
 * epb_flags (direction, bit 16 failed write), epb_processid_threadid,
 * comments and ISBs; unknown blocks and options are skipped.
 *
 * Damage (capture-format.md §3): a block cut at end of input is a `truncated`
 * notice; an impossible block length throws `CaptureError`, or with
 * `options.resync` the reader scans forward (4-byte steps) to the next
 * plausible block and emits a `skipped-block` notice.
 */
import { byteAt } from './errors.js';
import { MAX_RECORD, type ParserContext, type RecordParser } from './input.js';
import { Direction, type CaptureMessage, type Timebase } from './message.js';
import { BOM, BOM_SWAPPED, Block, EpbFlag, EpbOptHead, LINKTYPE_FUSE, Opt, QUEUE_TAG, BACKING_TAG } from './pcapng-format.js';
import { ResyncParser } from './resync.js';

const TWO32 = 4294967296;
/** |hi - epoch hi| below this: (hi - eHi) * 2^32 + (lo - eLo) stays under 2^53, exact. */
const FAST_HI = 1 << 21;

/**
 * What to ask the input for when a record of `len` bytes has only `avail`
 * present: the whole record, but never more than twice what is already here
 * (at least 64 KiB). A length field alone never makes the input allocate: a
 * 100-byte file claiming a 60 MiB block costs no 60 MiB buffer, and a real
 * large record still arrives in a few doublings.
 */
export function askFor(len: number, avail: number): number {
  return Math.min(len, Math.max(2 * avail, 65536));
}

/** Smallest total length of each block type (header, fixed part, trailer). */
function minBlockLen(type: number): number {
  switch (type) {
    case Block.SHB: return 28;
    case Block.IDB: return 20;
    case Block.EPB: return 32;
    case Block.OPB: return 32;
    case Block.SPB: return 16;
    case Block.ISB: return 24;
    default: return 12;
  }
}

function blockName(type: number): string {
  switch (type) {
    case Block.SHB: return 'SHB';
    case Block.IDB: return 'IDB';
    case Block.EPB: return 'EPB';
    case Block.OPB: return 'OPB';
    case Block.SPB: return 'SPB';
    case Block.ISB: return 'ISB';
    case Block.NRB: return 'NRB';
    default: return `block type 0x${type.toString(16)}`;
  }
}

/**
 * u32/u16 in either byte order from plain element loads (V8 inlines these;
 * Buffer#readUInt32LE through a stored function reference was the hot spot).
 * Callers check bounds: every read is inside a block whose length was checked.
 */
export function u32(b: Buffer, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 16777216
    : (b[o + 3]! | (b[o + 2]! << 8) | (b[o + 1]! << 16)) + b[o]! * 16777216;
}

function u16(b: Buffer, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

/** One interface of the current section. */
interface Iface {
  id: number;
  fuse: boolean;
  conn: number;
  name: string;
  linkType: number;
  snapLen: number;
  /** ns resolution and no offset: timestamps need no BigInt. */
  fast: boolean;
  /** if_tsresol: exponent, base 10 (pow2 false) or 2. */
  resolExp: number;
  pow2: boolean;
  /** if_tsoffset in ns. */
  offsetNs: bigint;
  guessNoticed: boolean;
}

/** Creates the reused message record (fixed shape). */
export function newMessage(input: number): CaptureMessage {
  return {
    conn: 0, t: 0, tRest: 0, dir: Direction.Unknown, dirGuessed: false, data: Buffer.alloc(0), off: 0, capLen: 0,
    origLen: 0, le: true, pid: -1, tid: -1, failedErrno: 0, comment: undefined, fileOffset: 0,
    blockNo: 0, input,
  };
}

/** Parses `errno=N` out of a failed-write comment; -1 when absent. */
function errnoFromComment(c: string | undefined): number {
  if (c === undefined) return -1;
  const m = /errno=(\d+)/.exec(c);
  return m ? Number(m[1]) : -1;
}

export class PcapngParser extends ResyncParser implements RecordParser {
  readonly format = 'pcapng' as const;
  need = 8;
  lastT = -Infinity;
  /** Sections seen. */
  sections = 0;
  messages = 0;

  private readonly tb: Timebase;
  private readonly acceptLinkType: number | undefined;
  private readonly msg: CaptureMessage;

  private le = true;
  private ifaces: Iface[] = [];
  private inSection = false;
  private os: string | undefined;
  private hardware: string | undefined;
  private recorder: string | undefined;
  /** Epoch split in 32-bit halves for the ns fast path (-1: not fixed yet here). */
  private eHi = -1;
  private eLo = 0;
  /** `tRest` of the latest timestamp converted, and of the latest message. */
  private rest = 0;
  private lastRest = 0;
  private optWarned = false;
  private viewBuf: Buffer | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));

  constructor(private readonly ctx: ParserContext) {
    super(ctx, { noun: 'block', target: 'valid block', window: 12, step: 4 });
    this.tb = ctx.timebase;
    this.acceptLinkType = ctx.options.linkType;
    this.msg = newMessage(ctx.input);
  }

  parse(buf: Buffer, start: number, end: number, base: number): number {
    this.lastBuf = buf;
    this.lastEnd = end;
    this.lastBase = base;
    const dv = this.viewOf(buf);
    // Read once a chunk: an imported const is loaded and checked at each use (pcapng-format.ts).
    const maxRecord = MAX_RECORD;
    let p = start;
    for (;;) {
      const avail = end - p;
      if (this.resyncing) {
        if (avail < 12) {
          if (this.atEof) { p = end; break; }
          this.need = 12;
          break;
        }
        const r = this.candidate(buf, p, end);
        if (r === 0) { p += 4; continue; }
        if (r < 0) {
          if (this.atEof) { p += 4; continue; }
          this.need = askFor(-r, avail);
          break;
        }
        this.endResync(base + p);
      }
      if (avail < 8) { this.need = 8; break; }
      // `=== true` on the booleans of the per-message path, not a bare test: docs/speed.md, the truth tests.
      const type = dv.getUint32(p, this.le === true);
      // Byte order of this block: an SHB declares its own (adopted when it is read whole).
      let le = this.le === true;
      if (type === Block.SHB) {
        if (avail < 12) { this.need = 12; break; }
        const bom = buf.readUInt32LE(p + 8);
        if (bom === BOM) le = true;
        else if (bom === BOM_SWAPPED) le = false;
        else {
          p = this.damage(p, base, `section header with byte-order magic 0x${bom.toString(16)}, expected 1a2b3c4d in either byte order`);
          continue;
        }
      } else if (this.inSection !== true) {
        p = this.damage(p, base, `${blockName(type)} before the first section header block`);
        continue;
      }
      const len = dv.getUint32(p + 4, le);
      // The common EPB needs no call to tell its length is sound.
      if (!(type === Block.EPB && len >= 32 && (len & 3) === 0 && len <= maxRecord)) {
        const bad = badLength(type, len);
        if (bad !== undefined) { p = this.damage(p, base, bad); continue; }
      }
      if (avail < len) {
        this.need = askFor(len, avail);
        break;
      }
      const trail = dv.getUint32(p + len - 4, le);
      if (trail !== len) {
        p = this.damage(p, base, `${blockName(type)} length ${len} differs from its trailing copy ${trail}`);
        continue;
      }
      if (type === Block.EPB) {
        const ifc = this.ifaces[dv.getUint32(p + 8, le)];
        if (ifc === undefined) {
          p = this.skipBlock(p, base, `EPB for interface ${this.r32(buf, p + 8)}, but the section declares ${this.ifaces.length}`, len);
          continue;
        }
        const capLen = dv.getUint32(p + 20, le);
        if (capLen > len - 32) {
          p = this.skipBlock(p, base, `EPB captured length ${capLen} exceeds its block (${len - 32} bytes of data room)`, len);
          continue;
        }
        if (ifc.fuse === true) this.packet(buf, p, len, base, ifc, capLen, true);
      } else {
        const err = this.other(buf, p, len, base, type);
        if (err !== undefined) { p = this.skipBlock(p, base, err, len); continue; }
      }
      p += len;
      this.blockNo++;
    }
    return p;
  }

  protected pastEnd(b: Buffer, p: number): string {
    return `block length ${this.r32(b, p + 4)} runs past the end of the input`;
  }

  protected cutDetail(rest: number): string {
    const b = this.lastBuf;
    if (b === undefined || rest < 8 || this.lastEnd - rest < 0) return `${rest} bytes of an incomplete block`;
    const p = this.lastEnd - rest;
    const type = this.r32(b, p);
    let len = this.r32(b, p + 4);
    if (type === Block.SHB && rest >= 12) {
      const le = b.readUInt32LE(p + 8) === BOM;
      len = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
    }
    return `${blockName(type)} of ${len} bytes, only ${rest} present`;
  }

  /**
   * A DataView on the chunk buffer, made again only when the input hands a new
   * buffer (it grows rarely). DataView loads with a byte-order flag compile to
   * plain loads wherever they are used, whereas small helper functions stop
   * being inlined once a large caller has spent its inlining budget.
   */
  private viewOf(buf: Buffer): DataView {
    if (buf !== this.viewBuf) {
      this.viewBuf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.view;
  }

  private setOrder(le: boolean): void {
    this.le = le;
  }

  /** u32 in the current section's byte order. */
  private r32(b: Buffer, o: number): number {
    return u32(b, o, this.le);
  }

  /** u16 in the current section's byte order. */
  private r16(b: Buffer, o: number): number {
    return u16(b, o, this.le);
  }

  /**
   * A block at p whose length is sound but whose content is impossible:
   * throws, or (resync) skips just that block.
   */
  private skipBlock(p: number, base: number, what: string, len: number): number {
    if (!this.resync) return this.damage(p, base, what);
    this.sink.onNotice({
      kind: 'skipped-block', file: this.file, offset: base + p, blockNo: this.blockNo,
      message: `block #${this.blockNo} at ${byteAt(base + p, this.space)}: ${what}; block skipped`,
    });
    this.blockNo++;
    return p + len;
  }

  /**
   * Is there a plausible block at p? 1 yes, 0 no, -n: need n bytes from p to tell.
   * Plausible: a known block type, a sound length equal to its trailing copy
   * (an SHB also needs its byte-order magic; an EPB a declared interface).
   */
  private candidate(buf: Buffer, p: number, end: number): number {
    const type = this.r32(buf, p);
    let le = this.le;
    if (type === Block.SHB) {
      const bom = buf.readUInt32LE(p + 8);
      if (bom === BOM) le = true;
      else if (bom === BOM_SWAPPED) le = false;
      else return 0;
    } else if (!this.inSection) {
      return 0;
    } else if (!(type === Block.IDB || type === Block.EPB || type === Block.SPB || type === Block.ISB || type === Block.OPB || type === Block.NRB)) {
      return 0;
    }
    const len = u32(buf, p + 4, le);
    if (badLength(type, len) !== undefined) return 0;
    if (end - p < len) return -len;
    if (u32(buf, p + len - 4, le) !== len) return 0;
    if (type === Block.EPB) {
      if (u32(buf, p + 8, le) >= this.ifaces.length) return 0;
      if (u32(buf, p + 20, le) > len - 32) return 0;
    }
    return 1;
  }

  /** Emits one packet block (EPB/OPB when `epb`, else SPB). */
  private packet(buf: Buffer, p: number, len: number, base: number, ifc: Iface, capLen: number, epb: boolean): void {
    const m = this.msg;
    const dv = this.viewOf(buf);
    const le = this.le === true;
    let dir = 0;
    let failed = false;
    let pid = -1;
    let tid = -1;
    let comment: string | undefined;
    let dataOff: number;
    let origLen: number;
    if (epb === true) {
      dataOff = p + 28;
      origLen = dv.getUint32(p + 24, le);
      const hi = dv.getUint32(p + 12, le);
      const lo = dv.getUint32(p + 16, le);
      // ns resolution, epoch fixed: plain arithmetic, exact while |t| < 2^53 ns (104 days).
      const dHi = hi - this.eHi;
      let t: number;
      if (ifc.fast === true && this.eHi >= 0 && dHi < FAST_HI && dHi > -FAST_HI) {
        t = dHi * TWO32 + (lo - this.eLo);
        this.rest = 0;
      } else {
        t = this.time(ifc, hi, lo);
      }
      m.t = t;
      m.tRest = this.rest;
      this.lastT = t;
      this.lastRest = this.rest;
      let o = dataOff + ((capLen + 3) & ~3);
      const oe = p + len - 4;
      // The recorders write epb_flags, then the process and thread ids, first: each told by one compare of its
      // code and length read as one word, where the loop reads and tests them apart (decode+pair 5.3% fewer
      // instructions, with the end of options below). Any other layout takes the loop, which reads what this did not.
      // In front of the loop, not in it: the same word compares made turns of the loop counted 1,966 instructions a
      // message against 1,901, the loop's turns costing most of what the compares save.
      if (o + 20 <= oe && dv.getUint32(o, le) === (le ? EpbOptHead.FLAGS_LE : EpbOptHead.FLAGS_BE) && dv.getUint32(o + 8, le) === EpbOptHead.IDS) {
        const f = dv.getUint32(o + 4, le);
        dir = f & EpbFlag.DIRECTION;
        failed = (f & EpbFlag.FAILED) !== 0;
        pid = dv.getUint32(o + 12, le);
        tid = dv.getUint32(o + 16, le);
        o += 20;
        // Then opt_endofopt (a zero word) and the block's end, as they write it: nothing left for the loop.
        if (o + 4 === oe && dv.getUint32(o, le) === 0) o = oe;
      }
      while (o + 4 <= oe) {
        const code = dv.getUint16(o, le);
        const olen = dv.getUint16(o + 2, le);
        if (code === Opt.ENDOFOPT) break;
        if (o + 4 + olen > oe) { this.badOption(base + o, code, olen); break; }
        if (code === Opt.EPB_FLAGS && olen === 4) {
          const f = dv.getUint32(o + 4, le);
          dir = f & EpbFlag.DIRECTION;
          failed = (f & EpbFlag.FAILED) !== 0;
        } else if (code === Opt.EPB_PROCESSID_THREADID && olen === 8) {
          pid = dv.getUint32(o + 4, le);
          tid = dv.getUint32(o + 8, le);
        } else if (code === Opt.COMMENT) {
          comment = buf.toString('utf8', o + 4, o + 4 + olen);
        }
        o += 4 + ((olen + 3) & ~3);
      }
    } else {
      dataOff = p + 12;
      origLen = this.r32(buf, p + 8);
      m.t = this.lastT === -Infinity ? 0 : this.lastT;
      m.tRest = this.lastRest;
    }
    m.conn = ifc.conn;
    let guessed = false;
    if (dir !== 1 && dir !== 2) {
      const guess = this.ctx.options.guessDirection;
      dir = guess ? guess(buf, dataOff, capLen, origLen, this.le) : Direction.Unknown;
      guessed = true;
      if (!ifc.guessNoticed) {
        ifc.guessNoticed = true;
        this.sink.onNotice({
          kind: 'direction-guessed', file: this.file, offset: base + p, blockNo: this.blockNo,
          message: `interface ${ifc.id} (${ifc.name}): messages without a recorded direction (from block #${this.blockNo}); direction inferred from their content`,
        });
      }
    }
    m.dir = dir;
    m.dirGuessed = guessed;
    m.data = buf;
    m.off = dataOff;
    m.capLen = capLen;
    m.origLen = origLen;
    m.le = le;
    m.pid = pid;
    m.tid = tid;
    m.failedErrno = failed ? errnoFromComment(comment) : 0;
    m.comment = comment;
    m.fileOffset = base + p;
    m.blockNo = this.blockNo;
    this.messages++;
    this.sink.onMessage(m);
  }

  private badOption(at: number, code: number, olen: number): void {
    if (this.optWarned) return;
    this.optWarned = true;
    this.sink.onNotice({
      kind: 'other', file: this.file, offset: at, blockNo: this.blockNo,
      message: `block #${this.blockNo}: option ${code} of length ${olen} runs past its block; the rest of its options ignored (reported once)`,
    });
  }

  /** Relative ns for a raw timestamp of interface `ifc`; what a double cannot hold goes to `this.rest`. */
  private time(ifc: Iface, hi: number, lo: number): number {
    if (ifc.fast) {
      if (this.eHi < 0) this.fixEpoch(BigInt(hi) * 4294967296n + BigInt(lo));
      const dHi = hi - this.eHi;
      if (this.eHi >= 0 && dHi < FAST_HI && dHi > -FAST_HI) {
        this.rest = 0;
        return dHi * TWO32 + (lo - this.eLo);
      }
    }
    return this.slowTime(ifc, hi, lo);
  }

  private slowTime(ifc: Iface, hi: number, lo: number): number {
    const abs = this.absNs(ifc, BigInt(hi) * 4294967296n + BigInt(lo));
    if (this.eHi < 0) this.fixEpoch(abs);
    const rel = abs - (this.tb.epochNs as bigint);
    const t = Number(rel);
    this.rest = Number(rel - BigInt(t));
    return t;
  }

  private absNs(ifc: Iface, ts: bigint): bigint {
    let ns: bigint;
    if (ifc.pow2) ns = (ts * 1_000_000_000n) >> BigInt(ifc.resolExp);
    else if (ifc.resolExp <= 9) ns = ts * 10n ** BigInt(9 - ifc.resolExp);
    else ns = ts / 10n ** BigInt(ifc.resolExp - 9);
    return ns + ifc.offsetNs;
  }

  private fixEpoch(abs: bigint): void {
    const e = this.tb.fix(abs);
    this.eHi = Number(e >> 32n);
    this.eLo = Number(e & 0xffffffffn);
  }

  /** Any block but EPB; returns a description when its content is impossible. */
  private other(buf: Buffer, p: number, len: number, base: number, type: number): string | undefined {
    switch (type) {
      case Block.SHB: return this.shb(buf, p, len);
      case Block.IDB: return this.idb(buf, p, len, base);
      case Block.SPB: {
        const ifc = this.ifaces[0];
        if (ifc === undefined) return 'SPB in a section without interfaces';
        if (!ifc.fuse) return undefined;
        const origLen = this.r32(buf, p + 8);
        let capLen = Math.min(origLen, len - 16);
        if (ifc.snapLen > 0 && capLen > ifc.snapLen) capLen = ifc.snapLen;
        this.packet(buf, p, len, base, ifc, capLen, false);
        return undefined;
      }
      case Block.OPB: {
        const id = this.r16(buf, p + 8);
        const ifc = this.ifaces[id];
        if (ifc === undefined) return `OPB for interface ${id}, but the section declares ${this.ifaces.length}`;
        const capLen = this.r32(buf, p + 20);
        if (capLen > len - 32) return `OPB captured length ${capLen} exceeds its block`;
        if (!ifc.fuse) return undefined;
        this.packet(buf, p, len, base, ifc, capLen, true);
        return undefined;
      }
      case Block.ISB: return this.isb(buf, p, len);
      case Block.CB_COPY:
      case Block.CB_NOCOPY: return this.custom(buf, p, len, base);
      default: return undefined; // NRB, DSB, other custom and unknown blocks: skipped
    }
  }

  private shb(buf: Buffer, p: number, len: number): string | undefined {
    const le = buf.readUInt32LE(p + 8) === BOM;
    const major = u16(buf, p + 12, le);
    const minor = u16(buf, p + 14, le);
    if (major !== 1) return `section header version ${major}.${minor}, only 1.x is defined`;
    this.setOrder(le);
    this.inSection = true;
    this.sections++;
    this.ifaces = [];
    this.os = undefined;
    this.hardware = undefined;
    this.recorder = undefined;
    this.options(buf, p + 24, p + len - 4, (code, o, olen) => {
      if (code === Opt.SHB_OS) this.os = buf.toString('utf8', o, o + olen);
      else if (code === Opt.SHB_HARDWARE) this.hardware = buf.toString('utf8', o, o + olen).replace(/\0+$/, '');
      else if (code === Opt.SHB_USERAPPL) this.recorder = buf.toString('utf8', o, o + olen);
    });
    return undefined;
  }

  private idb(buf: Buffer, p: number, len: number, base: number): string | undefined {
    const linkType = this.r16(buf, p + 8);
    const snapLen = this.r32(buf, p + 12);
    let name = '';
    let description: string | undefined;
    let resol = 9;
    let offsetNs = 0n;
    this.options(buf, p + 16, p + len - 4, (code, o, olen) => {
      if (code === Opt.IF_NAME) name = buf.toString('utf8', o, o + olen).replace(/\0+$/, '');
      else if (code === Opt.IF_DESCRIPTION) description = buf.toString('utf8', o, o + olen).replace(/\0+$/, '');
      else if (code === Opt.IF_TSRESOL && olen >= 1) resol = buf[o]!;
      else if (code === Opt.IF_TSOFFSET && olen === 8) {
        const secs = this.le ? buf.readBigInt64LE(o) : buf.readBigInt64BE(o);
        offsetNs = secs * 1_000_000_000n;
      }
    });
    const id = this.ifaces.length;
    const fuse = (linkType === LINKTYPE_FUSE && name.startsWith('fuse')) ||
      (this.acceptLinkType !== undefined && linkType === this.acceptLinkType);
    const pow2 = (resol & 0x80) !== 0;
    const resolExp = resol & 0x7f;
    const ifc: Iface = {
      id, fuse, conn: -1, name, linkType, snapLen,
      fast: !pow2 && resolExp === 9 && offsetNs === 0n,
      resolExp, pow2, offsetNs, guessNoticed: false,
    };
    this.ifaces.push(ifc);
    if (!fuse) {
      this.sink.onNotice({
        kind: 'skipped-interface', file: this.file, offset: base + p, blockNo: this.blockNo,
        message: `section ${this.sections - 1} interface ${id} (${name ? `"${name}"` : 'no if_name'}, LinkType ${linkType}) is not a FUSE interface (LinkType ${LINKTYPE_FUSE} and if_name "fuse..."); its packets are skipped` +
          (linkType !== LINKTYPE_FUSE ? ` (--linktype ${linkType} accepts it)` : ''),
      });
      return undefined;
    }
    ifc.conn = this.tb.nextConn++;
    this.sink.onConnection({
      conn: ifc.conn, input: this.ctx.input, file: this.file, format: 'pcapng', name,
      label: name.startsWith('fuse:') ? name.slice(5) : undefined, description, snapLen, linkType,
      os: this.os, hardware: this.hardware, recorder: this.recorder, section: this.sections - 1, ifaceId: id, le: this.le,
    });
    return undefined;
  }

  /** A Custom Block: fusetrace's queue-state sample (capture-format.md §1), else skipped. */
  private custom(buf: Buffer, p: number, len: number, base: number): string | undefined {
    if (len < 24 || this.r32(buf, p + 8) !== 0) return undefined;
    const tag = buf.toString('latin1', p + 12, p + 20);
    if (tag === BACKING_TAG) return this.backing(buf, p, len, base);
    if (len < 56 || tag !== QUEUE_TAG) return undefined;
    const id = this.r32(buf, p + 20);
    const ifc = this.ifaces[id];
    if (ifc === undefined) return `queue-state block for interface ${id}, but the section declares ${this.ifaces.length}`;
    if (!ifc.fuse) return undefined;
    const t = this.time(ifc, this.r32(buf, p + 24), this.r32(buf, p + 28));
    this.sink.onQueue?.({ conn: ifc.conn, t, waiting: this.r32(buf, p + 32), maxBackground: this.r32(buf, p + 36), congestionThreshold: this.r32(buf, p + 40) });
    return undefined;
  }

  /** fusetrace's passthrough backing-file block (capture-format.md §1, "Passthrough backing files"). */
  private backing(buf: Buffer, p: number, len: number, base: number): string | undefined {
    if (len < 80) return `backing-file block of ${len} bytes, shorter than its fixed 80`;
    const id = this.r32(buf, p + 20);
    const ifc = this.ifaces[id];
    if (ifc === undefined) return `backing-file block for interface ${id}, but the section declares ${this.ifaces.length}`;
    const pathLen = this.r32(buf, p + 72);
    if (pathLen > len - 80) return `backing-file block path length ${pathLen} exceeds its block`;
    if (!ifc.fuse) return undefined;
    const kind = this.r32(buf, p + 32);
    if (kind !== 1 && kind !== 2) return undefined; // an operation this reader does not know
    const u64 = (o: number): number | bigint => {
      const hi = this.le ? this.r32(buf, o + 4) : this.r32(buf, o);
      const lo = this.le ? this.r32(buf, o) : this.r32(buf, o + 4);
      const v = (BigInt(hi) << 32n) | BigInt(lo);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    };
    this.sink.onBacking?.({
      conn: ifc.conn, input: this.ctx.input, t: this.time(ifc, this.r32(buf, p + 24), this.r32(buf, p + 28)), op: kind === 1 ? 'open' : 'close',
      result: this.r32(buf, p + 36) | 0, arg: this.r32(buf, p + 40) | 0, flags: this.r32(buf, p + 44),
      pid: this.r32(buf, p + 48), tid: this.r32(buf, p + 52), dev: u64(p + 56), ino: u64(p + 64),
      path: buf.toString('utf8', p + 76, p + 76 + pathLen), fileOffset: base + p,
    });
    return undefined;
  }

  private isb(buf: Buffer, p: number, len: number): string | undefined {
    const id = this.r32(buf, p + 8);
    const ifc = this.ifaces[id];
    if (ifc === undefined) return `ISB for interface ${id}, but the section declares ${this.ifaces.length}`;
    if (!ifc.fuse) return undefined;
    let startT: number | undefined;
    let endT: number | undefined;
    let ifRecv: number | undefined;
    let ifDrop: number | undefined;
    const u64 = (o: number): number => this.le
      ? this.r32(buf, o + 4) * TWO32 + this.r32(buf, o)
      : this.r32(buf, o) * TWO32 + this.r32(buf, o + 4);
    this.options(buf, p + 20, p + len - 4, (code, o, olen) => {
      if (olen !== 8) return;
      if (code === Opt.ISB_STARTTIME) startT = this.time(ifc, this.r32(buf, o), this.r32(buf, o + 4));
      else if (code === Opt.ISB_ENDTIME) endT = this.time(ifc, this.r32(buf, o), this.r32(buf, o + 4));
      else if (code === Opt.ISB_IFRECV) ifRecv = u64(o);
      else if (code === Opt.ISB_IFDROP) ifDrop = u64(o);
    });
    this.sink.onStats?.({ conn: ifc.conn, startT, endT, ifRecv, ifDrop });
    if (ifDrop !== undefined && ifDrop > 0) {
      this.sink.onNotice({
        kind: 'drops', file: this.file, offset: this.lastBase + p, blockNo: this.blockNo,
        message: `interface ${id} (${ifc.name}): the recorder failed to record ${ifDrop} messages`,
      });
    }
    return undefined;
  }

  /** Walks option TLVs in [o, end). */
  private options(buf: Buffer, o: number, end: number, on: (code: number, at: number, len: number) => void): void {
    while (o + 4 <= end) {
      const code = this.r16(buf, o);
      const olen = this.r16(buf, o + 2);
      if (code === Opt.ENDOFOPT) break;
      if (o + 4 + olen > end) { this.badOption(this.lastBase + o, code, olen); break; }
      on(code, o + 4, olen);
      o += 4 + ((olen + 3) & ~3);
    }
  }
}

/** Why a block length is impossible, or undefined when it is sound. */
function badLength(type: number, len: number): string | undefined {
  const min = minBlockLen(type);
  if (len < min) return `${blockName(type)} length ${len} < its fixed part (${min} bytes)`;
  if ((len & 3) !== 0) return `${blockName(type)} length ${len} is not a multiple of 4`;
  if (len > MAX_RECORD) return `${blockName(type)} length ${len} > limit ${MAX_RECORD}`;
  return undefined;
}

/** The `ParserFactory` entry for pcapng. */
export function createPcapngParser(ctx: ParserContext): PcapngParser {
  return new PcapngParser(ctx);
}
