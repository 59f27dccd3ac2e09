/**
 * Typed errors for unreadable input. Each carries where it happened so that
 * the CLI can print "file: block #N at byte 0x..: what was seen, what was
 * expected" and a hint, and exit with code 2.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly blockNo: number | undefined,
    readonly what: string,
    readonly hint?: string,
    /** Which bytes `offset` counts: the file's, or those of a compressed file or of its decompressed data. */
    readonly space: OffsetSpace = 'file',
  ) {
    // A negative offset means the problem is the file as a whole (cannot open it).
    const where = offset < 0 ? '' : `${blockNo !== undefined ? `block #${blockNo} ` : ''}at byte ${offset} (0x${offset.toString(16)})${OF_SPACE[space]}: `;
    super(`${file}: ${where}${what}`);
  }
}

/**
 * What a byte offset counts: the bytes of the file, or, for a gzip-compressed
 * capture, those of the compressed file or of the data decompressed from it.
 * The readers' offsets are in the decompressed data then; a user who took
 * them for the .gz file's would look in the wrong place.
 */
export type OffsetSpace = 'file' | 'compressed' | 'decompressed';

const OF_SPACE: Record<OffsetSpace, string> = {
  file: '',
  compressed: ' of the compressed file',
  decompressed: ' of the decompressed data',
};

/** "byte 0x1f2e", with the space it counts in unless that is the plain file's. */
export function byteAt(offset: number, space: OffsetSpace): string {
  return `byte 0x${offset.toString(16)}${OF_SPACE[space]}`;
}

/** The reader of standard output went away (EPIPE): stop quietly, exit 0. */
export class OutputClosed extends Error {}

/** A usage error (bad option, missing file): exit code 2, no offset. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** What to do when an output's device cannot take it: these say more than any caller's hint. */
const DEVICE_HINTS: Record<string, string> = {
  ENOSPC: 'its file system is full: free space there, or write the output elsewhere',
  EDQUOT: 'your disk quota is used up: free space, or write the output elsewhere',
  EFBIG: 'the file reached the largest size its file system or `ulimit -f` allows: write elsewhere, or narrow the output (--since, --until, --conn, --file)',
  EIO: 'the device reported an I/O error: check it, or write the output elsewhere',
};

/** What to do when an output's path will not do, unless the caller knows better (its `hint`). */
const PATH_HINTS: Record<string, string> = {
  ENOENT: 'check the directory exists',
  ENOTDIR: 'check the directory exists',
  EACCES: 'check the directory is writable, or write the output elsewhere',
  EPERM: 'check the directory is writable, or write the output elsewhere',
  EROFS: 'its file system is read-only: write the output elsewhere',
  EISDIR: 'name a file, not a directory',
};

/**
 * The error for an output (a file, `-` standard output) that could not be
 * opened, written or closed: it names the output and the system's reason
 * (exit code 2, not an internal error), with what to do: about a full disk
 * or a size limit first, then the caller's `hint`, then about the path.
 */
export function writeError(target: string, e: unknown, hint?: string): UsageError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = code === undefined ? hint : DEVICE_HINTS[code] ?? hint ?? PATH_HINTS[code];
  return new UsageError(`cannot write ${target === '-' ? 'standard output' : target}: ${systemReason(e)}`, why);
}

/**
 * The system's reason for a failed call, in words and with its code: "no such
 * file or directory (ENOENT)", as every message about a file that could not be
 * opened, read or written words it.
 */
export function systemReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  // "ENOSPC: no space left on device, write": the words between the code and the call.
  const words = typeof err?.message === 'string' ? /^[A-Z0-9_]+: (.+?), [a-z_]+\b/.exec(err.message)?.[1] : undefined;
  return code === undefined ? String(err?.message ?? e) : words !== undefined ? `${words} (${code})` : code;
}
