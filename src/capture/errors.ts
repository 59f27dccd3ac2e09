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
  ) {
    // A negative offset means the problem is the file as a whole (cannot open it).
    const where = offset < 0 ? '' : `${blockNo !== undefined ? `block #${blockNo} ` : ''}at byte ${offset} (0x${offset.toString(16)}): `;
    super(`${file}: ${where}${what}`);
  }
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
