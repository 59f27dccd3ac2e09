/**
 * Request extensions (7.38+): the last total_extlen*8 bytes of a creating
 * request (fuse-protocol.md §1.7).
 * Source: libfuse include/fuse_kernel.h 7.45 (= Linux 6.18).
 */
import { struct } from '../layout.js';

export const fuse_secctx_header = struct('fuse_secctx_header', [
  { name: 'size', type: 'u32', unit: 'bytes', doc: 'whole block' },
  { name: 'nr_secctx', type: 'u32', doc: '<= FUSE_MAX_NR_SECCTX (31); doubles as the extension type' },
], { size: 8, doc: 'Security-context extension header (7.36).' });

export const fuse_secctx = struct('fuse_secctx', [
  { name: 'size', type: 'u32', unit: 'bytes', doc: 'context length' },
  { name: 'padding', type: 'u32', pad: true },
], { size: 8, doc: 'One security context: name\\0 and size context bytes follow.' });

export const fuse_ext_header = struct('fuse_ext_header', [
  { name: 'size', type: 'u32', unit: 'bytes' },
  { name: 'type', type: 'u32', doc: '0..31 security context, 32 = FUSE_EXT_GROUPS' },
], { size: 8, doc: 'Generic extension header (7.38).' });

export const fuse_supp_groups = struct('fuse_supp_groups', [
  { name: 'nr_groups', type: 'u32' },
], { size: 4, doc: 'FUSE_EXT_GROUPS body (7.38); nr_groups x u32 gid follow.' });

export const FUSE_MAX_NR_SECCTX = 31;
export const FUSE_EXT_GROUPS = 32;
