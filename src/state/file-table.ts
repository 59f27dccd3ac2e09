/**
 * Files by (conn, nodeid), and size groups by attr.ino for correlation.
 * Files known only from entry replies are parked as rows (parked-files.ts):
 * both maps then hold the row number where they held the object, in the same
 * place, so the table's order (which ranks files of equal activity) does not
 * change, and any lookup of the file takes it back first.
 */
import type { Id } from '../model/id64.js';
import { FileState, isPlaceholderIno, SizeGroup, type Track } from './files.js';
import { ParkedFiles } from './parked-files.js';
import { IdTable } from '../pairing/id-table.js';

export class FileTable {
  /** Not `Map`s: files come and go by the thousand, and a Map's discarded tables keep dropped files alive (IdTable). */
  private byConn: IdTable<FileState | number>[] = [];
  private groupsByIno = new IdTable<SizeGroup | number>({ unordered: true });
  /** Inos two nodeids of one connection reported: no evidence of anything. */
  private ambiguous = new Set<Id>();
  readonly parked = new ParkedFiles();
  /** Distinct files ever created. */
  created = 0;
  live = 0;
  peak = 0;

  constructor(readonly correlate: boolean) {}

  get(conn: number, nodeid: Id): FileState | undefined {
    const v = this.byConn[conn]?.get(nodeid);
    return typeof v === 'number' ? this.unpark(v) : v;
  }

  /** The file, created on first sight with its current path (`pathOf` is called only then). */
  getOrCreate(conn: number, nodeid: Id, pathOf: { path(nodeid: Id): string }): FileState {
    let m = this.byConn[conn];
    if (m === undefined) this.byConn[conn] = m = new IdTable();
    const v = m.get(nodeid);
    if (v === undefined) {
      const f = new FileState(conn, nodeid, pathOf.path(nodeid), undefined);
      m.set(nodeid, f);
      this.created++;
      this.live++;
      if (this.live > this.peak) this.peak = this.live;
      return f;
    }
    return typeof v === 'number' ? this.unpark(v) : v;
  }

  /** Keeps `f` as a row when nothing but entry replies reached it (ParkedFiles.fits); otherwise leaves it. */
  park(f: FileState): void {
    const m = this.byConn[f.conn];
    if (m === undefined || m.get(f.nodeid) !== f || !ParkedFiles.fits(f)) return;
    const g = f.group;
    if (g.ino !== undefined && this.groupsByIno.get(g.ino) !== g) return;
    const row = this.parked.put(f);
    m.set(f.nodeid, row);
    if (g.ino !== undefined) this.groupsByIno.set(g.ino, row);
  }

  /** The parked file of `row` as a FileState again, in its places in the table. */
  unpark(row: number): FileState {
    const f = this.parked.take(row);
    this.byConn[f.conn]!.set(f.nodeid, f);
    const g = f.group;
    if (g.ino !== undefined) this.groupsByIno.set(g.ino, g);
    return f;
  }

  /** Removes a file (its summary must have been taken). */
  drop(f: FileState): void {
    const m = this.byConn[f.conn];
    if (m?.get(f.nodeid) === f) {
      m.delete(f.nodeid);
      this.live--;
    }
    const g = f.group;
    removeMember(g.members, f);
    if (g.members.length === 0 && g.ino !== undefined && this.groupsByIno.get(g.ino) === g) this.groupsByIno.delete(g.ino);
  }

  /**
   * A reply named attr.ino `ino` for the file. With correlation on, files of
   * different connections with one ino share a group (analysis.md "Terms"),
   * but only on evidence: a placeholder ino names no file; a file whose
   * replies name two inos leaves its group for good; an ino that two nodeids
   * of one connection report (never one file) correlates nothing any more;
   * a regular file never joins a directory; an ino that is the nodeid on
   * both sides joins files at one path only (see `ownNumbers`).
   */
  setIno(f: FileState, ino: Id): void {
    if (f.ino === ino || isPlaceholderIno(ino) || f.inoConflict) return;
    if (f.ino !== undefined) {
      f.inoConflict = true;
      if (f.group.ino !== undefined) this.move(f, new SizeGroup(undefined));
      return;
    }
    f.ino = ino;
    if (!this.correlate || this.ambiguous.has(ino)) return;
    const v = this.groupsByIno.get(ino);
    const g = typeof v === 'number' ? this.unpark(v).group : v;
    if (g === f.group) return;
    if (!g) {
      if (f.group.ino === undefined && f.group.members.length === 1) {
        // Adopt the file's own group.
        (f.group as { ino: Id | undefined }).ino = ino;
        this.groupsByIno.set(ino, f.group);
      } else {
        const ng = new SizeGroup(ino);
        this.move(f, ng);
        this.groupsByIno.set(ino, ng);
      }
      return;
    }
    // A regular file and a directory are not one file, whatever their inos.
    if (f.regular !== undefined && g.members.some((o) => o.regular !== undefined && o.regular !== f.regular)) return;
    if (ownNumbers(f, g, ino)) return;
    if (g.members.some((o) => o.conn === f.conn)) {
      this.ambiguous.add(ino);
      this.groupsByIno.delete(ino);
      for (const o of [...g.members]) this.move(o, new SizeGroup(undefined));
      return;
    }
    this.move(f, g);
  }

  /**
   * Another nodeid of `f`'s connection reported its ino (hard links on a
   * daemon that gives each name a node): a change the capture shows on one
   * may be the other's.
   */
  sharesIno(f: FileState): boolean {
    return f.ino !== undefined && this.ambiguous.has(f.ino);
  }

  /** Moves a file (and its in-flight writes/truncates) to another group, merging size views. */
  private move(f: FileState, to: SizeGroup): void {
    const from = f.group;
    if (from === to) return;
    const i = from.members.indexOf(f);
    if (i >= 0) from.members.splice(i, 1);
    to.members.push(f);
    f.group = to;
    if (from.tUpdated > to.tUpdated) {
      to.daemonSize = from.daemonSize;
      to.reportedSize = from.reportedSize;
      to.tUpdated = from.tUpdated;
    }
    if (from.tLastTruncate > to.tLastTruncate) to.tLastTruncate = from.tLastTruncate;
    to.lastReport = undefined;
    for (const list of ['writesInflight', 'truncatesInflight', 'changesInflight'] as const) {
      const src = from[list] as Track[];
      for (let k = src.length - 1; k >= 0; k--) {
        if ((list === 'changesInflight' ? src[k]!.changes : src[k]!.file) === f) {
          to.addInflight(list, src[k]!);
          src.splice(k, 1);
        }
      }
    }
    if (from.members.length === 0 && from.ino !== undefined && this.groupsByIno.get(from.ino) === from) this.groupsByIno.delete(from.ino);
  }

  /** Other files correlated with `f`. */
  correlated(f: FileState): FileState[] {
    return f.group.members.filter((o) => o !== f);
  }

  /** The live files (not the parked ones). */
  *all(): IterableIterator<FileState> {
    for (const m of this.byConn) if (m) for (const v of m.values()) if (typeof v !== 'number') yield v;
  }

  /** Every file in table order: a live one as its FileState, a parked one as its row (`parked`, `unpark`). */
  *entries(): IterableIterator<FileState | number> {
    for (const m of this.byConn) if (m) yield* m.values();
  }
}

/**
 * The ino is the nodeid both here and on another connection of the group, at
 * another path: daemons numbering inodes with their own nodeids (libfuse's
 * high-level API without `use_ino` hands out 2, 3, ... in lookup order) give
 * one number to unrelated files of two mounts, so the number alone is no
 * evidence. Daemons whose nodeid is the inode number (fuser, squashfuse)
 * still join at the same path.
 */
function ownNumbers(f: FileState, g: SizeGroup, ino: Id): boolean {
  if (f.nodeid !== ino) return false;
  return g.members.some((o) => o.conn !== f.conn && o.nodeid === ino && o.path !== f.path);
}

/** Takes `f` out of a group's members, keeping their order, without the array splice would return (a file is dropped per FORGET). */
function removeMember(members: FileState[], f: FileState): void {
  const i = members.indexOf(f);
  if (i < 0) return;
  for (let k = i + 1; k < members.length; k++) members[k - 1] = members[k]!;
  members.pop();
}
