/** Block mapping, ioctl and poll (fuse-protocol.md §3.8). */
import { defineOp, data, st } from './define.js';
import { fuse_bmap_in, fuse_bmap_out, fuse_ioctl_in, fuse_ioctl_out, fuse_poll_in, fuse_poll_out } from '../layouts/misc.js';

export const MISC_OPS = [
  defineOp({ code: 37, name: 'BMAP', cls: 'misc', since: 8, request: [st(fuse_bmap_in)], reply: [st(fuse_bmap_out)] }),
  defineOp({ code: 39, name: 'IOCTL', cls: 'misc', since: 11, request: [st(fuse_ioctl_in), data()], reply: [st(fuse_ioctl_out), data('data or fuse_ioctl_iovec[]')] }),
  defineOp({ code: 40, name: 'POLL', cls: 'misc', since: 11, request: [st(fuse_poll_in)], reply: [st(fuse_poll_out)] }),
] as const;
