/** Connection setup and teardown, and interrupting a request (fuse-protocol.md §2, §3.5). */
import { defineOp, data, st } from './define.js';
import { cuse_init_in, cuse_init_out, fuse_init_in, fuse_init_out } from '../layouts/init.js';
import { fuse_interrupt_in } from '../layouts/misc.js';

export const SESSION_OPS = [
  defineOp({ code: 26, name: 'INIT', cls: 'init', since: 0, request: [st(fuse_init_in, { byLen: true })], reply: [st(fuse_init_out, { byLen: true })] }),
  defineOp({ code: 36, name: 'INTERRUPT', cls: 'lifetime', since: 7, request: [st(fuse_interrupt_in)], reply: [] }),
  defineOp({ code: 38, name: 'DESTROY', cls: 'init', since: 8, request: [], reply: [] }),
  defineOp({ code: 4096, name: 'CUSE_INIT', cls: 'init', since: 0, request: [st(cuse_init_in, { byLen: true })], reply: [st(cuse_init_out, { byLen: true }), data('KEY=value strings')] }),
] as const;
