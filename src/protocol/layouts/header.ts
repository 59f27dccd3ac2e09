/**
 * Message headers (fuse-protocol.md §1.1, §1.2).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 */
import { struct } from '../layout.js';

/** Every kernel -> daemon message starts with this (40 bytes). */
export const fuse_in_header = struct('fuse_in_header', [
  { name: 'len', type: 'u32', unit: 'bytes', doc: 'whole message: header + arguments + extensions' },
  { name: 'opcode', type: 'u32', doc: 'see the opcode table' },
  { name: 'unique', type: 'u64', doc: 'request id; odd = INTERRUPT; bit 63 = resent (7.40)' },
  { name: 'nodeid', type: 'u64', doc: 'target inode (parent directory for name operations)' },
  { name: 'uid', type: 'u32', doc: 'caller fsuid' },
  { name: 'gid', type: 'u32', doc: 'caller fsgid' },
  { name: 'pid', type: 'u32', doc: 'caller thread id; 0 for kernel-originated messages' },
  { name: 'total_extlen', type: 'u16', since: 38, unit: '8 bytes', doc: 'length of request extensions in 8-byte units' },
  { name: 'padding', type: 'u16', pad: true },
], { size: 40, doc: 'Header of every request (kernel -> daemon).' });

/** Every daemon -> kernel message starts with this (16 bytes). */
export const fuse_out_header = struct('fuse_out_header', [
  { name: 'len', type: 'u32', unit: 'bytes', doc: 'whole message' },
  { name: 'error', type: 'i32', doc: 'reply: 0 or -errno; notification: the notification code' },
  { name: 'unique', type: 'u64', doc: 'unique of the request answered; 0 = notification' },
], { size: 16, doc: 'Header of every reply and notification (daemon -> kernel).' });
