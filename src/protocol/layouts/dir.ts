/**
 * Name-carrying directory requests and directory entries (fuse-protocol.md §3.7, §3.8).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 * Compat size (§4.1): fuse_mknod_in 8 before 7.12.
 */
import { struct } from '../layout.js';
import { DT_TYPES, RENAME_FLAGS } from '../flags/dir.js';
import { fuse_entry_out } from './attr.js';

export const fuse_mknod_in = struct('fuse_mknod_in', [
  { name: 'mode', type: 'u32' },
  { name: 'rdev', type: 'u32' },
  { name: 'umask', type: 'u32', since: 12 },
  { name: 'padding', type: 'u32', since: 12, pad: true },
], { size: 16, doc: 'MKNOD request body, followed by the name. 8 bytes before 7.12.' });

export const fuse_mkdir_in = struct('fuse_mkdir_in', [
  { name: 'mode', type: 'u32', doc: 'without S_IFDIR' },
  { name: 'umask', type: 'u32', since: 12 },
], { size: 8, doc: 'MKDIR request body, followed by the name.' });

export const fuse_rename_in = struct('fuse_rename_in', [
  { name: 'newdir', type: 'u64' },
], { size: 8, doc: 'RENAME request body, followed by old and new names (header nodeid = old parent).' });

export const fuse_rename2_in = struct('fuse_rename2_in', [
  { name: 'newdir', type: 'u64' },
  { name: 'flags', type: 'u32', flags: RENAME_FLAGS },
  { name: 'padding', type: 'u32', pad: true },
], { size: 16, doc: 'RENAME2 request body (7.23), followed by old and new names.' });

export const fuse_link_in = struct('fuse_link_in', [
  { name: 'oldnodeid', type: 'u64' },
], { size: 8, doc: 'LINK request body, followed by the new name (header nodeid = new parent).' });

export const fuse_dirent = struct('fuse_dirent', [
  { name: 'ino', type: 'u64' },
  { name: 'off', type: 'u64', doc: 'cookie for the next READDIR offset' },
  { name: 'namelen', type: 'u32', unit: 'bytes' },
  { name: 'type', type: 'u32', enum: DT_TYPES },
], { size: 24, doc: 'One READDIR record; the name (namelen bytes, no NUL) follows; records are 8-byte aligned.' });

export const fuse_direntplus = struct('fuse_direntplus', [
  { name: 'entry_out', type: fuse_entry_out },
  { name: 'dirent', type: fuse_dirent },
], { size: 152, doc: 'One READDIRPLUS record; the name follows at 152; records are 8-byte aligned.' });
