/**
 * What one connection speaks: the protocol minor that chooses struct layouts
 * and the INIT facts the analysis needs (fuse-protocol.md §4.2, §4.3).
 * Filled from the INIT exchange when the capture holds it; otherwise from
 * `--proto 7.N` or, failing that, the newest layout (7.45), which is
 * identical to every minor >= 7.23 except the INIT structs.
 */
import type { CaptureMessage } from '../capture/message.js';
import { formatFlags, u32, type FlagDialect } from './layout.js';
import { openFlagDialect } from './flags/open.js';
import { FUSE_INIT_FLAGS, InitBit } from './flags/init.js';
import { cuse_init_in, cuse_init_out, fuse_init_in, fuse_init_out } from './layouts/init.js';
import { opcodeName, opcodeRow } from './opcodes.js';
import { Problem, ProblemNote } from './problems.js';

/** The newest protocol minor fusetrace knows. */
export const NEWEST_MINOR = 45;
/** FUSE_DEFAULT_MAX_BACKGROUND. */
const DEFAULT_MAX_BACKGROUND = 12;
/** FUSE_DEFAULT_MAX_PAGES_PER_REQ (without FUSE_MAX_PAGES). */
const DEFAULT_MAX_PAGES = 32;
/** Default of sysctl fs.fuse.max_pages_limit. */
const MAX_PAGES_LIMIT = 256;

/** `--proto 7.N`: layouts for a capture that starts after INIT. */
export interface ProtocolOverride {
  minor: number;
  /** FUSE_SETXATTR_EXT was negotiated (16-byte setxattr_in); inferred by length when absent. */
  setxattrExt?: boolean;
}

const IN_MAJOR = fuse_init_in.offsets.major!;
const IN_MINOR = fuse_init_in.offsets.minor!;
const IN_RA = fuse_init_in.offsets.max_readahead!;
const IN_FLAGS = fuse_init_in.offsets.flags!;
const IN_FLAGS2 = fuse_init_in.offsets.flags2!;
const OUT = fuse_init_out.offsets as Record<string, number>;
const INIT_EXT = 1 << InitBit.INIT_EXT;
/** The first minor of each fuse_init_out field. */
const OUT_SINCE: Readonly<Record<string, number | undefined>> = Object.fromEntries(fuse_init_out.fields.map((f) => [f.name, f.since]));

function u16(b: Buffer, pos: number, le: boolean): number {
  return le ? b.readUInt16LE(pos) : b.readUInt16BE(pos);
}

/** 64-bit flag value from its two halves, exact. */
function join64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * The minor whose fields a connection's structs hold (layout.ts layoutAt):
 * the negotiated one. Without INIT the minor is a guess (--proto, sizes, or
 * the newest), so every field's bytes are shown as they are.
 */
export function fieldMinor(p: ConnProtocol): number {
  return p.negotiated ? p.minor : NEWEST_MINOR;
}

/** Per-connection protocol state. Create one per connection; the pairing stage feeds it. */
export class ConnProtocol {
  /** Where `minor` comes from. */
  source: 'init' | 'user' | 'assumed';
  /** Layout minor in use: min(kernel, daemon) after INIT, else --proto, else 45. */
  minor: number;
  kernelMajor: number | undefined = undefined;
  kernelMinor: number | undefined = undefined;
  daemonMajor: number | undefined = undefined;
  daemonMinor: number | undefined = undefined;
  /** INIT request flags (low word) and flags2 (0 unless FUSE_INIT_EXT in flags). */
  offeredLo = 0;
  offeredHi = 0;
  /** INIT reply flags and flags2 (flags2 only with FUSE_INIT_EXT in the reply's flags). */
  flagsLo = 0;
  flagsHi = 0;
  /** True once the INIT reply was applied. */
  negotiated = false;
  /** Unique of the INIT request, to recognise its reply. */
  initUnique: number | bigint | undefined = undefined;
  /** The INIT reply was an error or another major: the connection is dead. */
  initFailed: string | undefined = undefined;
  /** FUSE_SETXATTR_EXT: true/false when known, undefined = infer each SETXATTR by length. */
  setxattrExt: boolean | undefined;
  maxWrite: number | undefined = undefined;
  /** Effective max pages per request (MAX_PAGES ? min(max(max_pages,1),256) : 32). */
  maxPages: number | undefined = undefined;
  /** Raw init_out.max_pages. */
  maxPagesRaw: number | undefined = undefined;
  /** Effective (0 in the reply -> 12). */
  maxBackground: number | undefined = undefined;
  congestionThreshold: number | undefined = undefined;
  timeGran: number | undefined = undefined;
  /** Kernel's offer in the request, replaced by the daemon's value after the reply. */
  maxReadahead: number | undefined = undefined;
  mapAlignment: number | undefined = undefined;
  maxStackDepth: number | undefined = undefined;
  requestTimeout: number | undefined = undefined;
  /** Lowest minor the traffic proves (§4.3), and what proved it. */
  lowerBound = 0;
  lowerBoundReason: string | undefined = undefined;
  /** Facts inferred from traffic without INIT (e.g. FUSE_WRITE_CACHE seen -> writeback cache). */
  inferredWriteback = false;
  inferredReaddirplus = false;
  /**
   * The machine the capture was recorded on (shb_hardware), and how it numbers
   * open(2) flags when not as OPEN_FLAGS (flags/open.ts): the decoders name
   * them so, the analysis tests O_DIRECT so.
   */
  machine: string | undefined = undefined;
  openFlags: FlagDialect | undefined = undefined;

  constructor(override?: ProtocolOverride) {
    if (override) {
      this.source = 'user';
      this.minor = override.minor;
      this.setxattrExt = override.setxattrExt;
    } else {
      this.source = 'assumed';
      this.minor = NEWEST_MINOR;
      this.setxattrExt = undefined;
    }
  }

  /** The connection was recorded on `machine` (shb_hardware; undefined when the capture does not say). */
  setMachine(machine: string | undefined): void {
    this.machine = machine;
    this.openFlags = openFlagDialect(machine);
  }

  /** Why the layouts are what they are, when they were not negotiated in the capture; else undefined. */
  get assumedNote(): string | undefined {
    if (this.source === 'init') return undefined;
    const lb = (this.lowerBound > 0 ? `; the kernel speaks >= 7.${this.lowerBound} (${this.lowerBoundReason} seen)` : '')
      + (this.olderThan !== undefined ? `; the daemon speaks 7.${this.olderThan} sizes (${this.olderThanReason})` : '');
    if (this.source === 'user') return `no INIT in the capture: layouts of protocol 7.${this.minor} as given by --proto${lb}`;
    if (this.minor !== NEWEST_MINOR) return `no INIT in the capture: protocol 7.${this.minor} layouts inferred from message sizes (use --proto 7.N to choose)${lb}`;
    return `no INIT in the capture: assumed protocol 7.${NEWEST_MINOR} layouts (identical for all minors >= 7.23; use --proto 7.N for older daemons)${lb}`;
  }

  /** Effective INIT flags as one exact 64-bit value (0n before the reply). */
  get flags(): bigint {
    return join64(this.flagsLo, this.flagsHi);
  }

  /** Flags the kernel offered in the INIT request. */
  get offered(): bigint {
    return join64(this.offeredLo, this.offeredHi);
  }

  /** Whether an INIT flag (bit number, FUSE_* of flags/init.ts) is in effect; undefined when no INIT was seen. */
  has(bit: number): boolean | undefined {
    if (!this.negotiated) {
      if (bit === InitBit.WRITEBACK_CACHE && this.inferredWriteback) return true;
      if (bit === InitBit.DO_READDIRPLUS && this.inferredReaddirplus) return true;
      if (bit === InitBit.SETXATTR_EXT && this.setxattrExt !== undefined) return this.setxattrExt;
      return undefined;
    }
    return bit < 32 ? (this.flagsLo & (1 << bit)) !== 0 : (this.flagsHi & (1 << (bit - 32))) !== 0;
  }

  /** Effective flags by kernel name. */
  flagNames(): string[] {
    return this.negotiated ? splitFlags(this.flags) : [];
  }

  offeredNames(): string[] {
    return this.kernelMinor !== undefined ? splitFlags(this.offered) : [];
  }

  /** "7.31" or undefined. */
  get kernelVersion(): string | undefined {
    return this.kernelMinor !== undefined ? `${this.kernelMajor}.${this.kernelMinor}` : undefined;
  }

  get daemonVersion(): string | undefined {
    return this.daemonMinor !== undefined ? `${this.daemonMajor}.${this.daemonMinor}` : undefined;
  }

  /**
   * Records the INIT request (kernel -> daemon). Returns the problem when
   * the body is shorter than 8 bytes (then nothing is applied).
   * fuse_init_in is sized by the message: 8 (< 7.6), 16 (< 7.36) or 64 bytes.
   */
  applyInitRequest(m: CaptureMessage): ProblemNote | undefined {
    const { data, off, le } = m;
    const len = u32(data, off, le);
    const body = Math.min(len, m.capLen) - 40;
    if (body < 8) return new ProblemNote(Problem.INIT_REQUEST_SHORT, body);
    const b = off + 40;
    this.initUnique = readUnique(data, off, le);
    this.kernelMajor = u32(data, b + IN_MAJOR, le);
    this.kernelMinor = u32(data, b + IN_MINOR, le);
    if (body >= 16) {
      // After the reply, max_readahead is the daemon's (decode may re-read the request later).
      if (!this.negotiated) this.maxReadahead = u32(data, b + IN_RA, le);
      this.offeredLo = u32(data, b + IN_FLAGS, le);
      this.offeredHi = body >= 20 && (this.offeredLo & INIT_EXT) !== 0 ? u32(data, b + IN_FLAGS2, le) : 0;
    }
    return undefined;
  }

  /**
   * Records the INIT reply (daemon -> kernel): negotiated minor = min(kernel,
   * reply) (§4.2), effective flags, limits. An error reply or another major
   * marks the connection failed and changes nothing else. Returns the problem
   * of a malformed reply (body < 8 or > 64 bytes).
   */
  applyInitReply(m: CaptureMessage): ProblemNote | undefined {
    const { data, off, le } = m;
    const len = u32(data, off, le);
    const error = le ? data.readInt32LE(off + 4) : data.readInt32BE(off + 4);
    if (error !== 0) {
      this.initFailed = `INIT answered with error ${error}`;
      return undefined;
    }
    const body = Math.min(len, m.capLen) - 16;
    if (body < 8) return new ProblemNote(Problem.INIT_REPLY_SHORT, body);
    if (len - 16 > fuse_init_out.size) return new ProblemNote(Problem.INIT_REPLY_LONG, len - 16, fuse_init_out.size);
    const b = off + 16;
    const major = u32(data, b + OUT.major!, le);
    const minor = u32(data, b + OUT.minor!, le);
    this.daemonMajor = major;
    this.daemonMinor = minor;
    if (major !== 7) {
      this.initFailed = `INIT reply offers major ${major}; the kernel waits for another INIT`;
      return undefined;
    }
    this.minor = this.kernelMinor !== undefined ? Math.min(this.kernelMinor, minor) : minor;
    this.source = 'init';
    this.negotiated = true;
    // The kernel zero-fills a short reply: absent fields read as 0; so do
    // fields newer than the negotiated minor (padding then, fuse-protocol.md §4.1).
    const at = (name: string, size: 2 | 4): number => {
      const o = OUT[name]!;
      if (o + size > body || (OUT_SINCE[name] ?? 0) > this.minor) return 0;
      return size === 2 ? u16(data, b + o, le) : u32(data, b + o, le);
    };
    this.maxReadahead = at('max_readahead', 4);
    this.flagsLo = at('flags', 4);
    this.flagsHi = (this.flagsLo & INIT_EXT) !== 0 ? at('flags2', 4) : 0;
    const bg = at('max_background', 2);
    this.maxBackground = bg === 0 ? DEFAULT_MAX_BACKGROUND : bg;
    this.congestionThreshold = at('congestion_threshold', 2);
    const mw = at('max_write', 4);
    this.maxWrite = Math.max(mw, 4096);
    this.timeGran = at('time_gran', 4);
    this.maxPagesRaw = at('max_pages', 2);
    this.maxPages = this.has(InitBit.MAX_PAGES) ? Math.min(Math.max(this.maxPagesRaw, 1), MAX_PAGES_LIMIT) : DEFAULT_MAX_PAGES;
    this.mapAlignment = at('map_alignment', 2);
    this.maxStackDepth = at('max_stack_depth', 4);
    this.requestTimeout = at('request_timeout', 2);
    this.setxattrExt = this.has(InitBit.SETXATTR_EXT);
    return undefined;
  }

  /**
   * CUSE_INIT (on /dev/cuse): request (kernel major/minor) or reply (daemon
   * major/minor, max_write); the negotiated minor is the smaller one.
   */
  applyCuseInit(m: CaptureMessage, request: boolean): ProblemNote | undefined {
    const { data, off, le } = m;
    const len = u32(data, off, le);
    const hdr = request ? 40 : 16;
    const need = request ? cuse_init_in.size : cuse_init_out.size;
    if (Math.min(len, m.capLen) - hdr < need) return new ProblemNote(Problem.CUSE_INIT_SHORT, request ? 'request' : 'reply', Math.min(len, m.capLen) - hdr, need, request ? 'cuse_init_in' : 'cuse_init_out');
    const b = off + hdr;
    const major = u32(data, b + cuse_init_in.offsets.major!, le);
    const minor = u32(data, b + cuse_init_in.offsets.minor!, le);
    if (request) {
      this.kernelMajor = major;
      this.kernelMinor = minor;
      this.initUnique = readUnique(data, off, le);
      return undefined;
    }
    const error = le ? data.readInt32LE(off + 4) : data.readInt32BE(off + 4);
    if (error !== 0) { this.initFailed = `CUSE_INIT answered with error ${error}`; return undefined; }
    this.daemonMajor = major;
    this.daemonMinor = minor;
    this.minor = this.kernelMinor !== undefined ? Math.min(this.kernelMinor, minor) : minor;
    this.source = 'init';
    this.negotiated = true;
    this.maxWrite = u32(data, b + cuse_init_out.offsets.max_write!, le);
    return undefined;
  }

  /**
   * Lower bounds from traffic (§4.3): the opcode's first minor, a non-zero
   * total_extlen (7.38), bit 63 in a unique (7.40). Cheap; called per request.
   */
  noteRequest(opcode: number, extLen: number, resend: boolean): void {
    const since = opcode < SINCE.length ? SINCE[opcode]! : 0;
    if (since > this.lowerBound) this.raise(since, opcodeName(opcode));
    if (extLen !== 0 && this.lowerBound < 38) this.raise(38, 'request extensions');
    if (resend && this.lowerBound < 40) this.raise(40, 'resent request (bit 63)');
  }

  /** Upper bound proven by a compat-size reply seen without INIT (the daemon speaks < 7.9 or < 7.4). */
  olderThan: number | undefined = undefined;
  olderThanReason: string | undefined = undefined;

  /**
   * A reply without INIT had the size of an older minor's struct (§4.3): the
   * peer speaks that minor. Layouts switch to it from here on unless --proto
   * or INIT said otherwise.
   */
  noteOldReply(minor: number, what: string): void {
    if (this.source === 'init') return;
    if (this.olderThan === undefined || minor < this.olderThan) {
      this.olderThan = minor;
      this.olderThanReason = `${what} reply of the 7.${minor} size`;
      if (this.source === 'assumed') this.minor = minor;
    }
  }

  private raise(minor: number, why: string): void {
    this.lowerBound = minor;
    this.lowerBoundReason = why;
  }

  /** A neutral summary for reports. */
  summary(): {
    kernel: string | undefined; daemon: string | undefined; negotiated: string; source: 'init' | 'user' | 'assumed';
    flags: string[]; offered: string[]; maxWrite: number | undefined; maxPages: number | undefined;
    maxBackground: number | undefined; maxReadahead: number | undefined; timeGran: number | undefined; note: string | undefined;
  } {
    return {
      kernel: this.kernelVersion, daemon: this.daemonVersion, negotiated: `7.${this.minor}`, source: this.source,
      flags: this.flagNames(), offered: this.offeredNames(), maxWrite: this.maxWrite, maxPages: this.maxPages,
      maxBackground: this.maxBackground, maxReadahead: this.maxReadahead, timeGran: this.timeGran, note: this.assumedNote ?? this.initFailed,
    };
  }
}

/** First minor per opcode (index = opcode), for lower bounds. */
const SINCE: Uint8Array = (() => {
  const a = new Uint8Array(64);
  for (let op = 0; op < 64; op++) a[op] = opcodeRow(op)?.since ?? 0;
  return a;
})();

function readUnique(b: Buffer, off: number, le: boolean): number | bigint {
  const lo = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 12);
  const hi = le ? b.readUInt32LE(off + 12) : b.readUInt32BE(off + 8);
  return hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

function splitFlags(v: bigint): string[] {
  const s = formatFlags(FUSE_INIT_FLAGS, v);
  return s === '0' ? [] : s.split('|');
}
