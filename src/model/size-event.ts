/** One change of a file's size views (kernel, daemon, reported), as the model and the `sizes` table list them. */
import type { Id } from './id64.js';

/**
 * What moved a file's size views, as the state passes and stores it: a code
 * tsc writes as its number. The state looked the code up by the kind's name
 * once, a keyed load that saw nine names and went megamorphic: a stub-cache
 * probe of about 130 instructions per size event (27 a message of analyze on
 * the many-file recording). Numbered from 0 in order (no values given), so
 * that each code is the index of its name in SIZE_EVENT_KINDS.
 */
export const enum SizeCode {
  /** A reply carried attr.size. */
  Report,
  /** A WRITE completed. */
  Write,
  /** SETATTR with FATTR_SIZE completed. */
  Truncate,
  /** OPEN/CREATE with O_TRUNC completed. */
  OpenTrunc,
  Fallocate,
  /** COPY_FILE_RANGE into the file. */
  Copy,
  /** NOTIFY_INVAL_INODE. */
  Inval,
  /** NOTIFY_STORE. */
  Store,
  /** A page-cache READ answered short: the kernel's size shrinks to its end. */
  ShortRead,
}

/** Each code's name, as the model and the `sizes` table give it: tsc requires one for every code, and no other. */
export const SIZE_EVENT_NAME = {
  [SizeCode.Report]: 'report',
  [SizeCode.Write]: 'write',
  [SizeCode.Truncate]: 'truncate',
  [SizeCode.OpenTrunc]: 'open-trunc',
  [SizeCode.Fallocate]: 'fallocate',
  [SizeCode.Copy]: 'copy',
  [SizeCode.Inval]: 'inval',
  [SizeCode.Store]: 'store',
  [SizeCode.ShortRead]: 'short-read',
} as const satisfies Record<SizeCode, string>;

export type SizeEventKind = (typeof SIZE_EVENT_NAME)[SizeCode];

/** The names by code (integer keys list in ascending order). */
export const SIZE_EVENT_KINDS: readonly SizeEventKind[] = Object.values(SIZE_EVENT_NAME);

export interface SizeEvent {
  t: number;
  conn: number;
  nodeid: Id;
  path: string;
  event: SizeEventKind;
  unique: Id | null;
  /** The size the event itself carried (attr.size, offset+written, new size). */
  value: number | null;
  kernelSize: number | null;
  daemonSize: number | null;
  reportedSize: number | null;
}
