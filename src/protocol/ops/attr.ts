/** Attributes, permission checks and file-system statistics (fuse-protocol.md §3.1, §3.2). */
import { defineOp, st } from './define.js';
import { fuse_attr_out, fuse_getattr_in, fuse_setattr_in, fuse_statfs_out, fuse_statx_in, fuse_statx_out } from '../layouts/attr.js';
import { fuse_access_in, fuse_syncfs_in } from '../layouts/misc.js';

export const ATTR_OPS = [
  defineOp({ code: 3, name: 'GETATTR', cls: 'meta', since: 0, carriesAttr: true, request: [st(fuse_getattr_in, { optional: { since: 9 } })], reply: [st(fuse_attr_out)] }),
  defineOp({ code: 4, name: 'SETATTR', cls: 'meta', since: 1, carriesAttr: true, request: [st(fuse_setattr_in)], reply: [st(fuse_attr_out)], argColumns: 3 }),
  defineOp({ code: 17, name: 'STATFS', cls: 'meta', since: 0, request: [], reply: [st(fuse_statfs_out)] }),
  defineOp({ code: 34, name: 'ACCESS', cls: 'meta', since: 3, request: [st(fuse_access_in)], reply: [] }),
  defineOp({ code: 50, name: 'SYNCFS', cls: 'meta', since: 34, request: [st(fuse_syncfs_in)], reply: [] }),
  defineOp({ code: 52, name: 'STATX', cls: 'meta', since: 39, carriesAttr: true, request: [st(fuse_statx_in)], reply: [st(fuse_statx_out)] }),
] as const;
