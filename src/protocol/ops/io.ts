/** Open files: open, data transfer, sync, release, space and mapping requests (fuse-protocol.md §3.3, §3.4). */
import { defineOp, arr, data, st, str } from './define.js';
import { fuse_entry_out } from '../layouts/attr.js';
import {
  fuse_copy_file_range_in, fuse_copy_file_range_out, fuse_create_in, fuse_fallocate_in, fuse_flush_in, fuse_fsync_in, fuse_lseek_in,
  fuse_lseek_out, fuse_open_in, fuse_open_out, fuse_read_in, fuse_release_in, fuse_removemapping_in, fuse_removemapping_one,
  fuse_setupmapping_in, fuse_write_in, fuse_write_out,
} from '../layouts/io.js';

export const IO_OPS = [
  defineOp({ code: 14, name: 'OPEN', cls: 'io', since: 1, request: [st(fuse_open_in)], reply: [st(fuse_open_out)], argColumns: 6 }),
  defineOp({ code: 15, name: 'READ', cls: 'io', since: 1, request: [st(fuse_read_in)], reply: [data()], argColumns: 2 }),
  defineOp({ code: 16, name: 'WRITE', cls: 'io', since: 1, request: [st(fuse_write_in), data()], reply: [st(fuse_write_out)], argColumns: 1 }),
  defineOp({ code: 18, name: 'RELEASE', cls: 'io', since: 1, request: [st(fuse_release_in)], reply: [], argColumns: 8 }),
  defineOp({ code: 20, name: 'FSYNC', cls: 'io', since: 1, request: [st(fuse_fsync_in)], reply: [], argColumns: 5 }),
  defineOp({ code: 25, name: 'FLUSH', cls: 'io', since: 1, request: [st(fuse_flush_in)], reply: [], argColumns: 9 }),
  defineOp({ code: 35, name: 'CREATE', cls: 'io', since: 3, carriesAttr: true, namesChild: true, ext: true, request: [st(fuse_create_in), str('name')], reply: [st(fuse_entry_out), st(fuse_open_out)], argColumns: 7 }),
  defineOp({ code: 43, name: 'FALLOCATE', cls: 'io', since: 19, request: [st(fuse_fallocate_in)], reply: [], argColumns: 4 }),
  defineOp({ code: 46, name: 'LSEEK', cls: 'io', since: 24, request: [st(fuse_lseek_in)], reply: [st(fuse_lseek_out)] }),
  defineOp({ code: 47, name: 'COPY_FILE_RANGE', cls: 'io', since: 28, request: [st(fuse_copy_file_range_in)], reply: [st(fuse_write_out)] }),
  defineOp({ code: 48, name: 'SETUPMAPPING', cls: 'io', since: 31, request: [st(fuse_setupmapping_in)], reply: [] }),
  defineOp({ code: 49, name: 'REMOVEMAPPING', cls: 'io', since: 31, request: [st(fuse_removemapping_in), arr(fuse_removemapping_one)], reply: [] }),
  defineOp({ code: 51, name: 'TMPFILE', cls: 'io', since: 37, carriesAttr: true, ext: true, request: [st(fuse_create_in), str('name')], reply: [st(fuse_entry_out), st(fuse_open_out)], argColumns: 7 }),
  defineOp({ code: 53, name: 'COPY_FILE_RANGE_64', cls: 'io', since: 45, request: [st(fuse_copy_file_range_in)], reply: [st(fuse_copy_file_range_out)] }),
] as const;
