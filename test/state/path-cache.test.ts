/**
 * PathTable keeps each node's path cached across changes that cannot touch
 * it (another file created, renamed, unlinked or forgotten) and drops it when
 * they can. Each test reads the paths first, so that they are cached, then
 * changes the table, then reads them again: a missing invalidation shows as a
 * stale path. The last test checks the table against paths rebuilt from
 * scratch after every step of random operations.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Id } from '../../src/model/id64.js';
import { PathTable } from '../../src/state/paths.js';

test('PathTable: a node bound below an unknown one, then the unknown one bound', () => {
  const p = new PathTable();
  p.bind(3, 2, 'f', true);
  assert.equal(p.path(3), '?2/f');
  p.bind(2, 1, 'd', true);
  assert.equal(p.path(3), '/d/f');
});

test('PathTable: a directory forgotten before its children', () => {
  const p = new PathTable();
  p.bind(2, 1, 'd', true);
  p.bind(3, 2, 'f', true);
  assert.equal(p.path(3), '/d/f');
  assert.equal(p.forget(2, 1), true);
  assert.equal(p.path(3), '?2/f');
  // The nodeid comes back elsewhere.
  p.bind(2, 1, 'e', true);
  assert.equal(p.path(3), '/e/f');
});

test('PathTable: renaming or unlinking one file leaves its siblings and changes it', () => {
  const p = new PathTable();
  p.bind(2, 1, 'd', true);
  p.bind(3, 2, 'a', true);
  p.bind(4, 2, 'b', true);
  assert.deepEqual([p.path(3), p.path(4)], ['/d/a', '/d/b']);
  p.rename(2, 'a', 2, 'a2', false);
  assert.deepEqual([p.path(3), p.path(4), p.knownPath(3)], ['/d/a2', '/d/b', '/d/a2']);
  p.unlink(2, 'b');
  assert.deepEqual([p.path(3), p.path(4)], ['/d/a2', '/d/b (deleted)']);
  assert.equal(p.childPath(2, 'c'), '/d/c');
});

test('PathTable: a directory unlinked while a child is still known', () => {
  const p = new PathTable();
  p.bind(2, 1, 'd', true);
  p.bind(3, 2, 'f', true);
  assert.equal(p.path(3), '/d/f');
  p.unlink(1, 'd');
  assert.equal(p.path(3), '/d (deleted)/f');
});

test('PathTable: a rename replacing a directory, and RENAME_EXCHANGE of two directories', () => {
  const p = new PathTable();
  p.bind(2, 1, 'a', true);
  p.bind(3, 1, 'b', true);
  p.bind(4, 2, 'x', true);
  p.bind(5, 3, 'y', true);
  assert.deepEqual([p.path(4), p.path(5)], ['/a/x', '/b/y']);
  p.rename(1, 'a', 1, 'b', true);
  assert.deepEqual([p.path(2), p.path(3), p.path(4), p.path(5)], ['/b', '/a', '/b/x', '/a/y']);
  p.rename(1, 'a', 1, 'b', false);
  assert.deepEqual([p.path(3), p.path(5), p.path(2), p.path(4)], ['/b', '/b/y', '/b (replaced)', '/b (replaced)/x']);
});

test('PathTable: a directory looked up under another name moves its children', () => {
  const p = new PathTable();
  p.bind(2, 1, 'd', true);
  p.bind(3, 2, 'f', true);
  assert.equal(p.path(3), '/d/f');
  p.bind(2, 1, 'e', true);
  assert.equal(p.path(3), '/e/f');
});

test('PathTable: a deleted or replaced node is found by no name, not even its marked one', () => {
  const p = new PathTable();
  p.bind(3, 1, 'x', true);
  p.bind(4, 1, 'y', true);
  p.bind(5, 1, 'z', true);
  p.unlink(1, 'x');
  p.rename(1, 'z', 1, 'y', false);
  assert.deepEqual([p.path(3), p.path(4), p.path(5)], ['/x (deleted)', '/y (replaced)', '/y']);
  // Real files of those names, unseen by the capture until now.
  p.rename(1, 'x (deleted)', 1, 'a', false);
  p.unlink(1, 'y (replaced)');
  assert.deepEqual([p.path(3), p.path(4), p.path(5)], ['/x (deleted)', '/y (replaced)', '/y']);
});

test('PathTable: a hard link keeps the first name; unlinking one name of two leaves the other, unlinking both deletes', () => {
  const p = new PathTable();
  p.bind(2, 1, 'd', true);
  p.bind(3, 1, 'data', true);
  assert.equal(p.path(3), '/data');
  p.addLink(3, 2, 'data.link');
  assert.equal(p.path(3), '/data', 'LINK adds a name, it does not move the file');
  p.bind(3, 2, 'data.link', true);
  assert.equal(p.path(3), '/data', 'a LOOKUP through the other name does not move it either');
  p.unlink(2, 'data.link');
  assert.equal(p.path(3), '/data', 'the file keeps the name it still has');
  p.addLink(3, 2, 'again');
  p.unlink(1, 'data');
  assert.equal(p.path(3), '/d/again', 'its own name gone, the other one names it');
  p.rename(2, 'again', 1, 'back', false);
  assert.equal(p.path(3), '/back');
  p.unlink(1, 'back');
  assert.equal(p.path(3), '/back (deleted)', 'its last name gone');
  // Its names left the index: the name is free for another node.
  p.bind(4, 1, 'back', true);
  p.unlink(1, 'back');
  assert.deepEqual([p.path(3), p.path(4)], ['/back (deleted)', '/back (deleted)']);
});

test('PathTable: RENAME onto a hard link of a file, and between two names of one file', () => {
  const p = new PathTable();
  p.bind(3, 1, 'a', true);
  p.addLink(3, 1, 'b');
  p.bind(4, 1, 'x', true);
  p.rename(1, 'a', 1, 'b', false);
  assert.equal(p.path(3), '/a', 'two names of one file: rename(2) changes nothing');
  p.rename(1, 'x', 1, 'b', false);
  assert.deepEqual([p.path(3), p.path(4)], ['/a', '/b'], 'the replaced name was only a second name of /a');
  p.rename(1, 'b', 1, 'a', false);
  assert.deepEqual([p.path(3), p.path(4)], ['/a (replaced)', '/a']);
  // Forgetting a node drops every name of it from the index.
  p.addLink(4, 1, 'c');
  assert.equal(p.forget(4, 3), true);
  p.unlink(1, 'c');
  p.unlink(1, 'a');
  assert.deepEqual([p.path(3), p.path(4)], ['/a (replaced)', '?4']);
});

test('PathTable: a chain deeper than the bound and a cycle are cut as before, whatever was cached', () => {
  const p = new PathTable();
  for (let i = 2; i < 302; i++) p.bind(i, i - 1, `n${i}`, true);
  // Cached from the top down, then from the bottom up: the same answers.
  const down = [];
  for (let i = 2; i < 302; i++) down.push(p.path(i));
  const q = new PathTable();
  for (let i = 2; i < 302; i++) q.bind(i, i - 1, `n${i}`, true);
  const up = [];
  for (let i = 301; i >= 2; i--) up.unshift(q.path(i));
  assert.deepEqual(down, up);
  assert.equal(down[256]!.startsWith('/n2/'), true, '257 levels below the root: whole');
  assert.equal(down[257], `?2/${Array.from({ length: 257 }, (_, k) => `n${k + 3}`).join('/')}`, '258 levels: cut');
  // A cycle: 2 -> 3 -> 2.
  p.rename(1, 'n2', 3, 'n2', false);
  assert.match(p.path(2), /^\?\d+\/(n[23]\/)+n2$/);
});

/** The paths the table must give, rebuilt from each node's parent and name on every call (nothing cached). */
class Reference {
  nodes = new Map<Id, { parent: Id; name: string; nlookup: number; aliases: { parent: Id; name: string }[] }>();
  /** The node a name leads to: its own name or one of its other names (LINK). */
  at(parent: Id, name: string): Id | undefined {
    let found: Id | undefined;
    for (const [id, n] of this.nodes) {
      if ((n.parent === parent && n.name === name) || n.aliases.some((a) => a.parent === parent && a.name === name)) found = id;
    }
    return found;
  }
  private aliasAt(id: Id, parent: Id, name: string): number {
    return this.nodes.get(id)!.aliases.findIndex((a) => a.parent === parent && a.name === name);
  }
  bind(id: Id, parent: Id, name: string): void {
    if (id === 1) return;
    const n = this.nodes.get(id);
    if (n) {
      if (this.aliasAt(id, parent, name) < 0) {
        n.parent = parent;
        n.name = name;
      }
      n.nlookup++;
    } else {
      this.nodes.set(id, { parent, name, nlookup: 1, aliases: [] });
    }
  }
  link(id: Id, parent: Id, name: string): void {
    const n = this.nodes.get(id);
    if (!n || (n.parent === parent && n.name === name) || this.aliasAt(id, parent, name) >= 0) return this.bind(id, parent, name);
    n.aliases.push({ parent, name });
    n.nlookup++;
  }
  private moveName(id: Id, parent: Id, name: string, toParent: Id, toName: string): void {
    const n = this.nodes.get(id)!;
    const i = n.parent === parent && n.name === name ? -1 : this.aliasAt(id, parent, name);
    if (i >= 0) {
      n.aliases[i] = { parent: toParent, name: toName };
    } else {
      n.parent = toParent;
      n.name = toName;
    }
  }
  private dropName(id: Id, parent: Id, name: string, mark: string): void {
    const n = this.nodes.get(id)!;
    if (n.parent !== parent || n.name !== name) {
      const i = this.aliasAt(id, parent, name);
      if (i >= 0) n.aliases.splice(i, 1);
    } else if (n.aliases.length > 0) {
      const next = n.aliases.shift()!;
      n.parent = next.parent;
      n.name = next.name;
    } else {
      n.name = `${name} ${mark}`;
    }
  }
  rename(op: Id, on: string, np: Id, nn: string, exchange: boolean): void {
    const moved = this.at(op, on);
    const target = this.at(np, nn);
    if (moved !== undefined && moved === target) return;
    if (target !== undefined) {
      if (exchange) this.moveName(target, np, nn, op, on);
      else this.dropName(target, np, nn, '(replaced)');
    }
    if (moved !== undefined) this.moveName(moved, op, on, np, nn);
  }
  unlink(parent: Id, name: string): void {
    const id = this.at(parent, name);
    if (id !== undefined) this.dropName(id, parent, name, '(deleted)');
  }
  forget(id: Id, k: number): void {
    const n = this.nodes.get(id);
    if (n && (n.nlookup -= k) <= 0) this.nodes.delete(id);
  }
  path(id: Id): string {
    if (id === 1) return '/';
    const n = this.nodes.get(id);
    if (!n) return `?${id}`;
    const parts = [n.name];
    let cur = n.parent;
    for (let depth = 0; ; ) {
      if (cur === 1) return '/' + parts.reverse().join('/');
      const pn = this.nodes.get(cur);
      if (!pn || ++depth > 256) return `?${cur}/` + parts.reverse().join('/');
      parts.push(pn.name);
      cur = pn.parent;
    }
  }
}

test('PathTable: random binds, links, renames, unlinks and forgets give the paths rebuilt from scratch', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const names = ['a', 'b', 'c'];
  for (let round = 0; round < 20; round++) {
    const p = new PathTable();
    const ref = new Reference();
    for (let step = 0; step < 400; step++) {
      const id = 2 + rand(12);
      const parent = rand(4) === 0 ? 1 : 2 + rand(12);
      const name = names[rand(names.length)]!;
      switch (rand(6)) {
        case 0: case 1:
          // Names stay unique per directory (the table's index keeps the latest binding of a name, the reference any).
          if (ref.at(parent, name) === undefined || ref.at(parent, name) === id) {
            p.bind(id, parent, name, true);
            ref.bind(id, parent, name);
          }
          break;
        case 5:
          // LINK: another name for a node (a file: a node with children is a directory, which has no hard links).
          if (ref.at(parent, name) === undefined && ![...ref.nodes.values()].some((n) => n.parent === id || n.aliases.some((a) => a.parent === id))) {
            p.addLink(id, parent, name);
            ref.link(id, parent, name);
          }
          break;
        case 2: {
          const np = rand(3) === 0 ? 1 : 2 + rand(12);
          const nn = names[rand(names.length)]!;
          const exchange = rand(3) === 0;
          p.rename(parent, name, np, nn, exchange);
          ref.rename(parent, name, np, nn, exchange);
          break;
        }
        case 3:
          p.unlink(parent, name);
          ref.unlink(parent, name);
          break;
        default:
          p.forget(id, 1);
          ref.forget(id, 1);
      }
      for (let n = 1; n < 14; n++) assert.equal(p.path(n), ref.path(n), `round ${round} step ${step} node ${n}`);
    }
  }
});
