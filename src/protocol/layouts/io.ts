/**
 * Open, create, release, flush, fsync, read, write, fallocate, lseek,
 * copy_file_range and the DAX mapping requests (fuse-protocol.md §3.3, §3.4, §3.8).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 * Compat sizes (§4.1): fuse_write_in 24 and fuse_create_in 8 before 7.9 / 7.12.
 */
import { struct } from '../layout.js';
import { FALLOC_FLAGS, READ_FLAGS, SETUPMAPPING_FLAGS, WHENCE, WRITE_FLAGS, COPY_FILE_RANGE_FLAGS } from '../flags/io.js';
import { FOPEN_FLAGS, FSYNC_FLAGS, FUSE_OPEN_IN_FLAGS, OPEN_FLAGS, RELEASE_FLAGS } from '../flags/open.js';

export const fuse_open_in = struct('fuse_open_in', [
  { name: 'flags', type: 'u32', flags: OPEN_FLAGS, doc: 'open(2) flags without O_CREAT/O_EXCL/O_NOCTTY' },
  { name: 'open_flags', type: 'u32', since: 33, flags: FUSE_OPEN_IN_FLAGS },
], { size: 8, doc: 'OPEN and OPENDIR request body.' });

export const fuse_create_in = struct('fuse_create_in', [
  { name: 'flags', type: 'u32', flags: OPEN_FLAGS },
  { name: 'mode', type: 'u32' },
  { name: 'umask', type: 'u32', since: 12 },
  { name: 'open_flags', type: 'u32', since: 12, flags: FUSE_OPEN_IN_FLAGS },
], { size: 16, doc: 'CREATE and TMPFILE request body, followed by the name. 8 bytes before 7.12.' });

export const fuse_open_out = struct('fuse_open_out', [
  { name: 'fh', type: 'u64' },
  { name: 'open_flags', type: 'u32', flags: FOPEN_FLAGS },
  { name: 'backing_id', type: 'i32', since: 40, doc: 'padding before 7.40' },
], { size: 16, doc: 'OPEN/OPENDIR reply; second part of the CREATE/TMPFILE reply.' });

export const fuse_release_in = struct('fuse_release_in', [
  { name: 'fh', type: 'u64' },
  { name: 'flags', type: 'u32', flags: OPEN_FLAGS },
  { name: 'release_flags', type: 'u32', flags: RELEASE_FLAGS },
  { name: 'lock_owner', type: 'u64' },
], { size: 24, doc: 'RELEASE and RELEASEDIR request body.' });

export const fuse_flush_in = struct('fuse_flush_in', [
  { name: 'fh', type: 'u64' },
  { name: 'unused', type: 'u32', pad: true },
  { name: 'padding', type: 'u32', pad: true },
  { name: 'lock_owner', type: 'u64' },
], { size: 24, doc: 'FLUSH request body.' });

export const fuse_fsync_in = struct('fuse_fsync_in', [
  { name: 'fh', type: 'u64' },
  { name: 'fsync_flags', type: 'u32', flags: FSYNC_FLAGS },
  { name: 'padding', type: 'u32', pad: true },
], { size: 16, doc: 'FSYNC and FSYNCDIR request body.' });

export const fuse_read_in = struct('fuse_read_in', [
  { name: 'fh', type: 'u64' },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'read_flags', type: 'u32', flags: READ_FLAGS },
  { name: 'lock_owner', type: 'u64', since: 9 },
  { name: 'flags', type: 'u32', since: 9, flags: OPEN_FLAGS },
  { name: 'padding', type: 'u32', since: 9, pad: true },
], { size: 40, doc: 'READ, READDIR and READDIRPLUS request body.' });

export const fuse_write_in = struct('fuse_write_in', [
  { name: 'fh', type: 'u64' },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'write_flags', type: 'u32', flags: WRITE_FLAGS },
  { name: 'lock_owner', type: 'u64', since: 9 },
  { name: 'flags', type: 'u32', since: 9, flags: OPEN_FLAGS },
  { name: 'padding', type: 'u32', since: 9, pad: true },
], { size: 40, doc: 'WRITE request body; the data follows (message offset 80, or 64 before 7.9 when the struct is 24 bytes).' });

export const fuse_write_out = struct('fuse_write_out', [
  { name: 'size', type: 'u32', unit: 'bytes', doc: 'bytes written (bytes copied for COPY_FILE_RANGE)' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 8, doc: 'WRITE and COPY_FILE_RANGE reply.' });

export const fuse_fallocate_in = struct('fuse_fallocate_in', [
  { name: 'fh', type: 'u64' },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'length', type: 'u64', unit: 'bytes' },
  { name: 'mode', type: 'u32', flags: FALLOC_FLAGS },
  { name: 'padding', type: 'u32', pad: true },
], { size: 32, doc: 'FALLOCATE request body (7.19).' });

export const fuse_lseek_in = struct('fuse_lseek_in', [
  { name: 'fh', type: 'u64' },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'whence', type: 'u32', enum: WHENCE },
  { name: 'padding', type: 'u32', pad: true },
], { size: 24, doc: 'LSEEK request body (7.24).' });

export const fuse_lseek_out = struct('fuse_lseek_out', [
  { name: 'offset', type: 'u64', unit: 'bytes' },
], { size: 8, doc: 'LSEEK reply.' });

export const fuse_copy_file_range_in = struct('fuse_copy_file_range_in', [
  { name: 'fh_in', type: 'u64' },
  { name: 'off_in', type: 'u64', unit: 'bytes' },
  { name: 'nodeid_out', type: 'u64' },
  { name: 'fh_out', type: 'u64' },
  { name: 'off_out', type: 'u64', unit: 'bytes' },
  { name: 'len', type: 'u64', unit: 'bytes' },
  { name: 'flags', type: 'u64', flags: COPY_FILE_RANGE_FLAGS },
], { size: 56, doc: 'COPY_FILE_RANGE and COPY_FILE_RANGE_64 request body (header nodeid = source).' });

export const fuse_copy_file_range_out = struct('fuse_copy_file_range_out', [
  { name: 'bytes_copied', type: 'u64', unit: 'bytes' },
], { size: 8, doc: 'COPY_FILE_RANGE_64 reply (7.45).' });

export const fuse_setupmapping_in = struct('fuse_setupmapping_in', [
  { name: 'fh', type: 'u64' },
  { name: 'foffset', type: 'u64', unit: 'bytes' },
  { name: 'len', type: 'u64', unit: 'bytes' },
  { name: 'flags', type: 'u64', flags: SETUPMAPPING_FLAGS },
  { name: 'moffset', type: 'u64', unit: 'bytes' },
], { size: 40, doc: 'SETUPMAPPING request body (virtiofs DAX, 7.31).' });

export const fuse_removemapping_in = struct('fuse_removemapping_in', [
  { name: 'count', type: 'u32' },
], { size: 4, doc: 'REMOVEMAPPING request body; count x fuse_removemapping_one follow at body offset 4.' });

export const fuse_removemapping_one = struct('fuse_removemapping_one', [
  { name: 'moffset', type: 'u64', unit: 'bytes' },
  { name: 'len', type: 'u64', unit: 'bytes' },
], { size: 16, doc: 'One REMOVEMAPPING range.' });
