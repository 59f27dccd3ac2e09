/**
 * The record every capture reader hands to the pipeline: one FUSE message as
 * it crossed /dev/fuse, plus where it came from. Readers reuse one instance
 * per input and overwrite it for each message, so nothing here is allocated
 * per message; a consumer that needs a field after its callback returns must
 * copy it.
 */

/** Direction of a message on /dev/fuse (pcapng epb_flags bits 0-1). */
export const enum Direction {
  /** Not recorded; the reader guessed from the content (see `dirGuessed`). */
  Unknown = 0,
  /** kernel -> daemon: a request, FORGET, INTERRUPT, NOTIFY_REPLY. */
  Inbound = 1,
  /** daemon -> kernel: a reply or a notification. */
  Outbound = 2,
}

export interface CaptureMessage {
  /** Connection number, global over all inputs of one run (input order). */
  conn: number;
  /**
   * Timestamp in nanoseconds relative to the run's epoch (`Timebase.epochNs`).
   * A plain number stays exact for 104 days around the epoch; `tRest` holds
   * what it could not.
   */
  t: number;
  /**
   * The ns `t` could not hold (0 within 104 days of the epoch): the exact
   * relative time is BigInt(t) + BigInt(tRest), both integers. Writers of
   * captures (convert) use it so that times stay exact to the ns.
   */
  tRest: number;
  dir: Direction;
  /** True when the capture did not say the direction and the reader inferred it. */
  dirGuessed: boolean;
  /** The buffer holding the message bytes; valid only during the callback. */
  data: Buffer;
  /** Offset of the first message byte in `data`. */
  off: number;
  /** Bytes of the message present in the capture (<= origLen when snapped). */
  capLen: number;
  /** Length of the whole message as it crossed /dev/fuse. */
  origLen: number;
  /** Byte order of the message (the recording host's). */
  le: boolean;
  /** Process and thread id of the daemon thread that did the syscall; -1 unknown. */
  pid: number;
  tid: number;
  /**
   * 0 when the syscall succeeded or the capture cannot tell; otherwise the
   * write(2) carrying this outbound message failed: the errno, or -1 when the
   * capture flags the failure without an errno.
   */
  failedErrno: number;
  /** Free-text comment of the block, if any (undefined most of the time). */
  comment: string | undefined;
  /** Byte offset of the enclosing block/record in the capture file. */
  fileOffset: number;
  /** Block (pcapng) or record (fusedump) number in the file, from 0. */
  blockNo: number;
  /** Index of the input file in the run (0-based). */
  input: number;
}

/** One FUSE connection of a capture: a pcapng interface, or a whole fusedump. */
export interface ConnectionInfo {
  conn: number;
  input: number;
  /** Path of the capture file, or "-" for standard input. */
  file: string;
  format: CaptureFormat;
  /** if_name, e.g. "fuse:/mnt/a"; for fusedump the file name. */
  name: string;
  label: string | undefined;
  description: string | undefined;
  /** 0 = unlimited. */
  snapLen: number;
  linkType: number;
  /** shb_os / shb_userappl of the section that declared it. */
  os: string | undefined;
  /** shb_hardware of that section: the recording host's machine (`uname -m`), which numbers open(2) flags (protocol/flags/open.ts). */
  hardware: string | undefined;
  recorder: string | undefined;
  /** pcapng section number (0 for fusedump). */
  section: number;
  /** Interface id inside its section. */
  ifaceId: number;
  le: boolean;
}

export type CaptureFormat = 'pcapng' | 'fusedump';

/** Interface statistics (pcapng ISB). Times are relative ns like messages. */
export interface InterfaceStats {
  conn: number;
  startT: number | undefined;
  endT: number | undefined;
  ifRecv: number | undefined;
  ifDrop: number | undefined;
}

/** Something a reader wants the user to know that does not stop reading. */
export interface CaptureNotice {
  kind: 'truncated' | 'skipped-interface' | 'skipped-block' | 'direction-guessed' | 'drops' | 'other';
  file: string;
  offset: number;
  blockNo: number;
  message: string;
}

/** What a reader calls while it walks a capture. */
/**
 * A connection's queue state as the kernel showed it in fusectl
 * (/sys/fs/fuse/connections/N), sampled by the recorder (capture-format.md
 * §1, "Queue state").
 */
export interface QueueSample {
  conn: number;
  /** Relative ns, like `CaptureMessage.t`. */
  t: number;
  /** Requests allocated and not yet ended (fusectl `waiting`). */
  waiting: number;
  maxBackground: number;
  congestionThreshold: number;
}

/**
 * A passthrough backing-file ioctl of the daemon on /dev/fuse
 * (capture-format.md §1, "Passthrough backing files").
 */
export interface BackingOp {
  conn: number;
  /** Index of the input file in the run (0-based). */
  input: number;
  /** Relative ns, like `CaptureMessage.t`. */
  t: number;
  op: 'open' | 'close';
  /** open: the backing id (> 0) or -errno; close: 0 or -errno. */
  result: number;
  /** open: the daemon's fd of the backing file; close: the id asked to close. */
  arg: number;
  /** open: fuse_backing_map.flags. */
  flags: number;
  pid: number;
  tid: number;
  /** open: st_dev and st_ino of the backing file (0 unknown; bigint when past 2^53). */
  dev: number | bigint;
  ino: number | bigint;
  /** open: the backing file's path at record time (untrusted), '' unknown. */
  path: string;
  fileOffset: number;
}

export interface CaptureSink {
  onConnection(c: ConnectionInfo): void;
  onMessage(m: CaptureMessage): void;
  onNotice(n: CaptureNotice): void;
  onStats?(s: InterfaceStats): void;
  onQueue?(q: QueueSample): void;
  onBacking?(b: BackingOp): void;
}

/**
 * Shared by all readers of one run so that every timestamp is relative to the
 * same instant: the first timestamp any reader saw.
 */
export class Timebase {
  /** Absolute ns since the Unix epoch of relative time 0; set by the first message. */
  epochNs: bigint | undefined;
  /** Connection numbers handed out so far (readers take the next). */
  nextConn = 0;

  /** Fixes the epoch if it is not fixed yet; returns it. */
  fix(absNs: bigint): bigint {
    if (this.epochNs === undefined) this.epochNs = absNs;
    return this.epochNs;
  }

  /** Absolute ns since the Unix epoch for a relative time (plus `rest`, see `CaptureMessage.tRest`), as an exact decimal string. */
  absolute(t: number, rest = 0): string {
    return this.absoluteNs(t, rest).toString();
  }

  /** Absolute ns since the Unix epoch for a relative time (plus `rest`, see `CaptureMessage.tRest`). */
  absoluteNs(t: number, rest = 0): bigint {
    const abs = (this.epochNs ?? 0n) + BigInt(Math.round(t));
    return rest === 0 ? abs : abs + BigInt(rest);
  }
}
