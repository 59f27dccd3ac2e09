/**
 * The three body rules that both the hot-path extract (extract.ts) and the
 * full decode (decode.ts) need, written once: how long the SETXATTR header
 * is, how long a WRITE's fuse_write_in is when no INIT was seen, and how
 * the records of a READDIR(PLUS) reply are walked (fuse-protocol.md §3.4,
 * §3.6, §3.8, §4.3). Positions are absolute offsets into `data`.
 */
import { fuse_dirent, fuse_direntplus } from './layouts/dir.js';
import { sizeAt } from './layouts/index.js';
import { fuse_write_in } from './layouts/io.js';

/**
 * Length of fuse_setxattr_in: 16 with FUSE_SETXATTR_EXT, 8 without
 * (`ext`); when not known (no INIT seen), the one for which header + name
 * + NUL + value fill the `args` argument bytes (`avail` of them captured),
 * else the size the minor suggests.
 */
export function setxattrHeaderLen(data: Buffer, b: number, args: number, avail: number, vsize: number, ext: boolean | undefined, minor: number): number {
  if (ext !== undefined) return ext ? 16 : 8;
  for (let hl = 16; hl >= 8; hl -= 8) {
    if (hl > avail) continue;
    let i = b + hl;
    const end = b + avail;
    while (i < end && data[i] !== 0) i++;
    if (i < end && i + 1 - b + vsize === args) return hl;
  }
  return minor >= 33 ? 16 : 8;
}

/** FUSE_COMPAT_WRITE_IN_SIZE: fuse_write_in before 7.9. */
const WRITE_IN_COMPAT = 24;
const WRITE_SIZE_AT = fuse_write_in.offsets.size ?? 16;
const WRITE_IN_BY_MINOR = Int32Array.from({ length: 128 }, (_, minor) => sizeAt(fuse_write_in, minor));

/**
 * Size of a WRITE's fuse_write_in. Without INIT the message describes
 * itself: the data after the header must be write_in.size bytes, so a
 * 24-byte header is recognised when that holds for 24 and not for 40.
 */
export function writeInSize(dv: DataView, b: number, args: number, avail: number, le: boolean, negotiated: boolean, minor: number): number {
  const sz = minor >= 0 && minor < WRITE_IN_BY_MINOR.length ? (WRITE_IN_BY_MINOR[minor] ?? fuse_write_in.size) : sizeAt(fuse_write_in, minor);
  if (negotiated || args < WRITE_IN_COMPAT || avail < WRITE_IN_COMPAT) return sz;
  const size = dv.getUint32(b + WRITE_SIZE_AT, le);
  return args - fuse_write_in.size !== size && args - WRITE_IN_COMPAT === size ? WRITE_IN_COMPAT : sz;
}

/** FUSE_NAME_MAX: the kernel rejects longer dirent names. */
export const DIRENT_NAME_MAX = 1024;

/** What `direntAt` found at a record position. */
export const Dirent = {
  /** A whole record: its fixed part and name are in the body and captured. */
  OK: 0,
  /** The fixed part runs past the body (malformed). */
  FIXED_OVERRUNS: 1,
  /** The fixed part is in the body but not all captured (snapped). */
  FIXED_CUT: 2,
  /** namelen is 0 or past DIRENT_NAME_MAX (malformed). */
  BAD_NAMELEN: 3,
  /** The name runs past the body (malformed). */
  NAME_OVERRUNS: 4,
  /** The name is in the body but not all captured (snapped). */
  NAME_CUT: 5,
} as const;

/** namelen of the record `direntAt` looked at last (set when its fixed part was read). */
export let direntNamelen = 0;

const DIRENT_NAMELEN_AT = fuse_dirent.offsets.namelen ?? 16;
const DIRENTPLUS_NAMELEN_AT = (fuse_direntplus.offsets.dirent ?? 128) + DIRENT_NAMELEN_AT;

/** Size of a record's fixed part (the name follows it). */
export function direntFixed(plus: boolean): number {
  return plus ? fuse_direntplus.size : fuse_dirent.size;
}

/**
 * Checks the record at body position `pos` of a `body`-byte reply body
 * starting at `b`, of which `cap` bytes were captured; sets `direntNamelen`.
 * The next record starts at `direntNext(pos, plus)`.
 */
export function direntAt(dv: DataView, b: number, pos: number, body: number, cap: number, le: boolean, plus: boolean): number {
  const fixed = plus ? fuse_direntplus.size : fuse_dirent.size;
  if (pos + fixed > body) return Dirent.FIXED_OVERRUNS;
  if (pos + fixed > cap) return Dirent.FIXED_CUT;
  const namelen = dv.getUint32(b + pos + (plus ? DIRENTPLUS_NAMELEN_AT : DIRENT_NAMELEN_AT), le);
  direntNamelen = namelen;
  if (namelen === 0 || namelen > DIRENT_NAME_MAX) return Dirent.BAD_NAMELEN;
  if (pos + fixed + namelen > body) return Dirent.NAME_OVERRUNS;
  if (pos + fixed + namelen > cap) return Dirent.NAME_CUT;
  return Dirent.OK;
}

/** Body position of the record after the one at `pos` (records are 8-byte aligned). */
export function direntNext(pos: number, plus: boolean): number {
  return pos + ((direntFixed(plus) + direntNamelen + 7) & ~7);
}
