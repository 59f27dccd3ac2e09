/**
 * INIT flags: the 64-bit value `flags | flags2 << 32` of fuse_init_in /
 * fuse_init_out (fuse-protocol.md §3.6), and the CUSE_INIT flags.
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18); first minors
 * from the header's changelog.
 */
import { flagBit, type FlagSet } from '../layout.js';

export const FUSE_INIT_FLAGS: FlagSet = {
  name: 'init_flags',
  source: 'include/uapi/linux/fuse.h 7.45 (Linux 6.18), FUSE_ASYNC_READ ... FUSE_REQUEST_TIMEOUT',
  bits: [
    [0, 'FUSE_ASYNC_READ'],
    [1, 'FUSE_POSIX_LOCKS', 7],
    [2, 'FUSE_FILE_OPS'],
    [3, 'FUSE_ATOMIC_O_TRUNC', 9],
    [4, 'FUSE_EXPORT_SUPPORT', 10],
    [5, 'FUSE_BIG_WRITES', 9],
    [6, 'FUSE_DONT_MASK', 12],
    [7, 'FUSE_SPLICE_WRITE', 14],
    [8, 'FUSE_SPLICE_MOVE', 14],
    [9, 'FUSE_SPLICE_READ', 14],
    [10, 'FUSE_FLOCK_LOCKS', 17],
    [11, 'FUSE_HAS_IOCTL_DIR', 18],
    [12, 'FUSE_AUTO_INVAL_DATA', 20],
    [13, 'FUSE_DO_READDIRPLUS', 21],
    [14, 'FUSE_READDIRPLUS_AUTO', 21],
    [15, 'FUSE_ASYNC_DIO', 22],
    [16, 'FUSE_WRITEBACK_CACHE', 23],
    [17, 'FUSE_NO_OPEN_SUPPORT', 23],
    [18, 'FUSE_PARALLEL_DIROPS', 25],
    [19, 'FUSE_HANDLE_KILLPRIV', 26],
    [20, 'FUSE_POSIX_ACL', 26],
    [21, 'FUSE_ABORT_ERROR', 27],
    [22, 'FUSE_MAX_PAGES', 28],
    [23, 'FUSE_CACHE_SYMLINKS', 28],
    [24, 'FUSE_NO_OPENDIR_SUPPORT', 29],
    [25, 'FUSE_EXPLICIT_INVAL_DATA', 30],
    [26, 'FUSE_MAP_ALIGNMENT', 31],
    [27, 'FUSE_SUBMOUNTS', 32],
    [28, 'FUSE_HANDLE_KILLPRIV_V2', 33],
    [29, 'FUSE_SETXATTR_EXT', 33],
    [30, 'FUSE_INIT_EXT', 36],
    [31, 'FUSE_INIT_RESERVED'],
    [32, 'FUSE_SECURITY_CTX', 36],
    [33, 'FUSE_HAS_INODE_DAX', 36],
    [34, 'FUSE_CREATE_SUPP_GROUP', 38],
    [35, 'FUSE_HAS_EXPIRE_ONLY', 38],
    [36, 'FUSE_DIRECT_IO_ALLOW_MMAP', 39],
    [37, 'FUSE_PASSTHROUGH', 40],
    [38, 'FUSE_NO_EXPORT_SUPPORT', 40],
    [39, 'FUSE_HAS_RESEND', 40],
    [40, 'FUSE_ALLOW_IDMAP', 41],
    [41, 'FUSE_OVER_IO_URING', 42],
    [42, 'FUSE_REQUEST_TIMEOUT', 43],
  ],
};

/** The INIT flags the code tests directly (FUSE_ prefix dropped). */
const TESTED_INIT_FLAGS = [
  'ASYNC_READ', 'POSIX_LOCKS', 'ATOMIC_O_TRUNC', 'BIG_WRITES', 'FLOCK_LOCKS', 'AUTO_INVAL_DATA',
  'DO_READDIRPLUS', 'ASYNC_DIO', 'WRITEBACK_CACHE', 'PARALLEL_DIROPS', 'MAX_PAGES',
  'EXPLICIT_INVAL_DATA', 'SETXATTR_EXT', 'INIT_EXT', 'SECURITY_CTX', 'CREATE_SUPP_GROUP',
  'DIRECT_IO_ALLOW_MMAP', 'PASSTHROUGH', 'HAS_RESEND', 'OVER_IO_URING', 'REQUEST_TIMEOUT',
] as const;

/** Bit numbers of those flags (`InitBit.ASYNC_DIO` is 15), read from the table above. */
export const InitBit = Object.fromEntries(TESTED_INIT_FLAGS.map((n) => [n, flagBit(FUSE_INIT_FLAGS, `FUSE_${n}`)])) as Readonly<Record<(typeof TESTED_INIT_FLAGS)[number], number>>;

/** cuse_init_in/out flags. Source: include/uapi/linux/fuse.h 7.45. */
export const CUSE_INIT_FLAGS: FlagSet = {
  name: 'cuse_flags',
  source: 'include/uapi/linux/fuse.h 7.45 (Linux 6.18), CUSE_UNRESTRICTED_IOCTL',
  bits: [[0, 'CUSE_UNRESTRICTED_IOCTL']],
};
