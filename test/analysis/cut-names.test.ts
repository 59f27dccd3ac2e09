/**
 * Names the snap length cut, in the analysis: the captured start of a name
 * is no name, so no path is made of it. A node looked up or made under a
 * cut name is a child of its directory whose name is unknown
 * (`<dir>/?<nodeid>`), a RENAME with a cut new name moves its node to an
 * unknown name in the new directory, and an UNLINK, RMDIR or DELETE
 * notification with a cut name unlinks nothing; the limitations count the
 * cut names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, entryOut, OP } from './capture-builder.js';

const DIR = 0o040755;

/** A RENAME body: fuse_rename_in (newdir), the old name whole, then the `captured` start of the new name. */
function renameCutNew(newDir: number, oldName: string, captured: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(newDir), 0);
  return Buffer.concat([b, Buffer.from(`${oldName}\0`), Buffer.from(captured)]);
}

function pathsOf(c: Cap): Map<string, string> {
  return new Map(c.analyze().model.files.map((f) => [String(f.nodeid), f.path]));
}

test('a LOOKUP whose name the snap length cut binds no name: the node is `<dir>/?<nodeid>`, never its captured start', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'd', 2, { ino: 20, size: 4096, mode: DIR });
  // LOOKUP d/"abcdef" with 3 of its 7 name bytes captured.
  const u = c.req(0, 2, OP.LOOKUP, 2, Buffer.from('abc'), { origExtra: 4 });
  c.rep(0, 2.05, u, 0, entryOut(3, { ino: 30, size: 10 }));
  // A child of it, looked up whole: below a name that is unknown.
  c.lookup(0, 3, 3, 'x', 4, { ino: 40, size: 1 });
  const r = c.analyze();
  const byNode = new Map(r.model.files.map((f) => [String(f.nodeid), f.path]));
  assert.equal(byNode.get('3'), '/d/?3');
  assert.equal(byNode.get('4'), '/d/?3/x');
  const snapped = r.model.limitations.find((l) => l.kind === 'snapped');
  assert.match(snapped?.message ?? '', /^1 messages of connection 0 were cut by .*; 1 name was cut too, and the paths through them are unknown$/);

  // Looked up whole afterwards: the name is known from then on.
  c.lookup(0, 4, 2, 'abcdef', 3, { ino: 30, size: 10 });
  assert.equal(pathsOf(c).get('4'), '/d/abcdef/x');

  // A node known by its name keeps it when looked up again under a cut name in the same directory.
  const k = new Cap(1);
  k.init(0, 0);
  k.lookup(0, 1, 1, 'abcdef', 3, { ino: 30, size: 10 });
  const v = k.req(0, 2, OP.LOOKUP, 1, Buffer.from('ab'), { origExtra: 5 });
  k.rep(0, 2.05, v, 0, entryOut(3, { ino: 30, size: 10 }));
  assert.equal(pathsOf(k).get('3'), '/abcdef');
});

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

test('a RENAME whose new name the snap length cut moves its node to an unknown name in the new directory; a cut old name moves nothing', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'd', 2, { ino: 20, size: 4096, mode: DIR });
  c.lookup(0, 1.2, 1, 'e', 5, { ino: 50, size: 4096, mode: DIR });
  c.lookup(0, 1.4, 2, 'f', 3, { ino: 30, size: 10 });
  c.lookup(0, 1.6, 2, 'g', 4, { ino: 40, size: 10 });
  // RENAME d/f -> e/"ffffff": 2 of the new name's 7 bytes captured.
  const u = c.req(0, 2, OP.RENAME, 2, renameCutNew(5, 'f', 'ff'), { origExtra: 5 });
  c.rep(0, 2.05, u, 0);
  // d/f names nothing the capture saw now: its UNLINK (of a file made there since, unseen) leaves the moved file alone.
  const un = c.req(0, 3, OP.UNLINK, 2, Buffer.from('f\0'));
  c.rep(0, 3.05, un, 0);
  // RENAME d/"g..." (its old name cut) -> e/h: which entry moved is unknown.
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(5n, 0);
  const w = c.req(0, 4, OP.RENAME, 2, Buffer.concat([b, Buffer.from('g')]), { origExtra: 4 });
  c.rep(0, 4.05, w, 0);
  const byNode = pathsOf(c);
  assert.equal(byNode.get('3'), '/e/?3', 'moved: its new name is unknown, not its captured start, and not its old path');
  assert.equal(byNode.get('4'), '/d/g', 'unknown whether it moved: the path it was last seen with');
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
