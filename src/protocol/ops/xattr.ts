/** Extended attributes (fuse-protocol.md §3.8). */
import { defineOp, data, either, st, str } from './define.js';
import { fuse_getxattr_in, fuse_getxattr_out, fuse_setxattr_in } from '../layouts/xattr.js';

export const XATTR_OPS = [
  defineOp({ code: 21, name: 'SETXATTR', cls: 'xattr', since: 1, request: [st(fuse_setxattr_in), str('name'), data('value')], reply: [] }),
  defineOp({ code: 22, name: 'GETXATTR', cls: 'xattr', since: 1, request: [st(fuse_getxattr_in), str('name')], reply: [either(fuse_getxattr_out, data('value'))] }),
  defineOp({ code: 23, name: 'LISTXATTR', cls: 'xattr', since: 1, request: [st(fuse_getxattr_in)], reply: [either(fuse_getxattr_out, data('names'))] }),
  defineOp({ code: 24, name: 'REMOVEXATTR', cls: 'xattr', since: 1, request: [str('name')], reply: [] }),
] as const;
