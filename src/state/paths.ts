/**
 * Paths of nodes, rebuilt per connection from the name-carrying operations
 * (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK, LINK, TMPFILE, RENAME, RENAME2,
 * READDIRPLUS entries) and the parent's path; `?<nodeid>` when unknown.
 * Also keeps the kernel's lookup count per node (fuse-protocol.md §5.6):
 * FORGET/BATCH_FORGET taking it to zero drops the node (the caller is told,
 * so it can retire the file's state).
 */
import type { Id } from '../model/id64.js';
import { IdTable } from '../pairing/id-table.js';
import { childPath } from '../protocol/exchange.js';

const ROOT_ID = 1;

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
  /** The node's path, valid while `epoch` is the table's (see `PathTable.epoch`). */
  cached: string | undefined;
  epoch: number;
  /** Known ancestors in `cached` (MAX_DEPTH + 1 for a path cut at the bound): a path is cut past MAX_DEPTH of them. */
  hops: number;
  /**
   * The children index may map `parent`/`name` to this node. False once the
   * name is gone (unlinked, replaced): forgetting the node then needs no
   * lookup of its marked name.
   */
  linked: boolean;
  /**
   * Its other names, made by LINK (hard links): the node keeps the name it
   * had first for its path, and when that name is unlinked, the next one
   * takes its place; only when the last name goes is it deleted. Each is in
   * the children index too. Undefined for nearly every node.
   */
  aliases: Alias[] | undefined;
}

interface Alias {
  parent: Id;
  name: string;
}

/** Depth at which a walk up the parents stops: a cycle (damaged input) has no root. */
const MAX_DEPTH = 256;

export class PathTable {
  /** Not `Map`s (IdTable): nodes come and go by the thousand, and a Map's discarded tables keep dropped nodes alive. */
  private nodes = new IdTable<PathNode>({ unordered: true });
  /** parent -> name -> nodeid, for renames and unlinks. */
  private children = new IdTable<Map<string, Id>>({ unordered: true });
  /**
   * Known nodes whose parent is the key (the root's are not counted): a node
   * that has any is a prefix of other nodes' paths.
   */
  private dependents = new IdTable<number>({ unordered: true });
  /**
   * The cached paths are valid while a node's `epoch` equals this. A change
   * of a node's name or parent, or a node appearing or going, changes the
   * paths of the nodes below it: when it has any (`dependents`) the epoch
   * moves on and every cached path is rebuilt on its next use; when it has
   * none only its own cached path is dropped, so the create/rename/unlink of
   * one file after another keeps every other path cached.
   */
  private epoch = 0;
  /** Nodes from a node up to the first with a valid cached path (`walkPath`; reused, never shrunk). */
  private readonly walk: PathNode[] = [];
  peak = 0;

  get size(): number {
    return this.nodes.size;
  }

  /** Indexes node `n` (id `nodeid`) by its own parent and name. */
  private link(n: PathNode, nodeid: Id): void {
    this.indexName(n.parent, n.name, nodeid);
    n.linked = true;
  }

  /** Drops node `n` (id `nodeid`) from the index, when its parent and name still lead to it. */
  private unlinkIndex(n: PathNode, nodeid: Id): void {
    if (!n.linked) return;
    n.linked = false;
    this.dropIndex(n.parent, n.name, nodeid);
  }

  /** Indexes `parent`/`name` as a name of `nodeid`: its own or an alias. */
  private indexName(parent: Id, name: string, nodeid: Id): void {
    let c = this.children.get(parent);
    if (!c) this.children.set(parent, (c = new Map()));
    c.set(name, nodeid);
  }

  /** Drops `parent`/`name` from the index when it still leads to `nodeid`. */
  private dropIndex(parent: Id, name: string, nodeid: Id): void {
    const c = this.children.get(parent);
    if (c !== undefined && c.get(name) === nodeid) this.dropEntry(c, parent, name);
  }

  /** The position of `parent`/`name` among the node's aliases, or -1. */
  private aliasAt(n: PathNode, parent: Id, name: string): number {
    const a = n.aliases;
    if (a === undefined) return -1;
    for (let i = 0; i < a.length; i++) if (a[i]!.parent === parent && a[i]!.name === name) return i;
    return -1;
  }

  /** The name `parent`/`name` of node `n` moved to `toParent`/`toName` (RENAME): its own name, or an alias. The index is the caller's. */
  private moveName(nodeid: Id, n: PathNode, parent: Id, name: string, toParent: Id, toName: string): void {
    const i = n.parent === parent && n.name === name ? -1 : this.aliasAt(n, parent, name);
    if (i >= 0) {
      n.aliases![i] = { parent: toParent, name: toName };
      return;
    }
    this.place(nodeid, n, toParent, toName);
    n.linked = true;
  }

  /**
   * The name `parent`/`name` of node `n` is gone (unlinked, replaced by a
   * RENAME) and out of the index: an alias is forgotten; its own name gives
   * way to its next alias, or, when it has none, stays marked with `mark`
   * (`(deleted)`) until the node is forgotten.
   */
  private dropName(nodeid: Id, n: PathNode, parent: Id, name: string, mark: string): void {
    const a = n.aliases;
    if (n.parent !== parent || n.name !== name) {
      const i = this.aliasAt(n, parent, name);
      if (i >= 0) a!.splice(i, 1);
      if (a !== undefined && a.length === 0) n.aliases = undefined;
      return;
    }
    if (a !== undefined) {
      const next = a.shift()!;
      if (a.length === 0) n.aliases = undefined;
      this.place(nodeid, n, next.parent, next.name);
      n.linked = true;
      return;
    }
    n.linked = false;
    this.place(nodeid, n, parent, `${name} ${mark}`);
  }

  /** Deletes `name` from `c`, the children of `parent`. */
  private dropEntry(c: Map<string, Id>, parent: Id, name: string): void {
    c.delete(name);
    if (c.size === 0) this.children.delete(parent);
  }

  /** One more (`d` = 1) or one fewer (-1) known node below `parent`. */
  private depend(parent: Id, d: number): void {
    if (parent === ROOT_ID) return;
    const n = (this.dependents.get(parent) ?? 0) + d;
    if (n > 0) this.dependents.set(parent, n);
    else this.dependents.delete(parent);
  }

  /** The path of `nodeid` (known as `n`) is about to change: drop the cached paths it invalidates. */
  private moved(nodeid: Id, n: PathNode): void {
    if (this.dependents.has(nodeid)) this.epoch++;
    else n.cached = undefined;
  }

  /** `n` takes a new parent and name. */
  private place(nodeid: Id, n: PathNode, parent: Id, name: string): void {
    this.moved(nodeid, n);
    if (n.parent !== parent) {
      this.depend(n.parent, -1);
      this.depend(parent, 1);
      n.parent = parent;
    }
    n.name = name;
  }

  /** A new node `nodeid`, `name` in `parent`, in no index yet. */
  private add(nodeid: Id, parent: Id, name: string): PathNode {
    const n: PathNode = { parent, name, nlookup: 0, cached: undefined, epoch: -1, hops: 0, linked: false, aliases: undefined };
    // Nodes below an unknown one had `?<nodeid>` paths.
    if (this.dependents.has(nodeid)) this.epoch++;
    this.nodes.set(nodeid, n);
    this.depend(parent, 1);
    if (this.nodes.size > this.peak) this.peak = this.nodes.size;
    return n;
  }

  /** A name for `nodeid` under `parent` became known (entry reply, READDIRPLUS entry, LINK). */
  bind(nodeid: Id, parent: Id, name: string, countLookup: boolean): void {
    if (nodeid === ROOT_ID || nodeid === 0) return;
    let n = this.nodes.get(nodeid);
    if (!n) {
      n = this.add(nodeid, parent, name);
      this.link(n, nodeid);
    } else if ((n.parent !== parent || n.name !== name) && this.aliasAt(n, parent, name) < 0) {
      // Looked up under a name the table does not know for it: it was renamed where the capture could not see.
      this.unlinkIndex(n, nodeid);
      this.place(nodeid, n, parent, name);
      this.link(n, nodeid);
    }
    if (countLookup) n.nlookup++;
  }

  /**
   * An entry reply whose name the capture does not hold (cut by the snap
   * length): `nodeid` is a child of `parent` under some name. A node the
   * table does not know, or knows under another parent, takes the name
   * `?<nodeid>` there (`<parent's path>/?<nodeid>`), in no index: no UNLINK
   * or RENAME of a real name reaches it. A node known under `parent` keeps
   * its path, and so does any node given a new name by LINK (`link`).
   * Counts a lookup, as every entry reply.
   */
  bindUnnamed(nodeid: Id, parent: Id, link: boolean): void {
    if (nodeid === ROOT_ID || nodeid === 0) return;
    const n = this.nodes.get(nodeid) ?? this.add(nodeid, parent, unknownPath(nodeid));
    n.nlookup++;
    if (link || n.parent === parent || this.hasAliasIn(n, parent)) return;
    this.unlinkIndex(n, nodeid);
    this.place(nodeid, n, parent, unknownPath(nodeid));
  }

  /** The node has another name (LINK) in `parent`. */
  private hasAliasIn(n: PathNode, parent: Id): boolean {
    const a = n.aliases;
    if (a !== undefined) for (const x of a) if (x.parent === parent) return true;
    return false;
  }

  /**
   * LINK: `nodeid` got the new name `parent`/`name` besides the one it has.
   * Its path keeps its first name (see `PathNode.aliases`); a node the table
   * does not know yet takes this name. Counts a lookup, as every entry reply.
   */
  addLink(nodeid: Id, parent: Id, name: string): void {
    const n = nodeid === ROOT_ID || nodeid === 0 ? undefined : this.nodes.get(nodeid);
    if (n === undefined || (n.parent === parent && n.name === name) || this.aliasAt(n, parent, name) >= 0) {
      this.bind(nodeid, parent, name, true);
      return;
    }
    (n.aliases ??= []).push({ parent, name });
    this.indexName(parent, name, nodeid);
    n.nlookup++;
  }

  /** RENAME/RENAME2: the entry `oldName` in `oldParent` moved to `newParent`/`newName`. */
  rename(oldParent: Id, oldName: string, newParent: Id, newName: string, exchange: boolean): void {
    const from = this.children.get(oldParent);
    const movedId = from?.get(oldName);
    const targetId = (newParent === oldParent ? from : this.children.get(newParent))?.get(newName);
    // Two names of one node (hard links): rename(2) does nothing.
    if (movedId !== undefined && movedId === targetId) return;
    if (targetId !== undefined) {
      const t = this.nodes.get(targetId)!;
      this.dropIndex(newParent, newName, targetId);
      if (exchange) {
        this.moveName(targetId, t, newParent, newName, oldParent, oldName);
        this.indexName(oldParent, oldName, targetId);
      } else {
        // That name is gone; without another one the node is kept, marked, until forgotten.
        this.dropName(targetId, t, newParent, newName, '(replaced)');
      }
    }
    if (movedId !== undefined) {
      const m = this.nodes.get(movedId)!;
      if (!exchange || targetId === undefined) this.dropIndex(oldParent, oldName, movedId);
      this.moveName(movedId, m, oldParent, oldName, newParent, newName);
      this.indexName(newParent, newName, movedId);
    }
  }

  /**
   * RENAME/RENAME2 whose new name the capture does not hold (cut by the
   * snap length): the entry `oldName` in `oldParent` moved into `newParent`
   * under some name. Its node, when known, is `<newParent's path>/?<nodeid>`
   * from now on (an alias it was moves out of the node's names), in no
   * index; the name it left leads to nothing (RENAME_EXCHANGE put there a
   * node the capture does not name). What the new name replaced stays as
   * it was: the capture does not say which entry that was.
   */
  renameUnnamed(oldParent: Id, oldName: string, newParent: Id): void {
    const from = this.children.get(oldParent);
    const movedId = from?.get(oldName);
    if (from === undefined || movedId === undefined) return;
    this.dropEntry(from, oldParent, oldName);
    const m = this.nodes.get(movedId)!;
    if (m.parent === oldParent && m.name === oldName) {
      m.linked = false;
      this.place(movedId, m, newParent, unknownPath(movedId));
      return;
    }
    const i = this.aliasAt(m, oldParent, oldName);
    if (i >= 0) m.aliases!.splice(i, 1);
    if (m.aliases !== undefined && m.aliases.length === 0) m.aliases = undefined;
  }

  /** UNLINK/RMDIR: the name is gone (a later operation on it finds no node); the node keeps its last path, marked, until forgotten. */
  unlink(parent: Id, name: string): void {
    const c = this.children.get(parent);
    const id = c?.get(name);
    if (c === undefined || id === undefined) return;
    const n = this.nodes.get(id)!;
    this.dropEntry(c, parent, name);
    this.dropName(id, n, parent, name, '(deleted)');
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
      // Nodes below it now have `?<nodeid>` paths.
      if (this.dependents.has(nodeid)) this.epoch++;
      this.nodes.delete(nodeid);
      this.depend(n.parent, -1);
      this.unlinkIndex(n, nodeid);
      if (n.aliases !== undefined) for (const a of n.aliases) this.dropIndex(a.parent, a.name, nodeid);
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
    if (n === undefined) return undefined;
    if (n.epoch === this.epoch && n.cached !== undefined) return n.cached;
    return this.path(nodeid);
  }

  /** `/a/b`, `/` for the root, `?<nodeid>` (or `?<ancestor>/b`) when unknown. */
  path(nodeid: Id): string {
    if (nodeid === ROOT_ID) return '/';
    const n = this.nodes.get(nodeid);
    if (n === undefined) return unknownPath(nodeid);
    if (n.epoch === this.epoch && n.cached !== undefined) return n.cached;
    // Most often the parent's path is at hand (the root, an unknown node, a
    // valid cached path): one concatenation. Otherwise walk up.
    const parent = n.parent;
    let p: string;
    let hops = 0;
    if (parent === ROOT_ID) {
      p = `/${n.name}`;
    } else {
      const pn = this.nodes.get(parent);
      if (pn === undefined) {
        p = `?${parent}/${n.name}`;
      } else if (pn.epoch === this.epoch && pn.cached !== undefined) {
        hops = pn.hops + 1;
        if (hops > MAX_DEPTH) return this.cutPath(n);
        p = `${pn.cached}/${n.name}`;
      } else {
        return this.walkPath(n);
      }
    }
    n.cached = p;
    n.epoch = this.epoch;
    n.hops = hops;
    return p;
  }

  /**
   * The path of `n` when its parent's is not cached: up to the first
   * ancestor with a valid cached path (or the root, or an unknown node), then
   * down, caching each directory's path on the way.
   */
  private walkPath(n: PathNode): string {
    const walk = this.walk;
    let k = 0;
    walk[k++] = n;
    let cur = n.parent;
    let p: string;
    let hops = -1;
    for (;;) {
      if (cur === ROOT_ID) {
        p = '';
        break;
      }
      const pn = this.nodes.get(cur);
      if (!pn) {
        p = `?${cur}`;
        break;
      }
      if (pn.epoch === this.epoch && pn.cached !== undefined) {
        p = pn.cached;
        hops = pn.hops;
        break;
      }
      if (k > MAX_DEPTH) return this.cutPath(n);
      walk[k++] = pn;
      cur = pn.parent;
    }
    while (k > 0) {
      if (++hops > MAX_DEPTH) return this.cutPath(n);
      const w = walk[--k]!;
      p = `${p}/${w.name}`;
      w.cached = p;
      w.epoch = this.epoch;
      w.hops = hops;
    }
    return p;
  }

  /**
   * The path of a node more than MAX_DEPTH known nodes below the root or an
   * unknown node (a cycle, in damaged input): `?<node>/...` from as far up
   * as the bound. Never a prefix of another cached path (`hops`).
   */
  private cutPath(n: PathNode): string {
    const parts: string[] = [n.name];
    let cur = n.parent;
    let depth = 0;
    let p: string;
    for (;;) {
      if (cur === ROOT_ID) {
        p = '/' + parts.reverse().join('/');
        break;
      }
      const pn = this.nodes.get(cur);
      if (!pn || ++depth > MAX_DEPTH) {
        p = `?${cur}/` + parts.reverse().join('/');
        break;
      }
      parts.push(pn.name);
      cur = pn.parent;
    }
    n.cached = p;
    n.epoch = this.epoch;
    n.hops = MAX_DEPTH + 1;
    return p;
  }

  /** `/dir/name` for a child of `parent` (for requests naming a child). */
  childPath(parent: Id, name: string): string {
    return childPath(this.path(parent), name);
  }
}
