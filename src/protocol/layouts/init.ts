/**
 * INIT and CUSE_INIT (fuse-protocol.md §3.6, §4.1).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 * fuse_init_in is 8 bytes before 7.6, 16 for 7.6-7.35, 64 from 7.36 (size it
 * from the message length). fuse_init_out is 8 (< 7.5), 24 (7.5-7.22) or 64.
 */
import { struct } from '../layout.js';
import { CUSE_INIT_FLAGS, FUSE_INIT_FLAGS } from '../flags/init.js';

export const fuse_init_in = struct('fuse_init_in', [
  { name: 'major', type: 'u32' },
  { name: 'minor', type: 'u32' },
  { name: 'max_readahead', type: 'u32', since: 6, unit: 'bytes' },
  { name: 'flags', type: 'u32', since: 6, flags: FUSE_INIT_FLAGS, doc: 'low 32 bits of the offered flags' },
  { name: 'flags2', type: 'u32', since: 36, doc: 'high 32 bits (bits 32-63), valid only with FUSE_INIT_EXT in flags' },
  { name: 'unused', type: { bytes: 44 }, since: 36, pad: true },
], { size: 64, doc: 'INIT request body (kernel -> daemon). 8 bytes before 7.6, 16 bytes 7.6-7.35.' });

export const fuse_init_out = struct('fuse_init_out', [
  { name: 'major', type: 'u32' },
  { name: 'minor', type: 'u32' },
  { name: 'max_readahead', type: 'u32', since: 5, unit: 'bytes' },
  { name: 'flags', type: 'u32', since: 5, flags: FUSE_INIT_FLAGS, doc: 'low 32 bits of the accepted flags' },
  { name: 'max_background', type: 'u16', since: 13, doc: '0 = default 12' },
  { name: 'congestion_threshold', type: 'u16', since: 13 },
  { name: 'max_write', type: 'u32', since: 5, unit: 'bytes' },
  { name: 'time_gran', type: 'u32', since: 23, unit: 'ns' },
  { name: 'max_pages', type: 'u16', since: 28, unit: 'pages', doc: 'used only with FUSE_MAX_PAGES' },
  { name: 'map_alignment', type: 'u16', since: 31, unit: 'log2 bytes' },
  { name: 'flags2', type: 'u32', since: 36, doc: 'high 32 bits, only with FUSE_INIT_EXT' },
  { name: 'max_stack_depth', type: 'u32', since: 40 },
  { name: 'request_timeout', type: 'u16', since: 43, unit: 's' },
  { name: 'unused', type: { bytes: 22 }, pad: true },
], { size: 64, doc: 'INIT reply (daemon -> kernel). 8 bytes before 7.5, 24 bytes 7.5-7.22.' });

export const cuse_init_in = struct('cuse_init_in', [
  { name: 'major', type: 'u32' },
  { name: 'minor', type: 'u32' },
  { name: 'unused', type: 'u32', pad: true },
  { name: 'flags', type: 'u32', flags: CUSE_INIT_FLAGS },
], { size: 16, doc: 'CUSE_INIT request body (/dev/cuse).' });

export const cuse_init_out = struct('cuse_init_out', [
  { name: 'major', type: 'u32' },
  { name: 'minor', type: 'u32' },
  { name: 'unused', type: 'u32', pad: true },
  { name: 'flags', type: 'u32', flags: CUSE_INIT_FLAGS },
  { name: 'max_read', type: 'u32', unit: 'bytes' },
  { name: 'max_write', type: 'u32', unit: 'bytes' },
  { name: 'dev_major', type: 'u32' },
  { name: 'dev_minor', type: 'u32' },
  { name: 'spare', type: { bytes: 40 }, pad: true },
], { size: 72, doc: 'CUSE_INIT reply; "KEY=value\\0" device-info strings follow.' });
