/**
 * Writes FUSE-over-pcapng as capture-format.md §1 defines it: SHB, one IDB
 * per connection (LinkType 147, if_name `fuse[:label]`, if_tsresol 9), an
 * EPB per message (direction and failed-write bits in epb_flags, pid/tid),
 * and ISBs. Either byte order, so tests can build big-endian captures.
 */
import { BOM, Block, EpbFlag, LINKTYPE_FUSE, Opt, QUEUE_TAG, BACKING_TAG } from './pcapng-format.js';

export interface SectionOptions {
  le?: boolean;
  userappl?: string;
  /** shb_hardware, the host's machine (`uname -m`). */
  hardware?: string;
  os?: string;
  comment?: string;
  /**
   * Continue a section written earlier (blocks appended to an existing
   * file): no SHB; interfaces keep the numbers that section gave them.
   */
  append?: boolean;
}

export interface InterfaceOptions {
  name?: string;
  description?: string;
  snapLen?: number;
  linkType?: number;
  /** if_tsresol byte (default 9 = ns). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
  /** Extra options written as given (code, value), e.g. unknown codes for tests. */
  options?: Array<[number, Buffer]>;
}

export interface PacketOptions {
  iface: number;
  /** Timestamp in units of the interface's resolution (ns by default). */
  ts: bigint;
  data: Buffer;
  /** Length of the whole message; defaults to data.length. */
  origLen?: number;
  /** 1 inbound (kernel -> daemon), 2 outbound; 0 or undefined: not set. */
  dir?: 0 | 1 | 2;
  /** The write(2) of this outbound message failed; errno, or -1 for unknown. */
  failedErrno?: number;
  pid?: number;
  tid?: number;
  comment?: string;
  /** Extra options written as given (code, value), e.g. unknown codes for tests. */
  options?: Array<[number, Buffer]>;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export class PcapngWriter {
  private le = true;

  constructor(private readonly out: (b: Buffer) => void, section: SectionOptions = {}) {
    if (section.append) this.le = section.le ?? true;
    else this.section(section);
  }

  /** Starts a new section (its interfaces are numbered from 0 again). */
  section(o: SectionOptions): void {
    this.le = o.le ?? true;
    this.nextIface = 0;
    const opts: Buffer[] = [];
    if (o.comment) opts.push(this.opt(Opt.COMMENT, Buffer.from(o.comment)));
    if (o.hardware) opts.push(this.opt(Opt.SHB_HARDWARE, Buffer.from(o.hardware)));
    if (o.os) opts.push(this.opt(Opt.SHB_OS, Buffer.from(o.os)));
    if (o.userappl) opts.push(this.opt(Opt.SHB_USERAPPL, Buffer.from(o.userappl)));
    const body = Buffer.alloc(16);
    this.w32(body, 0, BOM);
    this.w16(body, 4, 1);
    this.w16(body, 6, 0);
    body.writeBigInt64LE(-1n, 8); // section length unknown: all ones in either order
    this.block(Block.SHB, [body, ...this.endOpts(opts)]);
  }

  /** Declares an interface; returns its id in the current section. */
  private nextIface = 0;
  addInterface(o: InterfaceOptions = {}): number {
    const body = Buffer.alloc(8);
    this.w16(body, 0, o.linkType ?? LINKTYPE_FUSE);
    this.w16(body, 2, 0);
    this.w32(body, 4, o.snapLen ?? 0);
    const opts: Buffer[] = [];
    opts.push(this.opt(Opt.IF_NAME, Buffer.from(o.name ?? 'fuse')));
    if (o.description) opts.push(this.opt(Opt.IF_DESCRIPTION, Buffer.from(o.description)));
    opts.push(this.opt(Opt.IF_TSRESOL, Buffer.from([o.tsresol ?? 9])));
    if (o.tsoffset !== undefined) {
      const b = Buffer.alloc(8);
      if (this.le) b.writeBigInt64LE(o.tsoffset); else b.writeBigInt64BE(o.tsoffset);
      opts.push(this.opt(Opt.IF_TSOFFSET, b));
    }
    for (const [code, value] of o.options ?? []) opts.push(this.opt(code, value));
    this.block(Block.IDB, [body, ...this.endOpts(opts)]);
    return this.nextIface++;
  }

  packet(p: PacketOptions): void {
    const origLen = p.origLen ?? p.data.length;
    const head = Buffer.alloc(20);
    this.w32(head, 0, p.iface);
    this.w32(head, 4, Number((p.ts >> 32n) & 0xffffffffn));
    this.w32(head, 8, Number(p.ts & 0xffffffffn));
    this.w32(head, 12, p.data.length);
    this.w32(head, 16, origLen);
    const padding = Buffer.alloc(pad4(p.data.length) - p.data.length);
    const opts: Buffer[] = [];
    let flags = p.dir ?? 0;
    if (p.failedErrno !== undefined && p.failedErrno !== 0) flags |= EpbFlag.FAILED;
    if (flags) {
      const b = Buffer.alloc(4);
      this.w32(b, 0, flags >>> 0);
      opts.push(this.opt(Opt.EPB_FLAGS, b));
    }
    if (p.pid !== undefined || p.tid !== undefined) {
      const b = Buffer.alloc(8);
      this.w32(b, 0, p.pid ?? 0);
      this.w32(b, 4, p.tid ?? 0);
      opts.push(this.opt(Opt.EPB_PROCESSID_THREADID, b));
    }
    const comment = p.failedErrno !== undefined && p.failedErrno > 0 ? `errno=${p.failedErrno}` : p.comment;
    if (comment) opts.push(this.opt(Opt.COMMENT, Buffer.from(comment)));
    for (const [code, value] of p.options ?? []) opts.push(this.opt(code, value));
    this.block(Block.EPB, [head, p.data, padding, ...this.endOpts(opts)]);
  }

  stats(iface: number, s: { start?: bigint; end?: bigint; recv?: number; drop?: number; comment?: string }): void {
    const head = Buffer.alloc(12);
    this.w32(head, 0, iface);
    const ts = s.end ?? 0n;
    this.w32(head, 4, Number((ts >> 32n) & 0xffffffffn));
    this.w32(head, 8, Number(ts & 0xffffffffn));
    const opts: Buffer[] = [];
    if (s.comment) opts.push(this.opt(Opt.COMMENT, Buffer.from(s.comment)));
    const ts64 = (code: number, v: bigint): Buffer => {
      const b = Buffer.alloc(8);
      this.w32(b, 0, Number((v >> 32n) & 0xffffffffn));
      this.w32(b, 4, Number(v & 0xffffffffn));
      return this.opt(code, b);
    };
    const u64 = (code: number, v: number): Buffer => {
      const b = Buffer.alloc(8);
      if (this.le) b.writeBigUInt64LE(BigInt(v)); else b.writeBigUInt64BE(BigInt(v));
      return this.opt(code, b);
    };
    if (s.start !== undefined) opts.push(ts64(Opt.ISB_STARTTIME, s.start));
    if (s.end !== undefined) opts.push(ts64(Opt.ISB_ENDTIME, s.end));
    if (s.recv !== undefined) opts.push(u64(Opt.ISB_IFRECV, s.recv));
    if (s.drop !== undefined) opts.push(u64(Opt.ISB_IFDROP, s.drop));
    this.block(Block.ISB, [head, ...this.endOpts(opts)]);
  }

  /** A queue-state sample (capture-format.md §1, "Queue state"): a Custom Block that editors must not copy. */
  queueState(iface: number, q: { ts: bigint; waiting: number; maxBackground: number; congestionThreshold: number }): void {
    const body = Buffer.alloc(44);
    this.w32(body, 0, 0); // no Private Enterprise Number: the tag says whose block it is
    body.write(QUEUE_TAG, 4, 'latin1');
    this.w32(body, 12, iface);
    this.w32(body, 16, Number((q.ts >> 32n) & 0xffffffffn));
    this.w32(body, 20, Number(q.ts & 0xffffffffn));
    this.w32(body, 24, q.waiting);
    this.w32(body, 28, q.maxBackground);
    this.w32(body, 32, q.congestionThreshold);
    this.block(Block.CB_NOCOPY, [body]);
  }

  /** A passthrough backing-file ioctl (capture-format.md §1, "Passthrough backing files"). */
  backingOp(iface: number, b: { ts: bigint; op: 'open' | 'close'; result: number; arg: number; flags?: number; pid: number; tid: number; dev?: bigint; ino?: bigint; path?: string }): void {
    const path = Buffer.from(b.path ?? '', 'utf8');
    const body = Buffer.alloc(68 + pad4(path.length));
    this.w32(body, 0, 0);
    body.write(BACKING_TAG, 4, 'latin1');
    this.w32(body, 12, iface);
    this.w32(body, 16, Number((b.ts >> 32n) & 0xffffffffn));
    this.w32(body, 20, Number(b.ts & 0xffffffffn));
    this.w32(body, 24, b.op === 'open' ? 1 : 2);
    this.w32(body, 28, b.result >>> 0);
    this.w32(body, 32, b.arg >>> 0);
    this.w32(body, 36, b.flags ?? 0);
    this.w32(body, 40, b.pid);
    this.w32(body, 44, b.tid);
    const w64 = (o: number, v: bigint): void => {
      this.w32(body, o, Number(this.le ? v & 0xffffffffn : v >> 32n));
      this.w32(body, o + 4, Number(this.le ? v >> 32n : v & 0xffffffffn));
    };
    w64(48, b.dev ?? 0n);
    w64(56, b.ino ?? 0n);
    this.w32(body, 64, path.length);
    path.copy(body, 68);
    this.block(Block.CB_NOCOPY, [body]);
  }

  /** Any block, for tests of unknown block types. */
  rawBlock(type: number, body: Buffer): void {
    this.block(type, [body, Buffer.alloc(pad4(body.length) - body.length)]);
  }

  private opt(code: number, value: Buffer): Buffer {
    const b = Buffer.alloc(4 + pad4(value.length));
    this.w16(b, 0, code);
    this.w16(b, 2, value.length);
    value.copy(b, 4);
    return b;
  }

  private endOpts(opts: Buffer[]): Buffer[] {
    return opts.length ? [...opts, Buffer.alloc(4)] : [];
  }

  private block(type: number, parts: Buffer[]): void {
    const len = 12 + parts.reduce((a, b) => a + b.length, 0);
    const head = Buffer.alloc(8);
    this.w32(head, 0, type);
    this.w32(head, 4, len);
    const tail = Buffer.alloc(4);
    this.w32(tail, 0, len);
    this.out(Buffer.concat([head, ...parts, tail]));
  }

  private w16(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt16LE(v, o); else b.writeUInt16BE(v, o);
  }

  private w32(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, o); else b.writeUInt32BE(v >>> 0, o);
  }
}

/** Collects a whole capture in memory (tests, small conversions). */
export function pcapngToBuffer(build: (w: PcapngWriter) => void, section: SectionOptions = {}): Buffer {
  const parts: Buffer[] = [];
  build(new PcapngWriter((b) => parts.push(b), section));
  return Buffer.concat(parts);
}
