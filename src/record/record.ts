/**
 * `fusetrace record`: runs a FUSE daemon under the LD_PRELOAD capture
 * library (build/libftrec.so, src/record/ftrec.c) or under stock strace, and
 * reports where the capture went and how many messages it holds.
 *
 * Also runnable on its own through src/record/standalone.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, existsSync, fstatSync, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../capture/errors.js';
import type { CaptureMessage, CaptureNotice, ConnectionInfo } from '../capture/message.js';
import { readCapture } from '../capture/open.js';
import { BOM, BOM_SWAPPED, Block } from '../capture/pcapng-format.js';
import { guessDirection } from '../protocol/guess-direction.js';
import { closeCapture } from './close-capture.js';
import { unmountDead } from './dead-mounts.js';
import { createStatusFile, type RecorderStatus } from './recorder-status.js';

/** Default snap length: every header, struct and name, no bulk data (capture-format.md). */
export const DEFAULT_SNAPLEN = 4096;
/** Never cut below this: every fixed argument struct survives. */
const MIN_SNAPLEN = 256;

export interface RecordOptions {
  /** Output pcapng path. */
  out: string;
  /** Bytes kept per message; 0 = whole messages. */
  snaplen?: number;
  /** Interface label: if_name `fuse:<label>`. */
  label?: string;
  /** The command to run (daemon and its arguments). */
  command: string[];
  /** Print nothing but errors. */
  quiet?: boolean;
}

/** What a capture file holds, read back with the project's reader. */
interface CaptureSummary {
  messages: number;
  inbound: number;
  outbound: number;
  connections: string[];
  /** Messages the recorder failed to record (sum of isb_ifdrop). */
  drops: number;
  notices: string[];
}

/** The package root: dist/src/record/record.js -> three levels up. */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/record -> package root; src/record (ts-node style) -> package root.
  const up3 = resolve(here, '..', '..', '..');
  if (existsSync(join(up3, 'package.json'))) return up3;
  return resolve(here, '..', '..');
}

/**
 * Makes way for a new capture at `out`, before the daemon starts: a stale
 * file would be counted as this run's, so it goes; anything that is not
 * a regular file is refused (`-o /dev/null` as root must not touch
 * /dev/null, and the capture is read back at the end, which a FIFO or device
 * cannot do); a file that cannot be created (missing or read-only directory)
 * is refused now rather than after a whole workload recorded into nothing.
 */
export function prepareOutput(out: string): void {
  let st;
  try {
    st = lstatSync(out);
  } catch {
    st = undefined; // nothing there
  }
  if (st && !st.isFile()) {
    const what = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new UsageError(`record: ${out} is ${what}; the capture must go to a regular file`, 'give -o a new or existing regular file (it is replaced)');
  }
  try {
    // Created to prove it can be, then removed: the daemon may run as another
    // user (setpriv, fusermount3 mounts) and must create the file itself.
    closeSync(openSync(out, 'w'));
    rmSync(out, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `the directory ${dirname(out)} does not exist`
      : code === 'ENOTDIR' ? `${dirname(out)} is not a directory`
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EROFS' ? 'read-only file system'
      : code === 'ENOSPC' ? 'no space left on the device'
      : (e as Error).message;
    throw new UsageError(`record: cannot write the capture ${out}: ${why}`, 'give -o a file in an existing directory you can write to');
  }
}

/**
 * Checks that `cmd` can be run (a path to an executable, or a name found in
 * PATH), so that a typo is reported as such, not as a capture of nothing.
 */
export function checkCommand(cmd: string): void {
  const runnable = (p: string): boolean => {
    try {
      if (!statSync(p).isFile()) return false;
      accessSync(p, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    if (runnable(cmd)) return;
    const why = existsSync(cmd) ? 'not an executable file' : 'no such file';
    throw new UsageError(`record: cannot run ${cmd}: ${why}`, 'give the path of the daemon, or a command found in PATH');
  }
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (d && runnable(join(d, cmd))) return;
  }
  throw new UsageError(`record: ${cmd}: command not found`, 'give the path of the daemon, or a command found in PATH');
}

/** Path of the capture library (FUSETRACE_LIB overrides). */
function libraryPath(): string {
  return process.env.FUSETRACE_LIB ?? join(packageRoot(), 'build', 'libftrec.so');
}

/** Validates a --snaplen value: 0 or >= 256 (smaller values are raised). */
export function parseSnaplen(v: string | number | undefined): number {
  if (v === undefined) return DEFAULT_SNAPLEN;
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new UsageError(`--snaplen ${String(v)}: expected a whole number of bytes (0 = whole messages)`);
  }
  if (n !== 0 && n < MIN_SNAPLEN) {
    process.stderr.write(`fusetrace: warning: --snaplen ${n} raised to ${MIN_SNAPLEN}: smaller cuts would lose fixed argument structs\n`);
    return MIN_SNAPLEN;
  }
  return n;
}

/** Reads a capture back and counts what it holds; never throws for a cut file. */
function summarizeCapture(file: string): CaptureSummary {
  const s: CaptureSummary = { messages: 0, inbound: 0, outbound: 0, connections: [], drops: 0, notices: [] };
  try {
    readCapture(file, {
      onConnection(c: ConnectionInfo): void {
        s.connections.push(c.name);
      },
      onMessage(m: CaptureMessage): void {
        s.messages++;
        if (m.dir === 1) s.inbound++;
        else if (m.dir === 2) s.outbound++;
      },
      onNotice(n: CaptureNotice): void {
        s.notices.push(n.message);
      },
      onStats(st): void {
        s.drops += st.ifDrop ?? 0;
      },
    }, { guessDirection });
  } catch (e) {
    s.notices.push((e as Error).message);
  }
  return s;
}

/**
 * Pids (other than ours) still recording into `file`: processes whose
 * environment names it in FUSETRACE_OUT (a daemon that went to the
 * background), or that hold it open (strace mode has no such variable).
 */
export function recordersOf(file: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  const needle = Buffer.from(`\0FUSETRACE_OUT=${file}\0`);
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${e}/environ`), Buffer.from([0])]);
      if (env.includes(needle)) {
        pids.push(Number(e));
        continue;
      }
    } catch {
      // gone, or not ours to read
    }
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${e}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${e}/fd/${fd}`) === file) {
          pids.push(Number(e));
          break;
        }
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return pids;
}

/** Forwards SIGINT/SIGTERM to the child while it runs; returns the undo. */
function forwardSignals(child: ChildProcess): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

/** Waits for a child; resolves with its exit code (128 + signal number when killed). */
export function waitChild(child: ChildProcess): Promise<number> {
  return new Promise((res) => {
    child.on('error', (e) => {
      process.stderr.write(`fusetrace: error: cannot run ${child.spawnfile}: ${(e as NodeJS.ErrnoException).code ?? e.message}\n`);
      res(127);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        const n = (SIGNUMS as Record<string, number>)[signal] ?? 0;
        res(128 + n);
      } else res(code ?? 0);
    });
  });
}

const SIGNUMS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15, SIGABRT: 6 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a recording produced, for the exit code. */
export interface CaptureOutcome {
  /** Messages in the capture. */
  messages: number;
  /** Messages the recorder knows it lost. */
  drops: number;
  /** A daemon went on recording in the background: the capture is not final. */
  background: boolean;
  /** Something was lost that isb_ifdrop cannot count (a cut block, uncounted buffered messages, damage). */
  incomplete?: boolean;
}

/** Closing a capture whose recorder (the library in the daemon) has ended. */
export interface CaptureCloser {
  /** How the daemon ended, for the closing ISB's comment. */
  why: string;
  status(): RecorderStatus | undefined;
}

/**
 * The exit code of `record`: the command's when it failed; otherwise 1 when
 * the capture holds nothing or lost messages (a run that recorded nothing is
 * a failed recording, whatever the daemon said).
 */
export function recordExitCode(commandCode: number, o: CaptureOutcome): number {
  if (commandCode !== 0) return commandCode;
  if (o.background) return 0;
  return o.messages === 0 || o.drops > 0 || o.incomplete ? 1 : 0;
}

/** How a command ended, from its exit code (128 + signal number when killed). */
export function describeEnd(code: number): string {
  if (code === 0) return 'the daemon exited';
  const sig = Object.entries(SIGNUMS).find(([, n]) => 128 + n === code)?.[0];
  return sig ? `the daemon was killed by ${sig}` : `the daemon exited with status ${code}`;
}

/**
 * Closes the capture of an ended recorder (close-capture.ts) and unmounts
 * the mounts its daemon left dead; says what it did on stderr.
 */
function closeEnded(out: string, closer: CaptureCloser): { incomplete: boolean } {
  const c = closeCapture(out, closer.why, closer.status());
  const say = (s: string): boolean => process.stderr.write(`fusetrace: ${s}\n`);
  if (c.damagedAt !== undefined) say(`warning: ${out} is damaged at byte ${c.damagedAt} (not a block cut short): left as it is`);
  if (c.trimmed > 0) say(`warning: the capture ended in a block cut short: its last ${c.trimmed} bytes were removed`);
  if (c.closed) say(`note: ${closer.why} without closing the capture: fusetrace record appended its statistics (${c.lost} message${c.lost === 1 ? '' : 's'} lost)`);
  if (c.lostUnknown) say('warning: messages the daemon had not written yet when it ended are lost and could not be counted');
  if (c.writeFailed) say(`error: the closing statistics could not be written to ${out}: ${c.writeFailed}`);
  const dead = unmountDead(c.mountpoints);
  for (const m of dead.unmounted) say(`unmounted ${m}: its daemon is gone (Transport endpoint is not connected)`);
  for (const m of dead.failed) say(`error: ${m} is left mounted with its daemon gone; unmount it: fusermount3 -u ${m}`);
  return { incomplete: c.trimmed > 0 || c.lostUnknown || c.writeFailed !== undefined || c.damagedAt !== undefined };
}

/**
 * What a capture file holds before its first message: nothing (the library
 * never saw a /dev/fuse fd, or could not create the file), or only section
 * headers (the library opens the file and writes its SHB as soon as the
 * daemon gets a /dev/fuse fd, so that a daemon that gives up root before
 * its first request, davfs2's mount.davfs, still writes it; an interface
 * block comes with the first message). `messages`: anything else.
 */
function captureStart(file: string): 'none' | 'header' | 'messages' {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 'none';
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 'none';
    const head = Buffer.alloc(12);
    for (let off = 0; off < size;) {
      if (readSync(fd, head, 0, 12, off) < 12 || head.readUInt32LE(0) !== Block.SHB) return 'messages';
      const magic = head.readUInt32LE(8);
      if (magic !== BOM && magic !== BOM_SWAPPED) return 'messages';
      const len = magic === BOM ? head.readUInt32LE(4) : head.readUInt32BE(4);
      if (len < 28 || len % 4 !== 0) return 'messages';
      off += len;
    }
    return 'header';
  } finally {
    closeSync(fd);
  }
}

/**
 * Why the library may have written no capture at all: it creates the file
 * as soon as the daemon opens or receives /dev/fuse, with the identity the
 * daemon has then, so a daemon that gives up root afterwards (davfs2) is
 * recorded, and the open file follows exec (a mount helper that gave up root
 * and runs the daemon with the fd, mount.fuse3 -o drop_privileges); but a
 * daemon started as a user who may not write there, or handed its fd by a
 * program whose capture could not follow it (run through a set-user-ID
 * program or without LD_PRELOAD, or that closed the capture's fd), creates
 * the file as that user, and a daemon that closed its stderr hides the
 * library's error.
 */
const CANNOT_CREATE = 'or the library could not create the capture as the user the daemon was when it got its /dev/fuse fd (a daemon started as another user, or handed its fd by a program whose capture could not follow it across exec), with its error on the daemon\'s stderr';
const NOTHING_YET_HINT = `  hint: either the daemon has not opened /dev/fuse yet, ${CANNOT_CREATE}: record such a daemon with --bpf (docs/recording.md)\n`;
/** The daemon opened /dev/fuse (the file has its section header) and no message went through it. */
const NO_MESSAGE_YET_HINT = '  hint: it has not mounted yet: its mount\'s first message (INIT) comes as soon as it has\n';
const NO_MESSAGE_HINT = '  hint: the mount failed or was never made (see the daemon\'s own messages), or the daemon reads /dev/fuse with raw syscalls: try `fusetrace record --bpf` (or --strace)\n';

/**
 * Prints the closing report for a capture file on stderr. When a daemon goes
 * on recording in the background, waits a moment (up to `waitMs`) for its
 * first blocks, so that the count says something. `strace`: the capture was
 * made with --strace (no point suggesting it).
 */
export async function reportCapture(out: string, quiet: boolean | undefined, waitMs = 2000, strace = false, closer?: CaptureCloser): Promise<CaptureOutcome> {
  // --strace and --bpf write their file whole at the end; the library opens
  // it with its section header when the daemon gets /dev/fuse.
  const start = (): 'none' | 'header' | 'messages' => (strace ? (existsSync(out) && statSync(out).size > 0 ? 'messages' : 'none') : captureStart(out));
  let background = recordersOf(out);
  if (background.length > 0) {
    for (let waited = 0; waited < waitMs && start() !== 'messages'; waited += 100) await sleep(100);
    // The library flushes at least once a second while messages flow.
    if (existsSync(out)) await sleep(Math.min(waitMs, 1100));
    background = recordersOf(out);
  }
  const bg = background.length > 0
    ? `fusetrace: the daemon runs on in the background (pid ${background.join(', ')}) and keeps recording into ${out} until it exits\n`
    : '';
  const begun = start();
  if (begun !== 'messages') {
    if (bg) {
      process.stderr.write(begun === 'header'
        ? `fusetrace: capture: ${out}: nothing recorded yet: the daemon opened /dev/fuse, no message so far\n${bg}${NO_MESSAGE_YET_HINT}`
        : `fusetrace: capture: ${out}: nothing recorded yet\n${bg}${NOTHING_YET_HINT}`);
      return { messages: 0, drops: 0, background: true };
    }
    rmSync(out, { force: true }); // created empty up front, or only its section header
    if (begun === 'header') {
      process.stderr.write(`fusetrace: error: no /dev/fuse traffic was recorded: the daemon opened /dev/fuse but no message went through it; ${out}, only a section header, was removed\n${NO_MESSAGE_HINT}`);
      return { messages: 0, drops: 0, background: false };
    }
    process.stderr.write(`fusetrace: error: no /dev/fuse traffic was recorded; ${out} was not written\n`);
    process.stderr.write(strace
      ? '  hint: the command never read or wrote /dev/fuse\n'
      : `  hint: the command never opened /dev/fuse, it is statically linked or uses raw syscalls (Go), ${CANNOT_CREATE}: try \`fusetrace record --bpf\` (or --strace)\n`);
    return { messages: 0, drops: 0, background: false };
  }
  const closed = closer && !bg ? closeEnded(out, closer) : undefined;
  const s = summarizeCapture(out);
  const conns = s.connections.length === 1 ? '1 connection' : `${s.connections.length} connections`;
  process.stderr.write(`fusetrace: capture: ${out}: ${s.messages} message${s.messages === 1 ? '' : 's'} (${s.inbound} in, ${s.outbound} out) on ${conns}` +
    (s.drops ? `, ${s.drops} not recorded` : '') + (bg ? ' so far' : '') + '\n' + bg);
  if (!quiet && !bg) for (const n of s.notices) process.stderr.write(`fusetrace: note: ${n}\n`);
  return { messages: s.messages, drops: s.drops, background: bg !== '', incomplete: closed?.incomplete };
}

/**
 * Runs `opts.command` under the capture library; resolves with the command's
 * exit code. Returns when the foreground process exits, even when it left a
 * daemon recording in the background.
 */
export async function recordWithPreload(opts: RecordOptions): Promise<number> {
  const lib = libraryPath();
  if (!existsSync(lib)) {
    process.stderr.write(`fusetrace: error: the capture library ${lib} is not built\n`);
    process.stderr.write(`  hint: install a C compiler (Debian: apt-get install gcc libc6-dev) and run \`npm run build\` (in a checkout) or \`node ${join(packageRoot(), 'scripts', 'build-native.mjs')}\` (an installed package)\n`);
    return 2;
  }
  if (opts.command.length === 0) throw new UsageError('record: no command given', 'usage: fusetrace record -o cap.pcapng -- DAEMON ARGS...');
  checkCommand(opts.command[0]!);
  const out = resolve(opts.out);
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  prepareOutput(out); // the library also truncates it
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LD_PRELOAD: process.env.LD_PRELOAD ? `${lib} ${process.env.LD_PRELOAD}` : lib,
    FUSETRACE_OUT: out,
    FUSETRACE_SNAPLEN: String(snaplen),
  };
  delete env.FUSETRACE_LABEL;
  if (opts.label !== undefined) env.FUSETRACE_LABEL = opts.label;
  if (opts.quiet) env.FUSETRACE_QUIET = '1';
  const status = createStatusFile();
  env.FUSETRACE_STATUS = status.path;
  if (!opts.quiet) process.stderr.write(`fusetrace: recording ${opts.command[0]} into ${out} (snaplen ${snaplen === 0 ? 'unlimited' : snaplen})\n`);
  const child = spawn(opts.command[0]!, opts.command.slice(1), { stdio: 'inherit', env });
  const undo = forwardSignals(child);
  const code = await waitChild(child);
  undo();
  try {
    return recordExitCode(code, await reportCapture(out, opts.quiet, 2000, false, { why: describeEnd(code), status: status.read }));
  } finally {
    status.remove();
  }
}
