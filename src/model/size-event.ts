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
 * The stored code of each kind (its index in SIZE_EVENT_KINDS): a property
 * read per size event, where `indexOf` was a builtin call comparing strings.
 */
export const SIZE_EVENT_CODE: Readonly<Record<SizeEventKind, number>> = Object.fromEntries(
  SIZE_EVENT_KINDS.map((k, i) => [k, i]),
) as Record<SizeEventKind, number>;

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
