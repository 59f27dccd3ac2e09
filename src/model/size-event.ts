/** One change of a file's size views (kernel, daemon, reported), as the model and the `sizes` table list them. */
import type { Id } from './id64.js';

/** What moved a file's size views; the order is the stored code of each. */
export const SIZE_EVENT_KINDS = [
  'report', // a reply carried attr.size
  'write', // a WRITE completed
  'truncate', // SETATTR with FATTR_SIZE completed
  'open-trunc', // OPEN/CREATE with O_TRUNC completed
  'fallocate',
  'copy', // COPY_FILE_RANGE into the file
  'inval', // NOTIFY_INVAL_INODE
  'store', // NOTIFY_STORE
  'short-read', // a page-cache READ answered short: the kernel's size shrinks to its end
] as const;

export type SizeEventKind = (typeof SIZE_EVENT_KINDS)[number];

/**
 * The code of each kind, as the state passes and stores it: its index in
 * SIZE_EVENT_KINDS (a test holds the two in step). tsc writes each use as
 * its number. The state looked the code up by the kind's name, a keyed load
 * that saw nine names and went megamorphic: a stub-cache probe of about 130
 * instructions per size event (27 a message of analyze on the many-file
 * recording).
 */
export const enum SizeCode {
  Report = 0,
  Write = 1,
  Truncate = 2,
  OpenTrunc = 3,
  Fallocate = 4,
  Copy = 5,
  Inval = 6,
  Store = 7,
  ShortRead = 8,
}

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
