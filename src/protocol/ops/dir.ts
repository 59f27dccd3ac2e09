/** Directory handles and listings (fuse-protocol.md §3.6). */
import { defineOp, records, st } from './define.js';
import { fuse_dirent, fuse_direntplus } from '../layouts/dir.js';
import { fuse_fsync_in, fuse_open_in, fuse_open_out, fuse_read_in, fuse_release_in } from '../layouts/io.js';

export const DIR_OPS = [
  defineOp({ code: 27, name: 'OPENDIR', cls: 'dir', since: 1, request: [st(fuse_open_in)], reply: [st(fuse_open_out)], argColumns: 6 }),
  defineOp({ code: 28, name: 'READDIR', cls: 'dir', since: 1, request: [st(fuse_read_in)], reply: [records(fuse_dirent)], argColumns: 2 }),
  defineOp({ code: 29, name: 'RELEASEDIR', cls: 'dir', since: 1, request: [st(fuse_release_in)], reply: [], argColumns: 8 }),
  defineOp({ code: 30, name: 'FSYNCDIR', cls: 'dir', since: 2, request: [st(fuse_fsync_in)], reply: [], argColumns: 5 }),
  defineOp({ code: 44, name: 'READDIRPLUS', cls: 'dir', since: 21, carriesAttr: true, request: [st(fuse_read_in)], reply: [records(fuse_direntplus)], argColumns: 2 }),
] as const;
