/**
 * Full decode of one message for printing (`fusetrace dump`, `--json`):
 * every field of every struct by its kernel name, flags and enums also by
 * name, names, directory entries, xattr names, locks, INIT in both
 * directions, BATCH_FORGET entries, REMOVEMAPPING ranges, IOCTL iovecs and
 * request extensions. The result is a plain JSON-able object: 64-bit values
 * past 2^53 become decimal strings, byte arrays hex strings. Not for the hot
 * path (it builds objects through binary-parser).
 *
 * Field naming (stable): each struct appears under its kernel name
 * (`fuse_write_in`), its flag fields get a sibling `<field>_names`
 * (`write_flags_names: "FUSE_WRITE_LOCKOWNER"`), enum fields `<field>_name`,
 * modes `<field>_name` (`S_IFREG|0644`); padding is omitted. Variable parts
 * use `name`, `oldname`/`newname`, `linkname`, `value`, `data`, `entries`,
 * `names`, `forgets`, `ranges`, `iovecs`, `ext`. Bytes fusetrace does not
 * understand are kept as `raw` hex.
 */
import type { CaptureMessage } from '../capture/message.js';
import type { Exchange } from './exchange.js';
import { replyErrorName } from '../model/format.js';
import { idCell } from '../model/id64.js';
import { extractNotify, requestProblem, type NotifyEvent } from './extract.js';
import { decodeStruct, formatEnum, formatFlags, readScalar, u32, u64, type DecodedStruct, type StructLayout, type Value } from './layout.js';
import { notifyName, Notify, Op, opcodeName, opcodeRow } from './opcodes.js';
import type { ConnProtocol } from './version.js';
import { formatMode } from './flags/attr.js';
import { FUSE_INIT_FLAGS, InitBit } from './flags/init.js';
import { FUSE_IOCTL_RETRY } from './flags/io.js';
import { formatOpenFlags, OPEN_FLAGS } from './flags/open.js';
import { fuse_in_header, fuse_out_header } from './layouts/header.js';
import { fuse_attr_out, fuse_entry_out, fuse_getattr_in, fuse_setattr_in, fuse_statfs_out, fuse_statx_in, fuse_statx_out } from './layouts/attr.js';
import { fuse_dirent, fuse_direntplus, fuse_link_in, fuse_mkdir_in, fuse_mknod_in, fuse_rename2_in, fuse_rename_in } from './layouts/dir.js';
import { fuse_ext_header, fuse_secctx, FUSE_EXT_GROUPS, FUSE_MAX_NR_SECCTX } from './layouts/ext.js';
import { cuse_init_in, cuse_init_out, fuse_init_in, fuse_init_out } from './layouts/init.js';
import {
  fuse_copy_file_range_in, fuse_copy_file_range_out, fuse_create_in, fuse_fallocate_in, fuse_flush_in, fuse_fsync_in, fuse_lseek_in,
  fuse_lseek_out, fuse_open_in, fuse_open_out, fuse_read_in, fuse_release_in, fuse_removemapping_in, fuse_removemapping_one,
  fuse_setupmapping_in, fuse_write_in, fuse_write_out,
} from './layouts/io.js';
import { fuse_lk_in, fuse_lk_out } from './layouts/lock.js';
import {
  fuse_access_in, fuse_batch_forget_in, fuse_bmap_in, fuse_bmap_out, fuse_forget_in, fuse_forget_one, fuse_interrupt_in, fuse_ioctl_in,
  fuse_ioctl_iovec, fuse_ioctl_out, fuse_poll_in, fuse_poll_out, fuse_syncfs_in,
} from './layouts/misc.js';
import {
  fuse_notify_delete_out, fuse_notify_inval_entry_out, fuse_notify_inval_inode_out, fuse_notify_poll_wakeup_out, fuse_notify_prune_out,
  fuse_notify_retrieve_in, fuse_notify_retrieve_out, fuse_notify_store_out,
} from './layouts/notify.js';
import { fuse_getxattr_in, fuse_getxattr_out, fuse_setxattr_in } from './layouts/xattr.js';
import { sizeAt } from './layouts/index.js';
import type { ProblemNote } from './problems.js';
import { Dirent, direntAt, direntNamelen, direntNext, setxattrHeaderLen, writeInSize } from './tails.js';
import { structJsonAt, type Json, type JsonObject } from './struct-json.js';

export type { Json, JsonObject } from './struct-json.js';

/** One decoded message. */
export interface DecodedMessage {
  type: 'request' | 'reply' | 'notify';
  /** Opcode of the request (for a reply: of its request; undefined for an unmatched reply). */
  opcode: number | undefined;
  /** `WRITE`, `?0x63` for an unknown opcode, notification name for notifications. */
  op: string;
  /** fuse_in_header or fuse_out_header fields; replies add `error_name` (`-ENOENT`, `OK`). */
  header: JsonObject;
  /** Arguments or result (see the module comment for the key names). */
  body: JsonObject;
  /** Fixed part or data cut by the snap length: `truncated: 4016 of 131072 data bytes captured`. */
  truncated?: string;
  /** Malformed content (the text of the message's ProblemNote). */
  problem?: string;
}

/** Sets `truncated` or `problem` of `d` from a message's problem (protocol/problems.ts). */
function setProblem(d: DecodedMessage, pr: ProblemNote | undefined): void {
  if (pr !== undefined) d[pr.kind === 'truncated' ? 'truncated' : 'problem'] = pr.text;
}

const IN_HDR = 40;
const OUT_HDR = 16;
/** Hex dumps of unknown or opaque bytes are limited to this many bytes (the length is always given). */
const MAX_HEX = 4096;

function jsonValue(v: Value | undefined): Json {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (typeof v === 'object') return v as unknown as Json;
  return v;
}

/**
 * A decoded struct as JSON: fields in declaration order, padding omitted,
 * flags/enums/modes named beside their value.
 */
export function structJson(l: StructLayout, d: DecodedStruct): JsonObject {
  const out: JsonObject = {};
  for (const f of l.fields) {
    if (f.pad) continue;
    const v = d[f.name];
    if (v === undefined) continue;
    const t = f.type;
    if (typeof t === 'object' && 'kind' in t) {
      out[f.name] = structJson(t, v as DecodedStruct);
      continue;
    }
    out[f.name] = jsonValue(v);
    if (f.flags && (typeof v === 'number' || typeof v === 'bigint')) {
      out[`${f.name}_names`] = f.flags === OPEN_FLAGS ? formatOpenFlags(Number(v)) : formatFlags(f.flags, v);
    } else if (f.enum && typeof v === 'number') {
      out[`${f.name}_name`] = formatEnum(f.enum, v);
    } else if (f.name === 'mode' && typeof v === 'number') {
      out.mode_name = formatMode(v);
    }
  }
  return out;
}

/** Decodes `l` at body offset `at`, at most `size` bytes of it, within `avail` captured body bytes. */
function struct(l: StructLayout, m: CaptureMessage, bodyOff: number, at: number, avail: number, size = l.size): JsonObject {
  const n = Math.max(0, Math.min(size, avail - at));
  if (n >= l.size) return structJsonAt(l, m.data, m.off + bodyOff + at, m.le);
  return structJson(l, decodePrefix(l, m.data, m.off + bodyOff + at, n, m.le));
}

/**
 * decodeStruct, but a short struct (an older peer's compat size, or a snap)
 * also decodes the present prefix of a nested struct (fuse_attr inside a
 * 7.8 fuse_entry_out lacks only blksize and flags).
 */
function decodePrefix(l: StructLayout, buf: Buffer, off: number, avail: number, le: boolean): DecodedStruct {
  if (avail >= l.size) return decodeStruct(l, buf, off, avail, le);
  const out: DecodedStruct = {};
  for (const f of l.fields) {
    if (f.offset >= avail) break;
    const t = f.type;
    if (typeof t === 'object' && 'kind' in t) {
      out[f.name] = decodePrefix(t, buf, off + f.offset, avail - f.offset, le);
    } else if (f.offset + f.size <= avail) {
      out[f.name] = typeof t === 'string' ? readScalar(buf, off + f.offset, t, le) : buf.subarray(off + f.offset, off + f.offset + f.size);
    } else break;
  }
  return out;
}

function cstrings(buf: Buffer, start: number, end: number): { strs: string[]; next: number; unterminated: boolean } {
  const strs: string[] = [];
  let i = start;
  let s = start;
  while (i < end) {
    if (buf[i] === 0) { strs.push(buf.toString('utf8', s, i)); s = i + 1; }
    i++;
  }
  const unterminated = s < end;
  if (unterminated) strs.push(buf.toString('utf8', s, end));
  return { strs, next: s, unterminated };
}

function hex(buf: Buffer, start: number, end: number): string {
  return buf.toString('hex', start, Math.min(end, start + MAX_HEX));
}

/** `{length, captured}` of a bulk payload, and a truncation note when cut. */
function dataInfo(d: DecodedMessage, length: number, captured: number, what = 'data'): JsonObject {
  const c = Math.max(0, Math.min(length, captured));
  if (c < length) d.truncated ??= `truncated: ${c} of ${length} ${what} bytes captured`;
  return { length, captured: c };
}

/** A message shorter than its header (`need` bytes of `what`): the problem and the raw bytes. */
function tooShort(d: DecodedMessage, m: CaptureMessage, need: number, what: string): DecodedMessage {
  d.problem = `${m.capLen} bytes < ${need} needed for ${what}`;
  d.body.raw = hex(m.data, m.off, m.off + m.capLen);
  return d;
}

function header(l: StructLayout, m: CaptureMessage): JsonObject {
  if (m.capLen >= l.size) return structJsonAt(l, m.data, m.off, m.le);
  return structJson(l, decodeStruct(l, m.data, m.off, Math.min(m.capLen, l.size), m.le));
}

/**
 * Decodes a request (kernel -> daemon). `x` is the Exchange the pairing stage
 * made of this message: `problem`/`truncated` are its `reqProblem`. Without
 * it, extract.ts's checks run on a scratch Exchange (`requestProblem`).
 */
export function decodeRequest(m: CaptureMessage, p: ConnProtocol, x?: Exchange): DecodedMessage {
  const d: DecodedMessage = { type: 'request', opcode: undefined, op: '?', header: {}, body: {} };
  if (m.capLen < IN_HDR) return tooShort(d, m, IN_HDR, 'fuse_in_header');
  const { data, off, le } = m;
  d.header = header(fuse_in_header, m);
  const len = u32(data, off, le);
  const opcode = u32(data, off + 4, le);
  d.opcode = opcode;
  d.op = opcodeName(opcode);
  setProblem(d, x !== undefined ? x.reqProblem : requestProblem(m, p));
  const extLen = (le ? data.readUInt16LE(off + 36) : data.readUInt16BE(off + 36)) * 8;
  const total = Math.max(0, len - IN_HDR);
  const bodyLen = Math.max(0, total - extLen);
  const avail = Math.max(0, Math.min(m.capLen, len) - IN_HDR);
  const availArgs = Math.min(avail, bodyLen);
  const minor = p.minor;
  const B = d.body;
  const bAbs = off + IN_HDR;
  const names = (at: number): string[] => cstrings(data, bAbs + at, bAbs + availArgs).strs;
  const st = (l: StructLayout, at = 0, size = l.size): JsonObject => struct(l, m, IN_HDR, at, availArgs, size);
  /** The `one` entries after a `head` whose first u32 counts them (BATCH_FORGET, REMOVEMAPPING); notes a cut. */
  const counted = (head: StructLayout, one: StructLayout, noun: string): Json[] => {
    const count = availArgs >= 4 ? u32(data, bAbs, le) : 0;
    const items: Json[] = [];
    let at = head.size;
    for (let i = 0; i < count && at + one.size <= availArgs; i++, at += one.size) items.push(st(one, at));
    if (items.length < count && at + one.size <= bodyLen) d.truncated ??= `truncated: ${items.length} of ${count} ${noun} captured`;
    return items;
  };

  switch (opcode) {
    case Op.LOOKUP: case Op.UNLINK: case Op.RMDIR: case Op.REMOVEXATTR:
      B.name = names(0)[0] ?? null;
      break;
    case Op.FORGET: B.fuse_forget_in = st(fuse_forget_in); break;
    case Op.GETATTR: if (bodyLen >= fuse_getattr_in.size) B.fuse_getattr_in = st(fuse_getattr_in); break;
    case Op.SETATTR: B.fuse_setattr_in = st(fuse_setattr_in); break;
    case Op.READLINK: case Op.STATFS: case Op.DESTROY: break;
    case Op.SYMLINK: { const s = names(0); B.name = s[0] ?? null; B.linkname = s[1] ?? null; break; }
    case Op.MKNOD: { const sz = sizeAt(fuse_mknod_in, minor); B.fuse_mknod_in = st(fuse_mknod_in, 0, sz); B.name = names(sz)[0] ?? null; break; }
    case Op.MKDIR: B.fuse_mkdir_in = st(fuse_mkdir_in); B.name = names(fuse_mkdir_in.size)[0] ?? null; break;
    case Op.RENAME: case Op.RENAME2: {
      const l = opcode === Op.RENAME ? fuse_rename_in : fuse_rename2_in;
      B[l.name] = st(l);
      const s = names(l.size);
      B.oldname = s[0] ?? null;
      B.newname = s[1] ?? null;
      break;
    }
    case Op.LINK: B.fuse_link_in = st(fuse_link_in); B.newname = names(fuse_link_in.size)[0] ?? null; break;
    case Op.OPEN: case Op.OPENDIR: B.fuse_open_in = st(fuse_open_in); break;
    case Op.READ: case Op.READDIR: case Op.READDIRPLUS: B.fuse_read_in = st(fuse_read_in, 0, Math.min(fuse_read_in.size, bodyLen)); break;
    case Op.WRITE: {
      const sz = writeInSize(new DataView(data.buffer, data.byteOffset, data.byteLength), bAbs, bodyLen, availArgs, le, p.negotiated, minor);
      B.fuse_write_in = st(fuse_write_in, 0, sz);
      B.data = dataInfo(d, Math.max(0, bodyLen - sz), avail - sz);
      break;
    }
    case Op.RELEASE: case Op.RELEASEDIR: B.fuse_release_in = st(fuse_release_in); break;
    case Op.FSYNC: case Op.FSYNCDIR: B.fuse_fsync_in = st(fuse_fsync_in); break;
    case Op.SETXATTR: {
      const vsize = availArgs >= 4 ? u32(data, bAbs, le) : 0;
      const hl = setxattrHeaderLen(data, bAbs, bodyLen, availArgs, vsize, p.setxattrExt, minor);
      if (p.setxattrExt === undefined) B.setxattr_in_size_inferred = hl;
      B.fuse_setxattr_in = st(fuse_setxattr_in, 0, hl);
      const nul = data.indexOf(0, bAbs + hl);
      const nameEnd = nul >= 0 && nul < bAbs + availArgs ? nul : bAbs + availArgs;
      B.name = data.toString('utf8', bAbs + hl, nameEnd);
      const vstart = nameEnd + 1 - bAbs;
      B.value = { ...dataInfo(d, vsize, availArgs - vstart, 'value'), hex: hex(data, bAbs + vstart, bAbs + Math.min(availArgs, vstart + vsize)) };
      break;
    }
    case Op.GETXATTR: B.fuse_getxattr_in = st(fuse_getxattr_in); B.name = names(fuse_getxattr_in.size)[0] ?? null; break;
    case Op.LISTXATTR: B.fuse_getxattr_in = st(fuse_getxattr_in); break;
    case Op.FLUSH: B.fuse_flush_in = st(fuse_flush_in); break;
    case Op.INIT: {
      const sz = Math.min(bodyLen, fuse_init_in.size);
      const j = st(fuse_init_in, 0, sz);
      addInitFlags(j);
      B.fuse_init_in = j;
      break;
    }
    case Op.GETLK: case Op.SETLK: case Op.SETLKW: B.fuse_lk_in = st(fuse_lk_in, 0, Math.min(bodyLen, fuse_lk_in.size)); break;
    case Op.ACCESS: B.fuse_access_in = st(fuse_access_in); break;
    case Op.CREATE: case Op.TMPFILE: {
      const sz = sizeAt(fuse_create_in, minor);
      B.fuse_create_in = st(fuse_create_in, 0, sz);
      B.name = names(sz)[0] ?? null;
      break;
    }
    case Op.INTERRUPT: B.fuse_interrupt_in = st(fuse_interrupt_in); break;
    case Op.BMAP: B.fuse_bmap_in = st(fuse_bmap_in); break;
    case Op.IOCTL: {
      B.fuse_ioctl_in = st(fuse_ioctl_in);
      B.data = dataInfo(d, Math.max(0, bodyLen - fuse_ioctl_in.size), avail - fuse_ioctl_in.size, 'input');
      break;
    }
    case Op.POLL: B.fuse_poll_in = st(fuse_poll_in, 0, Math.min(bodyLen, fuse_poll_in.size)); break;
    case Op.NOTIFY_REPLY:
      B.fuse_notify_retrieve_in = st(fuse_notify_retrieve_in);
      B.data = dataInfo(d, Math.max(0, bodyLen - fuse_notify_retrieve_in.size), avail - fuse_notify_retrieve_in.size);
      break;
    case Op.BATCH_FORGET:
      B.fuse_batch_forget_in = st(fuse_batch_forget_in);
      B.forgets = counted(fuse_batch_forget_in, fuse_forget_one, 'forget entries');
      break;
    case Op.FALLOCATE: B.fuse_fallocate_in = st(fuse_fallocate_in); break;
    case Op.LSEEK: B.fuse_lseek_in = st(fuse_lseek_in); break;
    case Op.COPY_FILE_RANGE: case Op.COPY_FILE_RANGE_64: B.fuse_copy_file_range_in = st(fuse_copy_file_range_in); break;
    case Op.SETUPMAPPING: B.fuse_setupmapping_in = st(fuse_setupmapping_in); break;
    case Op.REMOVEMAPPING:
      B.fuse_removemapping_in = st(fuse_removemapping_in);
      B.ranges = counted(fuse_removemapping_in, fuse_removemapping_one, 'ranges');
      break;
    case Op.SYNCFS: B.fuse_syncfs_in = st(fuse_syncfs_in); break;
    case Op.STATX: B.fuse_statx_in = st(fuse_statx_in); break;
    case Op.CUSE_INIT: B.cuse_init_in = st(cuse_init_in); break;
    default:
      B.raw = hex(data, bAbs, bAbs + avail);
      B.raw_length = total;
      if (avail < total) d.truncated ??= `truncated: ${avail} of ${total} body bytes captured`;
      break;
  }
  if (extLen > 0 && extLen <= total) {
    const extStart = bodyLen;
    const capEnd = Math.min(avail, total);
    B.ext = decodeExtensions(data, bAbs + extStart, bAbs + Math.max(extStart, capEnd), le);
    if (capEnd < total) d.truncated ??= `truncated: extensions ${Math.max(0, capEnd - extStart)} of ${extLen} bytes captured`;
  }
  return d;
}

/** Adds the 64-bit flag names (flags | flags2 << 32 when FUSE_INIT_EXT) to a decoded init_in/out. */
function addInitFlags(j: JsonObject): void {
  if (typeof j.flags !== 'number') return;
  const lo = j.flags >>> 0;
  const hi = typeof j.flags2 === 'number' && (lo & (1 << InitBit.INIT_EXT)) !== 0 ? j.flags2 >>> 0 : 0;
  if (typeof j.flags2 === 'number') j.flags2_names = formatFlags(FUSE_INIT_FLAGS, BigInt(j.flags2 >>> 0) << 32n);
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  j.flags64 = idCell(v);
  j.flags64_names = formatFlags(FUSE_INIT_FLAGS, v);
}

/** Walks the extension block: security contexts (type 0..31) and supplementary groups (32). */
function decodeExtensions(data: Buffer, start: number, end: number, le: boolean): Json[] {
  const out: Json[] = [];
  let p = start;
  while (p + fuse_ext_header.size <= end) {
    const size = u32(data, p, le);
    const type = u32(data, p + 4, le);
    if (size < fuse_ext_header.size || p + size > end) {
      out.push({ error: `extension at +${p - start}: size ${size} does not fit the ${end - p} bytes left`, raw: hex(data, p, end) });
      break;
    }
    if (type <= FUSE_MAX_NR_SECCTX) {
      const ctxs: Json[] = [];
      let q = p + 8;
      for (let i = 0; i < type && q + fuse_secctx.size <= p + size; i++) {
        const csize = u32(data, q, le);
        const nameStart = q + fuse_secctx.size;
        let nul = nameStart;
        while (nul < p + size && data[nul] !== 0) nul++;
        const ctxStart = nul + 1;
        ctxs.push({ size: csize, name: data.toString('utf8', nameStart, nul), value: hex(data, ctxStart, Math.min(ctxStart + csize, p + size)) });
        q = ctxStart + csize;
      }
      out.push({ type: 'fuse_secctx_header', size, nr_secctx: type, contexts: ctxs });
    } else if (type === FUSE_EXT_GROUPS) {
      const n = size >= 12 ? u32(data, p + 8, le) : 0;
      const groups: number[] = [];
      for (let i = 0; i < n && p + 12 + 4 * (i + 1) <= p + size; i++) groups.push(u32(data, p + 12 + 4 * i, le));
      out.push({ type: 'FUSE_EXT_GROUPS', size, nr_groups: n, groups });
    } else {
      out.push({ type, size, raw: hex(data, p + 8, p + size) });
    }
    p += size;
  }
  return out;
}

/**
 * Decodes a reply through its request's opcode (`x.opcode`); GETXATTR and
 * LISTXATTR with request size 0 decode a fuse_getxattr_out. `x` is the
 * Exchange the pairing stage paired this reply with: `problem`/`truncated`
 * are its `replyProblem`. Without `x` (an unmatched reply) the body is kept raw.
 */
export function decodeReply(m: CaptureMessage, x: Exchange | undefined, p: ConnProtocol): DecodedMessage {
  const d: DecodedMessage = { type: 'reply', opcode: x?.opcode, op: x ? opcodeName(x.opcode) : '?', header: {}, body: {} };
  if (m.capLen < OUT_HDR) return tooShort(d, m, OUT_HDR, 'fuse_out_header');
  const { data, off, le } = m;
  d.header = header(fuse_out_header, m);
  const len = u32(data, off, le);
  const error = le ? data.readInt32LE(off + 4) : data.readInt32BE(off + 4);
  d.header.error_name = replyErrorName(error);
  const body = Math.max(0, len - OUT_HDR);
  const avail = Math.max(0, Math.min(m.capLen, len) - OUT_HDR);
  const bAbs = off + OUT_HDR;
  const B = d.body;
  if (x) setProblem(d, x.replyProblem);
  if (error !== 0 || body === 0) {
    if (body > 0) { B.raw = hex(data, bAbs, bAbs + avail); B.raw_length = body; }
    return d;
  }
  if (!x) {
    B.raw = hex(data, bAbs, bAbs + avail);
    B.raw_length = body;
    return d;
  }
  const minor = p.minor;
  const st = (l: StructLayout, at = 0, size = l.size): JsonObject => struct(l, m, OUT_HDR, at, avail, size);
  switch (x.opcode) {
    case Op.LOOKUP: case Op.MKNOD: case Op.MKDIR: case Op.SYMLINK: case Op.LINK:
      B.fuse_entry_out = st(fuse_entry_out, 0, sizeAt(fuse_entry_out, minor));
      break;
    case Op.CREATE: case Op.TMPFILE: {
      const es = sizeAt(fuse_entry_out, minor);
      B.fuse_entry_out = st(fuse_entry_out, 0, es);
      B.fuse_open_out = st(fuse_open_out, es);
      break;
    }
    case Op.GETATTR: case Op.SETATTR: B.fuse_attr_out = st(fuse_attr_out, 0, sizeAt(fuse_attr_out, minor)); break;
    case Op.STATX: B.fuse_statx_out = st(fuse_statx_out); break;
    case Op.OPEN: case Op.OPENDIR: B.fuse_open_out = st(fuse_open_out); break;
    case Op.WRITE: case Op.COPY_FILE_RANGE: B.fuse_write_out = st(fuse_write_out); break;
    case Op.COPY_FILE_RANGE_64: B.fuse_copy_file_range_out = st(fuse_copy_file_range_out); break;
    case Op.STATFS: B.fuse_statfs_out = st(fuse_statfs_out, 0, sizeAt(fuse_statfs_out, minor)); break;
    case Op.GETLK: B.fuse_lk_out = st(fuse_lk_out); break;
    case Op.BMAP: B.fuse_bmap_out = st(fuse_bmap_out); break;
    case Op.POLL: B.fuse_poll_out = st(fuse_poll_out); break;
    case Op.LSEEK: B.fuse_lseek_out = st(fuse_lseek_out); break;
    case Op.READ: B.data = dataInfo(d, body, avail); break;
    case Op.READLINK:
      B.linkname = data.toString('utf8', bAbs, bAbs + avail);
      if (avail < body) d.truncated ??= `truncated: ${avail} of ${body} target bytes captured`;
      break;
    case Op.GETXATTR: case Op.LISTXATTR:
      if (x.size === 0) B.fuse_getxattr_out = st(fuse_getxattr_out);
      else if (x.opcode === Op.LISTXATTR) {
        B.names = cstrings(data, bAbs, bAbs + avail).strs;
        B.data = dataInfo(d, body, avail, 'name list');
      } else {
        B.value = { ...dataInfo(d, body, avail, 'value'), hex: hex(data, bAbs, bAbs + avail) };
      }
      break;
    case Op.READDIR: case Op.READDIRPLUS:
      B.entries = decodeDirents(d, m, bAbs, body, avail, x.opcode === Op.READDIRPLUS);
      break;
    case Op.INIT: {
      const j = st(fuse_init_out, 0, Math.min(body, fuse_init_out.size));
      addInitFlags(j);
      B.fuse_init_out = j;
      B.negotiated_minor = p.negotiated ? p.minor : null;
      break;
    }
    case Op.IOCTL: {
      const o = st(fuse_ioctl_out);
      B.fuse_ioctl_out = o;
      const flags = typeof o.flags === 'number' ? o.flags : 0;
      if (flags & FUSE_IOCTL_RETRY) {
        const n = (typeof o.in_iovs === 'number' ? o.in_iovs : 0) + (typeof o.out_iovs === 'number' ? o.out_iovs : 0);
        const iovs: Json[] = [];
        let at = fuse_ioctl_out.size;
        for (let i = 0; i < n && i < 256 && at + fuse_ioctl_iovec.size <= avail; i++, at += fuse_ioctl_iovec.size) iovs.push(st(fuse_ioctl_iovec, at));
        B.iovecs = iovs;
      } else if (body > fuse_ioctl_out.size) {
        B.data = dataInfo(d, body - fuse_ioctl_out.size, avail - fuse_ioctl_out.size, 'output');
      }
      break;
    }
    case Op.CUSE_INIT: {
      B.cuse_init_out = st(cuse_init_out);
      B.info = cstrings(data, bAbs + cuse_init_out.size, bAbs + avail).strs.filter((s) => s !== '');
      break;
    }
    default:
      B.raw = hex(data, bAbs, bAbs + avail);
      B.raw_length = body;
      if (avail < body) d.truncated ??= `truncated: ${avail} of ${body} body bytes captured`;
  }
  return d;
}

function decodeDirents(d: DecodedMessage, m: CaptureMessage, b: number, body: number, avail: number, plus: boolean): Json[] {
  const l = plus ? fuse_direntplus : fuse_dirent;
  const out: Json[] = [];
  const { data, le } = m;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  while (pos < body) {
    const at = direntAt(dv, b, pos, body, avail, le, plus);
    if (at === Dirent.FIXED_OVERRUNS || at === Dirent.FIXED_CUT) break;
    // A record whose name is bad or cut is still shown, with what there is of its name.
    const e = structJsonAt(l, data, b + pos, le);
    e.name = data.toString('utf8', b + pos + l.size, b + Math.min(pos + l.size + direntNamelen, avail));
    out.push(e);
    if (at !== Dirent.OK) break;
    pos = direntNext(pos, plus);
  }
  if (pos < body && avail < body) d.truncated ??= `truncated: ${avail} of ${body} directory bytes captured (${out.length} entries decoded)`;
  return out;
}

/** Decodes a notification (daemon -> kernel, unique 0); `ev` is what the pairing stage read of it. */
export function decodeNotify(m: CaptureMessage, p: ConnProtocol, ev: NotifyEvent = extractNotify(m, p)): DecodedMessage {
  const d: DecodedMessage = { type: 'notify', opcode: undefined, op: notifyName(ev.code), header: {}, body: {} };
  if (m.capLen < OUT_HDR) { d.problem = ev.problem?.text; return d; }
  d.header = header(fuse_out_header, m);
  d.header.code_name = notifyName(ev.code);
  setProblem(d, ev.problem);
  const { data, off, le } = m;
  const len = u32(data, off, le);
  const body = Math.max(0, len - OUT_HDR);
  const avail = Math.max(0, Math.min(m.capLen, len) - OUT_HDR);
  const bAbs = off + OUT_HDR;
  const B = d.body;
  const st = (l: StructLayout, at = 0): JsonObject => struct(l, m, OUT_HDR, at, avail);
  switch (ev.code) {
    case Notify.POLL: B.fuse_notify_poll_wakeup_out = st(fuse_notify_poll_wakeup_out); break;
    case Notify.INVAL_INODE: B.fuse_notify_inval_inode_out = st(fuse_notify_inval_inode_out); break;
    case Notify.INVAL_ENTRY: B.fuse_notify_inval_entry_out = st(fuse_notify_inval_entry_out); B.name = ev.entryName ?? null; break;
    case Notify.DELETE: B.fuse_notify_delete_out = st(fuse_notify_delete_out); B.name = ev.entryName ?? null; break;
    case Notify.STORE:
      B.fuse_notify_store_out = st(fuse_notify_store_out);
      B.data = dataInfo(d, Math.max(0, body - fuse_notify_store_out.size), avail - fuse_notify_store_out.size);
      break;
    case Notify.RETRIEVE: B.fuse_notify_retrieve_out = st(fuse_notify_retrieve_out); break;
    case Notify.RESEND: case Notify.INC_EPOCH: break;
    case Notify.PRUNE: {
      B.fuse_notify_prune_out = st(fuse_notify_prune_out);
      const ids: Json[] = [];
      for (let at = fuse_notify_prune_out.size; at + 8 <= Math.min(avail, body); at += 8) {
        const v = u64(data, bAbs + at, le);
        ids.push(typeof v === 'bigint' ? v.toString() : v);
      }
      B.nodeids = ids;
      break;
    }
    default:
      B.raw = hex(data, bAbs, bAbs + avail);
      B.raw_length = body;
  }
  return d;
}

/** Whether an opcode's reply is decoded through the request (always, but unknown opcodes stay raw). */
export function knownOpcode(op: number): boolean {
  return opcodeRow(op) !== undefined;
}
