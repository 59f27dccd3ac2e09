/**
 * What every command shares: turning errors into a message for people and
 * an exit code, colour and progress decisions, and buffered output that
 * stays fast on millions of lines and quiet when the reader goes away (EPIPE).
 */
import { CaptureError, OutputClosed, UsageError } from '../capture/errors.js';
import { OutputFile } from '../capture/write-fully.js';
import type { ProtocolOverride } from '../protocol/version.js';
import { escapeControls } from '../report/untrusted-text.js';
import { TEXT_BUFFER, TextBuffer } from '../report/text-buffer.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
const EXIT_INTERNAL = 3;

/** Prints an error for people: what, where, and a hint when there is one. */
export function printError(e: unknown): number {
  if (e instanceof CaptureError || e instanceof UsageError) {
    // Messages may quote names from the capture: shown with escapes.
    process.stderr.write(`fusetrace: error: ${escapeControls(e.message)}\n`);
    if (e.hint) process.stderr.write(`  hint: ${escapeControls(e.hint)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (e instanceof OutputClosed) return EXIT_OK;
  const err = e as Error;
  process.stderr.write(`fusetrace: internal error: ${err?.message ?? String(e)}\n`);
  process.stderr.write('  hint: this is a bug in fusetrace; run with FUSETRACE_DEBUG=1 for the stack trace and report it\n');
  if (process.env.FUSETRACE_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

/** Runs a command body and maps its outcome to an exit code. */
export async function runCommand(body: () => number | Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    return printError(e);
  }
}

/** Prints a warning on stderr (never on stdout, which may carry machine output). */
export function warn(message: string): void {
  process.stderr.write(`fusetrace: warning: ${escapeControls(message)}\n`);
}

/** Colour only on a terminal, never with --no-color or NO_COLOR. */
export function colorEnabled(opts: { color?: boolean }, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (opts.color === false || process.env.NO_COLOR) return false;
  return stream.isTTY === true;
}


/**
 * Buffered synchronous output to stdout or a file. Text is encoded straight
 * into one reusable buffer, written out each time it fills (about 256 KiB a
 * write): a dump or export hands it millions of lines, and no string is
 * joined or copied on the way.
 */
export class Output {
  private readonly file: OutputFile;
  /** The buffer: writers of long outputs (dump) append to it directly. */
  readonly text: TextBuffer;

  constructor(path: string | undefined) {
    const file = (this.file = new OutputFile(path ?? '-'));
    this.text = new TextBuffer(TEXT_BUFFER, (b) => file.write(b));
  }

  write(s: string): void {
    this.text.str(s);
  }

  line(s: string): void {
    this.write(s);
    this.text.byte(10);
  }

  flush(): void {
    this.text.flush();
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}

export const LINKTYPE_HELP = 'also read interfaces of this pcapng link type as FUSE (default: link type 147 named fuse*)';

/** Parses `--linktype N`: a pcapng link type (0-65535) to accept as FUSE besides 147 with a `fuse` name. */
export function parseLinkType(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= 0xffff)) throw new UsageError(`--linktype ${v}: expected a pcapng link type number (0-65535), e.g. 147`);
  return n;
}

/** Parses `--proto 7.31` (or `31`). */
export function parseProto(v: string | undefined): ProtocolOverride | undefined {
  if (v === undefined) return undefined;
  const m = /^(?:7\.)?(\d{1,2})$/.exec(v.trim());
  if (!m) throw new UsageError(`--proto ${v}: expected a FUSE protocol version such as 7.31`);
  const minor = Number(m[1]);
  if (minor > 45) throw new UsageError(`--proto ${v}: fusetrace knows layouts up to 7.45`);
  return { minor };
}

/** The help of `--machine`, one text for every command that has it. */
export const MACHINE_HELP = 'the machine (uname -m) a capture was recorded on, when it does not say (fusedump, older recordings): ' +
  'its kernel numbers the open(2) flags (default: as the capture says, else x86_64)';

/** Parses `--machine aarch64`. */
export function parseMachine(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new UsageError(`--machine ${v}: expected a machine name as uname -m prints it, such as x86_64 or aarch64`);
  return v;
}

/** The progress line on a terminal, only for inputs big enough to take a while (32 MiB, or stdin). */
export function quietProgress(label = 'reading'): ((done: number, total: number) => void) | undefined {
  const p = progressReporter(label);
  if (!p) return undefined;
  return (done, total) => {
    if (total === 0 || total >= 32 << 20) p(done, total);
  };
}

/** A progress line on stderr for long runs, only when stderr is a terminal. */
function progressReporter(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  let lastDone = -1;
  return (done, total) => {
    const now = Date.now();
    // A compressed file is read to its end while what was decompressed from it is still being parsed: the same count
    // comes again, on a slow machine after more than the 250 ms, and is said once.
    if (done === lastDone || (now - last < 250 && done < total)) return;
    last = now;
    lastDone = done;
    const pct = total > 0 ? ((100 * done) / total).toFixed(0) : '?';
    process.stderr.write(`\r${label}: ${(done / 1048576).toFixed(0)} MiB${total > 0 ? ` of ${(total / 1048576).toFixed(0)} MiB (${pct}%)` : ''}   `);
    if (done >= total && total > 0) process.stderr.write('\r\x1b[K');
  };
}
