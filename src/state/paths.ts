/**
 * Paths of nodes, rebuilt per connection from the name-carrying operations
 * (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK, LINK, TMPFILE, RENAME, RENAME2,
 * READDIRPLUS entries) and the parent's path; `?<nodeid>` when unknown.
 * Also keeps the kernel's lookup count per node (fuse-protocol.md §5.6):
 * FORGET/BATCH_FORGET taking it to zero drops the node (the caller is told,
 * so it can retire the file's state).
 */
import type { Id } from '../model/id64.js';

export const ROOT_ID = 1;

/** `?<nodeid>` strings, made once per small nodeid (no new string per request on an unknown node). */
const UNKNOWN: string[] = [];
function unknownPath(nodeid: Id): string {
  if (typeof nodeid === 'number' && nodeid < 65536) return (UNKNOWN[nodeid] ??= `?${nodeid}`);
  return `?${nodeid}`;
}

interface PathNode {
  parent: Id;
  name: string;
  nlookup: number;
  cached: string | undefined;
  epoch: number;
}

export class PathTable {
  private nodes = new Map<Id, PathNode>();
  /** parent -> name -> nodeid, for renames and unlinks. */
  private children = new Map<Id, Map<string, Id>>();
  /** Bumped by every rename: cached paths of descendants may be stale. */
  private epoch = 0;
  peak = 0;

  get size(): number {
    return this.nodes.size;
  }

  private link(parent: Id, name: string, nodeid: Id): void {
    let c = this.children.get(parent);
    if (!c) this.children.set(parent, (c = new Map()));
    c.set(name, nodeid);
  }

  private unlinkIndex(parent: Id, name: string, nodeid: Id): void {
    const c = this.children.get(parent);
    if (c && c.get(name) === nodeid) {
      c.delete(name);
      if (c.size === 0) this.children.delete(parent);
    }
  }

  /** A name for `nodeid` under `parent` became known (entry reply, READDIRPLUS entry, LINK). */
  bind(nodeid: Id, parent: Id, name: string, countLookup: boolean): void {
    if (nodeid === ROOT_ID || nodeid === 0) return;
    let n = this.nodes.get(nodeid);
    if (!n) {
      n = { parent, name, nlookup: 0, cached: undefined, epoch: -1 };
      this.nodes.set(nodeid, n);
      this.link(parent, name, nodeid);
      if (this.nodes.size > this.peak) this.peak = this.nodes.size;
    } else if (n.parent !== parent || n.name !== name) {
      this.unlinkIndex(n.parent, n.name, nodeid);
      n.parent = parent;
      n.name = name;
      this.link(parent, name, nodeid);
      this.epoch++;
    }
    if (countLookup) n.nlookup++;
  }

  /** RENAME/RENAME2: the entry `oldName` in `oldParent` moved to `newParent`/`newName`. */
  rename(oldParent: Id, oldName: string, newParent: Id, newName: string, exchange: boolean): void {
    const movedId = this.children.get(oldParent)?.get(oldName);
    const targetId = this.children.get(newParent)?.get(newName);
    if (targetId !== undefined) {
      const t = this.nodes.get(targetId)!;
      this.unlinkIndex(newParent, newName, targetId);
      if (exchange) {
        t.parent = oldParent;
        t.name = oldName;
      } else {
        t.name = `${newName} (replaced)`;
      }
      this.link(t.parent, t.name, targetId);
    }
    if (movedId !== undefined) {
      const m = this.nodes.get(movedId)!;
      if (!exchange || targetId === undefined) this.unlinkIndex(oldParent, oldName, movedId);
      m.parent = newParent;
      m.name = newName;
      this.link(newParent, newName, movedId);
    }
    this.epoch++;
  }

  /** UNLINK/RMDIR: the name is gone; the node keeps its last path, marked, until forgotten. */
  unlink(parent: Id, name: string): void {
    const id = this.children.get(parent)?.get(name);
    if (id === undefined) return;
    const n = this.nodes.get(id)!;
    this.unlinkIndex(parent, name, id);
    n.name = `${name} (deleted)`;
    this.link(parent, n.name, id);
    this.epoch++;
  }

  /**
   * Subtracts `nlookup` from the node's lookup count. Returns true when the
   * count reached zero and the node was dropped.
   */
  forget(nodeid: Id, nlookup: number): boolean {
    const n = this.nodes.get(nodeid);
    if (!n) return false;
    n.nlookup -= nlookup;
    if (n.nlookup <= 0) {
      this.nodes.delete(nodeid);
      this.unlinkIndex(n.parent, n.name, nodeid);
      return true;
    }
    return false;
  }

  has(nodeid: Id): boolean {
    return nodeid === ROOT_ID || this.nodes.has(nodeid);
  }

  /** `path(nodeid)` when the node is known (`has`), else undefined: one lookup instead of two. */
  knownPath(nodeid: Id): string | undefined {
    if (nodeid === ROOT_ID) return '/';
    const n = this.nodes.get(nodeid);
    if (!n) return undefined;
    if (n.epoch === this.epoch && n.cached !== undefined) return n.cached;
    return this.path(nodeid);
  }

  /** `/a/b`, `/` for the root, `?<nodeid>` (or `?<ancestor>/b`) when unknown. */
  path(nodeid: Id): string {
    if (nodeid === ROOT_ID) return '/';
    const n = this.nodes.get(nodeid);
    if (!n) return unknownPath(nodeid);
    if (n.epoch === this.epoch && n.cached !== undefined) return n.cached;
    let p: string;
    const parts: string[] = [n.name];
    let cur = n.parent;
    let depth = 0;
    for (;;) {
      if (cur === ROOT_ID) {
        p = '/' + parts.reverse().join('/');
        break;
      }
      const pn = this.nodes.get(cur);
      // A cycle (damaged input) stops at a depth bound.
      if (!pn || ++depth > 256) {
        p = `?${cur}/` + parts.reverse().join('/');
        break;
      }
      parts.push(pn.name);
      cur = pn.parent;
    }
    n.cached = p;
    n.epoch = this.epoch;
    return p;
  }

  /** `/dir/name` for a child of `parent` (for requests naming a child). */
  childPath(parent: Id, name: string): string {
    const p = this.path(parent);
    return p === '/' ? `/${name}` : `${p}/${name}`;
  }
}
