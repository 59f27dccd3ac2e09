/**
 * Amplifies a real recording into a large benchmark capture: the recording is
 * written again and again, each copy with its uniques, nodeids, inode numbers
 * and timestamps shifted, so that every copy is new requests on new files
 * (what a long build or checkout looks like), not the same files revisited.
 *
 * Only what names a node or an inode is rewritten: the request header's
 * nodeid (the root, 1, stays), RENAME/RENAME2 `newdir`, LINK `oldnodeid`,
 * BATCH_FORGET entries, INTERRUPT's target unique, and in replies the
 * entry_out nodeid and attribute ino (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK,
 * CREATE, TMPFILE), attr_out ino (GETATTR, SETATTR) and every READDIR /
 * READDIRPLUS record inside the captured bytes. INIT and DESTROY appear only
 * in the first copy. The root directory is shared by all copies, as it is on
 * a real mount. Protocol 7.9 or later (the 7.9 entry and attr layouts).
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCapture } from '../src/capture/open.js';
import { Direction, type CaptureMessage } from '../src/capture/message.js';
import { fuse_attr_out, fuse_entry_out } from '../src/protocol/layouts/attr.js';
import { fuse_dirent, fuse_direntplus, fuse_link_in, fuse_rename_in } from '../src/protocol/layouts/dir.js';
import { fuse_copy_file_range_in } from '../src/protocol/layouts/io.js';
import { fuse_batch_forget_in, fuse_forget_one, fuse_interrupt_in } from '../src/protocol/layouts/misc.js';
import { fuse_in_header, fuse_out_header } from '../src/protocol/layouts/header.js';
import { Op } from '../src/protocol/opcodes.js';
import { BlockSink, idb, shb } from './generate.js';

const IN = fuse_in_header.size;
const OUT = fuse_out_header.size;
const ENTRY_INO = fuse_entry_out.offsets.attr! + 0;
const ATTR_INO = fuse_attr_out.offsets.attr! + 0;
const PLUS_INO = fuse_direntplus.offsets.entry_out! + ENTRY_INO;
const PLUS_DIRENT = fuse_direntplus.offsets.dirent!;
const NAMELEN = fuse_dirent.offsets.namelen!;

const ENTRY_REPLIES = new Set<number>([Op.LOOKUP, Op.MKNOD, Op.MKDIR, Op.SYMLINK, Op.LINK, Op.CREATE, Op.TMPFILE]);
const ROOT = 1n;

/** The recording, held once in memory: message bytes back to back plus per-message facts. */
interface Source {
  bytes: Buffer;
  start: Uint32Array;
  capLen: Uint32Array;
  origLen: Uint32Array;
  t: Float64Array;
  dir: Uint8Array;
  tid: Uint32Array;
  count: number;
  snapLen: number;
  name: string;
}

function loadSource(file: string): Source {
  const parts: Buffer[] = [];
  const meta: Array<[number, number, number, number, number, number]> = [];
  let pos = 0;
  let snapLen = 0;
  let name = 'fuse';
  let conns = 0;
  readCapture(file, {
    onConnection(c) {
      conns++;
      snapLen = c.snapLen;
      name = c.name;
    },
    onMessage(m: CaptureMessage) {
      if (m.dir === Direction.Unknown) throw new Error(`${file}: message ${m.blockNo} has no direction`);
      if (!m.le) throw new Error(`${file}: big-endian captures are not supported`);
      parts.push(Buffer.from(m.data.subarray(m.off, m.off + m.capLen)));
      meta.push([pos, m.capLen, m.origLen, m.t, m.dir, m.tid]);
      pos += m.capLen;
    },
    onNotice() {},
  });
  if (conns !== 1) throw new Error(`${file}: ${conns} connections; amplify takes a capture of one`);
  const n = meta.length;
  const src: Source = {
    bytes: Buffer.concat(parts),
    start: new Uint32Array(n), capLen: new Uint32Array(n), origLen: new Uint32Array(n),
    t: new Float64Array(n), dir: new Uint8Array(n), tid: new Uint32Array(n),
    count: n, snapLen, name,
  };
  meta.forEach(([s, c, o, t, d, tid], i) => {
    src.start[i] = s; src.capLen[i] = c; src.origLen[i] = o; src.t[i] = t; src.dir[i] = d; src.tid[i] = tid;
  });
  return src;
}

/** Reads a u64 at `off` if `off + 8 <= end`. */
function u64(b: Buffer, off: number, end: number): bigint | undefined {
  return off + 8 <= end ? b.readBigUInt64LE(off) : undefined;
}

/**
 * What one pass over the recording learns: the opcode and nodeid of each
 * request by unique (to rewrite replies), the spans of uniques, nodeids and
 * inos (the strides that keep copies apart) and the root's ino (kept).
 */
interface Plan {
  uniqueStride: bigint;
  nodeStride: bigint;
  inoStride: bigint;
  rootIno: bigint | undefined;
  timeStride: number;
  firstT: number;
}

function plan(src: Source): Plan {
  let maxUnique = 0n;
  let minNode: bigint | undefined, maxNode = 0n, minIno: bigint | undefined, maxIno = 0n;
  let rootIno: bigint | undefined;
  const reqOf = new Map<bigint, { op: number; node: bigint }>();
  const seeNode = (v: bigint | undefined): void => {
    if (v === undefined || v <= ROOT) return;
    if (minNode === undefined || v < minNode) minNode = v;
    if (v > maxNode) maxNode = v;
  };
  const seeIno = (v: bigint | undefined): void => {
    if (v === undefined || v === 0n) return;
    if (minIno === undefined || v < minIno) minIno = v;
    if (v > maxIno) maxIno = v;
  };
  for (let i = 0; i < src.count; i++) {
    const b = src.bytes;
    const s = src.start[i]!;
    const end = s + src.capLen[i]!;
    if (src.dir[i] === Direction.Inbound) {
      if (end < s + IN) continue;
      const op = b.readUInt32LE(s + 4);
      const unique = b.readBigUInt64LE(s + 8);
      const node = b.readBigUInt64LE(s + 16);
      if (unique > maxUnique) maxUnique = unique;
      seeNode(node);
      reqOf.set(unique, { op, node });
    } else {
      if (end < s + OUT) continue;
      const unique = b.readBigUInt64LE(s + 8);
      const req = reqOf.get(unique);
      reqOf.delete(unique);
      if (!req || b.readInt32LE(s + 4) !== 0) continue;
      const body = s + OUT;
      if (ENTRY_REPLIES.has(req.op)) {
        seeNode(u64(b, body, end));
        seeIno(u64(b, body + ENTRY_INO, end));
      } else if (req.op === Op.GETATTR || req.op === Op.SETATTR) {
        const ino = u64(b, body + ATTR_INO, end);
        if (req.node === ROOT && ino !== undefined) rootIno = ino;
        else seeIno(ino);
      }
    }
  }
  const t0 = src.count ? src.t[0]! : 0;
  const t1 = src.count ? src.t[src.count - 1]! : 0;
  const span = (lo: bigint | undefined, hi: bigint): bigint => (lo === undefined ? 1n : hi - lo + 1n);
  return {
    uniqueStride: (maxUnique + 2n) & ~1n,
    nodeStride: span(minNode, maxNode),
    inoStride: span(minIno, maxIno),
    rootIno,
    timeStride: t1 - t0 + 1_000_000,
    firstT: t0,
  };
}

/** Rewrites one message in place (in `m`, `len` captured bytes) for copy `k`. */
class Rewriter {
  private readonly reqOf = new Map<bigint, number>();
  constructor(private readonly p: Plan) {}

  private node(m: Buffer, off: number, end: number, k: bigint): void {
    const v = u64(m, off, end);
    if (v !== undefined && v > ROOT) m.writeBigUInt64LE(v + k * this.p.nodeStride, off);
  }

  private ino(m: Buffer, off: number, end: number, k: bigint): void {
    const v = u64(m, off, end);
    if (v !== undefined && v !== 0n && v !== this.p.rootIno) m.writeBigUInt64LE(v + k * this.p.inoStride, off);
  }

  /** Returns false when the message is left out of this copy (INIT, DESTROY after the first). */
  rewrite(m: Buffer, len: number, dir: number, k: bigint): boolean {
    if (dir === Direction.Inbound) {
      if (len < IN) return true;
      const op = m.readUInt32LE(4);
      const unique = m.readBigUInt64LE(8);
      this.reqOf.set(unique, op);
      if (k > 0n && (op === Op.INIT || op === Op.DESTROY)) return false;
      m.writeBigUInt64LE(unique + k * this.p.uniqueStride, 8);
      this.node(m, 16, len, k);
      switch (op) {
        case Op.RENAME: case Op.RENAME2: this.node(m, IN + fuse_rename_in.offsets.newdir!, len, k); break;
        case Op.LINK: this.node(m, IN + fuse_link_in.offsets.oldnodeid!, len, k); break;
        case Op.COPY_FILE_RANGE: case Op.COPY_FILE_RANGE_64: this.node(m, IN + fuse_copy_file_range_in.offsets.nodeid_out!, len, k); break;
        case Op.INTERRUPT: {
          const off = IN + fuse_interrupt_in.offsets.unique!;
          const v = u64(m, off, len);
          if (v !== undefined) m.writeBigUInt64LE(v + k * this.p.uniqueStride, off);
          break;
        }
        case Op.BATCH_FORGET: {
          const n = len >= IN + 4 ? m.readUInt32LE(IN) : 0;
          for (let i = 0, off = IN + fuse_batch_forget_in.size; i < n && off + 8 <= len; i++, off += fuse_forget_one.size) this.node(m, off, len, k);
          break;
        }
      }
      return true;
    }
    if (len < OUT) return true;
    const unique = m.readBigUInt64LE(8);
    if (unique === 0n) return true; // notifications: none in the recordings amplified here
    const op = this.reqOf.get(unique);
    this.reqOf.delete(unique);
    if (k > 0n && (op === Op.INIT || op === Op.DESTROY)) return false;
    m.writeBigUInt64LE(unique + k * this.p.uniqueStride, 8);
    if (op === undefined || m.readInt32LE(4) !== 0) return true;
    if (ENTRY_REPLIES.has(op)) {
      this.node(m, OUT, len, k);
      this.ino(m, OUT + ENTRY_INO, len, k);
    } else if (op === Op.GETATTR || op === Op.SETATTR) {
      this.ino(m, OUT + ATTR_INO, len, k);
    } else if (op === Op.READDIRPLUS || op === Op.READDIR) {
      const plus = op === Op.READDIRPLUS;
      const head = plus ? fuse_direntplus.size : fuse_dirent.size;
      const dirent = plus ? PLUS_DIRENT : 0;
      for (let off = OUT; off + head <= len;) {
        if (plus) {
          this.node(m, off, len, k);
          this.ino(m, off + PLUS_INO, len, k);
        }
        this.ino(m, off + dirent, len, k);
        off += (head + m.readUInt32LE(off + dirent + NAMELEN) + 7) & ~7;
      }
    }
    return true;
  }
}

export interface AmplifyResult {
  messages: number;
  bytes: number;
  copies: number;
}

/**
 * Writes `out`: copies of the recording `file` until the capture reaches
 * `bytes` (at least `minCopies` copies), or exactly `copies` copies when given.
 */
export function amplifyCapture(file: string, out: string, target: { bytes?: number; copies?: number }): AmplifyResult {
  const src = loadSource(file);
  const p = plan(src);
  const fd = openSync(out, 'w');
  const sink = new BlockSink(fd);
  sink.raw(shb());
  sink.raw(idb(src.snapLen, src.name));
  const scratch = Buffer.alloc(src.capLen.reduce((a, b) => Math.max(a, b), 1));
  const epoch = 1_795_561_795_000_000_000n;
  let k = 0;
  for (; ; k++) {
    if (target.copies !== undefined ? k >= target.copies : sink.size >= (target.bytes ?? 0) && k > 0) break;
    const rw = new Rewriter(p);
    const kk = BigInt(k);
    const shift = k * p.timeStride - p.firstT;
    for (let i = 0; i < src.count; i++) {
      const len = src.capLen[i]!;
      src.bytes.copy(scratch, 0, src.start[i]!, src.start[i]! + len);
      if (!rw.rewrite(scratch, len, src.dir[i]!, kk)) continue;
      const ts = epoch + BigInt(Math.round(src.t[i]! + shift));
      sink.epb(ts, src.dir[i] as 1 | 2, scratch, len, src.origLen[i]!, src.tid[i]!);
    }
  }
  sink.flush();
  fsyncSync(fd);
  closeSync(fd);
  return { messages: sink.messages, bytes: sink.written, copies: k };
}

/**
 * `node dist/bench/amplify.js RECORDING OUT --copies N`: the captures
 * `bench:cost` is run on by hand (docs/speed.md), e.g. the 2- and 5-copy
 * captures of `fixtures/manyfiles.pcapng.gz` (gzip is read as it is).
 */
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, out, flag, n] = process.argv.slice(2);
  const copies = Number(n);
  if (!file || !out || flag !== '--copies' || !Number.isSafeInteger(copies) || copies < 1 || process.argv.length > 6) {
    console.error('usage: node dist/bench/amplify.js RECORDING OUT --copies N');
    process.exitCode = 2;
  } else {
    const r = amplifyCapture(file, out, { copies });
    console.log(`${out}: ${r.copies} copies, ${r.messages} messages, ${r.bytes} bytes`);
  }
}
