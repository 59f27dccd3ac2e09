/**
 * Flags of the I/O requests: READ/WRITE flags, FALLOC_FL_*, whence, POLL,
 * IOCTL, SETUPMAPPING flags.
 * Sources: include/uapi/linux/fuse.h 7.45 (Linux 6.18); include/uapi/linux/falloc.h
 * and include/uapi/linux/fs.h (SEEK_*) of Linux 6.18.
 */
import { flagMask, type EnumSet, type FlagSet } from '../layout.js';

export const WRITE_FLAGS: FlagSet = {
  name: 'write_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_WRITE_* (KILL_SUIDGID was KILL_PRIV in 7.31)',
  bits: [[0, 'FUSE_WRITE_CACHE'], [1, 'FUSE_WRITE_LOCKOWNER', 9], [2, 'FUSE_WRITE_KILL_SUIDGID', 31]],
};
export const FUSE_WRITE_CACHE = flagMask(WRITE_FLAGS, 'FUSE_WRITE_CACHE');

export const READ_FLAGS: FlagSet = {
  name: 'read_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_READ_LOCKOWNER (7.9)',
  bits: [[1, 'FUSE_READ_LOCKOWNER', 9]],
};

export const FALLOC_FLAGS: FlagSet = {
  name: 'fallocate_mode',
  source: 'include/uapi/linux/falloc.h, Linux 6.18 (FALLOC_FL_WRITE_ZEROES since 6.17)',
  bits: [
    [0, 'FALLOC_FL_KEEP_SIZE'], [1, 'FALLOC_FL_PUNCH_HOLE'], [2, 'FALLOC_FL_NO_HIDE_STALE'],
    [3, 'FALLOC_FL_COLLAPSE_RANGE'], [4, 'FALLOC_FL_ZERO_RANGE'], [5, 'FALLOC_FL_INSERT_RANGE'],
    [6, 'FALLOC_FL_UNSHARE_RANGE'], [7, 'FALLOC_FL_WRITE_ZEROES'],
  ],
};
export const FALLOC_FL_KEEP_SIZE = flagMask(FALLOC_FLAGS, 'FALLOC_FL_KEEP_SIZE');

export const WHENCE: EnumSet = {
  name: 'whence',
  source: 'include/uapi/linux/fs.h, Linux 6.18, SEEK_*',
  values: new Map([[0, 'SEEK_SET'], [1, 'SEEK_CUR'], [2, 'SEEK_END'], [3, 'SEEK_DATA'], [4, 'SEEK_HOLE']]),
};

export const POLL_FLAGS: FlagSet = {
  name: 'poll_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_POLL_SCHEDULE_NOTIFY',
  bits: [[0, 'FUSE_POLL_SCHEDULE_NOTIFY']],
};

/** poll(2) events (fuse_poll_in.events, fuse_poll_out.revents). */
export const POLL_EVENTS: FlagSet = {
  name: 'poll_events',
  source: 'include/uapi/asm-generic/poll.h, Linux 6.18',
  bits: [
    [0, 'POLLIN'], [1, 'POLLPRI'], [2, 'POLLOUT'], [3, 'POLLERR'], [4, 'POLLHUP'], [5, 'POLLNVAL'],
    [6, 'POLLRDNORM'], [7, 'POLLRDBAND'], [8, 'POLLWRNORM'], [9, 'POLLWRBAND'], [10, 'POLLMSG'], [13, 'POLLRDHUP'],
  ],
};

export const IOCTL_FLAGS: FlagSet = {
  name: 'ioctl_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_IOCTL_*',
  bits: [
    [0, 'FUSE_IOCTL_COMPAT'], [1, 'FUSE_IOCTL_UNRESTRICTED'], [2, 'FUSE_IOCTL_RETRY'],
    [3, 'FUSE_IOCTL_32BIT', 16], [4, 'FUSE_IOCTL_DIR', 18], [5, 'FUSE_IOCTL_COMPAT_X32', 30],
  ],
};
export const FUSE_IOCTL_RETRY = flagMask(IOCTL_FLAGS, 'FUSE_IOCTL_RETRY');

export const SETUPMAPPING_FLAGS: FlagSet = {
  name: 'setupmapping_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_SETUPMAPPING_FLAG_*',
  bits: [[0, 'FUSE_SETUPMAPPING_FLAG_WRITE'], [1, 'FUSE_SETUPMAPPING_FLAG_READ']],
};

/** copy_file_range(2) flags: none defined (fuse_copy_file_range_in.flags). */
export const COPY_FILE_RANGE_FLAGS: FlagSet = {
  name: 'copy_file_range_flags',
  source: 'copy_file_range(2), Linux 6.18: no flags defined',
  bits: [],
};
