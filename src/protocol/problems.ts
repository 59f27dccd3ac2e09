/**
 * Every protocol problem fusetrace reports about a message, once: a stable
 * id (what JSON, summaries and finding fingerprints carry), its kind (cut
 * by the snap length, or wrong), and the template its message text is made
 * from. `{0}`, `{1}` ... are the numbers (or names) found in the message.
 * Text output shows the rendered message; nothing parses it back.
 */

/** `truncated`: a needed fixed part was cut by the snap length (the message may be right); `malformed`: it is wrong. */
export type ProblemKind = 'truncated' | 'malformed';

export interface ProblemDef {
  readonly id: string;
  readonly kind: ProblemKind;
  readonly template: string;
}

const def = (id: string, kind: ProblemKind, template: string): ProblemDef => ({ id, kind, template });

export const Problem = {
  // Headers and lengths (fuse-protocol.md §1).
  IN_HEADER_SHORT: def('in-header-short', 'malformed', '{0} bytes < 40 needed for fuse_in_header'),
  IN_HEADER_LEN: def('in-header-len', 'malformed', 'header len {0} < 40 (fuse_in_header)'),
  OUT_HEADER_SHORT: def('out-header-short', 'malformed', '{0} bytes < 16 needed for fuse_out_header'),
  OUT_HEADER_LEN: def('out-header-len', 'malformed', 'header len {0} < 16 (fuse_out_header)'),
  LEN_MISMATCH: def('len-mismatch', 'malformed', 'header len {0} differs from the captured message length {1}'),
  REPLY_LEN_MISMATCH: def('reply-len-mismatch', 'malformed', 'reply header len {0} differs from the captured message length {1}'),
  KERNEL_MESSAGE_SHORT: def('kernel-message-short', 'malformed', 'kernel message of {0} bytes is shorter than fuse_in_header (40)'),
  DAEMON_MESSAGE_SHORT: def('daemon-message-short', 'malformed', 'daemon message of {0} bytes is shorter than fuse_out_header (16)'),
  EXTLEN_OVERRUNS: def('extlen-overruns', 'malformed', 'total_extlen {0} ({1} bytes) exceeds the {2}-byte body'),
  // Fixed parts.
  STRUCT_SHORT: def('struct-short', 'malformed', '{0} bytes < {1} needed for {2} at minor {3}'),
  STRUCT_CUT: def('struct-cut', 'truncated', 'truncated: {0} of {1} bytes captured, {2} needs {3}'),
  // Names.
  NAME_UNTERMINATED: def('name-unterminated', 'malformed', 'name is not NUL-terminated'),
  SYMLINK_NAME_UNTERMINATED: def('symlink-name-unterminated', 'malformed', 'SYMLINK name is not NUL-terminated'),
  SYMLINK_TARGET_UNTERMINATED: def('symlink-target-unterminated', 'malformed', 'SYMLINK target is not NUL-terminated'),
  OLD_NAME_UNTERMINATED: def('old-name-unterminated', 'malformed', 'old name is not NUL-terminated'),
  NEW_NAME_UNTERMINATED: def('new-name-unterminated', 'malformed', 'new name is not NUL-terminated'),
  /** A name whose NUL lies past the captured bytes: its captured start is no name (the analysis leaves it unknown). */
  NAME_CUT: def('name-cut', 'truncated', 'truncated: {0} cut after {1} of its bytes'),
  // Request bodies whose lengths disagree with their own fields.
  WRITE_DATA_SIZE: def('write-data-size', 'malformed', '{0} data bytes after fuse_write_in ({1} bytes at minor {2}) != write_in.size {3}'),
  SETXATTR_BODY: def('setxattr-body', 'malformed', 'SETXATTR body {0} bytes != {1} + name {2} + value {3}'),
  INIT_REQUEST_LONG: def('init-request-long', 'malformed', 'INIT request body {0} bytes > {1} (fuse_init_in)'),
  INIT_REQUEST_SHORT: def('init-request-short', 'malformed', 'INIT request body {0} bytes < 8 needed for fuse_init_in'),
  INIT_REPLY_SHORT: def('init-reply-short', 'malformed', 'INIT reply body {0} bytes < 8 needed for fuse_init_out'),
  INIT_REPLY_LONG: def('init-reply-long', 'malformed', 'INIT reply body {0} bytes > {1} (fuse_init_out)'),
  CUSE_INIT_SHORT: def('cuse-init-short', 'malformed', 'CUSE_INIT {0} body {1} bytes < {2} needed for {3}'),
  CUSE_INIT_INFO_LONG: def('cuse-init-info-long', 'malformed', 'CUSE_INIT reply device info {0} bytes > 4096'),
  IOCTL_INPUT_SIZE: def('ioctl-input-size', 'malformed', 'IOCTL carries {0} input bytes, in_size says {1}'),
  NOTIFY_REPLY_DATA_SIZE: def('notify-reply-data-size', 'malformed', 'NOTIFY_REPLY carries {0} data bytes, size says {1}'),
  BATCH_FORGET_COUNT: def('batch-forget-count', 'malformed', 'BATCH_FORGET count {0} needs {1} bytes, message has {2}'),
  REMOVEMAPPING_COUNT: def('removemapping-count', 'malformed', 'REMOVEMAPPING count {0} needs {1} bytes, message has {2}'),
  // Replies the kernel refuses (§1.4).
  ERROR_OUT_OF_RANGE: def('error-out-of-range', 'malformed', 'error {0} outside (-512, 0]: the kernel refuses the reply (EINVAL)'),
  ERROR_REPLY_BODY: def('error-reply-body', 'malformed', 'error reply of {0} bytes: an error reply must be exactly 16 (the kernel refuses it: EINVAL)'),
  REPLY_NO_RESULT: def('reply-no-result', 'malformed', 'reply carries {0} bytes; {1} has no result (the kernel refuses it: EINVAL)'),
  REPLY_SIZE: def('reply-size', 'malformed', 'reply body {0} bytes != {1} of {2} at minor {3} (the kernel refuses it: EINVAL)'),
  REPLY_OVER_REQUESTED: def('reply-over-requested', 'malformed', 'reply carries {0} bytes, more than the {1} requested (the kernel refuses it)'),
  // Directory records (§3.6).
  DIRENT_OVERRUNS: def('dirent-overruns', 'malformed', '{0} at reply byte {1} overruns the {2}-byte body'),
  DIRENT_NAMELEN: def('dirent-namelen', 'malformed', 'directory entry at reply byte {0} has namelen {1} (1..{2})'),
  DIRENT_NAME_OVERRUNS: def('dirent-name-overruns', 'malformed', 'directory entry name at reply byte {0} overruns the {1}-byte body'),
  // Notifications (§2.2).
  NOTIFY_SHORT: def('notify-short', 'malformed', '{0} bytes < {1} needed for {2}'),
  NOTIFY_BODY_SIZE: def('notify-body-size', 'malformed', 'body {0} bytes, {1} needs exactly {2} (the kernel refuses it: EINVAL)'),
  NOTIFY_NOT_NOTIFICATION: def('notify-not-notification', 'malformed', 'unique 0 with error {0}: neither a notification nor a reply to a request'),
  NOTIFY_UNKNOWN: def('notify-unknown', 'malformed', 'unknown notification code {0}'),
} as const;

export type ProblemArg = number | bigint | string;

/** The message of a problem: its template with the numbers put in. */
export function problemText(d: ProblemDef, a?: ProblemArg, b?: ProblemArg, c?: ProblemArg, e?: ProblemArg): string {
  return d.template.replace(/\{(\d)\}/g, (_, i: string) => String([a, b, c, e][Number(i)]));
}

// JSON, summaries and fingerprints tell problems apart by id alone.
if (new Set(Object.values(Problem).map((d) => d.id)).size !== Object.keys(Problem).length) throw new Error('problems: an id is used twice');

/**
 * One problem found in one message: its registry entry and the numbers (or
 * names) its text is made from. Made only when a problem is found (rare), and
 * the text is rendered only when something prints it.
 */
export class ProblemNote {
  constructor(
    readonly def: ProblemDef,
    readonly a?: ProblemArg,
    readonly b?: ProblemArg,
    readonly c?: ProblemArg,
    readonly e?: ProblemArg,
  ) {}

  get id(): string {
    return this.def.id;
  }

  get kind(): ProblemKind {
    return this.def.kind;
  }

  /** The message: the template with the numbers put in. */
  get text(): string {
    return problemText(this.def, this.a, this.b, this.c, this.e);
  }
}

/** What carries the problem of one message (a NotifyEvent). The first problem found stays. */
export interface ProblemHolder {
  problem?: ProblemNote | undefined;
}

/** Records problem `d` on `h` unless it already has one. */
export function noteProblem(h: ProblemHolder, d: ProblemDef, a?: ProblemArg, b?: ProblemArg, c?: ProblemArg, e?: ProblemArg): void {
  if (h.problem === undefined) h.problem = new ProblemNote(d, a, b, c, e);
}
