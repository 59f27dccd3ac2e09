/**
 * POSIX and flock locks (fuse-protocol.md §3.8).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 */
import { struct } from '../layout.js';
import { LK_FLAGS, LOCK_TYPES } from '../flags/lock.js';

export const fuse_file_lock = struct('fuse_file_lock', [
  { name: 'start', type: 'u64', unit: 'bytes' },
  { name: 'end', type: 'u64', unit: 'bytes', doc: 'inclusive; OFFSET_MAX = to EOF' },
  { name: 'type', type: 'u32', enum: LOCK_TYPES },
  { name: 'pid', type: 'u32', doc: 'tgid of the lock holder' },
], { size: 24, doc: 'A lock range.' });

export const fuse_lk_in = struct('fuse_lk_in', [
  { name: 'fh', type: 'u64' },
  { name: 'owner', type: 'u64' },
  { name: 'lk', type: fuse_file_lock },
  { name: 'lk_flags', type: 'u32', since: 9, flags: LK_FLAGS },
  { name: 'padding', type: 'u32', pad: true },
], { size: 48, doc: 'GETLK, SETLK and SETLKW request body.' });

export const fuse_lk_out = struct('fuse_lk_out', [
  { name: 'lk', type: fuse_file_lock },
], { size: 24, doc: 'GETLK reply.' });
