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
}

export const OPCODES: readonly OpcodeRow[] = [
  { code: 1, name: 'LOOKUP', cls: 'meta', since: 0, carriesAttr: true, namesChild: true },
  { code: 2, name: 'FORGET', cls: 'lifetime', since: 0, noReply: true },
  { code: 3, name: 'GETATTR', cls: 'meta', since: 0, carriesAttr: true },
  { code: 4, name: 'SETATTR', cls: 'meta', since: 1, carriesAttr: true },
  { code: 5, name: 'READLINK', cls: 'meta', since: 0 },
  { code: 6, name: 'SYMLINK', cls: 'dir', since: 1, carriesAttr: true, namesChild: true },
  { code: 8, name: 'MKNOD', cls: 'dir', since: 1, carriesAttr: true, namesChild: true },
  { code: 9, name: 'MKDIR', cls: 'dir', since: 1, carriesAttr: true, namesChild: true },
  { code: 10, name: 'UNLINK', cls: 'dir', since: 1, namesChild: true },
  { code: 11, name: 'RMDIR', cls: 'dir', since: 1, namesChild: true },
  { code: 12, name: 'RENAME', cls: 'dir', since: 1, namesChild: true },
  { code: 13, name: 'LINK', cls: 'dir', since: 1, carriesAttr: true, namesChild: true },
  { code: 14, name: 'OPEN', cls: 'io', since: 1 },
  { code: 15, name: 'READ', cls: 'io', since: 1 },
  { code: 16, name: 'WRITE', cls: 'io', since: 1 },
  { code: 17, name: 'STATFS', cls: 'meta', since: 0 },
  { code: 18, name: 'RELEASE', cls: 'io', since: 1 },
  { code: 20, name: 'FSYNC', cls: 'io', since: 1 },
  { code: 21, name: 'SETXATTR', cls: 'xattr', since: 1 },
  { code: 22, name: 'GETXATTR', cls: 'xattr', since: 1 },
  { code: 23, name: 'LISTXATTR', cls: 'xattr', since: 1 },
  { code: 24, name: 'REMOVEXATTR', cls: 'xattr', since: 1 },
  { code: 25, name: 'FLUSH', cls: 'io', since: 1 },
  { code: 26, name: 'INIT', cls: 'init', since: 0 },
  { code: 27, name: 'OPENDIR', cls: 'dir', since: 1 },
  { code: 28, name: 'READDIR', cls: 'dir', since: 1 },
  { code: 29, name: 'RELEASEDIR', cls: 'dir', since: 1 },
  { code: 30, name: 'FSYNCDIR', cls: 'dir', since: 2 },
  { code: 31, name: 'GETLK', cls: 'lock', since: 7 },
  { code: 32, name: 'SETLK', cls: 'lock', since: 7 },
  { code: 33, name: 'SETLKW', cls: 'lock', since: 7 },
  { code: 34, name: 'ACCESS', cls: 'meta', since: 3 },
  { code: 35, name: 'CREATE', cls: 'io', since: 3, carriesAttr: true, namesChild: true },
  { code: 36, name: 'INTERRUPT', cls: 'lifetime', since: 7 },
  { code: 37, name: 'BMAP', cls: 'misc', since: 8 },
  { code: 38, name: 'DESTROY', cls: 'init', since: 8 },
  { code: 39, name: 'IOCTL', cls: 'misc', since: 11 },
  { code: 40, name: 'POLL', cls: 'misc', since: 11 },
  { code: 41, name: 'NOTIFY_REPLY', cls: 'notify', since: 15, noReply: true },
  { code: 42, name: 'BATCH_FORGET', cls: 'lifetime', since: 16, noReply: true },
  { code: 43, name: 'FALLOCATE', cls: 'io', since: 19 },
  { code: 44, name: 'READDIRPLUS', cls: 'dir', since: 21, carriesAttr: true },
  { code: 45, name: 'RENAME2', cls: 'dir', since: 23, namesChild: true },
  { code: 46, name: 'LSEEK', cls: 'io', since: 24 },
  { code: 47, name: 'COPY_FILE_RANGE', cls: 'io', since: 28 },
  { code: 48, name: 'SETUPMAPPING', cls: 'io', since: 31 },
  { code: 49, name: 'REMOVEMAPPING', cls: 'io', since: 31 },
  { code: 50, name: 'SYNCFS', cls: 'meta', since: 34 },
  { code: 51, name: 'TMPFILE', cls: 'io', since: 37, carriesAttr: true },
  { code: 52, name: 'STATX', cls: 'meta', since: 39, carriesAttr: true },
  { code: 53, name: 'COPY_FILE_RANGE_64', cls: 'io', since: 45 },
  { code: 4096, name: 'CUSE_INIT', cls: 'init', since: 0 },
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
