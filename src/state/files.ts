/**
 * Per-file state, a file being a (conn, nodeid) (analysis.md "Terms"):
 * the size views (`reported_size`, `daemon_size` shared by correlated files,
 * this connection's `kernel_size`), the exchanges in flight on it, its
 * concurrency levels, counters, a capped size history and capped timeline
 * bars. Files on different connections that report the same `attr.ino` share
 * one `SizeGroup` when correlation is on.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';
import { SIZE_EVENT_KINDS, type SizeCode, type SizeEventKind } from '../model/size-event.js';
import type { PassthroughBacking } from '../model/analysis.js';
import { ActivityBins } from './activity.js';
import { LevelTime } from './concurrency.js';
import { BarRows, RecentBarRows } from './bar-rows.js';

/** Size history entries kept per file (the first ones; later ones are counted). */
const SIZE_HISTORY_CAP = 256;
/** Timeline bars kept per file (more when filters narrow the report, see AnalysisState). */
export const BARS_PER_FILE = 2000;
/** Recently dropped bars kept per file so that findings can still show them. */
const RECENT_DROPPED = 64;
/** Distinct open handles counted per file (beyond them a handle's opens are unknown). */
const OPEN_HANDLES_KEPT = 32;
/** Size changes remembered per group (for stale attribute replies). */
const CHANGES_KEPT = 16;
/** A free pair of `FileState.opCounts` (opcodes are unsigned). */
const NO_OP = -1;


/** Numbers kept per size event in `SizeHistory.nums`: t, kind, value, kernel, daemon, reported. */
const EVENT_NUMS = 6;

/**
 * The first SIZE_HISTORY_CAP size events of a file, as rows of numbers in one
 * array of doubles and rows of (unique, path) in another (the model builder
 * makes its SizeEvent records from them). Keeping tens of thousands of small event
 * objects alive measurably slowed V8's young-generation collections for the
 * whole run; plain number rows do not. Most files have one or two events (a
 * LOOKUP, a GETATTR): the arrays start at the size of one row, since a capture
 * may hold a million such files (a typed array per column cost ~2 KB a file).
 */
export class SizeHistory {
  n = 0;
  private nums: number[];
  private refs: (Id | null | string)[];

  constructor(t: number, kind: number, unique: Id | null, value: number, kernel: number, daemon: number, reported: number, path: string) {
    // Array literals: a backing store of exactly one row.
    this.nums = [t, kind, value, kernel, daemon, reported];
    this.refs = [unique, path];
    this.n = 1;
  }

  get full(): boolean {
    return this.n >= SIZE_HISTORY_CAP;
  }

  add(t: number, kind: number, unique: Id | null, value: number, kernel: number, daemon: number, reported: number, path: string): void {
    if (this.n >= SIZE_HISTORY_CAP) return;
    this.n++;
    this.nums.push(t, kind, value, kernel, daemon, reported);
    this.refs.push(unique, path);
  }

  /** Number `k` (t, kind, value, kernel, daemon, reported) of event `i`. */
  numAt(i: number, k: number): number {
    return this.nums[i * EVENT_NUMS + k]!;
  }

  uniqueAt(i: number): Id | null {
    return this.refs[2 * i] as Id | null;
  }

  pathAt(i: number): string {
    return this.refs[2 * i + 1] as string;
  }

  /** Calls `fn` with each event in order (NaN: unknown). */
  forEach(fn: (e: SizeFacts) => void): void {
    const a = this.nums;
    for (let i = 0; i < this.n; i++) {
      const o = i * EVENT_NUMS;
      fn({
        t: a[o]!, kind: SIZE_EVENT_KINDS[a[o + 1]!]!, unique: this.refs[2 * i] as Id | null, value: a[o + 2]!,
        kernel: a[o + 3]!, daemon: a[o + 4]!, reported: a[o + 5]!, path: this.refs[2 * i + 1] as string,
      });
    }
  }
}

/** One size event as the state knows it: sizes after the event, NaN when unknown. */
export interface SizeFacts {
  t: number;
  kind: SizeEventKind;
  unique: Id | null;
  /** The size the event itself carried (attr.size, offset+written, new size). */
  value: number;
  kernel: number;
  daemon: number;
  reported: number;
  path: string;
}

/** One completed size change of a group (WRITE that extended, truncate, fallocate, copy). */
export interface SizeChange {
  conn: number;
  unique: Id;
  opcode: number;
  tReq: number;
  tReply: number;
  before: number;
  after: number;
}

/** One in-flight exchange as the state sees it (time order). */
export class Track {
  /**
   * Other WRITEs on the same or a correlated file (any connection) that were
   * in flight together with this WRITE at some moment, counted up to its reply.
   */
  writesTogether = 0;
  /** The most WRITEs of its file (and correlated ones) in flight at the same moment while this WRITE was, itself included. */
  writesPeak = 0;
  /** The WRITE carried FUSE_WRITE_CACHE (writeback). */
  writeCache = false;
  /** The request's fh was an open handle the capture saw opened. */
  handleKnown = false;
  /** Not known, and the connection's handle table had dropped handles to its bound: its flags may not be 0. */
  handleForgotten = false;
  /** FOPEN_* of that handle at request time (0 unknown). */
  fopen = 0;
  /** SETATTR with FATTR_SIZE, or OPEN/CREATE with O_TRUNC. */
  truncates = false;
  /** A FALLOCATE or COPY_FILE_RANGE: the file whose size it may change (a copy's destination), in its group's `changesInflight`. */
  changes: FileState | undefined = undefined;
  /** Findings reference this exchange: keep its timeline bar. */
  keepBar = false;
  /**
   * Opens of this file answered with the request's fh and not yet released,
   * when the request was sent (0 unknown: opened before the capture, or past
   * the per-file bound). Some daemons (encfs) answer every open of a file
   * with one fh, so a FLUSH or RELEASE on it may close another open.
   */
  handleOpens = 0;
  /**
   * A passthrough handle of its file (or a correlated one) was open, or had
   * been without a size report since: data traffic the capture cannot see may
   * have moved the size, so the FUSE-visible sizes at request time prove nothing.
   */
  passthroughBlind = false;
  /**
   * INTERRUPTs for it read while it was in flight, counted in time order and
   * written through to `x.interrupts` (pairing counts them in block order).
   */
  interrupts = 0;
  /** Its index in the state's list of in-flight tracks (-1 when not in flight). */
  slot = -1;
  /** Order in which the state took the request (ties of `inflightTracks` keep it). */
  seq = 0;
  /** Not readonly: the state reuses the track of a completed exchange (`AnalysisState.recycle`). */
  constructor(public x: Exchange, public file: FileState | undefined) {}
}

/**
 * One size report (attr.size in a reply) and the size views around it. The
 * state reuses these records from one reply to the next: read them in the
 * reply handler, never keep them.
 */
export interface SizeReport {
  file: FileState;
  size: number;
  attrValidNs: number;
  /** daemon_size of the group just before the report (NaN unknown). */
  daemonBefore: number;
  /**
   * The completed size change this report predates: the change finished while
   * the request was in flight and the report still shows the size from before
   * it, so daemon_size kept the change (undefined: the report was taken).
   */
  predates: SizeChange | undefined;
  /** The connection's kernel_size before and after (NaN unknown). */
  kernelBefore: number;
  kernelAfter: number;
  /** The group's `lastReport` when this report came (before it was taken). */
  previous: MovingReport | undefined;
  /** SizeGroup.passthroughBlind() before the report. */
  passthroughBlind: boolean;
}

/**
 * A report that moved daemon_size (a size other than the one known), kept
 * by its group until a write, truncate or other size change completes.
 * Made once per such report and never changed.
 */
export interface MovingReport {
  conn: number;
  unique: Id;
  opcode: number;
  tReq: number;
  t: number;
  size: number;
  /** daemon_size before it. */
  before: number;
  path: string;
}

/**
 * The empty list a group starts with for what most groups never hold (in-flight
 * writes and truncates, size changes): one shared frozen array instead of
 * three per file; `SizeGroup.addInflight` and `noteChange` replace it on the
 * first push (a push on it would throw).
 */
const NONE: readonly never[] = Object.freeze([]);

/** The group's lists of exchanges in flight that may change a member's size. */
export type InflightList = 'writesInflight' | 'truncatesInflight' | 'changesInflight';

/** The size views shared by correlated files. */
export class SizeGroup {
  reportedSize = NaN;
  daemonSize = NaN;
  /** Time of the last daemon_size update (to merge groups). */
  tUpdated = -Infinity;
  /** Time of the last completed truncate (SETATTR size, O_TRUNC). */
  tLastTruncate = -Infinity;
  readonly members: FileState[];
  writesInflight: readonly Track[] = NONE;
  truncatesInflight: readonly Track[] = NONE;
  /** FALLOCATEs and COPY_FILE_RANGEs into a member in flight (`Track.changes`): they change sizes too. */
  changesInflight: readonly Track[] = NONE;
  changes: readonly SizeChange[] = NONE;
  /** The report that last moved daemon_size; cleared by any completed size change or truncate. */
  lastReport: MovingReport | undefined = undefined;
  /** Where the last short READ showed the data ending (offset + bytes returned), and when it was answered. */
  eofSeen = NaN;
  tEofSeen = -Infinity;
  /**
   * When a short READ last showed the data ending elsewhere than the one
   * before it, with no size change captured between them: the content
   * changes where the capture cannot see (a generated file such as lxcfs's
   * /proc/stat, another client of a network file system).
   */
  tContentMoved = -Infinity;
  constructor(readonly ino: Id | undefined, first?: FileState) {
    // A literal: room for one member, the common case.
    this.members = first ? [first] : [];
  }

  /**
   * A member has a FOPEN_PASSTHROUGH handle open, or had one and no size
   * report came since it was released: its reads and writes go to the backing
   * file, not through FUSE, so the FUSE-visible sizes may be behind.
   */
  passthroughBlind(): boolean {
    for (const m of this.members) if (m.passthroughUnsynced) return true;
    return false;
  }

  /** Adds `tr` to the in-flight list `list` (made on first use, a literal: room for one, the common case). */
  addInflight(list: InflightList, tr: Track): void {
    const l = this[list];
    if (l === NONE) this[list] = [tr];
    else (l as Track[]).push(tr);
  }

  /** Takes `tr` out of the in-flight list `list`. */
  removeInflight(list: InflightList, tr: Track): void {
    removeFrom(this[list] as Track[], tr);
  }

  noteChange(c: SizeChange): void {
    this.lastReport = undefined;
    if (this.changes === NONE) {
      this.changes = [c];
      return;
    }
    const changes = this.changes as SizeChange[];
    if (changes.length >= CHANGES_KEPT) changes.shift();
    changes.push(c);
  }

  /**
   * The latest remembered size change that completed in `(tReq, t]` and that
   * a report of `size` predates (it shows the size from before the change, a
   * size daemon_size no longer has); undefined when there is none.
   */
  changePredated(size: number, tReq: number, t: number): SizeChange | undefined {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      const ch = this.changes[i]!;
      if (ch.tReply > tReq && ch.tReply <= t && ch.before !== ch.after && size === ch.before && size !== this.daemonSize) return ch;
    }
    return undefined;
  }

  /** A write, truncate, FALLOCATE or copy into a member is in flight: a size reported now may be before or after it. */
  changing(): boolean {
    return this.writesInflight.length > 0 || this.truncatesInflight.length > 0 || this.changesInflight.length > 0;
  }

  /** Some remembered size change completed in `(tReq, t]`. */
  changedDuring(tReq: number, t: number): boolean {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      const ch = this.changes[i]!;
      if (ch.tReply > tReq && ch.tReply <= t) return true;
    }
    return false;
  }
}

/**
 * A file's state. A file that nothing but entry replies reached may be kept
 * as a row of numbers instead (parked-files.ts): a field added here must be
 * either stored there or checked by `untouched`.
 */
export class FileState {
  group: SizeGroup;
  ino: Id | undefined = undefined;
  /**
   * From the S_IFMT bits of attr.mode: true for a regular file, false for a
   * directory, symlink or device, whose attr.size is not a file size (a
   * directory's grows and shrinks with its entries); undefined until a reply
   * gives the type. Only regular files have size views.
   */
  regular: boolean | undefined = undefined;
  /** Replies named two different inos for this file: it is correlated with nothing. */
  inoConflict = false;
  path: string;
  /** What this connection's kernel believes (NaN unknown). */
  kernelSize = NaN;
  /** Time of the last local event that bumps the kernel's attr_version (write/setattr reply, notification). */
  tKernelChange = -Infinity;
  /** Time the kernel last applied an attribute reply for this inode (it bumps attr_version too). */
  tAttrApplied = -Infinity;
  /** Exchanges in flight on the file (time order); `addInflight` adds. */
  inflight: readonly Track[] = NONE;
  inflightWrites = 0;
  /**
   * Exchanges in flight over time, and WRITEs: made by the first request (a
   * file known only from LOOKUP or READDIRPLUS replies never needs them).
   */
  level: LevelTime | undefined = undefined;
  writeLevel: LevelTime | undefined = undefined;
  exchanges = 0;
  /** Requests per opcode, in first-seen order: [opcode, count, opcode, count, ...] (a file sees a few opcodes). */
  private opCounts: number[] | undefined = undefined;
  writes = 0;
  bytesWritten = 0;
  /** FOPEN_* seen in OPEN/CREATE replies (OR). */
  fopenSeen = 0;
  /** Opens answered with FOPEN_PASSTHROUGH, and of those the ones not yet released. */
  passthroughOpens = 0;
  passthroughLive = 0;
  /** See SizeGroup.passthroughBlind. */
  passthroughUnsynced = false;
  /** Backing ids of those opens, with their backing files when known (the first few). */
  backing: PassthroughBacking[] | undefined = undefined;
  sizeHistory: SizeHistory | undefined = undefined;
  sizeEvents = 0;
  bars: BarRows | undefined = undefined;
  /** Exchanges within the filters that the caps left out of `bars`. */
  barsDropped = 0;
  /** Where every exchange of the file was, once `bars` stopped holding them all (filters or caps). */
  activity: ActivityBins | undefined = undefined;
  recentDropped: RecentBarRows | undefined = undefined;
  findings = 0;
  /** The lookup count reached zero while exchanges were in flight: retire when they end. */
  forgotten = false;
  /** Its summary was taken and its state dropped: nothing may change it any more. */
  retired = false;
  /** Open handles of this file: [fh, opens, fh, opens, ...] (small, bounded: OPEN_HANDLES_KEPT). */
  private openFhs: Id[] | undefined = undefined;

  constructor(readonly conn: number, readonly nodeid: Id, path: string, correlateGroup: SizeGroup | undefined) {
    this.path = path;
    if (correlateGroup) {
      this.group = correlateGroup;
      correlateGroup.members.push(this);
    } else {
      this.group = new SizeGroup(undefined, this);
    }
  }

  /** Nothing but entry replies and size reports reached the file: no request, handle, bar, finding, forget or retirement. */
  untouched(): boolean {
    return this.exchanges === 0 && this.inflight.length === 0 && this.level === undefined && this.writeLevel === undefined &&
      this.opCounts === undefined && this.writes === 0 && this.bytesWritten === 0 && this.inflightWrites === 0 &&
      this.fopenSeen === 0 && this.passthroughOpens === 0 && this.passthroughLive === 0 && !this.passthroughUnsynced &&
      this.backing === undefined && this.bars === undefined && this.barsDropped === 0 && this.activity === undefined &&
      this.recentDropped === undefined && this.findings === 0 && !this.forgotten && !this.retired && this.openFhs === undefined;
  }

  /** An OPEN/CREATE of this file was answered with `fh`. */
  noteOpen(fh: Id): void {
    const a = this.openFhs;
    if (a === undefined) {
      // A literal: room for the one handle most files have (an empty array would grow on its first push).
      this.openFhs = [fh, 1];
      return;
    }
    for (let i = 0; i < a.length; i += 2) {
      if (a[i] === fh) { (a[i + 1] as number)++; return; }
    }
    if (a.length < 2 * OPEN_HANDLES_KEPT) a.push(fh, 1);
  }

  /** The kernel sent the RELEASE of one open with `fh`. */
  noteRelease(fh: Id): void {
    const a = this.openFhs;
    if (!a) return;
    for (let i = 0; i < a.length; i += 2) {
      if (a[i] !== fh) continue;
      if ((a[i + 1] as number) > 1) {
        (a[i + 1] as number)--;
        return;
      }
      removePairAt(a, i);
      return;
    }
  }

  /** Opens answered with `fh` and not yet released (0 unknown). */
  opensOf(fh: Id): number {
    const a = this.openFhs;
    if (a === undefined) return 0;
    for (let i = 0; i < a.length; i += 2) if (a[i] === fh) return a[i + 1] as number;
    return 0;
  }

  countOpcode(op: number): void {
    this.exchanges++;
    const c = this.opCounts;
    if (c === undefined) {
      // A literal with room for six opcodes (NO_OP marks a free pair): a file's first few need no growth
      // (a file created, written and closed sees five: IOCTL, WRITE, FLUSH, RELEASE, GETATTR).
      this.opCounts = [op, 1, NO_OP, 0, NO_OP, 0, NO_OP, 0, NO_OP, 0, NO_OP, 0];
      return;
    }
    for (let i = 0; i < c.length; i += 2) {
      const o = c[i]!;
      if (o === op) {
        c[i + 1]!++;
        return;
      }
      if (o === NO_OP) {
        c[i] = op;
        c[i + 1] = 1;
        return;
      }
    }
    c.push(op, 1);
  }

  /** Requests per opcode, in first-seen order (built on demand: summaries, not per message). */
  get byOpcode(): Map<number, number> {
    const out = new Map<number, number>();
    const c = this.opCounts ?? [];
    for (let i = 0; i + 1 < c.length && c[i] !== NO_OP; i += 2) out.set(c[i]!, c[i + 1]!);
    return out;
  }

  /** A request on the file was sent. */
  addInflight(tr: Track): void {
    // A literal the first time: room for one, the common case.
    if (this.inflight === NONE) this.inflight = [tr];
    else (this.inflight as Track[]).push(tr);
  }

  /** Its reply was applied (the emptied list is kept for the file's next request: no allocation per request). */
  removeInflight(tr: Track): void {
    removeFrom(this.inflight as Track[], tr);
  }

  /** Notes a size event: kept in the history while it is not full, always counted. */
  noteSizeEvent(t: number, k: SizeCode, unique: Id | null, value: number): void {
    this.sizeEvents++;
    const h = this.sizeHistory;
    if (h === undefined) this.sizeHistory = new SizeHistory(t, k, unique, value, this.kernelSize, this.group.daemonSize, this.group.reportedSize, this.path);
    else if (!h.full) h.add(t, k, unique, value, this.kernelSize, this.group.daemonSize, this.group.reportedSize, this.path);
  }

  /** Timeline bars kept. */
  get barCount(): number {
    return this.bars?.n ?? 0;
  }

  /**
   * Adds exchange `x` to the timeline: its bar is kept when `keep`; when not,
   * the exchange is still counted in `activity`, and as dropped when it was
   * `wanted` (within the filters). Returns whether the bar was kept. `info`:
   * the bar's hover info (needed when `keep` or `wanted`).
   */
  addBar(x: Exchange, info: string | null, keep: boolean, wanted: boolean): boolean {
    if (keep) {
      (this.bars ??= new BarRows()).add(x, info);
      this.activity?.add(x.tReq);
      return true;
    }
    if (this.activity === undefined) {
      // From now on the bars do not hold everything: count every exchange, those kept so far too.
      const a = (this.activity = new ActivityBins());
      const bars = this.bars;
      if (bars !== undefined) for (let i = 0; i < bars.n; i++) a.add(bars.tReq(i));
    }
    this.activity.add(x.tReq);
    if (!wanted) return false;
    this.barsDropped++;
    (this.recentDropped ??= new RecentBarRows(RECENT_DROPPED)).add(x, info);
    return false;
  }

  /** Drops every bar (counted in `activity` and `barsDropped` instead); returns how many. */
  dropBars(): number {
    const bars = this.bars;
    if (!bars || bars.n === 0) return 0;
    if (this.activity === undefined) {
      const a = (this.activity = new ActivityBins());
      for (let i = 0; i < bars.n; i++) a.add(bars.tReq(i));
    }
    this.barsDropped += bars.n;
    this.bars = new BarRows();
    return bars.n;
  }

  /** Moves a recently dropped bar back (a finding references it). */
  rescueBar(conn: number, unique: Id): boolean {
    const r = this.recentDropped;
    // A retired file's summary is taken (a finding raised later on one of its exchanges changes nothing).
    if (!r || this.retired) return false;
    const i = r.find(conn, unique);
    if (i < 0) return false;
    (this.bars ??= new BarRows()).addRow(r, i);
    r.remove(i);
    this.barsDropped--;
    return true;
  }
}

/**
 * Removes the pair at `i` of a list of pairs in place, the order kept: splice
 * would make an array of the removed pair (one per RELEASE), and setting
 * `length` is a runtime call from optimised code (~450 instructions); two
 * pops are inline. Handle lists use it too (handles.ts).
 */
export function removePairAt<T>(list: T[], i: number): void {
  for (let k = i + 2; k < list.length; k++) list[k - 2] = list[k]!;
  list.pop();
  list.pop();
}

/**
 * Removes `v` (order not kept: these lists are sets) without allocating
 * (splice returns an array). A loop, not lastIndexOf: the lists hold one or
 * two entries, and a builtin call costs more than the search.
 */
function removeFrom<T>(list: T[], v: T): void {
  let i = list.length - 1;
  while (i >= 0 && list[i] !== v) i--;
  if (i < 0) return;
  const last = list.pop()!;
  if (i < list.length) list[i] = last;
}

/**
 * attr.ino values daemons put where they have no inode number (go-fuse's
 * 0xFFFFFFFF and 2^64-1, and 0): they name no file.
 */
export function isPlaceholderIno(ino: Id): boolean {
  return ino === 0 || ino === 0xffffffff || ino === 0xffffffffffffffffn;
}

export type { SizeEventKind };
