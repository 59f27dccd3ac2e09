/**
 * Attributes, entries, SETATTR, STATX and STATFS (fuse-protocol.md §3.1, §3.2).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 * Compat sizes (§4.1): fuse_attr 80 and fuse_entry_out 120 / fuse_attr_out 96
 * before 7.9; fuse_statfs_out 48 before 7.4.
 */
import { struct } from '../layout.js';
import { ATTR_FLAGS, FATTR_FLAGS, GETATTR_FLAGS, STATX_MASK, STATX_SX_FLAGS } from '../flags/attr.js';

export const fuse_attr = struct('fuse_attr', [
  { name: 'ino', type: 'u64' },
  { name: 'size', type: 'u64', unit: 'bytes' },
  { name: 'blocks', type: 'u64', unit: '512-byte blocks' },
  { name: 'atime', type: 'u64', unit: 's' },
  { name: 'mtime', type: 'u64', unit: 's' },
  { name: 'ctime', type: 'u64', unit: 's' },
  { name: 'atimensec', type: 'u32', unit: 'ns' },
  { name: 'mtimensec', type: 'u32', unit: 'ns' },
  { name: 'ctimensec', type: 'u32', unit: 'ns' },
  { name: 'mode', type: 'u32', doc: 'S_IFMT type + permission bits' },
  { name: 'nlink', type: 'u32' },
  { name: 'uid', type: 'u32' },
  { name: 'gid', type: 'u32' },
  { name: 'rdev', type: 'u32' },
  { name: 'blksize', type: 'u32', since: 9, unit: 'bytes' },
  { name: 'flags', type: 'u32', since: 32, flags: ATTR_FLAGS, doc: 'padding before 7.32' },
], { size: 88, doc: 'Inode attributes carried by entry, attr and READDIRPLUS replies.' });

export const fuse_entry_out = struct('fuse_entry_out', [
  { name: 'nodeid', type: 'u64', doc: '0 = negative entry' },
  { name: 'generation', type: 'u64' },
  { name: 'entry_valid', type: 'u64', unit: 's' },
  { name: 'attr_valid', type: 'u64', unit: 's' },
  { name: 'entry_valid_nsec', type: 'u32', unit: 'ns' },
  { name: 'attr_valid_nsec', type: 'u32', unit: 'ns' },
  { name: 'attr', type: fuse_attr },
], { size: 128, doc: 'Reply to LOOKUP, MKNOD, MKDIR, SYMLINK, LINK (and the first part of CREATE/TMPFILE). 120 bytes before 7.9.' });

export const fuse_attr_out = struct('fuse_attr_out', [
  { name: 'attr_valid', type: 'u64', unit: 's' },
  { name: 'attr_valid_nsec', type: 'u32', unit: 'ns' },
  { name: 'dummy', type: 'u32', pad: true },
  { name: 'attr', type: fuse_attr },
], { size: 104, doc: 'Reply to GETATTR and SETATTR. 96 bytes before 7.9.' });

export const fuse_getattr_in = struct('fuse_getattr_in', [
  { name: 'getattr_flags', type: 'u32', flags: GETATTR_FLAGS },
  { name: 'dummy', type: 'u32', pad: true },
  { name: 'fh', type: 'u64', doc: 'valid with FUSE_GETATTR_FH' },
], { size: 16, doc: 'GETATTR request body (7.9+; empty before).' });

export const fuse_setattr_in = struct('fuse_setattr_in', [
  { name: 'valid', type: 'u32', flags: FATTR_FLAGS, doc: 'which of the fields below mean something' },
  { name: 'padding', type: 'u32', pad: true },
  { name: 'fh', type: 'u64', doc: 'with FATTR_FH' },
  { name: 'size', type: 'u64', unit: 'bytes', doc: 'with FATTR_SIZE' },
  { name: 'lock_owner', type: 'u64', doc: 'with FATTR_LOCKOWNER' },
  { name: 'atime', type: 'u64', unit: 's' },
  { name: 'mtime', type: 'u64', unit: 's' },
  { name: 'ctime', type: 'u64', unit: 's', since: 23 },
  { name: 'atimensec', type: 'u32', unit: 'ns' },
  { name: 'mtimensec', type: 'u32', unit: 'ns' },
  { name: 'ctimensec', type: 'u32', unit: 'ns', since: 23 },
  { name: 'mode', type: 'u32' },
  { name: 'unused4', type: 'u32', pad: true },
  { name: 'uid', type: 'u32' },
  { name: 'gid', type: 'u32' },
  { name: 'unused5', type: 'u32', pad: true },
], { size: 88, doc: 'SETATTR request body.' });

export const fuse_sx_time = struct('fuse_sx_time', [
  { name: 'tv_sec', type: 'i64', unit: 's' },
  { name: 'tv_nsec', type: 'u32', unit: 'ns' },
  { name: '__reserved', type: 'i32', pad: true },
], { size: 16, doc: 'A statx timestamp.' });

export const fuse_statx = struct('fuse_statx', [
  { name: 'mask', type: 'u32', flags: STATX_MASK },
  { name: 'blksize', type: 'u32', unit: 'bytes' },
  { name: 'attributes', type: 'u64' },
  { name: 'nlink', type: 'u32' },
  { name: 'uid', type: 'u32' },
  { name: 'gid', type: 'u32' },
  { name: 'mode', type: 'u16' },
  { name: '__spare0', type: { bytes: 2 }, pad: true },
  { name: 'ino', type: 'u64' },
  { name: 'size', type: 'u64', unit: 'bytes' },
  { name: 'blocks', type: 'u64', unit: '512-byte blocks' },
  { name: 'attributes_mask', type: 'u64' },
  { name: 'atime', type: fuse_sx_time },
  { name: 'btime', type: fuse_sx_time },
  { name: 'ctime', type: fuse_sx_time },
  { name: 'mtime', type: fuse_sx_time },
  { name: 'rdev_major', type: 'u32' },
  { name: 'rdev_minor', type: 'u32' },
  { name: 'dev_major', type: 'u32' },
  { name: 'dev_minor', type: 'u32' },
  { name: '__spare2', type: { bytes: 112 }, pad: true },
], { size: 256, doc: 'statx(2)-compatible attributes (7.39).' });

export const fuse_statx_in = struct('fuse_statx_in', [
  { name: 'getattr_flags', type: 'u32', flags: GETATTR_FLAGS },
  { name: 'reserved', type: 'u32', pad: true },
  { name: 'fh', type: 'u64' },
  { name: 'sx_flags', type: 'u32', flags: STATX_SX_FLAGS },
  { name: 'sx_mask', type: 'u32', flags: STATX_MASK },
], { size: 24, doc: 'STATX request body (7.39).' });

export const fuse_statx_out = struct('fuse_statx_out', [
  { name: 'attr_valid', type: 'u64', unit: 's' },
  { name: 'attr_valid_nsec', type: 'u32', unit: 'ns' },
  { name: 'flags', type: 'u32' },
  { name: 'spare', type: { bytes: 16 }, pad: true },
  { name: 'stat', type: fuse_statx },
], { size: 288, doc: 'STATX reply (7.39).' });

export const fuse_kstatfs = struct('fuse_kstatfs', [
  { name: 'blocks', type: 'u64' },
  { name: 'bfree', type: 'u64' },
  { name: 'bavail', type: 'u64' },
  { name: 'files', type: 'u64' },
  { name: 'ffree', type: 'u64' },
  { name: 'bsize', type: 'u32', unit: 'bytes' },
  { name: 'namelen', type: 'u32', unit: 'bytes' },
  { name: 'frsize', type: 'u32', unit: 'bytes', since: 4 },
  { name: 'padding', type: 'u32', pad: true, since: 4 },
  { name: 'spare', type: { bytes: 24 }, pad: true, since: 4 },
], { size: 80, doc: 'File-system statistics. 48 bytes before 7.4.' });

export const fuse_statfs_out = struct('fuse_statfs_out', [
  { name: 'st', type: fuse_kstatfs },
], { size: 80, doc: 'STATFS reply. 48 bytes before 7.4.' });
