/**
 * Every declared struct, and the compat sizes of the ones that grew
 * (fuse-protocol.md §4.1). Docs, tests and the decoder read these lists.
 */
import type { StructLayout } from '../layout.js';
import * as header from './header.js';
import * as attr from './attr.js';
import * as io from './io.js';
import * as dir from './dir.js';
import * as xattr from './xattr.js';
import * as lock from './lock.js';
import * as init from './init.js';
import * as misc from './misc.js';
import * as notify from './notify.js';
import * as ext from './ext.js';

function layoutsOf(mod: Record<string, unknown>): StructLayout[] {
  return Object.values(mod).filter((v): v is StructLayout => typeof v === 'object' && v !== null && (v as StructLayout).kind === 'struct');
}

/** Families in doc order: [file name, structs]. */
export const LAYOUT_FAMILIES: readonly (readonly [string, readonly StructLayout[]])[] = [
  ['header', layoutsOf(header)],
  ['attr', layoutsOf(attr)],
  ['io', layoutsOf(io)],
  ['dir', layoutsOf(dir)],
  ['xattr', layoutsOf(xattr)],
  ['lock', layoutsOf(lock)],
  ['init', layoutsOf(init)],
  ['misc', layoutsOf(misc)],
  ['notify', layoutsOf(notify)],
  ['ext', layoutsOf(ext)],
];

export const ALL_LAYOUTS: readonly StructLayout[] = LAYOUT_FAMILIES.flatMap(([, l]) => l);

export const LAYOUTS_BY_NAME: ReadonlyMap<string, StructLayout> = new Map(ALL_LAYOUTS.map((l) => [l.name, l]));

/**
 * Sizes of structs that were shorter in older minors: [below minor, size].
 * The kernel applies these from the negotiated minor (fuse_adjust_compat,
 * fuse_write_args_fill). INIT structs are sized by message length instead.
 */
export const COMPAT_SIZES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  fuse_attr: [[9, 80]],
  fuse_entry_out: [[9, 120]],
  fuse_attr_out: [[9, 96]],
  fuse_kstatfs: [[4, 48]],
  fuse_statfs_out: [[4, 48]],
  fuse_write_in: [[9, 24]],
  fuse_mknod_in: [[12, 8]],
  fuse_create_in: [[12, 8]],
  fuse_init_in: [[6, 8], [36, 16]],
  fuse_init_out: [[5, 8], [23, 24]],
};

/** Size of a struct as a peer speaking `minor` sends it. */
export function sizeAt(l: StructLayout, minor: number): number {
  const c = COMPAT_SIZES[l.name];
  if (c) for (const [below, size] of c) if (minor < below) return size;
  return l.size;
}
