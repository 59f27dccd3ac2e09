/**
 * One request and (once it arrives) its reply: the record the pairing stage
 * keeps while a request is in flight and hands to the analysis when it
 * completes. It holds the headers and the handful of argument and result
 * fields the analysis needs. Three stages write it: protocol/extract.ts (from
 * the declared layouts) the headers, arguments, results and each side's
 * protocol problem; the pairing stage `noReplyExpected`, the message indices
 * and INTERRUPT marks; the state stage the path and size views at request time. The full decode of a message is done only by
 * consumers that print it.
 * One class with a fixed shape so that V8 keeps field access monomorphic.
 *
 * One is allocated per request, millions per second, so it holds as own
 * fields only what most exchanges set. Fields that only some replies carry
 * (entry, attributes, open handle, directory records) live in a
 * `ReplyResult`, and rarer request fields (second names and nodes, INTERRUPT
 * and FORGET data) in an `ExchangeExtra`; each is allocated on the first
 * write. Accessors keep every field's name and default, so readers never see
 * the split.
 */
import type { Id } from '../model/id64.js';
import type { ProblemNote } from './problems.js';
import { resetterOf } from './recycle.js';

/** One READDIR/READDIRPLUS record (protocol/extract.ts). */
export interface DirEntry {
  name: string;
  /** fuse_dirent.ino and .off (the cookie) and .type (DT_*). */
  ino: Id;
  off: Id;
  type: number;
  /**
   * READDIRPLUS only: entry_out.nodeid (0 = no inode information), attr.ino
   * (which need not equal the dirent's ino: go-fuse puts 0xFFFFFFFF there),
   * attr.size, attr.mode (NaN without), attr_valid in ns.
   */
  nodeid: Id | undefined;
  attrIno: Id | undefined;
  size: number;
  mode: number;
  attrValidNs: number;
}

export class Exchange {
  // Field order is memory order: V8 lays an object's fields out in the order
  // its initialisers run. The analysis reads an exchange after it waited in
  // the ordering window, out of the CPU's caches by then: the fields its
  // request and reply handlers read come first, together in a few cache
  // lines (the request's misses bring in the reply's fields too); those only
  // printers and exports read come last.

  conn = 0;
  opcode = 0;
  tReq = 0;
  tReply = NaN;
  reqLen = 0;
  /** Bytes of the request present in the capture (less than reqLen when snapped). */
  reqCapLen = 0;
  replyLen = 0;
  replyCapLen = 0;
  /** Reply error (0 or -errno; a hostile capture may hold any int32); meaningful only when `replied`. */
  error = 0;
  /**
   * A reply was paired with this request. Its own fact: every int32 is a
   * possible `error` (-1 is -EPERM), so no error value can stand for "none".
   */
  replied = false;
  /** Set by the pairing stage for a request that will never get a reply by design. */
  noReplyExpected = false;
  /**
   * The state stage's record of the exchange while it is in flight there (a
   * `Track` of state/; opaque to the stages before it): the reply finds it
   * here rather than by a lookup of its unique.
   */
  stateTrack: object | undefined = undefined;
  /** Daemon thread that read the request, and the one that wrote the reply (-1 unknown). */
  tid = -1;
  replyTid = -1;
  /** Header nodeid (the parent directory for name operations). */
  nodeid: Id = 0;
  unique: Id = 0;
  /** First name in the body (LOOKUP, CREATE, MKDIR, UNLINK, RENAME old, LINK newname, SYMLINK name). */
  name: string | undefined = undefined;
  /** The write(2) carrying the reply failed: errno (or -1 unknown); 0 = accepted. */
  replyFailedErrno = 0;
  /**
   * Entry/attribute/open/directory results of the reply, when it carried any
   * (see `ReplyResult`); read them through the accessors below. extract.ts
   * fills it in one go: a new record, or the emptied one a reused exchange
   * kept (`Pairer.recycle`), which reads as no record at all.
   */
  result: ReplyResult | undefined = undefined;
  /** Rarely set fields (see `ExchangeExtra`); read them through the accessors below. */
  private extra: ExchangeExtra | undefined = undefined;
  /**
   * Something keeps this exchange past the stages that handle it (a
   * detector's episode, a pairing problem waiting in the ordering window):
   * the analysis never recycles it (`resetExchange`).
   */
  held = false;
  /** File handle (READ, WRITE, FLUSH, FSYNC, RELEASE, SETATTR with FATTR_FH, FALLOCATE, ...). */
  fh: Id | undefined = undefined;
  /** Open flags (OPEN, CREATE, READ/WRITE `flags`, RELEASE flags). */
  flags = 0;
  /** Opcode-specific flag word: write_flags, SETATTR valid, FALLOCATE mode, fsync_flags, RENAME2 flags. */
  opFlags = 0;
  /** Byte offset (READ, WRITE, FALLOCATE, COPY_FILE_RANGE off_out, LSEEK). */
  offset = NaN;
  /** Byte count (READ/WRITE size, FALLOCATE length, COPY_FILE_RANGE len, SETATTR size). */
  size = NaN;
  /** Result size: write_out.size, READ data length, copy_file_range bytes, READDIR bytes. */
  resultSize = NaN;
  /**
   * For a request naming a child of its nodeid (LOOKUP, CREATE, UNLINK ...):
   * the directory's path at request time, its own joined on first read of
   * `path` (analyze reads few of them, and each join is a new string).
   */
  dirPath: string | undefined = undefined;
  /** `path` once known (see there). */
  private pathKnown: string | undefined = undefined;
  /** Exchanges in flight on the same file when the request was read, this one excluded. */
  fileInflightAtReq = 0;
  /** Size views of the target file when the request was sent (NaN = unknown). */
  kernelSizeAtReq = NaN;
  daemonSizeAtReq = NaN;

  // --- read by printers and exports only ----------------------------------
  uid = 0;
  gid = 0;
  /** Header pid: the calling thread's id, 0 for kernel-originated requests. */
  callerPid = 0;
  /** Request extension length in bytes (total_extlen * 8). */
  extLen = 0;
  /** Daemon process that read the request (-1 unknown). */
  pid = -1;
  /** ns `tReq` cannot hold past 104 days from the epoch (`CaptureMessage.tRest`): exports stay exact. */
  tReqRest = 0;
  /** Sequence number of the request message in its input (0-based). */
  reqIndex = 0;
  reqFileOffset = 0;
  input = 0;
  /** ns `tReply` cannot hold (see `tReqRest`). */
  tReplyRest = 0;
  replyIndex = -1;
  replyFileOffset = -1;
  /** Some BATCH_FORGET entries or directory records were cut by the snap length (not malformed). */
  partial = false;
  /**
   * The first protocol problem (malformed or truncated, protocol/problems.ts)
   * found in the request, and in the reply; each side's own, so that a
   * printer of one message reads its problem here instead of checking again.
   */
  reqProblem: ProblemNote | undefined = undefined;
  replyProblem: ProblemNote | undefined = undefined;

  /** Path of the file at request time (`?<nodeid>` when unknown). */
  get path(): string | undefined {
    if (this.dirPath !== undefined) {
      this.pathKnown = childPath(this.dirPath, this.name ?? '');
      this.dirPath = undefined;
    }
    return this.pathKnown;
  }
  set path(v: string | undefined) {
    this.pathKnown = v;
    this.dirPath = undefined;
  }

  /** Latency in ns, NaN without a reply. */
  get latency(): number {
    return this.tReply - this.tReq;
  }

  /** The records for the setters, made on first use (extract.ts fills a new `ReplyResult` in one go instead). */
  private setResult(): ReplyResult {
    return (this.result ??= new ReplyResult());
  }

  private more(): ExchangeExtra {
    return (this.extra ??= new ExchangeExtra());
  }

  // --- reply results (ReplyResult) ------------------------------------------
  /** Nodeid returned (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK, LINK, TMPFILE); 0 = negative entry. */
  get resultNodeid(): Id | undefined { return this.result?.resultNodeid; }
  set resultNodeid(v: Id | undefined) { this.setResult().resultNodeid = v; }
  /** attr.ino and attr.size from a reply that carries fuse_attr (GETATTR, SETATTR, entry replies, STATX). */
  get attrIno(): Id | undefined { return this.result?.attrIno; }
  set attrIno(v: Id | undefined) { this.setResult().attrIno = v; }
  get attrSize(): number { return this.result === undefined ? NaN : this.result.attrSize; }
  set attrSize(v: number) { this.setResult().attrSize = v; }
  /** attr.mode of that reply (S_IFMT type and permissions; NaN when absent). */
  get attrMode(): number { return this.result === undefined ? NaN : this.result.attrMode; }
  set attrMode(v: number) { this.setResult().attrMode = v; }
  /** attr_valid of that reply in ns (0 = not cacheable). */
  get attrValidNs(): number { return this.result === undefined ? NaN : this.result.attrValidNs; }
  set attrValidNs(v: number) { this.setResult().attrValidNs = v; }
  /** OPEN/CREATE reply: fh and FOPEN_* flags. */
  get resultFh(): Id | undefined { return this.result?.resultFh; }
  set resultFh(v: Id | undefined) { this.setResult().resultFh = v; }
  get openFlags(): number { return this.result === undefined ? 0 : this.result.openFlags; }
  get backingId(): number { return this.result === undefined ? 0 : this.result.backingId; }
  set openFlags(v: number) { this.setResult().openFlags = v; }
  /** READDIR / READDIRPLUS reply records, in order. */
  get entries(): DirEntry[] | undefined { return this.result?.entries; }
  set entries(v: DirEntry[] | undefined) { this.setResult().entries = v; }

  // --- rare request fields (ExchangeExtra) ------------------------------------
  /**
   * `offset` and `size` are numbers for arithmetic; the rare value past 2^53
   * (a READDIR cookie of 2^63-1, a hostile capture) is kept exact here for
   * output, which must never print a rounded 64-bit value.
   */
  get offsetExact(): bigint | undefined { return this.extra?.offsetExact; }
  set offsetExact(v: bigint | undefined) { this.more().offsetExact = v; }
  get sizeExact(): bigint | undefined { return this.extra?.sizeExact; }
  set sizeExact(v: bigint | undefined) { this.more().sizeExact = v; }
  /** Second name (RENAME/RENAME2 new name; SYMLINK target). */
  get name2(): string | undefined { return this.extra?.name2; }
  set name2(v: string | undefined) { this.more().name2 = v; }
  /** Second node (RENAME newdir, LINK oldnodeid, COPY_FILE_RANGE nodeid_out). */
  get node2(): Id | undefined { return this.extra?.node2; }
  set node2(v: Id | undefined) { this.more().node2 = v; }
  /** INTERRUPT: the unique it targets. */
  get target(): Id | undefined { return this.extra?.target; }
  set target(v: Id | undefined) { this.more().target = v; }
  /** FORGET / BATCH_FORGET: flat pairs [nodeid, nlookup, nodeid, nlookup, ...]. */
  get forgets(): Id[] | undefined { return this.extra?.forgets; }
  set forgets(v: Id[] | undefined) { this.more().forgets = v; }
  /** Time of the first INTERRUPT for this request (NaN if never interrupted). */
  get tInterrupt(): number { return this.extra === undefined ? NaN : this.extra.tInterrupt; }
  set tInterrupt(v: number) { this.more().tInterrupt = v; }
  get interrupts(): number { return this.extra === undefined ? 0 : this.extra.interrupts; }
  set interrupts(v: number) { this.more().interrupts = v; }
}

/** The path of `name` in the directory whose path is `dir`. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Results only entry, attribute, open and directory replies carry (defaults as in Exchange). */
export class ReplyResult {
  resultNodeid: Id | undefined = undefined;
  attrIno: Id | undefined = undefined;
  attrSize = NaN;
  attrMode = NaN;
  attrValidNs = NaN;
  resultFh: Id | undefined = undefined;
  openFlags = 0;
  /** fuse_open_out.backing_id of a FOPEN_PASSTHROUGH reply (0 otherwise). */
  backingId = 0;
  entries: DirEntry[] | undefined = undefined;
}

/** Fields few exchanges set: exact 64-bit offset and size, second names and nodes, INTERRUPT and FORGET data. */
class ExchangeExtra {
  offsetExact: bigint | undefined = undefined;
  sizeExact: bigint | undefined = undefined;
  name2: string | undefined = undefined;
  node2: Id | undefined = undefined;
  target: Id | undefined = undefined;
  forgets: Id[] | undefined = undefined;
  tInterrupt = NaN;
  interrupts = 0;
}

/**
 * Sets every field of an exchange back to its default (the initialisers
 * above), so that the analysis can reuse the records of completed exchanges
 * instead of allocating one per request (`Pairer.recycle`).
 */
export const resetExchange: (x: Exchange) => void = resetterOf(new Exchange(), 'Exchange');

/** Sets every field of a reply record back to its default (a reused exchange keeps its record: `Pairer.recycle`). */
export const resetReplyResult: (r: ReplyResult) => void = resetterOf(new ReplyResult(), 'ReplyResult');
