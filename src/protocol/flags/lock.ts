/**
 * Lock flags and types: FUSE_LK_FLOCK and the fcntl lock types of fuse_file_lock.
 * Sources: include/uapi/linux/fuse.h 7.45; include/uapi/asm-generic/fcntl.h (Linux values).
 */
import type { EnumSet, FlagSet } from '../layout.js';

export const LK_FLAGS: FlagSet = {
  name: 'lk_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_LK_FLOCK (7.17)',
  bits: [[0, 'FUSE_LK_FLOCK', 17]],
};

export const LOCK_TYPES: EnumSet = {
  name: 'lock_type',
  source: 'include/uapi/asm-generic/fcntl.h, Linux 6.18, F_RDLCK/F_WRLCK/F_UNLCK',
  values: new Map([[0, 'F_RDLCK'], [1, 'F_WRLCK'], [2, 'F_UNLCK']]),
};
