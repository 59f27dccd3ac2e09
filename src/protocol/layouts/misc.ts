/**
 * Forget, interrupt, access, bmap, ioctl, poll, syncfs and the device ioctl
 * argument (fuse-protocol.md §3.5, §3.8).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 */
import { struct } from '../layout.js';
import { ACCESS_MASK } from '../flags/dir.js';
import { IOCTL_FLAGS, POLL_EVENTS, POLL_FLAGS } from '../flags/io.js';

export const fuse_forget_in = struct('fuse_forget_in', [
  { name: 'nlookup', type: 'u64', doc: 'lookup count to drop (header nodeid = inode)' },
], { size: 8, doc: 'FORGET request body; no reply.' });

export const fuse_batch_forget_in = struct('fuse_batch_forget_in', [
  { name: 'count', type: 'u32' },
  { name: 'dummy', type: 'u32', pad: true },
], { size: 8, doc: 'BATCH_FORGET request body (7.16); count x fuse_forget_one follow; no reply.' });

export const fuse_forget_one = struct('fuse_forget_one', [
  { name: 'nodeid', type: 'u64' },
  { name: 'nlookup', type: 'u64' },
], { size: 16, doc: 'One BATCH_FORGET entry.' });

export const fuse_interrupt_in = struct('fuse_interrupt_in', [
  { name: 'unique', type: 'u64', doc: 'unique of the interrupted request' },
], { size: 8, doc: 'INTERRUPT request body (7.7).' });

export const fuse_access_in = struct('fuse_access_in', [
  { name: 'mask', type: 'u32', flags: ACCESS_MASK },
  { name: 'padding', type: 'u32', pad: true },
], { size: 8, doc: 'ACCESS request body (7.3).' });

export const fuse_bmap_in = struct('fuse_bmap_in', [
  { name: 'block', type: 'u64' },
  { name: 'blocksize', type: 'u32', unit: 'bytes' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 16, doc: 'BMAP request body (fuseblk only).' });

export const fuse_bmap_out = struct('fuse_bmap_out', [
  { name: 'block', type: 'u64' },
], { size: 8, doc: 'BMAP reply.' });

export const fuse_ioctl_in = struct('fuse_ioctl_in', [
  { name: 'fh', type: 'u64' },
  { name: 'flags', type: 'u32', flags: IOCTL_FLAGS },
  { name: 'cmd', type: 'u32' },
  { name: 'arg', type: 'u64' },
  { name: 'in_size', type: 'u32', unit: 'bytes' },
  { name: 'out_size', type: 'u32', unit: 'bytes' },
], { size: 32, doc: 'IOCTL request body (7.11); in_size bytes of input data follow.' });

export const fuse_ioctl_iovec = struct('fuse_ioctl_iovec', [
  { name: 'base', type: 'u64' },
  { name: 'len', type: 'u64', unit: 'bytes' },
], { size: 16, doc: 'One iovec of an IOCTL RETRY reply.' });

export const fuse_ioctl_out = struct('fuse_ioctl_out', [
  { name: 'result', type: 'i32' },
  { name: 'flags', type: 'u32', flags: IOCTL_FLAGS },
  { name: 'in_iovs', type: 'u32' },
  { name: 'out_iovs', type: 'u32' },
], { size: 16, doc: 'IOCTL reply; output data (or, with FUSE_IOCTL_RETRY, in_iovs + out_iovs iovecs) follow.' });

export const fuse_poll_in = struct('fuse_poll_in', [
  { name: 'fh', type: 'u64' },
  { name: 'kh', type: 'u64' },
  { name: 'flags', type: 'u32', flags: POLL_FLAGS },
  { name: 'events', type: 'u32', since: 21, flags: POLL_EVENTS },
], { size: 24, doc: 'POLL request body (7.11).' });

export const fuse_poll_out = struct('fuse_poll_out', [
  { name: 'revents', type: 'u32', flags: POLL_EVENTS },
  { name: 'padding', type: 'u32', pad: true },
], { size: 8, doc: 'POLL reply.' });

export const fuse_syncfs_in = struct('fuse_syncfs_in', [
  { name: 'padding', type: 'u64', pad: true },
], { size: 8, doc: 'SYNCFS request body (7.34, virtiofs).' });

export const fuse_backing_map = struct('fuse_backing_map', [
  { name: 'fd', type: 'i32' },
  { name: 'flags', type: 'u32' },
  { name: 'padding', type: 'u64', pad: true },
], { size: 16, doc: 'Argument of ioctl FUSE_DEV_IOC_BACKING_OPEN (never on the read/write stream).' });
