/**
 * Names the snap length cut, in the analysis: the captured start of a name
 * is no name, so no path is made of it. A node made under a cut name is a
 * child of its directory whose name is unknown (`<dir>/?<nodeid>`), and an
 * UNLINK, RMDIR or DELETE notification with a cut name unlinks nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, entryOut, OP } from './capture-builder.js';

const DIR = 0o040755;

function pathsOf(c: Cap): Map<string, string> {
  return new Map(c.analyze().model.files.map((f) => [String(f.nodeid), f.path]));
}

test('a CREATE or MKDIR whose name the snap length cut: the new node is `<dir>/?<nodeid>`', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const cr = c.req(0, 1, OP.CREATE, 1, Buffer.concat([Buffer.alloc(16), Buffer.from('new')]), { origExtra: 5 });
  const fh = Buffer.alloc(16);
  c.rep(0, 1.05, cr, 0, Buffer.concat([entryOut(5, { ino: 50, size: 0 }), fh]));
  const mk = c.req(0, 2, OP.MKDIR, 1, Buffer.concat([Buffer.alloc(8), Buffer.from('sub')]), { origExtra: 3 });
  c.rep(0, 2.05, mk, 0, entryOut(6, { ino: 60, size: 4096, mode: DIR }));
  const byNode = pathsOf(c);
  assert.equal(byNode.get('5'), '/?5');
  assert.equal(byNode.get('6'), '/?6');
});

test('an UNLINK, RMDIR or DELETE notification whose name the snap length cut unlinks nothing', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'abc', 3, { ino: 30, size: 10 });
  c.lookup(0, 1.2, 1, 'abcdef', 4, { ino: 40, size: 10 });
  c.lookup(0, 1.4, 1, 'ab', 5, { ino: 50, size: 4096, mode: DIR });
  // UNLINK "abcdef" with "abc" captured; RMDIR "abx" with "ab" captured.
  const u = c.req(0, 2, OP.UNLINK, 1, Buffer.from('abc'), { origExtra: 4 });
  c.rep(0, 2.05, u, 0);
  const r = c.req(0, 3, 11, 1, Buffer.from('ab'), { origExtra: 2 });
  c.rep(0, 3.05, r, 0);
  // NOTIFY_DELETE parent 1, child 4, name "abcdef" with "abc" captured.
  const del = Buffer.alloc(24);
  del.writeBigUInt64LE(1n, 0);
  del.writeBigUInt64LE(4n, 8);
  del.writeUInt32LE(6, 16);
  c.notify(0, 4, 6, Buffer.concat([del, Buffer.from('abc')]), { origExtra: 4 });
  const byNode = pathsOf(c);
  assert.deepEqual([byNode.get('3'), byNode.get('4'), byNode.get('5')], ['/abc', '/abcdef', '/ab']);
  // The same DELETE whole unlinks its name.
  c.notify(0, 5, 6, Buffer.concat([del, Buffer.from('abcdef\0')]));
  assert.equal(pathsOf(c).get('4'), '/abcdef (deleted)');
});
