/**
 * Hot path: reads the handful of argument and result fields the analysis
 * needs straight from the message bytes, at offsets taken from the declared
 * layouts (no binary-parser, no per-message objects except names and the
 * arrays an Exchange keeps). Also checks lengths and the reply rules of
 * fuse-protocol.md §1.4. `extractRequest` and `extractReply` check what all
 * messages share, then call the opcode's own function from an array indexed
 * by opcode (`REQUEST`, `REPLY`); each function reads its struct at offsets
 * resolved from the layouts once, at module load.
 *
 * Problems are entries of the registry of problems.ts, recorded with their
 * numbers as `x.reqProblem` or `x.replyProblem` (a `ProblemNote`: id, e.g.
 * `struct-short`, whose kind says malformed or truncated; its text, e.g.
 * `60 bytes < 80 needed for fuse_write_in at minor 45`, is rendered when
 * printed). The first problem found in a message stays. A snapped message that
 * lost only bulk data (WRITE/READ data, trailing directory records) is not a
 * problem; directory records or forget entries that were cut set `x.partial`.
 *
 * The caller fills the header fields of the Exchange with `fillRequestHeader`
 * (opcode, unique, nodeid, reqLen, extLen ...) before calling
 * `extractRequest`, and `fillReplyHeader` before `extractReply`.
 */
import type { CaptureMessage } from '../capture/message.js';
import { Exchange, ReplyResult, type DirEntry } from './exchange.js';
import type { Id } from '../model/id64.js';

import { fixedReplySize, Notify, notifyName, Op, opcodeName, replyStructName } from './opcodes.js';
import { fieldMinor, type ConnProtocol } from './version.js';
import { FATTR_FH, FATTR_SIZE, FUSE_GETATTR_FH } from './flags/attr.js';
import { FUSE_WRITE_CACHE } from './flags/io.js';
import { FOPEN_PASSTHROUGH, genericOpenFlags } from './flags/open.js';
import { fuse_attr, fuse_attr_out, fuse_entry_out, fuse_getattr_in, fuse_setattr_in, fuse_statx, fuse_statx_in, fuse_statx_out } from './layouts/attr.js';
import { fuse_dirent, fuse_direntplus, fuse_link_in, fuse_mkdir_in, fuse_mknod_in, fuse_rename2_in, fuse_rename_in } from './layouts/dir.js';
import { fuse_in_header, fuse_out_header } from './layouts/header.js';
import { fuse_init_in, cuse_init_out } from './layouts/init.js';
import {
  fuse_copy_file_range_in, fuse_copy_file_range_out, fuse_create_in, fuse_fallocate_in, fuse_flush_in, fuse_fsync_in, fuse_lseek_in,
  fuse_lseek_out, fuse_open_in, fuse_open_out, fuse_read_in, fuse_release_in, fuse_removemapping_in, fuse_removemapping_one,
  fuse_setupmapping_in, fuse_write_in, fuse_write_out,
} from './layouts/io.js';
import { fuse_file_lock, fuse_lk_in } from './layouts/lock.js';
import {
  fuse_access_in, fuse_batch_forget_in, fuse_bmap_in, fuse_forget_in, fuse_forget_one, fuse_interrupt_in, fuse_ioctl_in,
  fuse_ioctl_out, fuse_poll_in,
} from './layouts/misc.js';
import {
  fuse_notify_delete_out, fuse_notify_inval_entry_out, fuse_notify_inval_inode_out, fuse_notify_poll_wakeup_out, fuse_notify_prune_out,
  fuse_notify_retrieve_in, fuse_notify_retrieve_out, fuse_notify_store_out,
} from './layouts/notify.js';
import { fuse_getxattr_in, fuse_getxattr_out, fuse_setxattr_in } from './layouts/xattr.js';
import { sizeAt } from './layouts/index.js';
import { noteProblem, Problem, ProblemNote, type ProblemArg, type ProblemDef } from './problems.js';
import { Dirent, DIRENT_NAME_MAX, direntAt, direntFixed, direntNamelen, direntNext, setxattrHeaderLen, writeInSize } from './tails.js';
import { offsetOf, type StructLayout } from './layout.js';
import { nameText } from './names.js';


/**
 * Hot-path reads go through a DataView on the message buffer: its loads with
 * a byte-order flag compile to plain machine loads wherever they appear,
 * while small helper functions stop being inlined once a large caller has
 * spent its inlining budget. Readers hand the same
 * chunk buffer for millions of messages, so the view is made once per buffer.
 * Callers check lengths before reading.
 */
let viewBuf: Buffer | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));
export function viewOf(b: Buffer): DataView {
  if (b !== viewBuf) {
    viewBuf = b;
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return view;
}

/**
 * u64 at p: a number while exact (at most 2^53-1), else a bigint (same results
 * as layout.ts `u64`). The bigint case is a separate function so that this
 * one stays small enough for V8 to inline at its many call sites.
 */
export function u64(dv: DataView, p: number, le: boolean): number | bigint {
  // Both words read at fixed offsets, then ordered: with the offset chosen by
  // `le` inside the call (le ? p + 4 : p), V8 (Node 20) compiled the second
  // read as a call of the DataView builtin at every inlined site instead of a
  // load: 6% of the instructions of decoding and pairing.
  const a = dv.getUint32(p, le);
  const b = dv.getUint32(p + 4, le);
  const lo = le ? a : b;
  const hi = le ? b : a;
  return hi < 0x200000 ? hi * 4294967296 + lo : bigU64(hi, lo);
}

function bigU64(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const IN_HDR = fuse_in_header.size;
const OUT_HDR = fuse_out_header.size;

// Offsets, resolved once at module load.
const o = offsetOf;
const ATTR_INO = o(fuse_attr, 'ino');
const ATTR_SIZE = o(fuse_attr, 'size');
const ATTR_MODE = o(fuse_attr, 'mode');
const EO_NODEID = o(fuse_entry_out, 'nodeid');
const EO_ATTR_VALID = o(fuse_entry_out, 'attr_valid');
const EO_ATTR_VALID_NSEC = o(fuse_entry_out, 'attr_valid_nsec');
const EO_ATTR = o(fuse_entry_out, 'attr');
const AO_ATTR_VALID = o(fuse_attr_out, 'attr_valid');
const AO_ATTR_VALID_NSEC = o(fuse_attr_out, 'attr_valid_nsec');
const AO_ATTR = o(fuse_attr_out, 'attr');
const SXO_ATTR_VALID = o(fuse_statx_out, 'attr_valid');
const SXO_ATTR_VALID_NSEC = o(fuse_statx_out, 'attr_valid_nsec');
const SXO_STAT = o(fuse_statx_out, 'stat');
const SX_INO = o(fuse_statx, 'ino');
const SX_SIZE = o(fuse_statx, 'size');
const SX_MODE = o(fuse_statx, 'mode');
const OO_FH = o(fuse_open_out, 'fh');
const OO_FLAGS = o(fuse_open_out, 'open_flags');
const OO_BACKING_ID = o(fuse_open_out, 'backing_id');
const GA_FLAGS = o(fuse_getattr_in, 'getattr_flags');
const GA_FH = o(fuse_getattr_in, 'fh');
const SA_VALID = o(fuse_setattr_in, 'valid');
const SA_FH = o(fuse_setattr_in, 'fh');
const SA_SIZE = o(fuse_setattr_in, 'size');
const SXI_FLAGS = o(fuse_statx_in, 'getattr_flags');
const SXI_FH = o(fuse_statx_in, 'fh');
const RD_FH = o(fuse_read_in, 'fh');
const RD_OFFSET = o(fuse_read_in, 'offset');
const RD_SIZE = o(fuse_read_in, 'size');
const RD_RFLAGS = o(fuse_read_in, 'read_flags');
const RD_FLAGS = o(fuse_read_in, 'flags');
const WR_FH = o(fuse_write_in, 'fh');
const WR_OFFSET = o(fuse_write_in, 'offset');
const WR_SIZE = o(fuse_write_in, 'size');
const WR_WFLAGS = o(fuse_write_in, 'write_flags');
const WR_FLAGS = o(fuse_write_in, 'flags');
const WO_SIZE = o(fuse_write_out, 'size');
const OI_FLAGS = o(fuse_open_in, 'flags');
const OI_OPEN_FLAGS = o(fuse_open_in, 'open_flags');
/** fuse_open_in.open_flags was padding before this minor (read as 0, fuse-protocol.md §4.1). */
const OI_OPEN_FLAGS_SINCE = fuse_open_in.fields.find((f) => f.name === 'open_flags')!.since!;
const CI_FLAGS = o(fuse_create_in, 'flags');
const CI_OPEN_FLAGS = o(fuse_create_in, 'open_flags');
const RL_FH = o(fuse_release_in, 'fh');
const RL_FLAGS = o(fuse_release_in, 'flags');
const RL_RFLAGS = o(fuse_release_in, 'release_flags');
const FL_FH = o(fuse_flush_in, 'fh');
const FS_FH = o(fuse_fsync_in, 'fh');
const FS_FLAGS = o(fuse_fsync_in, 'fsync_flags');
const FA_FH = o(fuse_fallocate_in, 'fh');
const FA_OFFSET = o(fuse_fallocate_in, 'offset');
const FA_LENGTH = o(fuse_fallocate_in, 'length');
const FA_MODE = o(fuse_fallocate_in, 'mode');
const LS_FH = o(fuse_lseek_in, 'fh');
const LS_OFFSET = o(fuse_lseek_in, 'offset');
const LS_WHENCE = o(fuse_lseek_in, 'whence');
const LSO_OFFSET = o(fuse_lseek_out, 'offset');
const CF_NODEID_OUT = o(fuse_copy_file_range_in, 'nodeid_out');
const CF_FH_OUT = o(fuse_copy_file_range_in, 'fh_out');
const CF_OFF_OUT = o(fuse_copy_file_range_in, 'off_out');
const CF_LEN = o(fuse_copy_file_range_in, 'len');
const CF_FLAGS = o(fuse_copy_file_range_in, 'flags');
const CFO_BYTES = o(fuse_copy_file_range_out, 'bytes_copied');
const SM_FH = o(fuse_setupmapping_in, 'fh');
const SM_FOFFSET = o(fuse_setupmapping_in, 'foffset');
const SM_LEN = o(fuse_setupmapping_in, 'len');
const SM_FLAGS = o(fuse_setupmapping_in, 'flags');
const RM_COUNT = o(fuse_removemapping_in, 'count');
const RN_NEWDIR = o(fuse_rename_in, 'newdir');
const RN2_NEWDIR = o(fuse_rename2_in, 'newdir');
const RN2_FLAGS = o(fuse_rename2_in, 'flags');
const LN_OLD = o(fuse_link_in, 'oldnodeid');
const SX_XSIZE = o(fuse_setxattr_in, 'size');
const SX_XFLAGS = o(fuse_setxattr_in, 'flags');
const GX_SIZE = o(fuse_getxattr_in, 'size');
const GXO_SIZE = o(fuse_getxattr_out, 'size');
const LK_FH = o(fuse_lk_in, 'fh');
const LK_LK = o(fuse_lk_in, 'lk');
const LK_FLAGS = o(fuse_lk_in, 'lk_flags');
const FLK_START = o(fuse_file_lock, 'start');
const FG_NLOOKUP = o(fuse_forget_in, 'nlookup');
const BF_COUNT = o(fuse_batch_forget_in, 'count');
const F1_NODEID = o(fuse_forget_one, 'nodeid');
const F1_NLOOKUP = o(fuse_forget_one, 'nlookup');
const INT_UNIQUE = o(fuse_interrupt_in, 'unique');
const AC_MASK = o(fuse_access_in, 'mask');
const BM_BLOCK = o(fuse_bmap_in, 'block');
const BM_BLOCKSIZE = o(fuse_bmap_in, 'blocksize');
const IO_FH = o(fuse_ioctl_in, 'fh');
const IO_FLAGS = o(fuse_ioctl_in, 'flags');
const IO_IN_SIZE = o(fuse_ioctl_in, 'in_size');
const IOO_RESULT = o(fuse_ioctl_out, 'result');
const PL_FH = o(fuse_poll_in, 'fh');
const PL_FLAGS = o(fuse_poll_in, 'flags');
const NR_OFFSET = o(fuse_notify_retrieve_in, 'offset');
const NR_SIZE = o(fuse_notify_retrieve_in, 'size');
const DE_INO = o(fuse_dirent, 'ino');
const DE_OFF = o(fuse_dirent, 'off');
const DE_TYPE = o(fuse_dirent, 'type');
const DP_ENTRY = o(fuse_direntplus, 'entry_out');
const DP_DIRENT = o(fuse_direntplus, 'dirent');

/**
 * sizeAt() of the structs that grew, by minor, computed once: sizeAt looks its
 * table up by struct name on every call, and these are read per message.
 * Minors past the table (no kernel has them) fall back to sizeAt.
 */
interface SizesByMinor { layout: StructLayout; sizes: Int32Array }
function sizesByMinor(layout: StructLayout): SizesByMinor {
  const sizes = new Int32Array(128);
  for (let minor = 0; minor < sizes.length; minor++) sizes[minor] = sizeAt(layout, minor);
  return { layout, sizes };
}
function sizeFor(t: SizesByMinor, minor: number): number {
  return minor >= 0 && minor < t.sizes.length ? t.sizes[minor]! : sizeAt(t.layout, minor);
}
const MKNOD_IN_SIZES = sizesByMinor(fuse_mknod_in);
const CREATE_IN_SIZES = sizesByMinor(fuse_create_in);
const ENTRY_OUT_SIZES = sizesByMinor(fuse_entry_out);

/** A u64 as a plain number for arithmetic (exact below 2^53; callers that output it keep the exact value, see setOffset). */
function n64(dv: DataView, pos: number, le: boolean): number {
  const v = u64(dv, pos, le);
  return typeof v === 'number' ? v : Number(v);
}

/** Sets `x.offset`, keeping the exact value beside it when it is past 2^53. */
function setOffset(x: Exchange, dv: DataView, pos: number, le: boolean): void {
  const v = u64(dv, pos, le);
  if (typeof v === 'number') {
    x.offset = v;
  } else {
    x.offset = Number(v);
    x.offsetExact = v;
  }
}

/** Sets `x.size` from a u64, keeping the exact value beside it when it is past 2^53. */
function setSize(x: Exchange, dv: DataView, pos: number, le: boolean): void {
  const v = u64(dv, pos, le);
  if (typeof v === 'number') {
    x.size = v;
  } else {
    x.size = Number(v);
    x.sizeExact = v;
  }
}

/** Fills the header fields of a request Exchange from the message, and checks its length against the captured one. */
export function fillRequestHeader(x: Exchange, m: CaptureMessage): void {
  const { data, off } = m;
  const le = m.le === true;
  const dv = viewOf(data);
  x.conn = m.conn;
  x.reqLen = dv.getUint32(off, le);
  x.opcode = dv.getUint32(off + 4, le);
  x.unique = u64(dv, off + 8, le);
  x.nodeid = u64(dv, off + 16, le);
  x.uid = dv.getUint32(off + 24, le);
  x.gid = dv.getUint32(off + 28, le);
  x.callerPid = dv.getUint32(off + 32, le);
  x.extLen = dv.getUint16(off + 36, le) * 8;
  x.reqCapLen = m.capLen;
  x.pid = m.pid;
  x.tid = m.tid;
  x.tReq = m.t;
  x.tReqRest = m.tRest;
  x.input = m.input;
  x.reqFileOffset = m.fileOffset;
  if (x.reqLen !== m.origLen) x.reqProblem ??= new ProblemNote(Problem.LEN_MISMATCH, x.reqLen, m.origLen);
}

/** Fills the reply header fields of an Exchange, and checks the reply's length against the captured one. */
export function fillReplyHeader(x: Exchange, m: CaptureMessage): void {
  const { data, off } = m;
  const le = m.le === true;
  const dv = viewOf(data);
  x.replied = true;
  x.replyLen = dv.getUint32(off, le);
  x.error = dv.getInt32(off + 4, le);
  x.replyCapLen = m.capLen;
  x.tReply = m.t;
  x.tReplyRest = m.tRest;
  x.replyTid = m.tid;
  x.replyFileOffset = m.fileOffset;
  x.replyFailedErrno = m.failedErrno;
  if (x.replyLen !== m.origLen) x.replyProblem ??= new ProblemNote(Problem.REPLY_LEN_MISMATCH, x.replyLen, m.origLen);
}

/** Reads a NUL-terminated name in [start, end); sets `nameEnd` to the byte after the NUL (or end). */
let nameEnd = 0;
let nameUnterminated = false;
function readName(b: Buffer, start: number, end: number): string {
  let i = start;
  while (i < end && b[i] !== 0) i++;
  nameUnterminated = i >= end;
  nameEnd = i + 1;
  return nameText(b, start, i);
}

// Per-call scratch for the length checks (module state: the path is synchronous).
let curLen = 0;
let curCap = 0;
let curHdr = 0;
/** A request's extension bytes (total_extlen * 8, §1.7): they end the message and hold none of the arguments; 0 for a reply. */
let curExt = 0;
/** Which side of the Exchange a problem found now belongs to. */
let curReply = false;

/**
 * A request's name from `start` up to its NUL, read within the captured
 * arguments (`R.nameLimit`; `nameEnd` and `nameUnterminated` set as by
 * `readName`). Without its NUL there, it is malformed (`unterminated`) when
 * the arguments end there, else cut by the snap length (`what` names it in
 * the note) and undefined: the captured start of a name is no name the
 * analysis may take.
 */
function requestName(x: Exchange, start: number, unterminated: ProblemDef, what: string): string | undefined {
  const name = readName(R.data, start, R.nameLimit);
  if (!nameUnterminated) return name;
  if (!R.cutNames) {
    note(x, unterminated);
    return name;
  }
  note(x, Problem.NAME_CUT, what, Math.max(0, R.nameLimit - start));
  return undefined;
}

/** Records problem `d` as the request's or the reply's (`curReply`), unless that side has one already. */
function note(x: Exchange, d: ProblemDef, a?: ProblemArg, b?: ProblemArg, c?: ProblemArg, e?: ProblemArg): void {
  if (curReply) x.replyProblem ??= new ProblemNote(d, a, b, c, e);
  else x.reqProblem ??= new ProblemNote(d, a, b, c, e);
}

/** Records a problem a helper found (INIT handling in version.ts) as the current side's. */
function noteFound(x: Exchange, pr: ProblemNote): void {
  if (curReply) x.replyProblem ??= pr;
  else x.reqProblem ??= pr;
}

/** Requires `size` body bytes (before a request's extensions) for `what`; sets the problem and returns false if missing. */
function need(x: Exchange, size: number, what: string, minor: number): boolean {
  const body = curLen - curExt - curHdr;
  if (body < size) {
    note(x, Problem.STRUCT_SHORT, curLen - curExt, curHdr + size, what, minor);
    return false;
  }
  if (curCap - curHdr < size) {
    note(x, Problem.STRUCT_CUT, curCap, curLen, what, curHdr + size);
    return false;
  }
  return true;
}

/**
 * Fills the request-argument fields of `x` (fh, offset, size, flags, opFlags,
 * name, name2, node2, target, forgets) from a request message. INIT updates `p`.
 *
 * Per opcode: READ/READDIR(PLUS) fh offset size flags opFlags=read_flags;
 * WRITE fh offset size flags opFlags=write_flags; OPEN/OPENDIR flags
 * opFlags=open_flags; CREATE/TMPFILE flags opFlags=open_flags name;
 * RELEASE(DIR) fh flags opFlags=release_flags; FLUSH fh; FSYNC(DIR) fh
 * opFlags=fsync_flags; SETATTR opFlags=valid, fh (FATTR_FH), size (FATTR_SIZE);
 * GETATTR/STATX opFlags=getattr_flags, fh (FUSE_GETATTR_FH); FALLOCATE fh
 * offset size=length opFlags=mode; LSEEK fh offset opFlags=whence;
 * COPY_FILE_RANGE(_64) the destination: fh=fh_out offset=off_out node2=nodeid_out
 * size=len opFlags=flags; SETUPMAPPING fh offset=foffset size=len opFlags=flags;
 * REMOVEMAPPING size=count; SETXATTR size=value length opFlags=xattr flags name;
 * GETXATTR size name; LISTXATTR size; GETLK/SETLK(W) fh offset=lk.start
 * opFlags=lk_flags; ACCESS opFlags=mask; IOCTL fh opFlags=flags size=in_size;
 * POLL fh opFlags=flags; BMAP offset=block size=blocksize; NOTIFY_REPLY offset size;
 * name ops: name (and name2 for RENAME/RENAME2 new name, SYMLINK target),
 * node2 for RENAME(2) newdir and LINK oldnodeid; INTERRUPT target;
 * FORGET/BATCH_FORGET forgets = [nodeid, nlookup, ...].
 */
export function extractRequest(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { data, off } = m;
  const le = m.le === true;
  const dv = viewOf(data);
  curReply = false;
  curExt = 0;
  if (m.capLen < IN_HDR) {
    note(x, Problem.IN_HEADER_SHORT, m.capLen);
    return;
  }
  const len = dv.getUint32(off, le);
  curLen = len;
  curCap = Math.min(m.capLen, len);
  curHdr = IN_HDR;
  if (len < IN_HDR) {
    note(x, Problem.IN_HEADER_LEN, len);
    return;
  }
  const op = x.opcode;
  const extLen = x.extLen;
  if (extLen > len - IN_HDR) {
    note(x, Problem.EXTLEN_OVERRUNS, extLen / 8, extLen, len - IN_HDR);
    return;
  }
  curExt = extLen;
  const u = x.unique;
  p.noteRequest(op, extLen, typeof u === 'bigint' && u >= 0x8000000000000000n);
  const minor = p.minor;
  const b = off + IN_HDR;
  // End of the arguments (before the extension block), clipped to the captured bytes.
  const argEnd = off + len - extLen;
  const nameLimit = Math.min(argEnd, off + curCap);
  const cutNames = argEnd > off + curCap;

  R.data = data; R.dv = dv; R.le = le; R.b = b; R.len = len; R.minor = minor; R.extLen = extLen;
  R.args = len - IN_HDR - extLen; R.argEnd = argEnd; R.nameLimit = nameLimit; R.cutNames = cutNames;
  const fn = op < SLOTS ? REQUEST[op] : FAR_REQUEST.get(op);
  if (fn !== undefined) fn(x, m, p);
  // Kept in one numbering whatever the recording host's (ConnProtocol.openFlags).
  if (p.openFlags !== undefined && x.flags !== 0) x.flags = genericOpenFlags(x.flags, p.openFlags);
}

/**
 * The problem of a request read without the Exchange the pairing stage made
 * of it (a printer given a lone message): the same checks on a scratch
 * Exchange. INIT and CUSE_INIT apply their values to `p` again (idempotent).
 */
export function requestProblem(m: CaptureMessage, p: ConnProtocol): ProblemNote | undefined {
  const y = new Exchange();
  fillRequestHeader(y, m);
  extractRequest(y, m, p);
  return y.reqProblem;
}

/** attr_valid (s) + nsec as ns; values beyond 2^53 ns (104 days) are approximate. */
function validNs(dv: DataView, pos: number, nsecPos: number, le: boolean): number {
  return n64(dv, pos, le) * 1e9 + dv.getUint32(nsecPos, le);
}

/**
 * Fills the result fields of `x` from its reply (error, resultSize,
 * resultNodeid, attrIno, attrSize, attrValidNs, resultFh, openFlags, entries)
 * and checks the reply rules (§1.4). The INIT reply updates `p`.
 * resultSize: WRITE/COPY_FILE_RANGE written, COPY_FILE_RANGE_64 bytes_copied,
 * READ/READLINK/READDIR(PLUS)/GETXATTR/LISTXATTR data length (or
 * getxattr_out.size when the request size was 0), LSEEK the offset returned,
 * IOCTL the result.
 */
export function extractReply(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { data, off } = m;
  const le = m.le === true;
  const dv = viewOf(data);
  curReply = true;
  curExt = 0;
  if (m.capLen < OUT_HDR) {
    note(x, Problem.OUT_HEADER_SHORT, m.capLen);
    return;
  }
  const len = dv.getUint32(off, le);
  const error = dv.getInt32(off + 4, le);
  curLen = len;
  curCap = Math.min(m.capLen, len);
  curHdr = OUT_HDR;
  if (len < OUT_HDR) {
    note(x, Problem.OUT_HEADER_LEN, len);
    return;
  }
  if (error > 0 || error <= -512) {
    note(x, Problem.ERROR_OUT_OF_RANGE, error);
    return;
  }
  if (error !== 0) {
    if (len !== OUT_HDR) note(x, Problem.ERROR_REPLY_BODY, len);
    if (x.opcode === Op.INIT) p.applyInitReply(m); // marks the connection failed
    else if (x.opcode === Op.CUSE_INIT && m.capLen >= OUT_HDR) p.initFailed = `CUSE_INIT answered with error ${error}`;
    return;
  }
  let minor = p.minor;
  const body = len - OUT_HDR;
  const b = off + OUT_HDR;
  const op = x.opcode;
  if (op === Op.INIT) {
    const pr = p.applyInitReply(m);
    if (pr) noteFound(x, pr);
    return;
  }
  let fixed = fixedReplySize(op, minor, x.size);
  if (fixed > 0 && body !== fixed && !p.negotiated) {
    // No INIT seen: a pre-7.9 (or pre-7.4 STATFS) peer's compat size is self-describing (§4.3).
    for (const old of [8, 3]) {
      if (fixedReplySize(op, old, x.size) === body) { minor = old; fixed = body; p.noteOldReply(old, opcodeName(op)); break; }
    }
  }
  if (fixed >= 0) {
    if (body !== fixed) {
      if (fixed === 0) note(x, Problem.REPLY_NO_RESULT, body, opcodeName(op));
      else note(x, Problem.REPLY_SIZE, body, fixed, replyStructName(op) ?? 'the result', minor);
      return;
    }
    if (fixed > 0 && curCap - OUT_HDR < fixed) {
      note(x, Problem.STRUCT_CUT, curCap, len, replyStructName(op) ?? 'the result', OUT_HDR + fixed);
      return;
    }
  }
  R.data = data; R.dv = dv; R.le = le; R.b = b; R.len = len; R.minor = minor; R.body = body;
  const fn = op < SLOTS ? REPLY[op] : FAR_REPLY.get(op);
  if (fn !== undefined) fn(x, m, p);
}

function readDirents(x: Exchange, data: Buffer, b: number, body: number, cap: number, le: boolean, plus: boolean): void {
  const dv = viewOf(data);
  const fixed = direntFixed(plus);
  const de = plus ? DP_DIRENT : 0;
  const out: DirEntry[] = [];
  let pos = 0;
  while (pos < body) {
    const at = direntAt(dv, b, pos, body, cap, le, plus);
    if (at === Dirent.FIXED_OVERRUNS) {
      note(x, Problem.DIRENT_OVERRUNS, plus ? 'fuse_direntplus' : 'fuse_dirent', OUT_HDR + pos, body);
      break;
    }
    if (at === Dirent.BAD_NAMELEN) {
      note(x, Problem.DIRENT_NAMELEN, OUT_HDR + pos, direntNamelen, DIRENT_NAME_MAX);
      break;
    }
    if (at === Dirent.NAME_OVERRUNS) {
      note(x, Problem.DIRENT_NAME_OVERRUNS, OUT_HDR + pos + fixed, body);
      break;
    }
    if (at !== Dirent.OK) { x.partial = true; break; }
    const q = b + pos;
    out.push({
      name: nameText(data, q + fixed, q + fixed + direntNamelen),
      ino: u64(dv, q + de + DE_INO, le),
      off: u64(dv, q + de + DE_OFF, le),
      type: dv.getUint32(q + de + DE_TYPE, le),
      nodeid: plus ? u64(dv, q + DP_ENTRY + EO_NODEID, le) : undefined,
      attrIno: plus ? u64(dv, q + DP_ENTRY + EO_ATTR + ATTR_INO, le) : undefined,
      size: plus ? n64(dv, q + DP_ENTRY + EO_ATTR + ATTR_SIZE, le) : NaN,
      mode: plus ? dv.getUint32(q + DP_ENTRY + EO_ATTR + ATTR_MODE, le) : NaN,
      attrValidNs: plus ? validNs(dv, q + DP_ENTRY + EO_ATTR_VALID, q + DP_ENTRY + EO_ATTR_VALID_NSEC, le) : NaN,
    });
    pos = direntNext(pos, plus);
  }
  const r = x.result ?? new ReplyResult();
  r.entries = out;
  x.result = r;
}

// --- per-opcode functions -------------------------------------------------------------------

/**
 * What extractRequest/extractReply found of the message before handing it
 * to the opcode's function (one object, reused: the path is synchronous).
 * Offsets are absolute in `data`; `b` is the body's start.
 */
const R = {
  data: Buffer.alloc(0) as Buffer,
  dv: new DataView(new ArrayBuffer(0)) as DataView,
  /** Read as `R.le === true`, not handed to DataView reads bare: docs/speed.md, the truth tests. */
  le: true,
  b: 0,
  /** The header's len. */
  len: 0,
  minor: 0,
  /** Request: extension bytes at the end (total_extlen * 8). */
  extLen: 0,
  /** Request: the argument bytes, between the header and the extensions (what the opcode's lengths are checked against). */
  args: 0,
  /** Request: end of the arguments (before the extensions), and that end clipped to the captured bytes. */
  argEnd: 0,
  nameLimit: 0,
  /** Request: the arguments run past the captured bytes (a name without its NUL there was cut, see `requestName`). */
  cutNames: false,
  /** Reply: body length. */
  body: 0,
};

type ExtractFn = (x: Exchange, m: CaptureMessage, p: ConnProtocol) => void;

/** LOOKUP / UNLINK / RMDIR / REMOVEXATTR. */
function requestLookup(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { b } = R;
  x.name = requestName(x, b, Problem.NAME_UNTERMINATED, 'name');
}

/** FORGET. */
function requestForget(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_forget_in.size, 'fuse_forget_in', minor)) return;
  x.forgets = [x.nodeid, u64(dv, b + FG_NLOOKUP, le)];
}

/** GETATTR. */
function requestGetattr(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  if (args === 0) return; // < 7.9: no fuse_getattr_in
  if (!need(x, fuse_getattr_in.size, 'fuse_getattr_in', minor)) return;
  x.opFlags = dv.getUint32(b + GA_FLAGS, le);
  if (x.opFlags & FUSE_GETATTR_FH) x.fh = u64(dv, b + GA_FH, le);
}

/** SETATTR. */
function requestSetattr(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_setattr_in.size, 'fuse_setattr_in', minor)) return;
  x.opFlags = dv.getUint32(b + SA_VALID, le);
  if (x.opFlags & FATTR_FH) x.fh = u64(dv, b + SA_FH, le);
  if (x.opFlags & FATTR_SIZE) setSize(x, dv, b + SA_SIZE, le);
}

/** READLINK / STATFS / DESTROY. */
function requestReadlink(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
}

/** SYMLINK. */
function requestSymlink(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { b } = R;
  x.name = requestName(x, b, Problem.SYMLINK_NAME_UNTERMINATED, 'SYMLINK name');
  if (nameUnterminated) return;
  x.name2 = requestName(x, nameEnd, Problem.SYMLINK_TARGET_UNTERMINATED, 'SYMLINK target');
}

/** MKNOD. */
function requestMknod(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { b, minor } = R;
  const sz = sizeFor(MKNOD_IN_SIZES, minor);
  if (!need(x, sz, 'fuse_mknod_in', minor)) return;
  x.name = requestName(x, b + sz, Problem.NAME_UNTERMINATED, 'name');
}

/** MKDIR. */
function requestMkdir(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { b, minor } = R;
  if (!need(x, fuse_mkdir_in.size, 'fuse_mkdir_in', minor)) return;
  x.name = requestName(x, b + fuse_mkdir_in.size, Problem.NAME_UNTERMINATED, 'name');
}

/** RENAME / RENAME2. */
function requestRename(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  const two = x.opcode === Op.RENAME2;
  const sz = two ? fuse_rename2_in.size : fuse_rename_in.size;
  if (!need(x, sz, two ? 'fuse_rename2_in' : 'fuse_rename_in', minor)) return;
  x.node2 = u64(dv, b + (two ? RN2_NEWDIR : RN_NEWDIR), le);
  if (two) x.opFlags = dv.getUint32(b + RN2_FLAGS, le);
  x.name = requestName(x, b + sz, Problem.OLD_NAME_UNTERMINATED, 'old name');
  if (nameUnterminated) return;
  // A cut new name leaves name2 unknown beside a known old name: the state then knows what moved, not where to.
  x.name2 = requestName(x, nameEnd, Problem.NEW_NAME_UNTERMINATED, 'new name');
}

/** LINK. */
function requestLink(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_link_in.size, 'fuse_link_in', minor)) return;
  x.node2 = u64(dv, b + LN_OLD, le);
  x.name = requestName(x, b + fuse_link_in.size, Problem.NAME_UNTERMINATED, 'name');
}

/** OPEN / OPENDIR. */
function requestOpen(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_open_in.size, 'fuse_open_in', minor)) return;
  x.flags = dv.getUint32(b + OI_FLAGS, le);
  x.opFlags = fieldMinor(p) >= OI_OPEN_FLAGS_SINCE ? dv.getUint32(b + OI_OPEN_FLAGS, le) : 0;
}

/** READ / READDIR / READDIRPLUS. */
function requestRead(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  // Always 40 bytes from current kernels; 24 from pre-7.9 ones.
  const sz = minor < 9 && args < fuse_read_in.size ? 24 : fuse_read_in.size;
  if (!need(x, sz, 'fuse_read_in', minor)) return;
  x.fh = u64(dv, b + RD_FH, le);
  setOffset(x, dv, b + RD_OFFSET, le);
  x.size = dv.getUint32(b + RD_SIZE, le);
  x.opFlags = dv.getUint32(b + RD_RFLAGS, le);
  if (sz > RD_FLAGS) x.flags = dv.getUint32(b + RD_FLAGS, le);
  if (x.opcode === Op.READDIRPLUS && !p.negotiated) p.inferredReaddirplus = true;
}

/** WRITE. */
function requestWrite(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  const sz = writeInSize(dv, b, args, curCap - IN_HDR, le, p.negotiated, minor);
  if (!need(x, sz, 'fuse_write_in', minor)) return;
  x.fh = u64(dv, b + WR_FH, le);
  setOffset(x, dv, b + WR_OFFSET, le);
  x.size = dv.getUint32(b + WR_SIZE, le);
  x.opFlags = dv.getUint32(b + WR_WFLAGS, le);
  if (sz > WR_FLAGS) x.flags = dv.getUint32(b + WR_FLAGS, le);
  if (args - sz !== x.size) {
    note(x, Problem.WRITE_DATA_SIZE, args - sz, sz, minor, x.size);
  }
  if ((x.opFlags & FUSE_WRITE_CACHE) !== 0 && !p.negotiated) p.inferredWriteback = true;
}

/** RELEASE / RELEASEDIR. */
function requestRelease(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_release_in.size, 'fuse_release_in', minor)) return;
  x.fh = u64(dv, b + RL_FH, le);
  x.flags = dv.getUint32(b + RL_FLAGS, le);
  x.opFlags = dv.getUint32(b + RL_RFLAGS, le);
}

/** FSYNC / FSYNCDIR. */
function requestFsync(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_fsync_in.size, 'fuse_fsync_in', minor)) return;
  x.fh = u64(dv, b + FS_FH, le);
  x.opFlags = dv.getUint32(b + FS_FLAGS, le);
}

/** SETXATTR. */
function requestSetxattr(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { data, dv, b, args, minor, argEnd, nameLimit, cutNames } = R;
  const le = R.le === true;
  if (!need(x, 8, 'fuse_setxattr_in', minor)) return;
  const vsize = dv.getUint32(b + SX_XSIZE, le);
  const hl = setxattrHeaderLen(data, b, args, nameLimit - b, vsize, p.setxattrExt, minor);
  if (!need(x, hl, 'fuse_setxattr_in', minor)) return;
  x.size = vsize;
  x.opFlags = dv.getUint32(b + SX_XFLAGS, le);
  x.name = requestName(x, b + hl, Problem.NAME_UNTERMINATED, 'name');
  if (nameUnterminated) return;
  if (!cutNames && nameEnd + vsize !== argEnd) {
    note(x, Problem.SETXATTR_BODY, args, hl, nameEnd - b - hl, vsize);
  }
}

/** GETXATTR / LISTXATTR. */
function requestGetxattr(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_getxattr_in.size, 'fuse_getxattr_in', minor)) return;
  x.size = dv.getUint32(b + GX_SIZE, le);
  if (x.opcode === Op.GETXATTR) {
    x.name = requestName(x, b + fuse_getxattr_in.size, Problem.NAME_UNTERMINATED, 'name');
  }
}

/** FLUSH. */
function requestFlush(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_flush_in.size, 'fuse_flush_in', minor)) return;
  x.fh = u64(dv, b + FL_FH, le);
}

/** INIT. */
function requestInit(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { args } = R;
  const pr = p.applyInitRequest(m);
  if (pr) noteFound(x, pr);
  else if (args > fuse_init_in.size) note(x, Problem.INIT_REQUEST_LONG, args, fuse_init_in.size);
}

/** GETLK / SETLK / SETLKW. */
function requestGetlk(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, offsetOf(fuse_lk_in, 'lk_flags'), 'fuse_lk_in', minor)) return;
  x.fh = u64(dv, b + LK_FH, le);
  setOffset(x, dv, b + LK_LK + FLK_START, le);
  if (R.nameLimit - b >= fuse_lk_in.size) x.opFlags = dv.getUint32(b + LK_FLAGS, le);
}

/** ACCESS. */
function requestAccess(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_access_in.size, 'fuse_access_in', minor)) return;
  x.opFlags = dv.getUint32(b + AC_MASK, le);
}

/** CREATE / TMPFILE. */
function requestCreate(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  const sz = sizeFor(CREATE_IN_SIZES, minor);
  if (!need(x, sz, 'fuse_create_in', minor)) return;
  x.flags = dv.getUint32(b + CI_FLAGS, le);
  if (sz > CI_OPEN_FLAGS) x.opFlags = dv.getUint32(b + CI_OPEN_FLAGS, le);
  x.name = requestName(x, b + sz, Problem.NAME_UNTERMINATED, 'name');
}

/** INTERRUPT. */
function requestInterrupt(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_interrupt_in.size, 'fuse_interrupt_in', minor)) return;
  x.target = u64(dv, b + INT_UNIQUE, le);
}

/** BMAP. */
function requestBmap(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_bmap_in.size, 'fuse_bmap_in', minor)) return;
  setOffset(x, dv, b + BM_BLOCK, le);
  x.size = dv.getUint32(b + BM_BLOCKSIZE, le);
}

/** IOCTL. */
function requestIoctl(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_ioctl_in.size, 'fuse_ioctl_in', minor)) return;
  x.fh = u64(dv, b + IO_FH, le);
  x.opFlags = dv.getUint32(b + IO_FLAGS, le);
  x.size = dv.getUint32(b + IO_IN_SIZE, le);
  if (args - fuse_ioctl_in.size !== x.size) {
    note(x, Problem.IOCTL_INPUT_SIZE, args - fuse_ioctl_in.size, x.size);
  }
}

/** POLL. */
function requestPoll(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, offsetOf(fuse_poll_in, 'events'), 'fuse_poll_in', minor)) return;
  x.fh = u64(dv, b + PL_FH, le);
  x.opFlags = dv.getUint32(b + PL_FLAGS, le);
}

/** NOTIFY_REPLY. */
function requestNotifyReply(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_notify_retrieve_in.size, 'fuse_notify_retrieve_in', minor)) return;
  setOffset(x, dv, b + NR_OFFSET, le);
  x.size = dv.getUint32(b + NR_SIZE, le);
  if (args - fuse_notify_retrieve_in.size !== x.size) {
    note(x, Problem.NOTIFY_REPLY_DATA_SIZE, args - fuse_notify_retrieve_in.size, x.size);
  }
}

/** BATCH_FORGET. */
function requestBatchForget(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_batch_forget_in.size, 'fuse_batch_forget_in', minor)) return;
  const count = dv.getUint32(b + BF_COUNT, le);
  const want = fuse_batch_forget_in.size + count * fuse_forget_one.size;
  if (args < want) {
    note(x, Problem.BATCH_FORGET_COUNT, count, IN_HDR + want, IN_HDR + args);
    return;
  }
  const have = Math.min(count, Math.floor((curCap - IN_HDR - fuse_batch_forget_in.size) / fuse_forget_one.size));
  const f: Id[] = new Array<Id>(have * 2);
  let q = b + fuse_batch_forget_in.size;
  for (let i = 0; i < have; i++, q += fuse_forget_one.size) {
    f[2 * i] = u64(dv, q + F1_NODEID, le);
    f[2 * i + 1] = u64(dv, q + F1_NLOOKUP, le);
  }
  x.forgets = f;
  x.size = count;
  if (have < count) x.partial = true;
}

/** FALLOCATE. */
function requestFallocate(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_fallocate_in.size, 'fuse_fallocate_in', minor)) return;
  x.fh = u64(dv, b + FA_FH, le);
  setOffset(x, dv, b + FA_OFFSET, le);
  setSize(x, dv, b + FA_LENGTH, le);
  x.opFlags = dv.getUint32(b + FA_MODE, le);
}

/** LSEEK. */
function requestLseek(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_lseek_in.size, 'fuse_lseek_in', minor)) return;
  x.fh = u64(dv, b + LS_FH, le);
  setOffset(x, dv, b + LS_OFFSET, le);
  x.opFlags = dv.getUint32(b + LS_WHENCE, le);
}

/** COPY_FILE_RANGE / COPY_FILE_RANGE_64. */
function requestCopyFileRange(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_copy_file_range_in.size, 'fuse_copy_file_range_in', minor)) return;
  x.fh = u64(dv, b + CF_FH_OUT, le);
  x.node2 = u64(dv, b + CF_NODEID_OUT, le);
  setOffset(x, dv, b + CF_OFF_OUT, le);
  setSize(x, dv, b + CF_LEN, le);
  x.opFlags = n64(dv, b + CF_FLAGS, le);
}

/** SETUPMAPPING. */
function requestSetupmapping(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_setupmapping_in.size, 'fuse_setupmapping_in', minor)) return;
  x.fh = u64(dv, b + SM_FH, le);
  setOffset(x, dv, b + SM_FOFFSET, le);
  setSize(x, dv, b + SM_LEN, le);
  x.opFlags = n64(dv, b + SM_FLAGS, le);
}

/** REMOVEMAPPING. */
function requestRemovemapping(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, args, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_removemapping_in.size, 'fuse_removemapping_in', minor)) return;
  const count = dv.getUint32(b + RM_COUNT, le);
  x.size = count;
  if (args !== fuse_removemapping_in.size + count * fuse_removemapping_one.size) {
    note(x, Problem.REMOVEMAPPING_COUNT, count, IN_HDR + fuse_removemapping_in.size + count * fuse_removemapping_one.size, IN_HDR + args);
  }
}

/** SYNCFS. */
function requestSyncfs(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
}

/** STATX. */
function requestStatx(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_statx_in.size, 'fuse_statx_in', minor)) return;
  x.opFlags = dv.getUint32(b + SXI_FLAGS, le);
  if (x.opFlags & FUSE_GETATTR_FH) x.fh = u64(dv, b + SXI_FH, le);
}

/** CUSE_INIT. */
function requestCuseInit(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const pr = p.applyCuseInit(m, true);
  if (pr) noteFound(x, pr);
}

/** LOOKUP / MKNOD / MKDIR / SYMLINK / LINK / CREATE / TMPFILE. */
function replyLookup(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  const r = x.result ?? new ReplyResult();
  r.resultNodeid = u64(dv, b + EO_NODEID, le);
  r.attrIno = u64(dv, b + EO_ATTR + ATTR_INO, le);
  r.attrSize = n64(dv, b + EO_ATTR + ATTR_SIZE, le);
  r.attrMode = dv.getUint32(b + EO_ATTR + ATTR_MODE, le);
  r.attrValidNs = validNs(dv, b + EO_ATTR_VALID, b + EO_ATTR_VALID_NSEC, le);
  if (x.opcode === Op.CREATE || x.opcode === Op.TMPFILE) {
    const ob = b + sizeFor(ENTRY_OUT_SIZES, minor);
    r.resultFh = u64(dv, ob + OO_FH, le);
    r.openFlags = dv.getUint32(ob + OO_FLAGS, le);
    if ((r.openFlags & FOPEN_PASSTHROUGH) !== 0) r.backingId = dv.getInt32(ob + OO_BACKING_ID, le);
  }
  x.result = r;
}

/** GETATTR / SETATTR. */
function replyGetattr(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b } = R;
  const le = R.le === true;
  const r = x.result ?? new ReplyResult();
  r.attrIno = u64(dv, b + AO_ATTR + ATTR_INO, le);
  r.attrSize = n64(dv, b + AO_ATTR + ATTR_SIZE, le);
  r.attrMode = dv.getUint32(b + AO_ATTR + ATTR_MODE, le);
  r.attrValidNs = validNs(dv, b + AO_ATTR_VALID, b + AO_ATTR_VALID_NSEC, le);
  x.result = r;
}

/** STATX. */
function replyStatx(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b } = R;
  const le = R.le === true;
  const r = x.result ?? new ReplyResult();
  r.attrIno = u64(dv, b + SXO_STAT + SX_INO, le);
  r.attrSize = n64(dv, b + SXO_STAT + SX_SIZE, le);
  r.attrMode = dv.getUint16(b + SXO_STAT + SX_MODE, le);
  r.attrValidNs = validNs(dv, b + SXO_ATTR_VALID, b + SXO_ATTR_VALID_NSEC, le);
  x.result = r;
}

/** OPEN / OPENDIR. */
function replyOpen(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b } = R;
  const le = R.le === true;
  const r = x.result ?? new ReplyResult();
  r.resultFh = u64(dv, b + OO_FH, le);
  r.openFlags = dv.getUint32(b + OO_FLAGS, le);
  if ((r.openFlags & FOPEN_PASSTHROUGH) !== 0) r.backingId = dv.getInt32(b + OO_BACKING_ID, le);
  x.result = r;
}

/** WRITE / COPY_FILE_RANGE. */
function replyWrite(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b } = R;
  const le = R.le === true;
  x.resultSize = dv.getUint32(b + WO_SIZE, le);
}

/** COPY_FILE_RANGE_64. */
function replyCopyFileRange64(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b } = R;
  const le = R.le === true;
  x.resultSize = n64(dv, b + CFO_BYTES, le);
}

/** LSEEK. */
function replyLseek(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b } = R;
  const le = R.le === true;
  x.resultSize = n64(dv, b + LSO_OFFSET, le);
}

/** GETXATTR / LISTXATTR. */
function replyGetxattr(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, body } = R;
  const le = R.le === true;
  if (x.size === 0) x.resultSize = dv.getUint32(b + GXO_SIZE, le);
  else {
    x.resultSize = body;
    if (body > x.size) note(x, Problem.REPLY_OVER_REQUESTED, body, x.size);
  }
}

/** READ. */
function replyRead(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { body } = R;
  x.resultSize = body;
  if (body > x.size) note(x, Problem.REPLY_OVER_REQUESTED, body, x.size);
}

/** READLINK. */
function replyReadlink(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { body } = R;
  x.resultSize = body;
}

/** READDIR / READDIRPLUS. */
function replyReaddir(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { data, b, body } = R;
  const le = R.le === true;
  x.resultSize = body;
  if (body > x.size) { note(x, Problem.REPLY_OVER_REQUESTED, body, x.size); return; }
  readDirents(x, data, b, body, curCap - OUT_HDR, le, x.opcode === Op.READDIRPLUS);
}

/** IOCTL. */
function replyIoctl(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { dv, b, minor } = R;
  const le = R.le === true;
  if (!need(x, fuse_ioctl_out.size, 'fuse_ioctl_out', minor)) return;
  x.resultSize = (dv.getInt32(b + IOO_RESULT, le));
}

/** CUSE_INIT. */
function replyCuseInit(x: Exchange, m: CaptureMessage, p: ConnProtocol): void {
  const { minor, body } = R;
  if (!need(x, cuse_init_out.size, 'cuse_init_out', minor)) return;
  p.applyCuseInit(m, false);
  if (body > cuse_init_out.size + 4096) note(x, Problem.CUSE_INIT_INFO_LONG, body - cuse_init_out.size);
}

/** Opcodes below this index the function arrays; the rare larger ones (CUSE_INIT) a map. */
const SLOTS = 64;

/** Each opcode's request function, by code. */
const REQUEST_FNS: readonly (readonly [number, ExtractFn])[] = [
  [Op.LOOKUP, requestLookup],
  [Op.UNLINK, requestLookup],
  [Op.RMDIR, requestLookup],
  [Op.REMOVEXATTR, requestLookup],
  [Op.FORGET, requestForget],
  [Op.GETATTR, requestGetattr],
  [Op.SETATTR, requestSetattr],
  [Op.READLINK, requestReadlink],
  [Op.STATFS, requestReadlink],
  [Op.DESTROY, requestReadlink],
  [Op.SYMLINK, requestSymlink],
  [Op.MKNOD, requestMknod],
  [Op.MKDIR, requestMkdir],
  [Op.RENAME, requestRename],
  [Op.RENAME2, requestRename],
  [Op.LINK, requestLink],
  [Op.OPEN, requestOpen],
  [Op.OPENDIR, requestOpen],
  [Op.READ, requestRead],
  [Op.READDIR, requestRead],
  [Op.READDIRPLUS, requestRead],
  [Op.WRITE, requestWrite],
  [Op.RELEASE, requestRelease],
  [Op.RELEASEDIR, requestRelease],
  [Op.FSYNC, requestFsync],
  [Op.FSYNCDIR, requestFsync],
  [Op.SETXATTR, requestSetxattr],
  [Op.GETXATTR, requestGetxattr],
  [Op.LISTXATTR, requestGetxattr],
  [Op.FLUSH, requestFlush],
  [Op.INIT, requestInit],
  [Op.GETLK, requestGetlk],
  [Op.SETLK, requestGetlk],
  [Op.SETLKW, requestGetlk],
  [Op.ACCESS, requestAccess],
  [Op.CREATE, requestCreate],
  [Op.TMPFILE, requestCreate],
  [Op.INTERRUPT, requestInterrupt],
  [Op.BMAP, requestBmap],
  [Op.IOCTL, requestIoctl],
  [Op.POLL, requestPoll],
  [Op.NOTIFY_REPLY, requestNotifyReply],
  [Op.BATCH_FORGET, requestBatchForget],
  [Op.FALLOCATE, requestFallocate],
  [Op.LSEEK, requestLseek],
  [Op.COPY_FILE_RANGE, requestCopyFileRange],
  [Op.COPY_FILE_RANGE_64, requestCopyFileRange],
  [Op.SETUPMAPPING, requestSetupmapping],
  [Op.REMOVEMAPPING, requestRemovemapping],
  [Op.SYNCFS, requestSyncfs],
  [Op.STATX, requestStatx],
  [Op.CUSE_INIT, requestCuseInit],
];
const REQUEST: (ExtractFn | undefined)[] = new Array<ExtractFn | undefined>(SLOTS).fill(undefined);
const FAR_REQUEST = new Map<number, ExtractFn>();
for (const [code, fn] of REQUEST_FNS) {
  if (code < SLOTS) REQUEST[code] = fn;
  else FAR_REQUEST.set(code, fn);
}

/** Each opcode's reply function, by code (run once the reply's size is known to be right). */
const REPLY_FNS: readonly (readonly [number, ExtractFn])[] = [
  [Op.LOOKUP, replyLookup],
  [Op.MKNOD, replyLookup],
  [Op.MKDIR, replyLookup],
  [Op.SYMLINK, replyLookup],
  [Op.LINK, replyLookup],
  [Op.CREATE, replyLookup],
  [Op.TMPFILE, replyLookup],
  [Op.GETATTR, replyGetattr],
  [Op.SETATTR, replyGetattr],
  [Op.STATX, replyStatx],
  [Op.OPEN, replyOpen],
  [Op.OPENDIR, replyOpen],
  [Op.WRITE, replyWrite],
  [Op.COPY_FILE_RANGE, replyWrite],
  [Op.COPY_FILE_RANGE_64, replyCopyFileRange64],
  [Op.LSEEK, replyLseek],
  [Op.GETXATTR, replyGetxattr],
  [Op.LISTXATTR, replyGetxattr],
  [Op.READ, replyRead],
  [Op.READLINK, replyReadlink],
  [Op.READDIR, replyReaddir],
  [Op.READDIRPLUS, replyReaddir],
  [Op.IOCTL, replyIoctl],
  [Op.CUSE_INIT, replyCuseInit],
];
const REPLY: (ExtractFn | undefined)[] = new Array<ExtractFn | undefined>(SLOTS).fill(undefined);
const FAR_REPLY = new Map<number, ExtractFn>();
for (const [code, fn] of REPLY_FNS) {
  if (code < SLOTS) REPLY[code] = fn;
  else FAR_REPLY.set(code, fn);
}

/** A notification (daemon -> kernel, unique 0), with the fields the analysis reads. */
export interface NotifyEvent {
  /** Notification code (the header's `error`). */
  code: number;
  /** Kernel name without prefix (`INVAL_INODE`), or `?0x..` when unknown. */
  name: string;
  conn: number;
  t: number;
  /** INVAL_INODE ino, STORE/RETRIEVE nodeid. */
  nodeid?: Id;
  /** INVAL_ENTRY / DELETE parent, DELETE child. */
  parent?: Id;
  child?: Id;
  /** INVAL_INODE off (may be negative), STORE/RETRIEVE offset. */
  offset?: number;
  /** INVAL_INODE len (<= 0: to EOF). */
  len?: number;
  /** STORE/RETRIEVE size. */
  size?: number;
  /** INVAL_ENTRY / DELETE entry name; undefined when the snap length cut it (`nameCaptured`). */
  entryName?: string;
  /** INVAL_ENTRY / DELETE: the captured start of a name the snap length cut (printed, never taken for the name). */
  nameCaptured?: string;
  /** INVAL_ENTRY flags (FUSE_EXPIRE_ONLY). */
  flags?: number;
  /** RETRIEVE notify_unique (the unique of the NOTIFY_REPLY that answers it). */
  notifyUnique?: Id;
  /** POLL kh. */
  kh?: Id;
  /** PRUNE nodeids. */
  nodeids?: Id[];
  /** Malformed or truncated (protocol/problems.ts), the first found. */
  problem?: ProblemNote;
}

function i64n(b: Buffer, pos: number, le: boolean): number {
  return Number(le ? b.readBigInt64LE(pos) : b.readBigInt64BE(pos));
}

/** Decodes a notification's fields and checks its body length (§2.2). */
export function extractNotify(m: CaptureMessage, p: ConnProtocol): NotifyEvent {
  const { data, off } = m;
  const le = m.le === true;
  const dv = viewOf(data);
  void p;
  const code = m.capLen >= 8 ? (dv.getInt32(off + 4, le)) : 0;
  const ev: NotifyEvent = { code, name: notifyName(code), conn: m.conn, t: m.t };
  if (m.capLen < OUT_HDR) { noteProblem(ev, Problem.OUT_HEADER_SHORT, m.capLen); return ev; }
  const len = dv.getUint32(off, le);
  const body = len - OUT_HDR;
  const cap = Math.min(m.capLen, len) - OUT_HDR;
  const b = off + OUT_HDR;
  const needN = (size: number, what: string): boolean => {
    if (body < size) { noteProblem(ev, Problem.NOTIFY_SHORT, len, OUT_HDR + size, what); return false; }
    if (cap < size) { noteProblem(ev, Problem.STRUCT_CUT, cap + OUT_HDR, len, what, OUT_HDR + size); return false; }
    return true;
  };
  const exact = (want: number, what: string): void => {
    if (body !== want) noteProblem(ev, Problem.NOTIFY_BODY_SIZE, body, what, want);
  };
  if (code <= 0) {
    noteProblem(ev, Problem.NOTIFY_NOT_NOTIFICATION, code);
    return ev;
  }
  switch (code) {
    case Notify.POLL:
      if (!needN(fuse_notify_poll_wakeup_out.size, 'fuse_notify_poll_wakeup_out')) return ev;
      ev.kh = u64(dv, b, le);
      exact(8, 'fuse_notify_poll_wakeup_out');
      return ev;
    case Notify.INVAL_INODE:
      if (!needN(fuse_notify_inval_inode_out.size, 'fuse_notify_inval_inode_out')) return ev;
      ev.nodeid = u64(dv, b + offsetOf(fuse_notify_inval_inode_out, 'ino'), le);
      ev.offset = i64n(data, b + offsetOf(fuse_notify_inval_inode_out, 'off'), le);
      ev.len = i64n(data, b + offsetOf(fuse_notify_inval_inode_out, 'len'), le);
      exact(24, 'fuse_notify_inval_inode_out');
      return ev;
    case Notify.INVAL_ENTRY: case Notify.DELETE: {
      const l = code === Notify.DELETE ? fuse_notify_delete_out : fuse_notify_inval_entry_out;
      if (!needN(l.size, l.name)) return ev;
      ev.parent = u64(dv, b + offsetOf(l, 'parent'), le);
      const namelen = dv.getUint32(b + offsetOf(l, 'namelen'), le);
      if (code === Notify.DELETE) ev.child = u64(dv, b + offsetOf(fuse_notify_delete_out, 'child'), le);
      else ev.flags = dv.getUint32(b + offsetOf(fuse_notify_inval_entry_out, 'flags'), le);
      const s = b + l.size;
      const e = Math.min(s + namelen, b + cap);
      exact(l.size + namelen + 1, `${l.name} + name (${namelen}) + NUL`);
      if (l.size + namelen > cap && l.size + namelen <= body) {
        // namelen says how long the name is: bytes of it in the body but past the capture leave it unknown.
        ev.nameCaptured = nameText(data, s, e);
        noteProblem(ev, Problem.NAME_CUT, 'name', e - s);
        return ev;
      }
      ev.entryName = nameText(data, s, e);
      if (ev.problem === undefined && cap >= l.size + namelen + 1 && data[s + namelen] !== 0) noteProblem(ev, Problem.NAME_UNTERMINATED);
      return ev;
    }
    case Notify.STORE:
      if (!needN(fuse_notify_store_out.size, 'fuse_notify_store_out')) return ev;
      ev.nodeid = u64(dv, b, le);
      ev.offset = n64(dv, b + offsetOf(fuse_notify_store_out, 'offset'), le);
      ev.size = dv.getUint32(b + offsetOf(fuse_notify_store_out, 'size'), le);
      exact(24 + ev.size, `fuse_notify_store_out + ${ev.size} data bytes`);
      return ev;
    case Notify.RETRIEVE:
      if (!needN(fuse_notify_retrieve_out.size, 'fuse_notify_retrieve_out')) return ev;
      ev.notifyUnique = u64(dv, b, le);
      ev.nodeid = u64(dv, b + offsetOf(fuse_notify_retrieve_out, 'nodeid'), le);
      ev.offset = n64(dv, b + offsetOf(fuse_notify_retrieve_out, 'offset'), le);
      ev.size = dv.getUint32(b + offsetOf(fuse_notify_retrieve_out, 'size'), le);
      exact(32, 'fuse_notify_retrieve_out');
      return ev;
    case Notify.RESEND: case Notify.INC_EPOCH:
      exact(0, `${ev.name} (no body)`);
      return ev;
    case Notify.PRUNE: {
      if (!needN(fuse_notify_prune_out.size, 'fuse_notify_prune_out')) return ev;
      const count = dv.getUint32(b, le);
      exact(16 + 8 * count, `fuse_notify_prune_out + ${count} nodeids`);
      if (ev.problem !== undefined) return ev;
      const have = Math.min(count, Math.floor((cap - 16) / 8));
      const ids: Id[] = [];
      for (let i = 0; i < have; i++) ids.push(u64(dv, b + 16 + 8 * i, le));
      ev.nodeids = ids;
      return ev;
    }
    default:
      noteProblem(ev, Problem.NOTIFY_UNKNOWN, code);
      return ev;
  }
}

