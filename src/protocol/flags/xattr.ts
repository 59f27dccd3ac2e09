/**
 * Extended-attribute flags: setxattr(2) flags and FUSE_SETXATTR_*.
 * Sources: include/uapi/linux/xattr.h (Linux 6.18), include/uapi/linux/fuse.h 7.45.
 */
import type { FlagSet } from '../layout.js';

export const XATTR_FLAGS: FlagSet = {
  name: 'xattr_flags',
  source: 'include/uapi/linux/xattr.h, Linux 6.18, XATTR_CREATE/XATTR_REPLACE',
  bits: [[0, 'XATTR_CREATE'], [1, 'XATTR_REPLACE']],
};

export const SETXATTR_FLAGS: FlagSet = {
  name: 'setxattr_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_SETXATTR_ACL_KILL_SGID (7.33)',
  bits: [[0, 'FUSE_SETXATTR_ACL_KILL_SGID', 33]],
};
