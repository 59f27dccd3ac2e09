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
  nodes = new Map<Id, { parent: Id; name: string; nlookup: number }>();
  private at(parent: Id, name: string): Id | undefined {
    let found: Id | undefined;
    for (const [id, n] of this.nodes) if (n.parent === parent && n.name === name) found = id;
    return found;
  }
  bind(id: Id, parent: Id, name: string): void {
    if (id === 1) return;
    const n = this.nodes.get(id);
    if (n) {
      n.parent = parent;
      n.name = name;
      n.nlookup++;
    } else {
      this.nodes.set(id, { parent, name, nlookup: 1 });
    }
  }
  rename(op: Id, on: string, np: Id, nn: string, exchange: boolean): void {
    const moved = this.at(op, on);
    const target = this.at(np, nn);
    if (target !== undefined) {
      const t = this.nodes.get(target)!;
      if (exchange) {
        t.parent = op;
        t.name = on;
      } else {
        t.name = `${nn} (replaced)`;
      }
    }
    if (moved !== undefined) {
      const m = this.nodes.get(moved)!;
      m.parent = np;
      m.name = nn;
    }
  }
  unlink(parent: Id, name: string): void {
    const id = this.at(parent, name);
    if (id !== undefined) this.nodes.get(id)!.name = `${name} (deleted)`;
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

test('PathTable: random binds, renames, unlinks and forgets give the paths rebuilt from scratch', () => {
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
      switch (rand(5)) {
        case 0: case 1:
          // Names stay unique per directory (the table's index keeps the latest binding of a name, the reference any).
          if (![...ref.nodes].some(([o, n]) => o !== id && n.parent === parent && n.name === name)) {
            p.bind(id, parent, name, true);
            ref.bind(id, parent, name);
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
