/**
 * Linux errno names (asm-generic/errno-base.h and errno.h, x86-64/arm64).
 * Replies carry -errno; reports show `-ENOENT` with the number beside it.
 */
const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC',
  9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 15: 'ENOTBLK',
  16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL',
  23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE',
  30: 'EROFS', 31: 'EMLINK', 32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG',
  37: 'ENOLCK', 38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 42: 'ENOMSG', 43: 'EIDRM', 61: 'ENODATA',
  62: 'ETIME', 71: 'EPROTO', 74: 'EBADMSG', 75: 'EOVERFLOW', 84: 'EILSEQ', 95: 'EOPNOTSUPP',
  103: 'ECONNABORTED', 104: 'ECONNRESET', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 116: 'ESTALE',
  121: 'EREMOTEIO', 122: 'EDQUOT', 125: 'ECANCELED', 512: 'ERESTARTSYS', 524: 'ENOTSUPP',
};

/** `ENOENT` for 2 (or -2); `E?123` when unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return NAMES[n] ?? `E?${n}`;
}

/** `-ENOENT` for a reply's error field, `OK` for 0. */
export function formatReplyError(error: number): string {
  return error === 0 ? 'OK' : `-${errnoName(error)}`;
}
