/**
 * Notification bodies (daemon -> kernel, unique 0) and the NOTIFY_REPLY
 * request body (fuse-protocol.md §2.2, §3.9).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 */
import { struct } from '../layout.js';
import { EXPIRE_ONLY_FLAGS } from '../flags/dir.js';

export const fuse_notify_poll_wakeup_out = struct('fuse_notify_poll_wakeup_out', [
  { name: 'kh', type: 'u64' },
], { size: 8, doc: 'NOTIFY_POLL body (7.11).' });

export const fuse_notify_inval_inode_out = struct('fuse_notify_inval_inode_out', [
  { name: 'ino', type: 'u64' },
  { name: 'off', type: 'i64', unit: 'bytes', doc: '< 0: attributes only' },
  { name: 'len', type: 'i64', unit: 'bytes', doc: '<= 0: to EOF' },
], { size: 24, doc: 'NOTIFY_INVAL_INODE body (7.12).' });

export const fuse_notify_inval_entry_out = struct('fuse_notify_inval_entry_out', [
  { name: 'parent', type: 'u64' },
  { name: 'namelen', type: 'u32', unit: 'bytes' },
  { name: 'flags', type: 'u32', since: 38, flags: EXPIRE_ONLY_FLAGS },
], { size: 16, doc: 'NOTIFY_INVAL_ENTRY body (7.12); name + NUL follow.' });

export const fuse_notify_delete_out = struct('fuse_notify_delete_out', [
  { name: 'parent', type: 'u64' },
  { name: 'child', type: 'u64' },
  { name: 'namelen', type: 'u32', unit: 'bytes' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 24, doc: 'NOTIFY_DELETE body (7.18); name + NUL follow.' });

export const fuse_notify_store_out = struct('fuse_notify_store_out', [
  { name: 'nodeid', type: 'u64' },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 24, doc: 'NOTIFY_STORE body (7.15); size data bytes follow.' });

export const fuse_notify_retrieve_out = struct('fuse_notify_retrieve_out', [
  { name: 'notify_unique', type: 'u64' },
  { name: 'nodeid', type: 'u64' },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 32, doc: 'NOTIFY_RETRIEVE body (7.15).' });

export const fuse_notify_retrieve_in = struct('fuse_notify_retrieve_in', [
  { name: 'dummy1', type: 'u64', pad: true },
  { name: 'offset', type: 'u64', unit: 'bytes' },
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'dummy2', type: 'u32', pad: true },
  { name: 'dummy3', type: 'u64', pad: true },
  { name: 'dummy4', type: 'u64', pad: true },
], { size: 40, doc: 'NOTIFY_REPLY request body (kernel -> daemon); size data bytes follow at message offset 80.' });

export const fuse_notify_prune_out = struct('fuse_notify_prune_out', [
  { name: 'count', type: 'u32' },
  { name: 'padding', type: 'u32', pad: true },
  { name: 'spare', type: 'u64', pad: true },
], { size: 16, doc: 'NOTIFY_PRUNE body (7.45); count x u64 nodeid follow.' });
