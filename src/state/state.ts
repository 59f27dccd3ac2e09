/**
 * The reconstruction: applies exchanges and notifications in time order to
 * the per-connection tables (paths, handles, latency, concurrency) and to the
 * per-file size views (analysis.md "Size views"), and keeps one `Track` per
 * in-flight exchange for the detectors. Memory: in-flight exchanges, live
 * files (dropped when FORGET takes the lookup count to zero) and bounded
 * per-file summaries.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';
import { IdTable } from '../pairing/id-table.js';
import { Op, opcodeRow, targetsNode } from '../protocol/opcodes.js';
import { Problem } from '../protocol/problems.js';
import { FATTR_SIZE } from '../protocol/flags/attr.js';
import { FALLOC_FL_KEEP_SIZE, FUSE_WRITE_CACHE } from '../protocol/flags/io.js';
import { FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FOPEN_PASSTHROUGH, O_DIRECT, O_TRUNC } from '../protocol/flags/open.js';
import { S_IFMT, S_IFREG } from '../protocol/flags/attr.js';
import { SIZE_EVENT_NAME, SizeCode } from '../model/size-event.js';
import type { PassthroughBacking } from '../model/analysis.js';
import { ConnConcurrency, LevelTime } from './concurrency.js';
import { BARS_PER_FILE, FileState, SizeGroup, Track, type SizeFacts, type SizeReport } from './files.js';
import { FileTable } from './file-table.js';
import { HandleTable } from './handles.js';
import { LatencyTable } from './latency.js';
import { PathTable } from './paths.js';
import { RecordPool, resetterOf } from '../protocol/recycle.js';

const FALLOC_FL_COLLAPSE_RANGE = 8;
const FALLOC_FL_INSERT_RANGE = 32;
const RENAME_EXCHANGE = 2;
/** Backing ids of passthrough opens listed per file. */
const BACKING_IDS_KEPT = 8;

/** Per-connection tables. */
export class ConnState {
  readonly paths = new PathTable();
  readonly handles: HandleTable;
  readonly concurrency = new ConnConcurrency();
  /**
   * In-flight tracks by unique, for INTERRUPT targets: made when the first
   * one asks (`AnalysisState.inFlight`), kept up to date from then on.
   */
  byUnique: IdTable<Track> | undefined = undefined;
  requests = 0;
  replies = 0;
  notifications = 0;
  messages = 0;
  /** FUSE_WRITEBACK_CACHE in effect (from INIT, or inferred from FUSE_WRITE_CACHE writes). */
  writeback: boolean | undefined = undefined;
  passthroughSeen = false;
  snapped = 0;
  /** Names the snap length cut (requests and notifications): unknown, so no path was taken from them. */
  namesCut = 0;
  constructor(readonly conn: number, maxHandles?: number) {
    this.handles = new HandleTable(maxHandles);
  }
}

export interface StateOptions {
  correlate: boolean;
  timeline: boolean;
  /** Total bar budget. */
  maxBars?: number;
  /** Timeline bars kept per file (default BARS_PER_FILE). */
  barsPerFile?: number;
  /** Whether an exchange is within the report's filters (its bar competes for the caps only then). */
  barWanted?(x: Exchange, f: FileState): boolean;
  /** Whether FUSE_WRITEBACK_CACHE is in effect for a connection (INIT); undefined = unknown. */
  writeback(conn: number): boolean | undefined;
  /** A size event of `f` (its sizes after the event in `e`). */
  onSizeEvent?(e: SizeFacts, f: FileState): void;
  /** The backing file registered under a passthrough backing id on a connection, when the capture holds its BACKING_OPEN. */
  backing?(conn: number, id: number): PassthroughBacking | undefined;
  /** A file's lookup count reached zero and nothing is in flight on it: take its summary now. */
  onRetire?(f: FileState): void;
  /** Tests: `recycle` poisons the track instead of keeping it for reuse, so that any later use of it throws. */
  poisonRecycled?: boolean;
  /** Open handles with FOPEN flags kept per connection (default handles.ts MAX_HANDLES). */
  maxHandles?: number;
  /**
   * Only the views the exchanges and size events carry (paths, sizes,
   * in-flight counts): no latency, concurrency, per-file counters or size
   * history, which only the model's summaries read (the export's streamed tables).
   */
  viewsOnly?: boolean;
}

/** Sets a track's fields back to those of a new one (`AnalysisState.recycle`). */
const resetTrack = resetterOf(new Track(undefined as unknown as Exchange, undefined), 'Track');
/** INTERRUPTs kept waiting for their target's request, and kept late (`AnalysisState.lateInterrupts`). */
const MAX_UNMATCHED_INTERRUPTS = 4096;
/**
 * How long an INTERRUPT whose target is not in flight waits for the target's
 * request: threads stamp what they read microseconds apart (a real bindfs
 * capture has an INTERRUPT 9 µs before its target), never a second.
 */
const INTERRUPT_TARGET_WAIT_NS = 1e9;
/** Recycled tracks kept for reuse: about as many as are in flight at once. */
const MAX_POOLED_TRACKS = 4096;

export interface NotifyFacts {
  conn: number;
  t: number;
  code: number;
  nodeid: Id | undefined;
  offset: number;
  size: number;
  parent: Id | undefined;
  /** INVAL_ENTRY / DELETE: the entry's name; undefined when unknown (`nameCut`). */
  name: string | undefined;
  /** The snap length cut the entry's name. */
  nameCut: boolean;
}

export class AnalysisState {
  readonly conns: ConnState[] = [];
  readonly files: FileTable;
  readonly latency = new LatencyTable();
  /**
   * The tracks in flight, in no order: `Track.slot` is the index, a removal
   * moves the last one into the hole. A reply finds its track on its
   * exchange (`Exchange.stateTrack`), so nothing is looked up by unique.
   */
  private readonly live: Track[] = [];
  private trackSeq = 0;
  bars = 0;
  private readonly maxBars: number;
  /** The size reports of the reply applied last (records reused from reply to reply). */
  private readonly reportPool: SizeReport[] = [];
  private nReports = 0;
  private readonly barsPerFile: number;
  /** Bars kept since the last eviction (evictBars). */
  private barsSinceEviction = 0;
  /** Files the reply applied last named in entries (LOOKUP, READDIRPLUS ...): parked when it is over, if nothing else reached them. */
  private readonly entryFiles: FileState[] = [];
  /** Latest event time applied. */
  tLast = 0;
  peakTracks = 0;
  /** INTERRUPTs whose target was not in flight at their time, oldest first, waiting for it (`interrupt`). */
  private readonly unmatched: Exchange[] = [];
  /** Those whose wait is over, for `lateInterrupts`. */
  private readonly late: Exchange[] = [];
  /** Tracks given back by `recycle`, reused by the next requests. */
  private readonly trackPool: RecordPool<Track>;

  /**
   * Some connection answered an open with FOPEN_PASSTHROUGH: until then no
   * file is passthrough-blind, and the members of a file's group need no look.
   */
  private passthroughSeen = false;

  /**
   * Not `opts.viewsOnly`: latency, concurrency, per-file counters and size history are kept. Tested as
   * `=== true`, as the per-message paths test booleans (and objects `=== undefined`): docs/speed.md, the truth tests.
   */
  private readonly summaries: boolean;

  constructor(readonly opts: StateOptions) {
    this.summaries = opts.viewsOnly !== true;
    this.files = new FileTable(opts.correlate);
    this.maxBars = opts.maxBars ?? 200_000;
    this.barsPerFile = opts.barsPerFile ?? BARS_PER_FILE;
    this.trackPool = new RecordPool(resetTrack, MAX_POOLED_TRACKS, opts.poisonRecycled === true);
  }

  conn(c: number): ConnState {
    let s = this.conns[c];
    if (s === undefined) this.conns[c] = s = new ConnState(c, this.opts.maxHandles);
    return s;
  }

  /** The track of an exchange in flight (undefined once its reply is applied, or if it never had one). */
  track(x: Exchange): Track | undefined {
    return x.stateTrack as Track | undefined;
  }

  /** Every in-flight track (end of capture), by request time, then connection, then the order taken. */
  inflightTracks(): IterableIterator<Track> {
    return [...this.live].sort((a, b) => a.x.tReq - b.x.tReq || a.x.conn - b.x.conn || a.seq - b.seq).values();
  }

  /** Whether a request with `unique` is in flight on the connection (INTERRUPT targets). */
  inFlight(conn: number, unique: Id): boolean {
    const c = this.conn(conn);
    let m = c.byUnique;
    if (m === undefined) {
      // Only INTERRUPTs ask: the index costs nothing on a connection that never sees one.
      c.byUnique = m = new IdTable<Track>();
      for (const tr of this.inflightTracks()) if (tr.x.conn === conn) m.set(tr.x.unique, tr);
    }
    return m.has(unique);
  }

  private writeback(c: ConnState): boolean {
    if (c.writeback === undefined) {
      const w = this.opts.writeback(c.conn);
      if (w !== undefined) c.writeback = w;
      return w === true;
    }
    return c.writeback;
  }

  /** The file a request targets (header nodeid), or undefined for connection-level requests. */
  private targetFile(x: Exchange, c: ConnState): FileState | undefined {
    const op = x.opcode;
    if (x.nodeid === 0 || !targetsNodeOp(op)) return undefined;
    return this.files.getOrCreate(x.conn, x.nodeid, c.paths);
  }

  // ---------------------------------------------------------------- requests

  /** A request reached the daemon (time order). Returns its track (undefined for no-reply requests). */
  request(x: Exchange): Track | undefined {
    const t = x.tReq;
    if (t > this.tLast) this.tLast = t;
    const c = this.conn(x.conn);
    c.requests++;
    if (x.reqCapLen < x.reqLen) {
      c.snapped++;
      if (x.reqProblem?.def === Problem.NAME_CUT) c.namesCut++;
    }
    if (this.summaries === true) this.latency.get(x.conn, x.opcode).addRequest();
    const op = x.opcode;
    const namesChild = x.name !== undefined && namesChildOp(op);

    if (op === Op.FORGET || op === Op.BATCH_FORGET) {
      c.concurrency.noteTid(x.tid);
      this.setPath(x, c, namesChild);
      const fg = x.forgets;
      if (fg) for (let i = 0; i + 1 < fg.length; i += 2) this.forget(c, fg[i]!, Number(fg[i + 1]!));
      return undefined;
    }
    if (x.noReplyExpected || op === Op.INTERRUPT) {
      c.concurrency.noteTid(x.tid);
      this.setPath(x, c, namesChild);
      if (op === Op.INTERRUPT) this.interrupt(x);
      return undefined;
    }

    const f = this.targetFile(x, c);
    if (f !== undefined) {
      // Also when the request names a child: a renamed directory may be seen only as a parent.
      // A file's path string is reused while its node stays unknown (no new string per request).
      // One lookup of the node serves the file and the request: an unknown node's path is `?<nodeid>`.
      const known = c.paths.knownPath(x.nodeid);
      if (known !== undefined) f.path = known;
      if (namesChild) x.dirPath = known ?? c.paths.path(x.nodeid);
      else x.path = f.path;
    } else {
      this.setPath(x, c, namesChild);
    }
    const tr = this.newTrack(x, f);
    // Pairing may have counted INTERRUPTs whose blocks came first: the count starts here, in time order.
    if (x.interrupts !== 0) this.syncInterrupts(x, tr);
    if (this.unmatched.length > 0) this.takeEarlyInterrupt(x, tr);
    // A duplicate unique needs no care: each request has its own track on its own exchange.
    x.stateTrack = tr;
    const live = this.live;
    tr.slot = live.length;
    tr.seq = this.trackSeq++;
    live.push(tr);
    if (live.length > this.peakTracks) this.peakTracks = live.length;
    if (c.byUnique !== undefined) c.byUnique.set(x.unique, tr);
    if (this.summaries === true) c.concurrency.request(t, x.tid);
    if (f === undefined) return tr;

    if (this.summaries === true) f.countOpcode(op);
    x.fileInflightAtReq = f.inflight.length;
    x.kernelSizeAtReq = f.kernelSize;
    x.daemonSizeAtReq = f.group.daemonSize;
    f.addInflight(tr);
    if (this.summaries === true) (f.level ??= new LevelTime()).set(f.inflight.length, t);

    if (x.fh !== undefined) {
      const fo = c.handles.fopen(x.fh, f.nodeid);
      if (fo !== undefined) {
        tr.handleKnown = true;
        tr.fopen = fo;
      } else if (c.handles.dropped > 0) {
        tr.handleForgotten = true;
      }
      tr.handleOpens = f.opensOf(x.fh);
      if (op === Op.RELEASE) {
        f.noteRelease(x.fh);
        // After the RELEASE nothing more goes through this handle's backing file.
        if (fo !== undefined && (fo & FOPEN_PASSTHROUGH) !== 0 && f.passthroughLive > 0) f.passthroughLive--;
      }
    }
    tr.passthroughBlind = this.passthroughSeen && f.group.passthroughBlind();

    const g = f.group;
    if (op === Op.WRITE) {
      f.writes++;
      f.inflightWrites++;
      if (this.summaries === true) (f.writeLevel ??= new LevelTime()).set(f.inflightWrites, t);
      tr.writeCache = (x.opFlags & FUSE_WRITE_CACHE) !== 0;
      if (tr.writeCache) {
        if (c.writeback === undefined) c.writeback = true;
        // The kernel already owns a size that includes this write.
        const end = x.offset + x.size;
        if (!Number.isNaN(f.kernelSize) && end > f.kernelSize) f.kernelSize = end;
      }
      this.linkConcurrentWrites(tr, g);
      g.addInflight('writesInflight', tr);
    } else if ((op === Op.SETATTR && (x.opFlags & FATTR_SIZE) !== 0) || ((op === Op.OPEN) && (x.flags & O_TRUNC) !== 0)) {
      tr.truncates = true;
      g.addInflight('truncatesInflight', tr);
    } else if (op === Op.FALLOCATE) {
      tr.changes = f;
      g.addInflight('changesInflight', tr);
    } else if ((op === Op.COPY_FILE_RANGE || op === Op.COPY_FILE_RANGE_64) && x.node2 !== undefined) {
      // A destination nothing has reached yet has no sizes to protect: the request makes no file of it.
      const dst = this.files.get(x.conn, x.node2);
      if (dst !== undefined) {
        tr.changes = dst;
        dst.group.addInflight('changesInflight', tr);
      }
    }
    return tr;
  }

  /**
   * An INTERRUPT, in time order: a target in flight at its time was
   * interrupted. Pairing marks targets as blocks come, and blocks of
   * different threads are not in time order: an INTERRUPT's block may come
   * before its target's request or after its reply. The analysis goes by
   * this count (`Track.interrupts`), which replaces pairing's on the
   * exchange when the request is taken, at each INTERRUPT and at the reply.
   */
  private interrupt(x: Exchange): void {
    if (x.target === undefined) return;
    this.expireInterrupts(x.tReq);
    if (!this.inFlight(x.conn, x.target)) {
      // Answered already, read before the capture started, or not read yet by these stamps: the kernel
      // sends an INTERRUPT only for a request a daemon thread has read, but the thread that read the
      // INTERRUPT may have stamped it first. The target's request, if it comes in time, takes it (`request`).
      const u = this.unmatched;
      u.push(x);
      if (u.length > MAX_UNMATCHED_INTERRUPTS) this.lateInterrupt(u.shift()!);
      return;
    }
    this.countInterrupt(this.conn(x.conn).byUnique!.get(x.target)!, x.tReq);
  }

  private countInterrupt(tr: Track, t: number): void {
    if (tr.interrupts++ === 0) tr.x.tInterrupt = t;
    tr.x.interrupts = tr.interrupts;
  }

  /** A new request takes the INTERRUPT for it stamped before it (`interrupt`). */
  private takeEarlyInterrupt(x: Exchange, tr: Track): void {
    this.expireInterrupts(x.tReq);
    const u = this.unmatched;
    for (let i = 0; i < u.length; i++) {
      const ix = u[i]!;
      if (ix.conn === x.conn && ix.target === x.unique) {
        u.splice(i, 1);
        this.countInterrupt(tr, ix.tReq);
        return;
      }
    }
  }

  /** Waiting INTERRUPTs stamped more than `INTERRUPT_TARGET_WAIT_NS` before `t`: their target will not come now. */
  private expireInterrupts(t: number): void {
    const u = this.unmatched;
    let n = 0;
    while (n < u.length && u[n]!.tReq < t - INTERRUPT_TARGET_WAIT_NS) n++;
    if (n > 0) for (const ix of u.splice(0, n)) this.lateInterrupt(ix);
  }

  /** Kept for `lateInterrupts` (the interrupted detector), at most as many as may wait: nobody else asks. */
  private lateInterrupt(x: Exchange): void {
    if (this.late.length >= MAX_UNMATCHED_INTERRUPTS) this.late.shift();
    this.late.push(x);
  }

  /**
   * INTERRUPTs that found no request to interrupt (answered already, or read
   * before the capture started), taken once: those whose wait is over, and
   * with `all` (end of capture) those still waiting.
   */
  lateInterrupts(all = false): Exchange[] {
    if (all) for (const ix of this.unmatched.splice(0)) this.lateInterrupt(ix);
    return this.late.length === 0 ? [] : this.late.splice(0);
  }

  /** The exchange's INTERRUPT count is the track's (time order), not pairing's. */
  private syncInterrupts(x: Exchange, tr: Track): void {
    x.interrupts = tr.interrupts;
    if (tr.interrupts === 0) x.tInterrupt = NaN;
  }

  /** The request's path, or its directory's when it names a child (`Exchange.dirPath`). */
  private setPath(x: Exchange, c: ConnState, namesChild: boolean): void {
    // Nodeid 0 names no node: connection-level requests (INIT, BATCH_FORGET, INTERRUPT) have no path.
    if (x.nodeid === 0) return;
    if (namesChild) x.dirPath = c.paths.path(x.nodeid);
    else x.path = c.paths.path(x.nodeid);
  }

  private newTrack(x: Exchange, f: FileState | undefined): Track {
    const tr = this.trackPool.take();
    if (tr === undefined) return new Track(x, f);
    tr.x = x;
    tr.file = f;
    return tr;
  }

  /**
   * Gives back the track of a completed exchange once the detectors and
   * `finishReply` are done with it, for reuse by a later request; a track
   * whose exchange is held (a detector's episode keeps it) is left to the GC.
   */
  recycle(tr: Track): void {
    if (!tr.x.held) this.trackPool.give(tr);
  }

  /** Counts, for the new write and each write in flight on its group, the writes in flight together with it and the peak. */
  private linkConcurrentWrites(tr: Track, g: SizeGroup): void {
    const l = g.writesInflight;
    const level = l.length + 1;
    tr.writesTogether = l.length;
    tr.writesPeak = level;
    for (let i = 0; i < l.length; i++) {
      const o = l[i]!;
      o.writesTogether++;
      if (level > o.writesPeak) o.writesPeak = level;
    }
  }

  // ----------------------------------------------------------------- replies

  /**
   * A reply was sent (time order). Applies the size views and paths, removes
   * the exchange from flight. Returns its track (undefined when the request
   * was never tracked, e.g. an INTERRUPT's own reply).
   */
  reply(x: Exchange): Track | undefined {
    const t = x.tReply;
    if (t > this.tLast) this.tLast = t;
    const c = this.conn(x.conn);
    c.replies++;
    this.nReports = 0;
    if (x.replyCapLen < x.replyLen) c.snapped++;
    if (this.summaries === true) this.latency.get(x.conn, x.opcode).addReply(x.error, x.tReply - x.tReq);
    const tr = x.stateTrack as Track | undefined;
    if (tr === undefined) {
      c.concurrency.noteTid(x.replyTid);
      return undefined;
    }
    x.stateTrack = undefined;
    if (x.interrupts !== tr.interrupts) this.syncInterrupts(x, tr);
    this.unlist(tr);
    // A duplicate unique: the index holds the newer request, which this may not be.
    if (c.byUnique !== undefined && c.byUnique.get(x.unique) === tr) c.byUnique.delete(x.unique);
    if (this.summaries === true) c.concurrency.reply(t, x.replyTid);
    const f = tr.file;
    if (f !== undefined) {
      f.removeInflight(tr);
      f.level?.set(f.inflight.length, t);
      if (x.opcode === Op.WRITE) {
        f.inflightWrites--;
        f.writeLevel?.set(f.inflightWrites, t);
        f.group.removeInflight('writesInflight', tr);
      }
      if (tr.truncates) f.group.removeInflight('truncatesInflight', tr);
    }
    if (tr.changes) tr.changes.group.removeInflight('changesInflight', tr);
    // A reply the kernel refused (failed write) changed nothing in the kernel (fuse-protocol.md §6.19).
    if (x.error === 0 && x.replyFailedErrno === 0) this.applyReply(x, tr, c);
    return tr;
  }

  /** Takes a track out of the in-flight list. */
  private unlist(tr: Track): void {
    const live = this.live;
    const last = live.pop()!;
    if (last !== tr) {
      live[tr.slot] = last;
      last.slot = tr.slot;
    }
    tr.slot = -1;
  }

  /** Number of size reports (attr.size) the reply applied last carried. */
  get reportCount(): number {
    return this.nReports;
  }

  /** The i-th size report of the reply applied last, in reply order; the record is reused by the next reply. */
  reportAt(i: number): SizeReport {
    return this.reportPool[i]!;
  }

  /** After the detectors ran on a reply: timeline bar, retirement. */
  finishReply(tr: Track): void {
    const f = tr.file;
    if (f === undefined) return;
    if (this.opts.timeline) this.addBar(f, tr);
    if (f.forgotten && f.inflight.length === 0) this.retire(f);
    const e = this.entryFiles;
    if (e.length > 0) {
      for (let i = 0; i < e.length; i++) this.files.park(e[i]!);
      // Emptied by pops: setting `length` is a runtime call from optimised code (~450 instructions a reply).
      while (e.length > 0) e.pop();
    }
  }

  private addBar(f: FileState, tr: Track): void {
    const x = tr.x;
    // Filters first, then the caps: a narrowed report keeps what it selected.
    const wanted = this.opts.barWanted?.(x, f) ?? true;
    const fileRoom = f.barCount < this.barsPerFile;
    if (wanted && fileRoom && this.bars >= this.maxBars && this.barsSinceEviction >= this.maxBars / 2) this.evictBars();
    const keep = tr.keepBar || (wanted && fileRoom && this.bars < this.maxBars);
    // The info only when the file keeps the bar (as a bar, or as a recently dropped one).
    if (f.addBar(x, keep || wanted ? barInfo(x, tr) : null, keep, wanted)) {
      this.bars++;
      this.barsSinceEviction++;
    }
  }

  /**
   * The bar budget is spent: keep the bars of the files the report would
   * draw (those with findings, then the busiest so far) and count the
   * others' in their activity only, so that files busy later in the capture
   * still get bars. At most once per half budget of bars added.
   */
  private evictBars(): void {
    const keepFiles = Math.max(1, Math.floor(this.maxBars / (2 * this.barsPerFile)));
    const holders: FileState[] = [];
    for (const f of this.files.all()) if (f.barCount > 0 && f.findings === 0) holders.push(f);
    holders.sort((a, b) => b.exchanges - a.exchanges || b.bytesWritten - a.bytesWritten);
    for (const f of holders.slice(keepFiles)) this.bars -= f.dropBars();
    this.barsSinceEviction = 0;
  }

  private applyReply(x: Exchange, tr: Track, c: ConnState): void {
    const op = x.opcode;
    const t = x.tReply;
    const f = tr.file;
    switch (op) {
      case Op.LOOKUP: case Op.MKNOD: case Op.MKDIR: case Op.SYMLINK: case Op.LINK: case Op.CREATE: case Op.TMPFILE: {
        const nid = x.resultNodeid;
        if (nid === undefined || nid === 0) return;
        const name = op === Op.TMPFILE ? `(tmpfile ${nid})` : x.name;
        // No name (cut by the snap length): a child of the directory whose name is unknown, not a name taken from its captured start.
        if (name === undefined) c.paths.bindUnnamed(nid, x.nodeid, op === Op.LINK);
        // LINK gives a node another name (a hard link): its path keeps the one it has.
        else if (op === Op.LINK) c.paths.addLink(nid, x.nodeid, name);
        else c.paths.bind(nid, x.nodeid, name, true);
        const child = this.files.getOrCreate(x.conn, nid, c.paths);
        child.path = c.paths.path(nid);
        if (op === Op.CREATE || op === Op.TMPFILE) {
          if ((x.flags & O_TRUNC) !== 0) this.truncate(child, x, 0, SizeCode.OpenTrunc, t);
          this.openHandle(c, child, x, t);
        }
        noteType(child, op === Op.MKDIR ? 0o040000 : x.attrMode);
        if (x.attrIno !== undefined) this.files.setIno(child, x.attrIno);
        if (!Number.isNaN(x.attrSize)) this.report(child, x, x.attrSize, x.attrValidNs, false, t);
        this.entryFiles.push(child);
        return;
      }
      case Op.GETATTR: case Op.STATX: case Op.SETATTR: {
        if (f === undefined) return;
        noteType(f, x.attrMode);
        if (x.attrIno !== undefined) this.files.setIno(f, x.attrIno);
        if (op === Op.SETATTR && (x.opFlags & FATTR_SIZE) !== 0) {
          const size = !Number.isNaN(x.attrSize) ? x.attrSize : x.size;
          if (!Number.isNaN(size)) this.truncate(f, x, size, SizeCode.Truncate, t);
          if (!Number.isNaN(x.attrSize)) f.group.reportedSize = x.attrSize;
          return;
        }
        if (!Number.isNaN(x.attrSize)) this.report(f, x, x.attrSize, x.attrValidNs, op === Op.SETATTR, t);
        return;
      }
      case Op.READDIRPLUS: {
        const entries = x.entries;
        if (!entries) return;
        for (const e of entries) {
          if (e.nodeid === undefined || e.nodeid === 0 || e.name === '.' || e.name === '..') continue;
          c.paths.bind(e.nodeid, x.nodeid, e.name, true);
          const child = this.files.getOrCreate(x.conn, e.nodeid, c.paths);
          child.path = c.paths.path(e.nodeid);
          noteType(child, e.mode);
          if (e.attrIno !== undefined) this.files.setIno(child, e.attrIno);
          if (!Number.isNaN(e.size)) this.report(child, x, e.size, e.attrValidNs, false, t);
          this.entryFiles.push(child);
        }
        return;
      }
      case Op.OPEN: {
        if (f === undefined) return;
        if ((x.flags & O_TRUNC) !== 0) this.truncate(f, x, 0, SizeCode.OpenTrunc, t);
        this.openHandle(c, f, x, t);
        return;
      }
      case Op.OPENDIR:
        if (f !== undefined && x.resultFh !== undefined) c.handles.open(x.resultFh, f.nodeid, x.openFlags);
        return;
      case Op.RELEASE: case Op.RELEASEDIR:
        c.handles.release(x.fh, x.nodeid);
        return;
      case Op.READ:
        if (f === undefined) return;
        this.shortRead(f, tr, x, c, t);
        this.readEnd(f.group, x, t);
        return;
      case Op.WRITE: {
        if (f === undefined || !(x.resultSize > 0) || Number.isNaN(x.offset)) return;
        f.bytesWritten += x.resultSize;
        this.grow(f, x, x.offset + x.resultSize, SizeCode.Write, t);
        return;
      }
      case Op.FALLOCATE: {
        if (!f || Number.isNaN(x.offset) || Number.isNaN(x.size)) return;
        const mode = x.opFlags;
        if ((mode & FALLOC_FL_COLLAPSE_RANGE) !== 0) this.shift(f, x, -x.size, t);
        else if ((mode & FALLOC_FL_INSERT_RANGE) !== 0) this.shift(f, x, x.size, t);
        else if ((mode & FALLOC_FL_KEEP_SIZE) === 0) this.grow(f, x, x.offset + x.size, SizeCode.Fallocate, t);
        return;
      }
      case Op.COPY_FILE_RANGE: case Op.COPY_FILE_RANGE_64: {
        if (x.node2 === undefined || !(x.resultSize > 0) || Number.isNaN(x.offset)) return;
        const dst = this.files.getOrCreate(x.conn, x.node2, c.paths);
        this.grow(dst, x, x.offset + x.resultSize, SizeCode.Copy, t);
        return;
      }
      case Op.RENAME: case Op.RENAME2: {
        if (x.name === undefined || x.node2 === undefined) return;
        // The new name cut by the snap length: what moved is known, its new name is not.
        if (x.name2 === undefined) return void c.paths.renameUnnamed(x.nodeid, x.name, x.node2);
        c.paths.rename(x.nodeid, x.name, x.node2, x.name2, op === Op.RENAME2 && (x.opFlags & RENAME_EXCHANGE) !== 0);
        return;
      }
      case Op.UNLINK: case Op.RMDIR:
        if (x.name !== undefined) c.paths.unlink(x.nodeid, x.name);
        return;
      default:
        return;
    }
  }

  private openHandle(c: ConnState, f: FileState, x: Exchange, t: number): void {
    if (x.resultFh === undefined) return;
    f.noteOpen(x.resultFh);
    c.handles.open(x.resultFh, f.nodeid, x.openFlags);
    f.fopenSeen |= x.openFlags;
    if ((x.openFlags & FOPEN_PASSTHROUGH) !== 0) {
      c.passthroughSeen = true;
      this.passthroughSeen = true;
      f.passthroughOpens++;
      f.passthroughLive++;
      f.passthroughUnsynced = true;
      const list = (f.backing ??= []);
      if (list.length < BACKING_IDS_KEPT && !list.some((b) => b.id === x.backingId)) {
        list.push(this.opts.backing?.(c.conn, x.backingId) ?? { id: x.backingId, path: null, dev: null, ino: null });
      }
    }
  }

  // -------------------------------------------------------------- size views

  private sizeEvent(f: FileState, code: SizeCode, x: Exchange | undefined, value: number, t: number): void {
    if (this.summaries === true) f.noteSizeEvent(t, code, x !== undefined ? x.unique : null, value);
    const hook = this.opts.onSizeEvent;
    if (hook === undefined) return;
    hook({
      t, kind: SIZE_EVENT_NAME[code], unique: x !== undefined ? x.unique : null, value, kernel: f.kernelSize, daemon: f.group.daemonSize, reported: f.group.reportedSize, path: f.path,
    }, f);
  }

  /** A reply carried attr.size for `f`. */
  private report(f: FileState, x: Exchange, size: number, attrValidNs: number, isSetattr: boolean, t: number): void {
    if (f.regular === false) return;
    const g = f.group;
    const c = this.conn(f.conn);
    // A report that predates a change completed while it was in flight does not take daemon_size back.
    const predates = g.changes.length > 0 ? g.changePredated(size, x.tReq, t) : undefined;
    const rep = this.nextReport();
    rep.file = f;
    rep.size = size;
    rep.attrValidNs = attrValidNs;
    rep.daemonBefore = g.daemonSize;
    rep.predates = predates;
    rep.previous = g.lastReport;
    rep.kernelBefore = f.kernelSize;
    rep.passthroughBlind = this.passthroughSeen && g.passthroughBlind();
    // Past the last passthrough handle, a size report brings the FUSE-visible size back in step.
    if (this.passthroughSeen) for (const m of g.members) if (m.passthroughUnsynced && m.passthroughLive === 0) m.passthroughUnsynced = false;
    g.reportedSize = size;
    if (!predates) {
      if (size !== g.daemonSize && !Number.isNaN(g.daemonSize)) {
        g.lastReport = { conn: x.conn, unique: x.unique, opcode: x.opcode, tReq: x.tReq, t, size, before: g.daemonSize, path: f.path };
      }
      g.daemonSize = size;
      g.tUpdated = t;
    }
    const wb = this.writeback(c);
    // The kernel drops an attribute reply when the inode's attr_version moved
    // after the request was sent (fuse_change_attributes_i): a local size
    // change, or another attribute reply applied first (replies out of order).
    const applies = isSetattr || !(f.tKernelChange > x.tReq || f.tAttrApplied > x.tReq);
    if (applies) f.tAttrApplied = t;
    if (isSetattr && !wb) f.kernelSize = size;
    else if (Number.isNaN(f.kernelSize) || (!wb && applies)) f.kernelSize = size;
    rep.kernelAfter = f.kernelSize;
    this.sizeEvent(f, SizeCode.Report, x, size, t);
  }

  /** A report record from the pool (no allocation once the pool holds as many as one reply needs). */
  private nextReport(): SizeReport {
    const p = this.reportPool;
    const i = this.nReports++;
    if (i < p.length) return p[i]!;
    const r: SizeReport = { file: undefined!, size: NaN, attrValidNs: 0, daemonBefore: NaN, predates: undefined, previous: undefined, kernelBefore: NaN, kernelAfter: NaN, passthroughBlind: false };
    p.push(r);
    return r;
  }

  /**
   * A READ answered with fewer bytes than asked. Through the page cache the
   * kernel takes that for the end of the file (fuse_short_read ->
   * fuse_read_update_size, fuse-protocol.md §5.3): its size shrinks to
   * offset + bytes returned, if smaller, when nothing changed the inode's
   * attributes since the READ was sent (attr_version) and no write extending
   * it is running (FUSE_I_SIZE_UNSTABLE; any WRITE in flight counts, to be
   * safe). Direct reads (FOPEN_DIRECT_IO, O_DIRECT) leave it alone, and with
   * writeback cache a short read is a hole. A handle whose flags are not
   * known (`handleFlagsKnown`) may have been a direct one: no change.
   */
  /**
   * `tr.fopen` is its handle's FOPEN flags. Handles answered with no FOPEN
   * flag are not kept (handles.ts), so a handle the table does not have was
   * answered 0 when the capture holds the connection's INIT (it holds every
   * OPEN) and the table dropped nothing at its bound. Otherwise it may be a
   * direct-I/O handle opened before the capture, or one the table dropped.
   */
  handleFlagsKnown(tr: Track): boolean {
    return tr.handleKnown === true || (this.opts.writeback(tr.x.conn) !== undefined && tr.handleForgotten !== true);
  }

  private shortRead(f: FileState, tr: Track, x: Exchange, c: ConnState, t: number): void {
    if (Number.isNaN(x.offset) || !(x.resultSize < x.size) || Number.isNaN(f.kernelSize)) return;
    if (!this.handleFlagsKnown(tr)) return;
    if ((tr.fopen & FOPEN_DIRECT_IO) !== 0 || (x.flags & O_DIRECT) !== 0) return;
    if (this.writeback(c) || f.inflightWrites > 0) return;
    if (f.tKernelChange > x.tReq || f.tAttrApplied > x.tReq) return;
    const end = x.offset + x.resultSize;
    if (end >= f.kernelSize) return;
    f.kernelSize = end;
    f.tKernelChange = t;
    this.sizeEvent(f, SizeCode.ShortRead, x, end, t);
  }

  /**
   * A READ answered short but not empty shows where the daemon's data ended
   * then. Two that disagree with nothing captured between them that changes
   * a size mean the content moves outside the capture: noted on the group,
   * so that no detector calls the file unchanged across that time.
   */
  private readEnd(g: SizeGroup, x: Exchange, t: number): void {
    if (Number.isNaN(x.offset) || !(x.resultSize > 0 && x.resultSize < x.size)) return;
    const end = x.offset + x.resultSize;
    if (end !== g.eofSeen && !Number.isNaN(g.eofSeen) && !g.changing() &&
      g.tLastTruncate <= g.tEofSeen && !g.changedDuring(g.tEofSeen, t)) g.tContentMoved = t;
    g.eofSeen = end;
    g.tEofSeen = t;
  }

  private truncate(f: FileState, x: Exchange, size: number, kind: SizeCode.Truncate | SizeCode.OpenTrunc, t: number): void {
    const g = f.group;
    const before = g.daemonSize;
    g.daemonSize = size;
    g.tUpdated = t;
    g.tLastTruncate = t;
    g.lastReport = undefined;
    if (!Number.isNaN(before) && before !== size) {
      g.noteChange({ conn: x.conn, unique: x.unique, opcode: x.opcode, tReq: x.tReq, tReply: t, before, after: size });
    }
    f.kernelSize = size;
    f.tKernelChange = t;
    this.sizeEvent(f, kind, x, size, t);
  }

  /** A completed WRITE/FALLOCATE/COPY reaching `end`: sizes become max(size, end). */
  private grow(f: FileState, x: Exchange, end: number, kind: SizeCode, t: number): void {
    const g = f.group;
    const before = g.daemonSize;
    let changed = false;
    if (!Number.isNaN(before) && end > before) {
      g.daemonSize = end;
      g.tUpdated = t;
      g.noteChange({ conn: x.conn, unique: x.unique, opcode: x.opcode, tReq: x.tReq, tReply: t, before, after: end });
      changed = true;
    }
    if (!Number.isNaN(f.kernelSize) && end > f.kernelSize) {
      f.kernelSize = end;
      changed = true;
    }
    f.tKernelChange = t;
    if (changed || kind !== SizeCode.Write) this.sizeEvent(f, kind, x, end, t);
  }

  /** FALLOCATE collapse/insert range: the size moves by `delta`. */
  private shift(f: FileState, x: Exchange, delta: number, t: number): void {
    const g = f.group;
    const before = g.daemonSize;
    if (!Number.isNaN(before)) {
      g.daemonSize = Math.max(0, before + delta);
      g.tUpdated = t;
      if (delta < 0) g.tLastTruncate = t;
      g.noteChange({ conn: x.conn, unique: x.unique, opcode: x.opcode, tReq: x.tReq, tReply: t, before, after: g.daemonSize });
    }
    if (!Number.isNaN(f.kernelSize)) f.kernelSize = Math.max(0, f.kernelSize + delta);
    f.tKernelChange = t;
    this.sizeEvent(f, SizeCode.Fallocate, x, g.daemonSize, t);
  }

  // ------------------------------------------------------------ notifications

  notify(n: NotifyFacts): void {
    if (n.t > this.tLast) this.tLast = n.t;
    const c = this.conn(n.conn);
    c.notifications++;
    if (n.nameCut) {
      c.snapped++;
      c.namesCut++;
    }
    switch (n.code) {
      case 2: { // INVAL_INODE
        if (n.nodeid === undefined) return;
        const f = this.files.get(n.conn, n.nodeid);
        if (f === undefined) return;
        f.kernelSize = NaN;
        f.tKernelChange = n.t;
        this.sizeEvent(f, SizeCode.Inval, undefined, NaN, n.t);
        return;
      }
      case 4: { // STORE
        if (n.nodeid === undefined) return;
        const f = this.files.get(n.conn, n.nodeid);
        if (f === undefined) return;
        const end = n.offset + n.size;
        if (!Number.isNaN(f.kernelSize) && end > f.kernelSize) f.kernelSize = end;
        f.tKernelChange = n.t;
        this.sizeEvent(f, SizeCode.Store, undefined, end, n.t);
        return;
      }
      case 6: // DELETE
        if (n.parent !== undefined && n.name !== undefined) c.paths.unlink(n.parent, n.name);
        return;
      default:
        return;
    }
  }

  // ----------------------------------------------------------------- forgets

  private forget(c: ConnState, nodeid: Id, nlookup: number): void {
    // The path as it is now (a directory above may have been renamed since the file's last request).
    const path = c.paths.knownPath(nodeid);
    if (!c.paths.forget(nodeid, nlookup)) return;
    const f = this.files.get(c.conn, nodeid);
    if (f === undefined) return;
    if (path !== undefined) f.path = path;
    if (f.inflight.length > 0) f.forgotten = true;
    else this.retire(f);
  }

  private retire(f: FileState): void {
    // Its bars leave the budget of the live files (the retired summaries are bounded on their own).
    this.bars -= f.barCount;
    this.opts.onRetire?.(f);
    this.files.drop(f);
    f.retired = true;
  }

  /** End of capture: close the concurrency intervals. In-flight tracks stay for the detectors' `end`. */
  end(tEnd: number): void {
    for (const f of this.files.all()) {
      // Paths as they are at the end: renames of directories above a file change its path without a request on it.
      const path = this.conns[f.conn]?.paths.knownPath(f.nodeid);
      if (path !== undefined) f.path = path;
      f.level?.close(tEnd);
      f.writeLevel?.close(tEnd);
    }
    const parked = this.files.parked;
    for (const e of this.files.entries()) {
      if (typeof e !== 'number') continue;
      const path = this.conns[parked.conn(e)]?.paths.knownPath(parked.nodeid(e));
      if (path !== undefined) parked.setPath(e, path);
    }
    if (this.opts.timeline) {
      for (const tr of this.inflightTracks()) if (tr.file) this.addBar(tr.file, tr);
    }
  }
}

/** Opcodes whose header nodeid names a file (opcode table `targetsNode`), by code. */
const TARGETS_NODE: boolean[] = [];

function targetsNodeOp(op: number): boolean {
  if (op >= 0 && op < 256) {
    let v = TARGETS_NODE[op];
    if (v === undefined) TARGETS_NODE[op] = v = targetsNode(op);
    // `=== true`: an array element is of no known type to V8 (docs/speed.md, the truth tests).
    return v === true;
  }
  return targetsNode(op);
}

/** Opcodes whose request names a child of the header nodeid (opcode table `namesChild`), by code. */
const NAMES_CHILD: boolean[] = [];

function namesChildOp(op: number): boolean {
  if (op >= 0 && op < 256) {
    let v = NAMES_CHILD[op];
    if (v === undefined) NAMES_CHILD[op] = v = opcodeRow(op)?.namesChild === true;
    return v === true;
  }
  return opcodeRow(op)?.namesChild === true;
}

/** A timeline bar's hover info. */
function barInfo(x: Exchange, tr: Track): string | null {
  switch (x.opcode) {
    case Op.WRITE: {
      // Joined as found: most writes have none of these, and then nothing is allocated.
      let info: string | null = tr.writeCache ? 'FUSE_WRITE_CACHE' : null;
      if ((tr.fopen & FOPEN_DIRECT_IO) !== 0) info = withPart(info, 'FOPEN_DIRECT_IO');
      if ((tr.fopen & FOPEN_PARALLEL_DIRECT_WRITES) !== 0) info = withPart(info, 'FOPEN_PARALLEL_DIRECT_WRITES');
      if (x.replied && x.error === 0 && x.resultSize < x.size) info = withPart(info, `short: ${x.resultSize} of ${x.size}`);
      return info;
    }
    case Op.SETATTR:
      return (x.opFlags & FATTR_SIZE) !== 0 ? `FATTR_SIZE ${x.size}` : null;
    case Op.OPEN:
      return (x.flags & O_TRUNC) !== 0 ? 'O_TRUNC' : null;
    default:
      return x.replied && x.interrupts > 0 ? 'interrupted' : null;
  }
}

/** `part` after `info`'s parts, space-separated. */
function withPart(info: string | null, part: string): string {
  return info === null ? part : `${info} ${part}`;
}

/** The file type from a reply's attr.mode (analysis.md "Size views": regular files only). */
function noteType(f: FileState, mode: number): void {
  const type = mode & S_IFMT;
  if (Number.isNaN(mode) || type === 0) return;
  f.regular = type === S_IFREG;
}
