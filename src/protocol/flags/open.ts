/**
 * open(2) flags as FUSE carries them (open_in/create_in/read_in/write_in/
 * release_in `flags`), FOPEN_* reply flags, FUSE_OPEN_*, RELEASE and FSYNC flags.
 * Sources: include/uapi/asm-generic/fcntl.h (x86-64 values; arm64 differs for
 * O_DIRECT/O_DIRECTORY/O_NOFOLLOW/O_LARGEFILE) and include/uapi/linux/fuse.h 7.45.
 */
import { flagMask, formatFlags, type EnumSet, type FlagSet } from '../layout.js';

/** open(2) flags other than the access mode (bits 0-1). x86-64 values. */
export const OPEN_FLAGS: FlagSet = {
  name: 'open_flags',
  source: 'include/uapi/asm-generic/fcntl.h, Linux 6.18, x86-64; bit 5 is the kernel-internal __FMODE_EXEC (include/linux/fs.h)',
  bits: [
    [5, '__FMODE_EXEC'],
    [6, 'O_CREAT'],
    [7, 'O_EXCL'],
    [8, 'O_NOCTTY'],
    [9, 'O_TRUNC'],
    [10, 'O_APPEND'],
    [11, 'O_NONBLOCK'],
    [12, 'O_DSYNC'],
    [13, 'FASYNC'],
    [14, 'O_DIRECT'],
    [15, 'O_LARGEFILE'],
    [16, 'O_DIRECTORY'],
    [17, 'O_NOFOLLOW'],
    [18, 'O_NOATIME'],
    [19, 'O_CLOEXEC'],
    [20, '__O_SYNC'],
    [21, 'O_PATH'],
    [22, '__O_TMPFILE'],
  ],
};

/** Access mode (flags & O_ACCMODE). */
export const O_ACCMODE: EnumSet = {
  name: 'accmode',
  source: 'include/uapi/asm-generic/fcntl.h, Linux 6.18',
  values: new Map([[0, 'O_RDONLY'], [1, 'O_WRONLY'], [2, 'O_RDWR'], [3, 'O_ACCMODE']]),
};

export const O_DIRECT = flagMask(OPEN_FLAGS, 'O_DIRECT');
export const O_TRUNC = flagMask(OPEN_FLAGS, 'O_TRUNC');

/** `O_WRONLY|O_APPEND|O_LARGEFILE`: the access mode always first, by name. */
export function formatOpenFlags(v: number): string {
  const acc = O_ACCMODE.values.get(v & 3)!;
  const rest = v & ~3;
  return rest === 0 ? acc : `${acc}|${formatFlags(OPEN_FLAGS, rest >>> 0)}`;
}

/** fuse_open_out.open_flags. */
export const FOPEN_FLAGS: FlagSet = {
  name: 'fopen_flags',
  source: 'include/uapi/linux/fuse.h 7.45 (Linux 6.18), FOPEN_*',
  bits: [
    [0, 'FOPEN_DIRECT_IO', 2],
    [1, 'FOPEN_KEEP_CACHE', 2],
    [2, 'FOPEN_NONSEEKABLE', 10],
    [3, 'FOPEN_CACHE_DIR', 28],
    [4, 'FOPEN_STREAM'],
    [5, 'FOPEN_NOFLUSH', 35],
    [6, 'FOPEN_PARALLEL_DIRECT_WRITES', 38],
    [7, 'FOPEN_PASSTHROUGH', 40],
  ],
};

export const FOPEN_DIRECT_IO = flagMask(FOPEN_FLAGS, 'FOPEN_DIRECT_IO');
export const FOPEN_PARALLEL_DIRECT_WRITES = flagMask(FOPEN_FLAGS, 'FOPEN_PARALLEL_DIRECT_WRITES');
/** backing_id holds the id of a BACKING_OPEN (7.40). */
export const FOPEN_PASSTHROUGH = flagMask(FOPEN_FLAGS, 'FOPEN_PASSTHROUGH');

/** fuse_open_in.open_flags / fuse_create_in.open_flags. */
export const FUSE_OPEN_IN_FLAGS: FlagSet = {
  name: 'open_in_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_OPEN_KILL_SUIDGID (7.33)',
  bits: [[0, 'FUSE_OPEN_KILL_SUIDGID', 33]],
};

/** fuse_release_in.release_flags. */
export const RELEASE_FLAGS: FlagSet = {
  name: 'release_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_RELEASE_*',
  bits: [[0, 'FUSE_RELEASE_FLUSH'], [1, 'FUSE_RELEASE_FLOCK_UNLOCK', 17]],
};

/** fuse_fsync_in.fsync_flags. */
export const FSYNC_FLAGS: FlagSet = {
  name: 'fsync_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_FSYNC_FDATASYNC',
  bits: [[0, 'FUSE_FSYNC_FDATASYNC']],
};
