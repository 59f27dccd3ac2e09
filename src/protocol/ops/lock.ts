/** POSIX and BSD locks (fuse-protocol.md §3.8). */
import { defineOp, st } from './define.js';
import { fuse_lk_in, fuse_lk_out } from '../layouts/lock.js';

export const LOCK_OPS = [
  defineOp({ code: 31, name: 'GETLK', cls: 'lock', since: 7, request: [st(fuse_lk_in)], reply: [st(fuse_lk_out)] }),
  defineOp({ code: 32, name: 'SETLK', cls: 'lock', since: 7, request: [st(fuse_lk_in)], reply: [] }),
  defineOp({ code: 33, name: 'SETLKW', cls: 'lock', since: 7, request: [st(fuse_lk_in)], reply: [] }),
] as const;
