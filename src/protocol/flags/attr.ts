/**
 * Attribute-related flags: FATTR_* (setattr valid), FUSE_GETATTR_*, FUSE_ATTR_*
 * (fuse_attr.flags), statx masks, and the file type in a mode (S_IFMT).
 * Sources: include/uapi/linux/fuse.h 7.45 (Linux 6.18), include/uapi/linux/stat.h.
 */
import { enumValue, flagMask, type EnumSet, type FlagSet } from '../layout.js';

export const FATTR_FLAGS: FlagSet = {
  name: 'setattr_valid',
  source: 'include/uapi/linux/fuse.h 7.45 (Linux 6.18), FATTR_*',
  bits: [
    [0, 'FATTR_MODE'], [1, 'FATTR_UID'], [2, 'FATTR_GID'], [3, 'FATTR_SIZE'], [4, 'FATTR_ATIME'],
    [5, 'FATTR_MTIME'], [6, 'FATTR_FH', 3], [7, 'FATTR_ATIME_NOW', 9], [8, 'FATTR_MTIME_NOW', 9],
    [9, 'FATTR_LOCKOWNER', 9], [10, 'FATTR_CTIME', 23], [11, 'FATTR_KILL_SUIDGID', 33],
  ],
};
export const FATTR_SIZE = flagMask(FATTR_FLAGS, 'FATTR_SIZE');
export const FATTR_FH = flagMask(FATTR_FLAGS, 'FATTR_FH');

export const GETATTR_FLAGS: FlagSet = {
  name: 'getattr_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_GETATTR_FH (7.9)',
  bits: [[0, 'FUSE_GETATTR_FH', 9]],
};
export const FUSE_GETATTR_FH = flagMask(GETATTR_FLAGS, 'FUSE_GETATTR_FH');

export const ATTR_FLAGS: FlagSet = {
  name: 'attr_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_ATTR_SUBMOUNT (7.32), FUSE_ATTR_DAX (7.32)',
  bits: [[0, 'FUSE_ATTR_SUBMOUNT', 32], [1, 'FUSE_ATTR_DAX', 32]],
};

/** statx(2) mask bits (fuse_statx_in.sx_mask, fuse_statx.mask). */
export const STATX_MASK: FlagSet = {
  name: 'statx_mask',
  source: 'include/uapi/linux/stat.h, Linux 6.18, STATX_*',
  bits: [
    [0, 'STATX_TYPE'], [1, 'STATX_MODE'], [2, 'STATX_NLINK'], [3, 'STATX_UID'], [4, 'STATX_GID'],
    [5, 'STATX_ATIME'], [6, 'STATX_MTIME'], [7, 'STATX_CTIME'], [8, 'STATX_INO'], [9, 'STATX_SIZE'],
    [10, 'STATX_BLOCKS'], [11, 'STATX_BTIME'], [12, 'STATX_MNT_ID'], [13, 'STATX_DIOALIGN'],
    [14, 'STATX_MNT_ID_UNIQUE'], [15, 'STATX_SUBVOL'], [16, 'STATX_WRITE_ATOMIC'], [17, 'STATX_DIO_READ_ALIGN'],
  ],
};

/** AT_STATX_* sync flags in fuse_statx_in.sx_flags (with other AT_* bits). */
export const STATX_SX_FLAGS: FlagSet = {
  name: 'sx_flags',
  source: 'include/uapi/linux/fcntl.h, Linux 6.18',
  bits: [[8, 'AT_SYMLINK_NOFOLLOW'], [11, 'AT_NO_AUTOMOUNT'], [12, 'AT_EMPTY_PATH'], [13, 'AT_STATX_FORCE_SYNC'], [14, 'AT_STATX_DONT_SYNC']],
};

/** The file-type bits of a mode. */
export const S_IFMT = 0o170000;

/** File type: (mode & S_IFMT) >> 12. */
export const S_IFMT_TYPES: EnumSet = {
  name: 'file_type',
  source: 'include/uapi/linux/stat.h, Linux 6.18, S_IF*',
  values: new Map([[1, 'S_IFIFO'], [2, 'S_IFCHR'], [4, 'S_IFDIR'], [6, 'S_IFBLK'], [8, 'S_IFREG'], [10, 'S_IFLNK'], [12, 'S_IFSOCK']]),
};
/** The type bits of a regular file. */
export const S_IFREG = enumValue(S_IFMT_TYPES, 'S_IFREG') << 12;

/** `S_IFREG|0644`; a mode without a type is just octal (`0755`). */
export function formatMode(mode: number): string {
  const t = (mode >>> 12) & 0xf;
  const perm = '0' + (mode & 0o7777).toString(8).padStart(3, '0');
  if (t === 0) return perm;
  const name = S_IFMT_TYPES.values.get(t) ?? `?0x${(t << 12).toString(16)}`;
  return `${name}|${perm}`;
}
