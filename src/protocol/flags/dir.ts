/**
 * Directory and name flags: RENAME_*, DT_* entry types, access(2) mask,
 * FUSE_EXPIRE_ONLY (INVAL_ENTRY).
 * Sources: include/uapi/linux/fs.h (RENAME_*), include/linux/fs.h (DT_*),
 * include/linux/fs.h MAY_* / unistd.h *_OK, include/uapi/linux/fuse.h 7.45.
 */
import type { EnumSet, FlagSet } from '../layout.js';

export const RENAME_FLAGS: FlagSet = {
  name: 'rename_flags',
  source: 'include/uapi/linux/fs.h, Linux 6.18, RENAME_*',
  bits: [[0, 'RENAME_NOREPLACE'], [1, 'RENAME_EXCHANGE'], [2, 'RENAME_WHITEOUT']],
};

export const DT_TYPES: EnumSet = {
  name: 'dirent_type',
  source: 'include/linux/fs_types.h, Linux 6.18, DT_*',
  values: new Map([[0, 'DT_UNKNOWN'], [1, 'DT_FIFO'], [2, 'DT_CHR'], [4, 'DT_DIR'], [6, 'DT_BLK'], [8, 'DT_REG'], [10, 'DT_LNK'], [12, 'DT_SOCK'], [14, 'DT_WHT']]),
};

/** fuse_access_in.mask (0 = F_OK). */
export const ACCESS_MASK: FlagSet = {
  name: 'access_mask',
  source: 'unistd.h R_OK/W_OK/X_OK (= kernel MAY_READ/MAY_WRITE/MAY_EXEC)',
  bits: [[0, 'X_OK'], [1, 'W_OK'], [2, 'R_OK']],
};

export const EXPIRE_ONLY_FLAGS: FlagSet = {
  name: 'inval_entry_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_EXPIRE_ONLY (7.38)',
  bits: [[0, 'FUSE_EXPIRE_ONLY', 38]],
};
