/**
 * Hand-built FUSE captures for the analysis and detector tests: requests and
 * replies written as real little-endian FUSE messages into a pcapng (through
 * the project's pcapng writer), in exactly the block order the test gives,
 * with explicit timestamps (ms, relative to a fixed epoch) so that tests can
 * put blocks out of time order as real multi-threaded daemons do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { analyze, type AnalyzeOptions, type AnalyzeResult } from '../../src/analysis/analyze.js';
import type { Finding } from '../../src/model/finding.js';
import { Exchange } from '../../src/protocol/exchange.js';

export const EPOCH = 1_790_000_000_000_000_000n;

export const OP = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, OPEN: 14, READ: 15, WRITE: 16, RELEASE: 18, FSYNC: 20, FLUSH: 25,
  INIT: 26, CREATE: 35, INTERRUPT: 36, BATCH_FORGET: 42, FALLOCATE: 43, RENAME: 12, UNLINK: 10, MKDIR: 9,
} as const;

export const FOPEN_DIRECT_IO = 1;
export const FOPEN_PARALLEL_DIRECT_WRITES = 64;
export const FOPEN_PASSTHROUGH = 128;
export const FUSE_WRITE_CACHE = 1;
export const FUSE_WRITE_LOCKOWNER = 2;
export const FATTR_SIZE = 8;
export const O_TRUNC = 0x200;
export const O_RDWR = 2;
export const O_DIRECT = 0x4000;
/** INIT flag bits. */
export const INIT = { ASYNC_DIO: 1 << 15, WRITEBACK_CACHE: 1 << 16, PARALLEL_DIROPS: 1 << 18, ATOMIC_O_TRUNC: 1 << 3 };

interface Pkt {
  iface: number;
  ts: bigint;
  data: Buffer;
  dir: 1 | 2;
  origLen?: number;
  failedErrno?: number;
  comment?: string;
  pid: number;
  tid: number;
  /** Not a message: a passthrough backing-file block (capture-format.md §1). */
  backing?: { op: 'open' | 'close'; result: number; arg: number; path?: string; dev?: bigint; ino?: bigint };
}

export interface ReqOpts {
  unique?: number;
  /** Header pid (the caller's thread). */
  pid?: number;
  /** Daemon thread that read it. */
  tid?: number;
}

export interface AttrOpts {
  ino?: number;
  size: number;
  /** attr_valid in seconds (default 1). */
  valid?: number;
  mode?: number;
}

const tmpDirs: string[] = [];
process.on('exit', () => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

function u64(b: Buffer, off: number, v: number | bigint): void {
  b.writeBigUInt64LE(BigInt(v), off);
}

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s), Buffer.from([0])]);
}

/** fuse_attr (88 bytes). */
export function attr(a: AttrOpts): Buffer {
  const b = Buffer.alloc(88);
  u64(b, 0, a.ino ?? 0);
  u64(b, 8, a.size);
  b.writeUInt32LE(a.mode ?? 0o100644, 60);
  b.writeUInt32LE(1, 64);
  b.writeUInt32LE(4096, 80);
  return b;
}

/** fuse_entry_out (128 bytes). */
export function entryOut(nodeid: number, a: AttrOpts): Buffer {
  const b = Buffer.alloc(40);
  u64(b, 0, nodeid);
  u64(b, 16, 1);
  u64(b, 24, a.valid ?? 1);
  return Buffer.concat([b, attr(a)]);
}

/** fuse_attr_out (104 bytes). */
export function attrOut(a: AttrOpts): Buffer {
  const b = Buffer.alloc(16);
  u64(b, 0, a.valid ?? 1);
  return Buffer.concat([b, attr(a)]);
}

export function openOut(fh: number, fopen: number, backingId = 0): Buffer {
  const b = Buffer.alloc(16);
  u64(b, 0, fh);
  b.writeUInt32LE(fopen, 8);
  b.writeInt32LE(backingId, 12);
  return b;
}

/** A capture under construction: blocks in call order, times in ms (fractions allowed). */
export class Cap {
  private pkts: Pkt[] = [];
  /** Interface names by connection (default `fuse:testN`). */
  ifaceNames: string[] = [];
  /** The recording host's machine (shb_hardware), e.g. aarch64; none by default. */
  machine: string | undefined = undefined;
  private next: number[] = [];
  private readonly conns: number;

  constructor(conns = 1) {
    this.conns = conns;
    for (let i = 0; i < conns; i++) this.next.push(2);
  }

  private ts(ms: number): bigint {
    return EPOCH + BigInt(Math.round(ms * 1e6));
  }

  /** A request; returns its unique. */
  req(conn: number, ms: number, opcode: number, nodeid: number, body: Buffer = Buffer.alloc(0), o: ReqOpts & { origExtra?: number } = {}): number {
    const unique = o.unique ?? this.next[conn]!;
    if (o.unique === undefined) this.next[conn]! += 2;
    const h = Buffer.alloc(40);
    const len = 40 + body.length + (o.origExtra ?? 0);
    h.writeUInt32LE(len, 0);
    h.writeUInt32LE(opcode, 4);
    u64(h, 8, unique);
    u64(h, 16, nodeid);
    h.writeUInt32LE(o.pid ?? 1000, 32);
    this.pkts.push({ iface: conn, ts: this.ts(ms), data: Buffer.concat([h, body]), dir: 1, origLen: o.origExtra ? len : undefined, pid: 77, tid: o.tid ?? 100 });
    return unique;
  }

  /** A reply (error 0 = success with `body`). */
  rep(conn: number, ms: number, unique: number, error = 0, body: Buffer = Buffer.alloc(0), o: { tid?: number; failedErrno?: number } = {}): void {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(16 + body.length, 0);
    h.writeInt32LE(error, 4);
    u64(h, 8, unique);
    this.pkts.push({ iface: conn, ts: this.ts(ms), data: Buffer.concat([h, body]), dir: 2, failedErrno: o.failedErrno, pid: 77, tid: o.tid ?? 100 });
  }

  /** A notification (unique 0, code in error). */
  /** A notification; `origExtra` bytes more than `body` were in it (cut by the snap length, as `req`'s). */
  notify(conn: number, ms: number, code: number, body: Buffer, o: { origExtra?: number } = {}): void {
    const h = Buffer.alloc(16);
    const len = 16 + body.length + (o.origExtra ?? 0);
    h.writeUInt32LE(len, 0);
    h.writeInt32LE(code, 4);
    this.pkts.push({ iface: conn, ts: this.ts(ms), data: Buffer.concat([h, body]), dir: 2, origLen: o.origExtra ? len : undefined, pid: 77, tid: 100 });
  }

  /** Puts a packet comment on the block added last. */
  comment(text: string): void {
    this.pkts[this.pkts.length - 1]!.comment = text;
  }

  /** A BACKING_OPEN ioctl that registered `path` (fd 9) under `id` (or failed: -errno), the file on device `dev` (glibc dev_t; 8:1 by default). */
  backingOpen(conn: number, ms: number, id: number, path: string, ino = 0n, dev = ino ? 0x801n : 0n): void {
    this.pkts.push({ iface: conn, ts: this.ts(ms), data: Buffer.alloc(0), dir: 2, pid: 77, tid: 100, backing: { op: 'open', result: id, arg: 9, path, dev, ino } });
  }

  /** A BACKING_CLOSE ioctl of `id`. */
  backingClose(conn: number, ms: number, id: number): void {
    this.pkts.push({ iface: conn, ts: this.ts(ms), data: Buffer.alloc(0), dir: 2, pid: 77, tid: 100, backing: { op: 'close', result: 0, arg: id } });
  }

  /** A raw block (malformed messages). */
  raw(conn: number, ms: number, dir: 1 | 2, data: Buffer): void {
    this.pkts.push({ iface: conn, ts: this.ts(ms), data, dir, pid: 77, tid: 100 });
  }

  // --- common exchanges ---------------------------------------------------

  /** INIT exchange with the given reply flags (minor 45 on both sides). */
  init(conn: number, ms: number, flags = 0, maxWrite = 1 << 20): void {
    const inb = Buffer.alloc(64);
    inb.writeUInt32LE(7, 0);
    inb.writeUInt32LE(45, 4);
    inb.writeUInt32LE(131072, 8);
    inb.writeUInt32LE(0xffffffff & ~(1 << 31), 12);
    const u = this.req(conn, ms, OP.INIT, 0, inb, { pid: 0 });
    const out = Buffer.alloc(64);
    out.writeUInt32LE(7, 0);
    out.writeUInt32LE(45, 4);
    out.writeUInt32LE(131072, 8);
    out.writeUInt32LE(flags >>> 0, 12);
    out.writeUInt16LE(12, 16);
    out.writeUInt32LE(maxWrite, 20);
    this.rep(conn, ms + 0.01, u, 0, out);
  }

  /** LOOKUP parent/name answered with nodeid and attributes. */
  lookup(conn: number, ms: number, parent: number, name: string, nodeid: number, a: AttrOpts, replyMs = ms + 0.05): number {
    const u = this.req(conn, ms, OP.LOOKUP, parent, cstr(name));
    this.rep(conn, replyMs, u, 0, entryOut(nodeid, a));
    return u;
  }

  getattrReq(conn: number, ms: number, nodeid: number, o: ReqOpts = {}): number {
    return this.req(conn, ms, OP.GETATTR, nodeid, Buffer.alloc(16), o);
  }

  attrReply(conn: number, ms: number, unique: number, a: AttrOpts): void {
    this.rep(conn, ms, unique, 0, attrOut(a));
  }

  /** OPEN answered with fh and FOPEN flags. */
  open(conn: number, ms: number, nodeid: number, fh: number, fopen = 0, flags = O_RDWR, replyMs = ms + 0.05): number {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(flags, 0);
    const u = this.req(conn, ms, OP.OPEN, nodeid, b);
    this.rep(conn, replyMs, u, 0, openOut(fh, fopen));
    return u;
  }

  /** OPEN answered with fh, FOPEN_PASSTHROUGH and `backingId`. */
  passthroughOpen(conn: number, ms: number, nodeid: number, fh: number, backingId: number): number {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(O_RDWR, 0);
    const u = this.req(conn, ms, OP.OPEN, nodeid, b);
    this.rep(conn, ms + 0.05, u, 0, openOut(fh, FOPEN_PASSTHROUGH, backingId));
    return u;
  }

  /** CREATE parent/name answered with nodeid, attributes, fh and FOPEN flags. */
  create(conn: number, ms: number, parent: number, name: string, nodeid: number, fh: number, a: AttrOpts, fopen = 0, flags = O_RDWR): number {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(flags | 0o100, 0);
    b.writeUInt32LE(0o644, 4);
    const u = this.req(conn, ms, OP.CREATE, parent, Buffer.concat([b, cstr(name)]));
    this.rep(conn, ms + 0.05, u, 0, Buffer.concat([entryOut(nodeid, a), openOut(fh, fopen)]));
    return u;
  }

  /** WRITE request (payload snapped: only the 80 header bytes are captured). */
  writeReq(conn: number, ms: number, nodeid: number, fh: number, offset: number, size: number, o: ReqOpts & { writeFlags?: number; flags?: number } = {}): number {
    const b = Buffer.alloc(40);
    u64(b, 0, fh);
    u64(b, 8, offset);
    b.writeUInt32LE(size, 16);
    b.writeUInt32LE(o.writeFlags ?? FUSE_WRITE_LOCKOWNER, 20);
    b.writeUInt32LE(o.flags ?? (O_RDWR | O_DIRECT), 32);
    return this.req(conn, ms, OP.WRITE, nodeid, b, { ...o, origExtra: size });
  }

  writeReply(conn: number, ms: number, unique: number, written: number, error = 0, o: { tid?: number } = {}): void {
    if (error !== 0) return this.rep(conn, ms, unique, error, Buffer.alloc(0), o);
    const b = Buffer.alloc(8);
    b.writeUInt32LE(written, 0);
    this.rep(conn, ms, unique, 0, b, o);
  }

  /** READ request (fuse_read_in); `flags` are the file's open flags the kernel copies in. */
  readReq(conn: number, ms: number, nodeid: number, fh: number, offset: number, size: number, o: ReqOpts & { flags?: number } = {}): number {
    const b = Buffer.alloc(40);
    u64(b, 0, fh);
    u64(b, 8, offset);
    b.writeUInt32LE(size, 16);
    b.writeUInt32LE(o.flags ?? O_RDWR, 32);
    return this.req(conn, ms, OP.READ, nodeid, b, o);
  }

  /** READ reply carrying `bytes` bytes of data. */
  readReply(conn: number, ms: number, unique: number, bytes: number): void {
    this.rep(conn, ms, unique, 0, Buffer.alloc(bytes, 0x61));
  }

  /** SETATTR with FATTR_SIZE (truncate) request. */
  truncateReq(conn: number, ms: number, nodeid: number, size: number, o: ReqOpts = {}): number {
    const b = Buffer.alloc(88);
    b.writeUInt32LE(FATTR_SIZE, 0);
    u64(b, 16, size);
    return this.req(conn, ms, OP.SETATTR, nodeid, b, o);
  }

  /** FALLOCATE (fuse_fallocate_in) of `length` bytes at `offset` through `fh`, with `mode` (FALLOC_FL_*). */
  fallocateReq(conn: number, ms: number, nodeid: number, fh: number, offset: number, length: number, mode = 0): number {
    const b = Buffer.alloc(32);
    u64(b, 0, fh);
    u64(b, 8, offset);
    u64(b, 16, length);
    b.writeUInt32LE(mode, 24);
    return this.req(conn, ms, OP.FALLOCATE, nodeid, b);
  }

  /** A request carrying only fh (FLUSH, RELEASE: 24 bytes; FSYNC: 16). */
  fhReq(conn: number, ms: number, opcode: number, nodeid: number, fh: number, o: ReqOpts = {}): number {
    const b = Buffer.alloc(opcode === OP.FSYNC ? 16 : 24);
    u64(b, 0, fh);
    return this.req(conn, ms, opcode, nodeid, b, o);
  }

  interrupt(conn: number, ms: number, target: number): number {
    const b = Buffer.alloc(8);
    u64(b, 0, target);
    return this.req(conn, ms, OP.INTERRUPT, 0, b, { unique: target | 1, pid: 0 });
  }

  /** A FORGET; returns its unique (a daemon may wrongly answer it). */
  forget(conn: number, ms: number, nodeid: number, nlookup: number): number {
    const b = Buffer.alloc(8);
    u64(b, 0, nlookup);
    return this.req(conn, ms, OP.FORGET, nodeid, b, { pid: 0 });
  }

  /** RENAME parent/name -> newParent/newName (fuse_rename_in: newdir, then both names), answered 0.05 ms later. */
  rename(conn: number, ms: number, parent: number, name: string, newParent: number, newName: string): void {
    const b = Buffer.alloc(8);
    u64(b, 0, newParent);
    const u = this.req(conn, ms, OP.RENAME, parent, Buffer.concat([b, cstr(name), cstr(newName)]));
    this.rep(conn, ms + 0.05, u, 0);
  }

  invalInode(conn: number, ms: number, nodeid: number): void {
    const b = Buffer.alloc(24);
    u64(b, 0, nodeid);
    b.writeBigInt64LE(0n, 8);
    b.writeBigInt64LE(0n, 16);
    this.notify(conn, ms, 2, b);
  }

  buffer(): Buffer {
    return pcapngToBuffer((w) => {
      for (let i = 0; i < this.conns; i++) w.addInterface({ name: this.ifaceNames[i] ?? `fuse:test${i}` });
      for (const p of this.pkts) {
        if (p.backing) {
          w.backingOp(p.iface, { ts: p.ts, pid: p.pid, tid: p.tid, ...p.backing });
          continue;
        }
        w.packet({ iface: p.iface, ts: p.ts, data: p.data, dir: p.dir, origLen: p.origLen, failedErrno: p.failedErrno, comment: p.comment, pid: p.pid, tid: p.tid });
      }
    }, { userappl: 'fusetrace tests', os: 'Linux 6.18.44', hardware: this.machine });
  }

  /** Writes the capture to a temporary file and returns its path. */
  file(name = 'cap.pcapng'): string {
    const dir = mkdtempSync(join(tmpdir(), 'fusetrace-analysis-'));
    tmpDirs.push(dir);
    const path = join(dir, name);
    writeFileSync(path, this.buffer());
    return path;
  }

  /** Splits connections into one file each (multi-capture runs): conn i -> file i. */
  files(): string[] {
    const out: string[] = [];
    for (let c = 0; c < this.conns; c++) {
      const sub = new Cap(1);
      sub.pkts = this.pkts.filter((p) => p.iface === c).map((p) => ({ ...p, iface: 0 }));
      out.push(sub.file(`conn${c}.pcapng`));
    }
    return out;
  }

  analyze(opts: Partial<AnalyzeOptions> = {}): AnalyzeResult {
    return analyze({ files: [this.file()], ...opts });
  }
}

/**
 * One connection: INIT at 0 ms, /NAME (nodeid 10, ino, size) looked up at 1 ms,
 * opened with fh 1 and `fopen` at 2 ms: the start most detector tests need.
 */
export function openedFile(o: { size: number; fopen?: number; initFlags?: number; name?: string; ino?: number; valid?: number }): Cap {
  const c = new Cap(1);
  c.init(0, 0, o.initFlags ?? 0);
  c.lookup(0, 1, 1, o.name ?? 'f', 10, { ino: o.ino ?? 5, size: o.size, valid: o.valid });
  c.open(0, 2, 10, 1, o.fopen ?? 0);
  return c;
}

/** /f on two mounts of one store (two connections, both INITed): nodeid 10 on conn 0 and 30 on conn 1, looked up alike. */
export function twoMounts(a: AttrOpts): Cap {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(0, 1, 1, 'f', 10, a);
  c.lookup(1, 1, 1, 'f', 30, a);
  return c;
}

/** Findings of one kind. */
/** A copy of an exchange handed to `hooks.onExchange` (valid during the call only: the analysis reuses the record). */
export function copyExchange(x: Exchange): Exchange {
  return Object.assign(new Exchange(), x);
}

export function findingsOf(r: AnalyzeResult, kind: string): Finding[] {
  return r.model.findings.filter((f) => f.kind === kind);
}

/** "kind/severity" of every finding, sorted (for "nothing else" assertions). */
export function kinds(r: AnalyzeResult): string[] {
  return r.model.findings.map((f) => `${f.kind}/${f.severity}`).sort();
}

/** Milliseconds to the model's relative ns. */
export const ms = (v: number): number => Math.round(v * 1e6);

/**
 * The stale-size scenario on two mounts: /f (ino 7) of 8 MiB; mount 1
 * truncates it to 2 MiB; mount 0, still believing 8 MiB, opens it with fh 1
 * (unique 4) and is ready to write past the real end.
 */
export function staleTwoMounts(): Cap {
  const MiB = 2 ** 20;
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 8 * MiB, valid: 3600 });
  c.lookup(1, 1, 1, 'f', 30, { ino: 7, size: 8 * MiB });
  const t = c.truncateReq(1, 2, 30, 2 * MiB);
  c.attrReply(1, 3, t, { ino: 7, size: 2 * MiB });
  c.open(0, 4, 10, 1, 0x41);
  return c;
}
