/**
 * Files known only from entry replies (LOOKUP, READDIRPLUS, MKNOD ...), kept
 * as rows of numbers instead of objects: what `find /` over a big tree leaves
 * behind, a million such files at a time. A file is parked when nothing but
 * size reports ever reached it (no request, no handle, no finding, at most one
 * size event) and it is alone in its size group; the table takes it out again
 * (`take`) as the same FileState and SizeGroup the moment anything needs it.
 * A FileState with its SizeGroup, size history and boxed doubles costs about
 * 1 KB; a row costs 96 bytes plus its path.
 */
import type { Id } from '../model/id64.js';
import { FileState, SizeHistory } from './files.js';

/** Rows per chunk (a power of two): chunks are never copied to grow (a copy would double the peak). */
const CHUNK_BITS = 12;
const CHUNK_ROWS = 1 << CHUNK_BITS;

/**
 * The numbers of a row, by column. `Head` packs the connection, the bits and
 * the size event's kind (`head`). The event's own numbers (value and the
 * sizes after it) are nearly always the file's (nothing reached the file
 * after its one report): then they are not stored; otherwise they go to
 * `ParkedFiles.eventNums` and `EVENT_APART` says so.
 */
const enum Col {
  Head, Nodeid, Ino, KernelSize, TKernelChange, TAttrApplied, ReportedSize, DaemonSize, TUpdated, TLastTruncate, EvT, EvUnique,
}
const STRIDE = Col.EvUnique + 1;

/** Bits of a row (`head`): the type (`FileState.regular`) in the low two. */
const REGULAR = 1;
const NOT_REGULAR = 2;
const INO_CONFLICT = 4;
/** The group is registered under the file's ino (correlation). */
const GROUP_INO = 8;
const HAS_EVENT = 16;
/** The size event's numbers differ from the file's: they are in `eventNums`. */
const EVENT_APART = 32;
/** `head` = conn * HEAD_CONN + bits * HEAD_BITS + event kind: exact in a double for any connection number. */
const HEAD_BITS = 16;
const HEAD_CONN = HEAD_BITS * 64;

function head(conn: number, bits: number, kind: number): number {
  return conn * HEAD_CONN + bits * HEAD_BITS + kind;
}
const headConn = (h: number): number => Math.floor(h / HEAD_CONN);
const headBits = (h: number): number => Math.floor(h / HEAD_BITS) % 64;
const headKind = (h: number): number => h % HEAD_BITS;

/** Equal as stored numbers (NaN equals NaN). */
const same = (a: number, b: number): boolean => a === b || (a !== a && b !== b);

export class ParkedFiles {
  private chunks: Float64Array[] = [];
  private paths: (string | undefined)[] = [];
  /** Paths of size events that differ from the file's path (a rename between the event and the parking: rare). */
  private eventPaths = new Map<number, string>();
  /** Value, kernel, daemon and reported size of size events that differ from their file's (`EVENT_APART`: rare). */
  private eventNums = new Map<number, [number, number, number, number]>();
  private free: number[] = [];
  private rows = 0;
  /** Rows in use. */
  size = 0;

  /**
   * Whether `f` can be parked and taken back unchanged: untouched by any
   * request (so no counters, handles, bars or levels), no finding, at most one
   * size event, alone in a group that holds nothing in flight, no size
   * change and no READ's end, and ids that fit a double exactly.
   */
  static fits(f: FileState): boolean {
    const g = f.group;
    return f.untouched() && f.sizeEvents <= 1 && typeof f.nodeid === 'number' && typeof f.ino !== 'bigint' &&
      g.members.length === 1 && g.writesInflight.length === 0 && g.truncatesInflight.length === 0 && g.changes.length === 0 &&
      g.lastReport === undefined && Number.isNaN(g.eofSeen) && (g.ino === undefined || g.ino === f.ino) &&
      (f.sizeHistory === undefined || typeof f.sizeHistory.uniqueAt(0) !== 'bigint');
  }

  /** Stores `f` (it must `fit`); returns its row. */
  put(f: FileState): number {
    const row = this.free.length > 0 ? this.free.pop()! : this.rows++;
    const k = row >>> CHUNK_BITS;
    const c = this.chunks[k] ?? (this.chunks[k] = new Float64Array(CHUNK_ROWS * STRIDE));
    const o = (row & (CHUNK_ROWS - 1)) * STRIDE;
    const g = f.group;
    c[o + Col.Nodeid] = f.nodeid as number;
    c[o + Col.Ino] = f.ino === undefined ? NaN : (f.ino as number);
    c[o + Col.KernelSize] = f.kernelSize;
    c[o + Col.TKernelChange] = f.tKernelChange;
    c[o + Col.TAttrApplied] = f.tAttrApplied;
    c[o + Col.ReportedSize] = g.reportedSize;
    c[o + Col.DaemonSize] = g.daemonSize;
    c[o + Col.TUpdated] = g.tUpdated;
    c[o + Col.TLastTruncate] = g.tLastTruncate;
    let bits = f.regular === undefined ? 0 : f.regular ? REGULAR : NOT_REGULAR;
    if (f.inoConflict) bits |= INO_CONFLICT;
    if (g.ino !== undefined) bits |= GROUP_INO;
    let kind = 0;
    const h = f.sizeHistory;
    if (h !== undefined) {
      bits |= HAS_EVENT;
      kind = h.numAt(0, 1);
      c[o + Col.EvT] = h.numAt(0, 0);
      const u = h.uniqueAt(0);
      c[o + Col.EvUnique] = u === null ? NaN : (u as number);
      const value = h.numAt(0, 2), kernel = h.numAt(0, 3), daemon = h.numAt(0, 4), reported = h.numAt(0, 5);
      if (!same(value, g.reportedSize) || !same(kernel, f.kernelSize) || !same(daemon, g.daemonSize) || !same(reported, g.reportedSize)) {
        bits |= EVENT_APART;
        this.eventNums.set(row, [value, kernel, daemon, reported]);
      }
      const p = h.pathAt(0);
      if (p !== f.path) this.eventPaths.set(row, p);
    }
    c[o + Col.Head] = head(f.conn, bits, kind);
    this.paths[row] = f.path;
    this.size++;
    return row;
  }

  /** The file of `row` as it was parked (the row is freed). */
  take(row: number): FileState {
    const c = this.chunks[row >>> CHUNK_BITS]!;
    const o = (row & (CHUNK_ROWS - 1)) * STRIDE;
    const hd = c[o + Col.Head]!;
    const bits = headBits(hd);
    const ino = c[o + Col.Ino]!;
    const path = this.paths[row]!;
    const f = new FileState(headConn(hd), c[o + Col.Nodeid]!, path, undefined);
    const g = f.group;
    if (!Number.isNaN(ino)) f.ino = ino;
    if ((bits & GROUP_INO) !== 0) (g as { ino: Id | undefined }).ino = ino;
    f.regular = (bits & REGULAR) !== 0 ? true : (bits & NOT_REGULAR) !== 0 ? false : undefined;
    f.inoConflict = (bits & INO_CONFLICT) !== 0;
    f.kernelSize = c[o + Col.KernelSize]!;
    f.tKernelChange = c[o + Col.TKernelChange]!;
    f.tAttrApplied = c[o + Col.TAttrApplied]!;
    g.reportedSize = c[o + Col.ReportedSize]!;
    g.daemonSize = c[o + Col.DaemonSize]!;
    g.tUpdated = c[o + Col.TUpdated]!;
    g.tLastTruncate = c[o + Col.TLastTruncate]!;
    if ((bits & HAS_EVENT) !== 0) {
      const u = c[o + Col.EvUnique]!;
      const evPath = this.eventPaths.get(row);
      if (evPath !== undefined) this.eventPaths.delete(row);
      const apart = (bits & EVENT_APART) !== 0 ? this.eventNums.get(row) : undefined;
      if (apart !== undefined) this.eventNums.delete(row);
      f.sizeEvents = 1;
      // Value, kernel, daemon, reported: the file's own unless kept apart.
      f.sizeHistory = new SizeHistory(c[o + Col.EvT]!, headKind(hd), Number.isNaN(u) ? null : u, apart?.[0] ?? g.reportedSize,
        apart?.[1] ?? f.kernelSize, apart?.[2] ?? g.daemonSize, apart?.[3] ?? g.reportedSize, evPath ?? path);
    }
    this.paths[row] = undefined;
    this.free.push(row);
    this.size--;
    return f;
  }

  conn(row: number): number {
    return headConn(this.chunks[row >>> CHUNK_BITS]![(row & (CHUNK_ROWS - 1)) * STRIDE + Col.Head]!);
  }

  nodeid(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]![(row & (CHUNK_ROWS - 1)) * STRIDE + Col.Nodeid]!;
  }

  path(row: number): string {
    return this.paths[row]!;
  }

  /** The file's path changed (a rename above it): its size event keeps the path it had. */
  setPath(row: number, path: string): void {
    const old = this.paths[row]!;
    if (path === old) return;
    if (this.sizeEvents(row) > 0 && !this.eventPaths.has(row)) this.eventPaths.set(row, old);
    this.paths[row] = path;
  }

  /** Size events of the parked file (0 or 1). */
  sizeEvents(row: number): number {
    return (headBits(this.chunks[row >>> CHUNK_BITS]![(row & (CHUNK_ROWS - 1)) * STRIDE + Col.Head]!) & HAS_EVENT) !== 0 ? 1 : 0;
  }
}
