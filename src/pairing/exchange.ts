/**
 * One request and (once it arrives) its reply: the record the pairing stage
 * keeps while a request is in flight and hands to the analysis when it
 * completes. It holds the header and the handful of argument fields the
 * analysis needs (filled by protocol/extract.ts from the declared layouts);
 * the full decode of a message is done only by consumers that print it.
 * One class with a fixed shape so that V8 keeps field access monomorphic.
 */

/** A 64-bit id: a number while exact (almost always), else a bigint. */
export type Id = number | bigint;

export const NO_REPLY = -1;

/** One READDIR/READDIRPLUS record (protocol/extract.ts). */
export interface DirEntry {
  name: string;
  /** fuse_dirent.ino and .off (the cookie) and .type (DT_*). */
  ino: Id;
  off: Id;
  type: number;
  /** READDIRPLUS only: entry_out.nodeid (0 = no inode information), attr.size, attr_valid in ns. */
  nodeid: Id | undefined;
  size: number;
  attrValidNs: number;
}

export class Exchange {
  // --- request header -----------------------------------------------------
  conn = 0;
  unique: Id = 0;
  opcode = 0;
  /** Header nodeid (the parent directory for name operations). */
  nodeid: Id = 0;
  uid = 0;
  gid = 0;
  /** Header pid: the calling thread's id, 0 for kernel-originated requests. */
  callerPid = 0;
  /** Request extension length in bytes (total_extlen * 8). */
  extLen = 0;
  reqLen = 0;
  /** Bytes of the request present in the capture (less than reqLen when snapped). */
  reqCapLen = 0;
  /** Daemon process/thread that read the request (-1 unknown). */
  pid = -1;
  tid = -1;
  tReq = 0;
  /** Sequence number of the request message in its input (0-based). */
  reqIndex = 0;
  reqFileOffset = 0;
  input = 0;

  // --- request arguments the analysis reads (NaN / undefined when absent) ---
  /** File handle (READ, WRITE, FLUSH, FSYNC, RELEASE, SETATTR with FATTR_FH, FALLOCATE, ...). */
  fh: Id | undefined = undefined;
  /** Byte offset (READ, WRITE, FALLOCATE, COPY_FILE_RANGE off_out, LSEEK). */
  offset = NaN;
  /** Byte count (READ/WRITE size, FALLOCATE length, COPY_FILE_RANGE len, SETATTR size). */
  size = NaN;
  /** Open flags (OPEN, CREATE, READ/WRITE `flags`, RELEASE flags). */
  flags = 0;
  /** Opcode-specific flag word: write_flags, SETATTR valid, FALLOCATE mode, fsync_flags, RENAME2 flags. */
  opFlags = 0;
  /** First name in the body (LOOKUP, CREATE, MKDIR, UNLINK, RENAME old, LINK newname, SYMLINK name). */
  name: string | undefined = undefined;
  /** Second name (RENAME/RENAME2 new name; SYMLINK target). */
  name2: string | undefined = undefined;
  /** Second node (RENAME newdir, LINK oldnodeid, COPY_FILE_RANGE nodeid_out). */
  node2: Id | undefined = undefined;
  /** INTERRUPT: the unique it targets. */
  target: Id | undefined = undefined;
  /** FORGET / BATCH_FORGET: flat pairs [nodeid, nlookup, nodeid, nlookup, ...]. */
  forgets: Id[] | undefined = undefined;

  // --- reply --------------------------------------------------------------
  tReply = NaN;
  /** Reply error (0 or -errno); NO_REPLY until a reply is seen. */
  error = NO_REPLY;
  replyLen = 0;
  replyCapLen = 0;
  replyTid = -1;
  replyIndex = -1;
  replyFileOffset = -1;
  /** The write(2) carrying the reply failed: errno (or -1 unknown); 0 = accepted. */
  replyFailedErrno = 0;
  /** Result size: write_out.size, READ data length, copy_file_range bytes, READDIR bytes. */
  resultSize = NaN;
  /** Nodeid returned (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK, LINK, TMPFILE); 0 = negative entry. */
  resultNodeid: Id | undefined = undefined;
  /** attr.ino and attr.size from a reply that carries fuse_attr (GETATTR, SETATTR, entry replies, STATX). */
  attrIno: Id | undefined = undefined;
  attrSize = NaN;
  /** attr_valid of that reply in ns (0 = not cacheable). */
  attrValidNs = NaN;
  /** OPEN/CREATE reply: fh and FOPEN_* flags. */
  resultFh: Id | undefined = undefined;
  openFlags = 0;
  /** READDIR / READDIRPLUS reply records, in order. */
  entries: DirEntry[] | undefined = undefined;
  /** Some BATCH_FORGET entries or directory records were cut by the snap length (not malformed). */
  partial = false;

  // --- set by the state stage when the request is processed (time order) ----
  /** Path of the file at request time (`?<nodeid>` when unknown). */
  path: string | undefined = undefined;
  /** Size views of the target file when the request was sent (NaN = unknown). */
  kernelSizeAtReq = NaN;
  daemonSizeAtReq = NaN;
  /** Exchanges in flight on the same file when the request was read, this one excluded. */
  fileInflightAtReq = 0;

  // --- pairing ------------------------------------------------------------
  /** Time of the first INTERRUPT for this request (NaN if never interrupted). */
  tInterrupt = NaN;
  interrupts = 0;
  /** Set by the pairing stage for a request that will never get a reply by design. */
  noReplyExpected = false;
  /** Decoding problems found in the request or reply (malformed/truncated), if any. */
  problem: string | undefined = undefined;

  get replied(): boolean {
    return this.error !== NO_REPLY;
  }

  /** Latency in ns, NaN without a reply. */
  get latency(): number {
    return this.tReply - this.tReq;
  }
}
