/**
 * FUSE opcodes and notification codes: one row each.
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18), enum fuse_opcode
 * and enum fuse_notify_code; "since" from the header's changelog.
 * The decoder, the `--filter` classes, docs and CSV headers all read these rows.
 */

/** What an opcode is for; used by filters and by the per-opcode report. */
export type OpClass = 'init' | 'meta' | 'dir' | 'io' | 'xattr' | 'lock' | 'lifetime' | 'notify' | 'misc';

export interface OpcodeRow {
  readonly code: number;
  /** Kernel spelling without the FUSE_ prefix. */
  readonly name: string;
  readonly cls: OpClass;
  /** First protocol minor (0 = from the start). */
  readonly since: number;
  /** The kernel never expects a reply (FORGET, BATCH_FORGET, NOTIFY_REPLY). */
  readonly noReply?: boolean;
  /** The reply carries `fuse_attr` (a size report). */
  readonly carriesAttr?: boolean;
  /** The request's nodeid is the parent directory and the body carries a name. */
  readonly namesChild?: boolean;
  /** Request body after fuse_in_header (struct names of layouts/; '' = empty). */
  readonly req: string;
  /** Reply body after fuse_out_header on success ('' = header only). */
  readonly reply: string;
}

export const OPCODES: readonly OpcodeRow[] = [
  { code: 1, name: 'LOOKUP', cls: 'meta', since: 0, carriesAttr: true, namesChild: true, req: 'name', reply: 'fuse_entry_out' },
  { code: 2, name: 'FORGET', cls: 'lifetime', since: 0, noReply: true, req: 'fuse_forget_in', reply: '' },
  { code: 3, name: 'GETATTR', cls: 'meta', since: 0, carriesAttr: true, req: 'fuse_getattr_in (7.9+; empty before)', reply: 'fuse_attr_out' },
  { code: 4, name: 'SETATTR', cls: 'meta', since: 1, carriesAttr: true, req: 'fuse_setattr_in', reply: 'fuse_attr_out' },
  { code: 5, name: 'READLINK', cls: 'meta', since: 0, req: '', reply: 'link target bytes' },
  { code: 6, name: 'SYMLINK', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, req: 'name + linkname [+ext]', reply: 'fuse_entry_out' },
  { code: 8, name: 'MKNOD', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, req: 'fuse_mknod_in + name [+ext]', reply: 'fuse_entry_out' },
  { code: 9, name: 'MKDIR', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, req: 'fuse_mkdir_in + name [+ext]', reply: 'fuse_entry_out' },
  { code: 10, name: 'UNLINK', cls: 'dir', since: 1, namesChild: true, req: 'name', reply: '' },
  { code: 11, name: 'RMDIR', cls: 'dir', since: 1, namesChild: true, req: 'name', reply: '' },
  { code: 12, name: 'RENAME', cls: 'dir', since: 1, namesChild: true, req: 'fuse_rename_in + oldname + newname', reply: '' },
  { code: 13, name: 'LINK', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, req: 'fuse_link_in + newname', reply: 'fuse_entry_out' },
  { code: 14, name: 'OPEN', cls: 'io', since: 1, req: 'fuse_open_in', reply: 'fuse_open_out' },
  { code: 15, name: 'READ', cls: 'io', since: 1, req: 'fuse_read_in', reply: 'data' },
  { code: 16, name: 'WRITE', cls: 'io', since: 1, req: 'fuse_write_in + data', reply: 'fuse_write_out' },
  { code: 17, name: 'STATFS', cls: 'meta', since: 0, req: '', reply: 'fuse_statfs_out' },
  { code: 18, name: 'RELEASE', cls: 'io', since: 1, req: 'fuse_release_in', reply: '' },
  { code: 20, name: 'FSYNC', cls: 'io', since: 1, req: 'fuse_fsync_in', reply: '' },
  { code: 21, name: 'SETXATTR', cls: 'xattr', since: 1, req: 'fuse_setxattr_in + name + value', reply: '' },
  { code: 22, name: 'GETXATTR', cls: 'xattr', since: 1, req: 'fuse_getxattr_in + name', reply: 'fuse_getxattr_out (size 0) or value' },
  { code: 23, name: 'LISTXATTR', cls: 'xattr', since: 1, req: 'fuse_getxattr_in', reply: 'fuse_getxattr_out (size 0) or names' },
  { code: 24, name: 'REMOVEXATTR', cls: 'xattr', since: 1, req: 'name', reply: '' },
  { code: 25, name: 'FLUSH', cls: 'io', since: 1, req: 'fuse_flush_in', reply: '' },
  { code: 26, name: 'INIT', cls: 'init', since: 0, req: 'fuse_init_in', reply: 'fuse_init_out' },
  { code: 27, name: 'OPENDIR', cls: 'dir', since: 1, req: 'fuse_open_in', reply: 'fuse_open_out' },
  { code: 28, name: 'READDIR', cls: 'dir', since: 1, req: 'fuse_read_in', reply: 'fuse_dirent records' },
  { code: 29, name: 'RELEASEDIR', cls: 'dir', since: 1, req: 'fuse_release_in', reply: '' },
  { code: 30, name: 'FSYNCDIR', cls: 'dir', since: 2, req: 'fuse_fsync_in', reply: '' },
  { code: 31, name: 'GETLK', cls: 'lock', since: 7, req: 'fuse_lk_in', reply: 'fuse_lk_out' },
  { code: 32, name: 'SETLK', cls: 'lock', since: 7, req: 'fuse_lk_in', reply: '' },
  { code: 33, name: 'SETLKW', cls: 'lock', since: 7, req: 'fuse_lk_in', reply: '' },
  { code: 34, name: 'ACCESS', cls: 'meta', since: 3, req: 'fuse_access_in', reply: '' },
  { code: 35, name: 'CREATE', cls: 'io', since: 3, carriesAttr: true, namesChild: true, req: 'fuse_create_in + name [+ext]', reply: 'fuse_entry_out + fuse_open_out' },
  { code: 36, name: 'INTERRUPT', cls: 'lifetime', since: 7, req: 'fuse_interrupt_in', reply: '' },
  { code: 37, name: 'BMAP', cls: 'misc', since: 8, req: 'fuse_bmap_in', reply: 'fuse_bmap_out' },
  { code: 38, name: 'DESTROY', cls: 'init', since: 8, req: '', reply: '' },
  { code: 39, name: 'IOCTL', cls: 'misc', since: 11, req: 'fuse_ioctl_in + data', reply: 'fuse_ioctl_out + data or fuse_ioctl_iovec[]' },
  { code: 40, name: 'POLL', cls: 'misc', since: 11, req: 'fuse_poll_in', reply: 'fuse_poll_out' },
  { code: 41, name: 'NOTIFY_REPLY', cls: 'notify', since: 15, noReply: true, req: 'fuse_notify_retrieve_in + data', reply: '' },
  { code: 42, name: 'BATCH_FORGET', cls: 'lifetime', since: 16, noReply: true, req: 'fuse_batch_forget_in + fuse_forget_one[]', reply: '' },
  { code: 43, name: 'FALLOCATE', cls: 'io', since: 19, req: 'fuse_fallocate_in', reply: '' },
  { code: 44, name: 'READDIRPLUS', cls: 'dir', since: 21, carriesAttr: true, req: 'fuse_read_in', reply: 'fuse_direntplus records' },
  { code: 45, name: 'RENAME2', cls: 'dir', since: 23, namesChild: true, req: 'fuse_rename2_in + oldname + newname', reply: '' },
  { code: 46, name: 'LSEEK', cls: 'io', since: 24, req: 'fuse_lseek_in', reply: 'fuse_lseek_out' },
  { code: 47, name: 'COPY_FILE_RANGE', cls: 'io', since: 28, req: 'fuse_copy_file_range_in', reply: 'fuse_write_out' },
  { code: 48, name: 'SETUPMAPPING', cls: 'io', since: 31, req: 'fuse_setupmapping_in', reply: '' },
  { code: 49, name: 'REMOVEMAPPING', cls: 'io', since: 31, req: 'fuse_removemapping_in + fuse_removemapping_one[]', reply: '' },
  { code: 50, name: 'SYNCFS', cls: 'meta', since: 34, req: 'fuse_syncfs_in', reply: '' },
  { code: 51, name: 'TMPFILE', cls: 'io', since: 37, carriesAttr: true, req: 'fuse_create_in + name [+ext]', reply: 'fuse_entry_out + fuse_open_out' },
  { code: 52, name: 'STATX', cls: 'meta', since: 39, carriesAttr: true, req: 'fuse_statx_in', reply: 'fuse_statx_out' },
  { code: 53, name: 'COPY_FILE_RANGE_64', cls: 'io', since: 45, req: 'fuse_copy_file_range_in', reply: 'fuse_copy_file_range_out' },
  { code: 4096, name: 'CUSE_INIT', cls: 'init', since: 0, req: 'cuse_init_in', reply: 'cuse_init_out + KEY=value strings' },
];

/** Opcode numbers the rest of the code names directly. */
export const Op = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, SYMLINK: 6, MKNOD: 8, MKDIR: 9,
  UNLINK: 10, RMDIR: 11, RENAME: 12, LINK: 13, OPEN: 14, READ: 15, WRITE: 16, STATFS: 17,
  RELEASE: 18, FSYNC: 20, SETXATTR: 21, GETXATTR: 22, LISTXATTR: 23, REMOVEXATTR: 24, FLUSH: 25,
  INIT: 26, OPENDIR: 27, READDIR: 28, RELEASEDIR: 29, FSYNCDIR: 30, GETLK: 31, SETLK: 32,
  SETLKW: 33, ACCESS: 34, CREATE: 35, INTERRUPT: 36, BMAP: 37, DESTROY: 38, IOCTL: 39, POLL: 40,
  NOTIFY_REPLY: 41, BATCH_FORGET: 42, FALLOCATE: 43, READDIRPLUS: 44, RENAME2: 45, LSEEK: 46,
  COPY_FILE_RANGE: 47, SETUPMAPPING: 48, REMOVEMAPPING: 49, SYNCFS: 50, TMPFILE: 51, STATX: 52,
  COPY_FILE_RANGE_64: 53, CUSE_INIT: 4096,
} as const;

/** Byte-swapped INIT/CUSE_INIT opcodes: a first message with these means the wrong byte order. */
export const FUSE_INIT_BSWAP_RESERVED = 0x1a000000;
export const CUSE_INIT_BSWAP_RESERVED = 0x00100000;

export interface NotifyRow {
  readonly code: number;
  readonly name: string;
  readonly since: number;
}

/** Notification codes (daemon -> kernel, unique 0, code in `error`). */
export const NOTIFY_CODES: readonly NotifyRow[] = [
  { code: 1, name: 'POLL', since: 11 },
  { code: 2, name: 'INVAL_INODE', since: 12 },
  { code: 3, name: 'INVAL_ENTRY', since: 12 },
  { code: 4, name: 'STORE', since: 15 },
  { code: 5, name: 'RETRIEVE', since: 15 },
  { code: 6, name: 'DELETE', since: 18 },
  { code: 7, name: 'RESEND', since: 40 },
  { code: 8, name: 'INC_EPOCH', since: 44 },
  { code: 9, name: 'PRUNE', since: 45 },
];

export const Notify = {
  POLL: 1, INVAL_INODE: 2, INVAL_ENTRY: 3, STORE: 4, RETRIEVE: 5, DELETE: 6, RESEND: 7, INC_EPOCH: 8, PRUNE: 9,
} as const;

const byCode = new Map<number, OpcodeRow>(OPCODES.map((r) => [r.code, r]));
const notifyByCode = new Map<number, NotifyRow>(NOTIFY_CODES.map((r) => [r.code, r]));
const byName = new Map<string, OpcodeRow>(OPCODES.map((r) => [r.name, r]));

export function opcodeRow(code: number): OpcodeRow | undefined {
  return byCode.get(code);
}

export function opcodeByName(name: string): OpcodeRow | undefined {
  return byName.get(name.toUpperCase().replace(/^FUSE_/, ''));
}

/** `LOOKUP`, or `?0x7` for a code the table does not know. */
export function opcodeName(code: number): string {
  return byCode.get(code)?.name ?? `?0x${code.toString(16)}`;
}

export function notifyRow(code: number): NotifyRow | undefined {
  return notifyByCode.get(code);
}

export function notifyName(code: number): string {
  return notifyByCode.get(code)?.name ?? `?0x${code.toString(16)}`;
}
