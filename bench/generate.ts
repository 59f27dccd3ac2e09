/**
 * Writes large synthetic FUSE-over-pcapng captures for `npm run bench`,
 * fast (one reused block buffer, 8 MiB writes), in three shapes:
 * - `meta`: a metadata-heavy mix of small messages (LOOKUP, GETATTR, OPEN,
 *   READ, FLUSH, RELEASE with their replies), 8 requests in flight;
 * - `write`: WRITEs with 128 KiB payloads to a few files, 4 in flight;
 * - `write-snap`: the same, snapped at 256 bytes as `fusetrace record --snaplen 256` would.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { BOM, Block, LINKTYPE_FUSE, Opt } from '../src/capture/pcapng-format.js';

export type BenchShape = 'meta' | 'write' | 'write-snap';

const IN_HDR = 40;

export class BlockSink {
  private buf = Buffer.alloc(8 << 20);
  private pos = 0;
  /** Bytes flushed to the file (see `size` for flushed + buffered). */
  written = 0;
  messages = 0;
  constructor(private readonly fd: number) {}

  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
    if (n > this.buf.length) this.buf = Buffer.alloc(n * 2);
  }

  /** One EPB: the message is `msg[0, capLen)`, `origLen` its whole length. */
  epb(ts: bigint, dir: 1 | 2, msg: Buffer, capLen: number, origLen: number, tid: number): void {
    const padded = (capLen + 3) & ~3;
    // header 8 + fixed 20 + data + options (flags 8, pid/tid 12, end 4) + trailer 4
    const len = 8 + 20 + padded + 8 + 12 + 4 + 4;
    this.ensure(len);
    const b = this.buf;
    let p = this.pos;
    b.writeUInt32LE(Block.EPB, p); b.writeUInt32LE(len, p + 4);
    b.writeUInt32LE(0, p + 8);
    b.writeUInt32LE(Number(ts >> 32n), p + 12); b.writeUInt32LE(Number(ts & 0xffffffffn), p + 16);
    b.writeUInt32LE(capLen, p + 20); b.writeUInt32LE(origLen, p + 24);
    p += 28;
    msg.copy(b, p, 0, capLen);
    b.fill(0, p + capLen, p + padded);
    p += padded;
    b.writeUInt16LE(Opt.EPB_FLAGS, p); b.writeUInt16LE(4, p + 2); b.writeUInt32LE(dir, p + 4); p += 8;
    b.writeUInt16LE(Opt.EPB_PROCESSID_THREADID, p); b.writeUInt16LE(8, p + 2); b.writeUInt32LE(4242, p + 4); b.writeUInt32LE(tid, p + 8); p += 12;
    b.writeUInt32LE(0, p); p += 4;
    b.writeUInt32LE(len, p); p += 4;
    this.pos = p;
    this.messages++;
  }

  /** Bytes of the capture so far, flushed or still buffered. */
  get size(): number {
    return this.written + this.pos;
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.written += this.pos;
    this.pos = 0;
  }
}

export function shb(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(Block.SHB, 0); b.writeUInt32LE(28, 4); b.writeUInt32LE(BOM, 8);
  b.writeUInt16LE(1, 12); b.writeUInt16LE(0, 14); b.writeBigInt64LE(-1n, 16); b.writeUInt32LE(28, 24);
  return b;
}

export function idb(snap: number, ifName = 'fuse:bench'): Buffer {
  const name = Buffer.from(ifName);
  const nameOpt = 4 + ((name.length + 3) & ~3);
  const len = 8 + 8 + nameOpt + 8 + 4 + 4;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(Block.IDB, 0); b.writeUInt32LE(len, 4);
  b.writeUInt16LE(LINKTYPE_FUSE, 8); b.writeUInt32LE(snap, 12);
  let p = 16;
  b.writeUInt16LE(Opt.IF_NAME, p); b.writeUInt16LE(name.length, p + 2); name.copy(b, p + 4); p += nameOpt;
  b.writeUInt16LE(Opt.IF_TSRESOL, p); b.writeUInt16LE(1, p + 2); b[p + 4] = 9; p += 8;
  p += 4; // opt_endofopt
  b.writeUInt32LE(len, p);
  return b;
}

function inHeader(m: Buffer, len: number, opcode: number, unique: number, nodeid: number): void {
  m.writeUInt32LE(len, 0); m.writeUInt32LE(opcode, 4);
  m.writeBigUInt64LE(BigInt(unique), 8); m.writeBigUInt64LE(BigInt(nodeid), 16);
  m.writeUInt32LE(1000, 24); m.writeUInt32LE(1000, 28); m.writeUInt32LE(5000, 32); m.writeUInt32LE(0, 36);
}

function outHeader(m: Buffer, len: number, error: number, unique: number): void {
  m.writeUInt32LE(len, 0); m.writeInt32LE(error, 4); m.writeBigUInt64LE(BigInt(unique), 8);
}

/** Generates a capture of about `bytes` bytes; returns the message count. */
export function generateCapture(path: string, shape: BenchShape, bytes: number): { messages: number; bytes: number } {
  const fd = openSync(path, 'w');
  const out = new BlockSink(fd);
  out.raw(shb());
  out.raw(idb(shape === 'write-snap' ? 256 : 0));
  const msg = Buffer.alloc(128 * 1024 + 256);
  let ts = 1_795_561_795_000_000_000n;
  let unique = 2;
  // INIT exchange so that layouts come from the capture: kernel 7.45, daemon 7.31.
  inHeader(msg, 104, 26, unique, 0); msg.fill(0, 40, 104);
  msg.writeUInt32LE(7, 40); msg.writeUInt32LE(45, 44); msg.writeUInt32LE(131072, 48); msg.writeUInt32LE(0x73fffffb, 52);
  out.epb(ts, 1, msg, 104, 104, 1);
  outHeader(msg, 80, 0, unique); msg.fill(0, 16, 80);
  msg.writeUInt32LE(7, 16); msg.writeUInt32LE(31, 20); msg.writeUInt32LE(131072, 24); msg.writeUInt32LE(0x40409079, 28);
  msg.writeUInt32LE(1 << 20, 36); msg.writeUInt16LE(256, 44);
  out.epb(ts + 1000n, 2, msg, 80, 80, 1);
  unique += 2;

  const pending: { unique: number; kind: number; node: number; size: number }[] = [];
  const inflight = shape === 'meta' ? 8 : 4;
  let step = 0;
  const snap = shape === 'write-snap' ? 256 : Infinity;
  // `size`, not `written`: flushes come every 8 MiB, so a target below that was never reached.
  while (out.size + 9000 < bytes) {
    ts += 700n;
    const node = 100 + (step % 64);
    if (shape === 'meta') {
      const kind = step % 6;
      switch (kind) {
        case 0: { // LOOKUP "file-NN"
          const name = `file-${step % 64}\0`;
          const len = IN_HDR + name.length;
          inHeader(msg, len, 1, unique, 1); msg.write(name, IN_HDR, 'latin1');
          out.epb(ts, 1, msg, len, len, 1 + (step % 8));
          break;
        }
        case 1: inHeader(msg, 56, 3, unique, node); msg.fill(0, 40, 56); out.epb(ts, 1, msg, 56, 56, 1 + (step % 8)); break;
        case 2: inHeader(msg, 48, 14, unique, node); msg.writeUInt32LE(0o2, 40); msg.writeUInt32LE(0, 44); out.epb(ts, 1, msg, 48, 48, 1 + (step % 8)); break;
        case 3: inHeader(msg, 80, 15, unique, node); msg.fill(0, 40, 80); msg.writeUInt32LE(4096, 56); out.epb(ts, 1, msg, 80, 80, 1 + (step % 8)); break;
        case 4: inHeader(msg, 64, 25, unique, node); msg.fill(0, 40, 64); out.epb(ts, 1, msg, 64, 64, 1 + (step % 8)); break;
        default: inHeader(msg, 64, 18, unique, node); msg.fill(0, 40, 64); out.epb(ts, 1, msg, 64, 64, 1 + (step % 8)); break;
      }
      pending.push({ unique, kind, node, size: 0 });
    } else {
      const size = 128 * 1024;
      const len = 80 + size;
      inHeader(msg, len, 16, unique, 100 + (step % 4));
      msg.fill(0, 40, 80);
      msg.writeBigUInt64LE(BigInt(step * size), 48); msg.writeUInt32LE(size, 56); msg.writeUInt32LE(2, 60); msg.writeUInt32LE(0o2 | 0o40000, 72);
      out.epb(ts, 1, msg, Math.min(len, snap), len, 1 + (step % 4));
      pending.push({ unique, kind: 16, node: 100 + (step % 4), size });
    }
    unique += 2;
    step++;
    if (pending.length >= inflight) {
      const r = pending.shift()!;
      ts += 300n;
      const tid = 1 + (r.unique % 8);
      switch (r.kind) {
        case 0: { // entry_out 128
          outHeader(msg, 144, 0, r.unique); msg.fill(0, 16, 144);
          msg.writeBigUInt64LE(BigInt(r.node), 16); msg.writeBigUInt64LE(1n, 40);
          msg.writeBigUInt64LE(BigInt(r.node), 56); msg.writeBigUInt64LE(4096n, 64); msg.writeUInt32LE(0o100644, 116);
          out.epb(ts, 2, msg, 144, 144, tid);
          break;
        }
        case 1: outHeader(msg, 120, 0, r.unique); msg.fill(0, 16, 120); msg.writeBigUInt64LE(1n, 16); msg.writeBigUInt64LE(BigInt(r.node), 32); msg.writeBigUInt64LE(4096n, 40); msg.writeUInt32LE(0o100644, 92); out.epb(ts, 2, msg, 120, 120, tid); break;
        case 2: outHeader(msg, 32, 0, r.unique); msg.fill(0, 16, 32); msg.writeBigUInt64LE(BigInt(r.unique), 16); out.epb(ts, 2, msg, 32, 32, tid); break;
        case 3: outHeader(msg, 16 + 100, 0, r.unique); msg.fill(0x61, 16, 116); out.epb(ts, 2, msg, 116, 116, tid); break;
        case 16: outHeader(msg, 24, 0, r.unique); msg.writeUInt32LE(r.size, 16); msg.writeUInt32LE(0, 20); out.epb(ts, 2, msg, 24, 24, tid); break;
        default: outHeader(msg, 16, 0, r.unique); out.epb(ts, 2, msg, 16, 16, tid); break;
      }
    }
  }
  out.flush();
  // Measure on a settled file: without this the kernel writes the new file's
  // dirty pages back while the stages run, and their times swing by half.
  fsyncSync(fd);
  closeSync(fd);
  return { messages: out.messages, bytes: out.written };
}

/**
 * A capture of `nodes` LOOKUPs of distinct names in the root directory, each
 * answered with a new nodeid and never forgotten: what `find /` over a big
 * tree sends. Measures the memory the analysis spends per distinct node.
 */
export function generateLookups(path: string, nodes: number): { messages: number; bytes: number } {
  const fd = openSync(path, 'w');
  const out = new BlockSink(fd);
  out.raw(shb());
  out.raw(idb(0, 'fuse:lookups'));
  const msg = Buffer.alloc(256);
  let ts = 1_795_561_795_000_000_000n;
  for (let i = 0; i < nodes; i++) {
    const unique = 2 + 2 * i;
    const name = `entry-${i}\0`;
    const len = IN_HDR + name.length;
    inHeader(msg, len, 1, unique, 1);
    msg.write(name, IN_HDR, 'latin1');
    out.epb(ts, 1, msg, len, len, 1 + (i % 4));
    ts += 2000n;
    outHeader(msg, 144, 0, unique);
    msg.fill(0, 16, 144);
    const node = BigInt(1000 + i);
    msg.writeBigUInt64LE(node, 16); msg.writeBigUInt64LE(1n, 40);
    msg.writeBigUInt64LE(node, 56); msg.writeBigUInt64LE(BigInt(i % 100000), 64); msg.writeUInt32LE(i % 3 ? 0o100644 : 0o40755, 116);
    out.epb(ts, 2, msg, 144, 144, 1 + (i % 4));
    ts += 1000n;
  }
  out.flush();
  fsyncSync(fd);
  closeSync(fd);
  return { messages: out.messages, bytes: out.written };
}
