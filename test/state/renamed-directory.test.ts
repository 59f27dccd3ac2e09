/**
 * Paths after a directory is renamed: the directory and everything below it
 * take the new path, in the files of the model and in each exchange, whether
 * or not a request names the directory itself after the rename.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Exchange } from '../../src/protocol/exchange.js';
import { PathTable } from '../../src/state/paths.js';
import { Cap } from '../analysis/capture-builder.js';

const DIR = 0o040755;

test('PathTable: a renamed directory and its children have the new path', () => {
  const p = new PathTable();
  p.bind(2, 1, 'd', true);
  p.bind(3, 2, 'f', true);
  p.bind(4, 3, 'deep', true);
  assert.equal(p.path(4), '/d/f/deep');
  p.rename(1, 'd', 1, 'e', false);
  assert.deepEqual([p.path(2), p.path(3), p.path(4), p.knownPath(2)], ['/e', '/e/f', '/e/f/deep', '/e']);
  assert.equal(p.childPath(2, 'new'), '/e/new');
});

test('analysis: after RENAME /d -> /e the directory is /e and its files /e/...', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'd', 2, { ino: 20, size: 4096, mode: DIR });
  c.lookup(0, 2, 2, 'f', 3, { ino: 30, size: 10 });
  c.attrReply(0, 3.05, c.getattrReq(0, 3, 2), { ino: 20, size: 4096, mode: DIR });
  c.rename(0, 4, 1, 'd', 1, 'e');
  // After the rename the directory is only named as a parent (LOOKUP of a child), never targeted by itself.
  c.lookup(0, 5, 2, 'g', 4, { ino: 40, size: 0 });
  c.attrReply(0, 6.05, c.getattrReq(0, 6, 3), { ino: 30, size: 10 });
  const seen: Array<[string, string]> = [];
  const r = c.analyze({ hooks: { onExchange: (x: Exchange) => { if (x.tReq > 4.5e6) seen.push([String(x.nodeid), x.path ?? '']); } } });
  const byNode = new Map(r.model.files.map((f) => [String(f.nodeid), f.path]));
  assert.equal(byNode.get('2'), '/e', 'the renamed directory');
  assert.equal(byNode.get('3'), '/e/f', 'a file looked up before the rename');
  assert.equal(byNode.get('4'), '/e/g', 'a file looked up after it');
  assert.deepEqual(seen, [['2', '/e/g'], ['3', '/e/f']]);
});

test('analysis: a directory renamed into another directory, its child forgotten before the end', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'a', 2, { ino: 20, size: 4096, mode: DIR });
  c.lookup(0, 1.5, 1, 'b', 5, { ino: 50, size: 4096, mode: DIR });
  c.lookup(0, 2, 2, 'f', 3, { ino: 30, size: 10 });
  c.attrReply(0, 2.55, c.getattrReq(0, 2.5, 3), { ino: 30, size: 10 });
  c.rename(0, 4, 1, 'a', 5, 'a2');
  c.forget(0, 5, 3, 1);
  const r = c.analyze({ limits: { maxFiles: 10 } });
  const byNode = new Map(r.model.files.map((f) => [String(f.nodeid), f.path]));
  assert.equal(byNode.get('2'), '/b/a2');
  assert.equal(byNode.get('3'), '/b/a2/f', 'retired at its FORGET with the path it had then');
});
