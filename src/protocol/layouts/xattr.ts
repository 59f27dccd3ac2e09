/**
 * Extended-attribute requests (fuse-protocol.md §3.8).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 * fuse_setxattr_in is 16 bytes with FUSE_SETXATTR_EXT negotiated, else 8
 * (FUSE_COMPAT_SETXATTR_IN_SIZE): a flag, not the minor.
 */
import { struct } from '../layout.js';
import { SETXATTR_FLAGS, XATTR_FLAGS } from '../flags/xattr.js';

export const fuse_setxattr_in = struct('fuse_setxattr_in', [
  { name: 'size', type: 'u32', unit: 'bytes', doc: 'value length' },
  { name: 'flags', type: 'u32', flags: XATTR_FLAGS },
  { name: 'setxattr_flags', type: 'u32', since: 33, flags: SETXATTR_FLAGS, doc: 'only with FUSE_SETXATTR_EXT' },
  { name: 'padding', type: 'u32', since: 33, pad: true },
], { size: 16, doc: 'SETXATTR request body, followed by name\\0 and the value. 8 bytes without FUSE_SETXATTR_EXT.' });

export const fuse_getxattr_in = struct('fuse_getxattr_in', [
  { name: 'size', type: 'u32', unit: 'bytes', doc: '0 = ask for the size' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 8, doc: 'GETXATTR (followed by the name) and LISTXATTR request body.' });

export const fuse_getxattr_out = struct('fuse_getxattr_out', [
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 8, doc: 'GETXATTR/LISTXATTR reply when the request size was 0.' });
