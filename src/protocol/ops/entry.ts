/**
 * Name lookups, node creation and removal, links, and the lookup-count
 * releases (fuse-protocol.md §3.5, §3.7).
 */
import { defineOp, arr, data, st, str } from './define.js';
import { fuse_entry_out } from '../layouts/attr.js';
import { fuse_link_in, fuse_mkdir_in, fuse_mknod_in, fuse_rename2_in, fuse_rename_in } from '../layouts/dir.js';
import { fuse_batch_forget_in, fuse_forget_in, fuse_forget_one } from '../layouts/misc.js';

export const ENTRY_OPS = [
  defineOp({ code: 1, name: 'LOOKUP', cls: 'meta', since: 0, carriesAttr: true, namesChild: true, request: [str('name')], reply: [st(fuse_entry_out)] }),
  defineOp({ code: 2, name: 'FORGET', cls: 'lifetime', since: 0, noReply: true, request: [st(fuse_forget_in)], reply: [] }),
  defineOp({ code: 5, name: 'READLINK', cls: 'meta', since: 0, request: [], reply: [data('link target bytes')] }),
  defineOp({ code: 6, name: 'SYMLINK', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, ext: true, request: [str('name'), str('linkname')], reply: [st(fuse_entry_out)] }),
  defineOp({ code: 8, name: 'MKNOD', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, ext: true, request: [st(fuse_mknod_in), str('name')], reply: [st(fuse_entry_out)] }),
  defineOp({ code: 9, name: 'MKDIR', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, ext: true, request: [st(fuse_mkdir_in), str('name')], reply: [st(fuse_entry_out)] }),
  defineOp({ code: 10, name: 'UNLINK', cls: 'dir', since: 1, namesChild: true, request: [str('name')], reply: [] }),
  defineOp({ code: 11, name: 'RMDIR', cls: 'dir', since: 1, namesChild: true, request: [str('name')], reply: [] }),
  defineOp({ code: 12, name: 'RENAME', cls: 'dir', since: 1, namesChild: true, request: [st(fuse_rename_in), str('oldname'), str('newname')], reply: [] }),
  defineOp({ code: 13, name: 'LINK', cls: 'dir', since: 1, carriesAttr: true, namesChild: true, request: [st(fuse_link_in), str('newname')], reply: [st(fuse_entry_out)] }),
  defineOp({ code: 42, name: 'BATCH_FORGET', cls: 'lifetime', since: 16, noReply: true, request: [st(fuse_batch_forget_in), arr(fuse_forget_one)], reply: [] }),
  defineOp({ code: 45, name: 'RENAME2', cls: 'dir', since: 23, namesChild: true, request: [st(fuse_rename2_in), str('oldname'), str('newname')], reply: [] }),
] as const;
