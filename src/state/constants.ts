/**
 * Small constants the state stage tests directly. Sources: the flag tables
 * in protocol/flags (include/uapi/linux/fuse.h 7.45, asm-generic/fcntl.h).
 */
export { O_TRUNC, O_DIRECT, FOPEN_DIRECT_IO } from '../protocol/flags/open.js';
/** FOPEN_PASSTHROUGH (bit 7, 7.40). */
export const FOPEN_PASSTHROUGH_BIT = 1 << 7;
export { S_IFMT, S_IFREG } from '../protocol/flags/attr.js';
