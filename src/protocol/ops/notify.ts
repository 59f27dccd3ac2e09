/**
 * Notifications (daemon -> kernel, unique 0, the code in `error`) and the
 * one request that answers a RETRIEVE (fuse-protocol.md §2.2).
 */
import { defineNotify, defineOp, data, st, str } from './define.js';
import {
  fuse_notify_delete_out, fuse_notify_inval_entry_out, fuse_notify_inval_inode_out, fuse_notify_poll_wakeup_out, fuse_notify_prune_out,
  fuse_notify_retrieve_in, fuse_notify_retrieve_out, fuse_notify_store_out,
} from '../layouts/notify.js';

export const NOTIFY_OPS = [
  defineOp({ code: 41, name: 'NOTIFY_REPLY', cls: 'notify', since: 15, noReply: true, request: [st(fuse_notify_retrieve_in), data()], reply: [], argColumns: 10 }),
] as const;

export const NOTIFY_ROWS = [
  defineNotify({ code: 1, name: 'POLL', since: 11, body: [st(fuse_notify_poll_wakeup_out)] }),
  defineNotify({ code: 2, name: 'INVAL_INODE', since: 12, body: [st(fuse_notify_inval_inode_out)] }),
  defineNotify({ code: 3, name: 'INVAL_ENTRY', since: 12, body: [st(fuse_notify_inval_entry_out), str('name')] }),
  defineNotify({ code: 4, name: 'STORE', since: 15, body: [st(fuse_notify_store_out)] }),
  defineNotify({ code: 5, name: 'RETRIEVE', since: 15, body: [st(fuse_notify_retrieve_out)] }),
  defineNotify({ code: 6, name: 'DELETE', since: 18, body: [st(fuse_notify_delete_out), str('name')] }),
  defineNotify({ code: 7, name: 'RESEND', since: 40, body: [] }),
  defineNotify({ code: 8, name: 'INC_EPOCH', since: 44, body: [] }),
  defineNotify({ code: 9, name: 'PRUNE', since: 45, body: [st(fuse_notify_prune_out)] }),
] as const;
