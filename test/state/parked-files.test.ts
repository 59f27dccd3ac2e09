/**
 * Files known only from LOOKUP replies are parked as rows of numbers and
 * taken back as FileStates when anything reaches them: a request, a
 * notification, a FORGET, a correlated connection's reply, a second LOOKUP.
 * What the model says of them must be what it said when every file was an
 * object: sizes, size history (with the path at the time of the event),
 * correlation, paths after renames, and the order of files of equal activity.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FileState } from '../../src/state/files.js';
import { FileTable } from '../../src/state/file-table.js';
import { ParkedFiles } from '../../src/state/parked-files.js';
import { SizeCode } from '../../src/model/size-event.js';
import { Cap, OP } from '../analysis/capture-builder.js';

const DIR = 0o040755;

const paths = { path: (n: unknown): string => `/n${String(n)}` };

test('FileTable: a parked file comes back with every fact it had, in its place in the table', () => {
  const t = new FileTable(true);
  const a = t.getOrCreate(0, 10, paths);
  const b = t.getOrCreate(0, 11, paths);
  const c = t.getOrCreate(0, 12, paths);
  a.regular = true;
  t.setIno(a, 100);
  a.kernelSize = 5;
  a.tAttrApplied = 7e12;
  a.group.reportedSize = 5;
  a.group.daemonSize = 5;
  a.group.tUpdated = 7e12;
  a.noteSizeEvent(7e12, SizeCode.Report, 9_007_199_254_740_000, 5);
  b.regular = false;
  c.countOpcode(OP.GETATTR);
  t.park(a);
  t.park(b);
  t.park(c);
  assert.equal(t.parked.size, 2, 'a file a request reached stays an object');
  assert.deepEqual([...t.entries()].map((e) => typeof e), ['number', 'number', 'object'], 'parked where they were');
  assert.deepEqual([...t.all()], [c]);

  const a2 = t.get(0, 10)!;
  assert.notEqual(a2, a);
  assert.ok(a2 instanceof FileState);
  assert.deepEqual(
    [a2.nodeid, a2.ino, a2.regular, a2.path, a2.kernelSize, a2.tKernelChange, a2.tAttrApplied, a2.sizeEvents, a2.group.ino, a2.group.members.length],
    [10, 100, true, '/n10', 5, -Infinity, 7e12, 1, 100, 1],
  );
  assert.deepEqual([a2.group.reportedSize, a2.group.daemonSize, a2.group.tUpdated, a2.group.tLastTruncate], [5, 5, 7e12, -Infinity]);
  const events: unknown[] = [];
  a2.sizeHistory!.forEach((e) => events.push(e));
  assert.deepEqual(events, [{ t: 7e12, kind: 'report', unique: 9_007_199_254_740_000, value: 5, kernel: 5, daemon: 5, reported: 5, path: '/n10' }]);
  assert.equal(t.parked.size, 1);
  assert.deepEqual([...t.entries()].map((e) => typeof e), ['object', 'number', 'object'], 'taken back in its place');

  // Another connection's file with the same ino joins the group of the parked file's successor.
  const b2 = t.getOrCreate(0, 11, paths);
  assert.equal(b2.regular, false);
  assert.equal(b2.ino, undefined);
  t.park(a2);
  const d = t.getOrCreate(1, 10, paths);
  d.regular = true;
  t.setIno(d, 100);
  const a3 = t.get(0, 10)!;
  assert.equal(d.group, a3.group, 'correlated through the parked file');
  assert.deepEqual(a3.group.members.map((m) => m.conn), [0, 1]);
  t.park(a3);
  assert.equal(t.get(0, 10), a3, 'a correlated file stays an object');
  assert.ok(!ParkedFiles.fits(a3));
});

test('analysis: parked files in the model, as they would be as objects', () => {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  let ms = 1;
  c.lookup(0, ms++, 1, 'd', 2, { ino: 2, size: 4096, mode: DIR });
  for (let i = 0; i < 3000; i++) c.lookup(0, ms++, 2, `f${i}`, 100 + i, { ino: 1000 + i, size: i });
  // A request on a parked file, a second LOOKUP, a notification, a FORGET, a correlated connection.
  c.attrReply(0, ms + 0.05, c.getattrReq(0, ms, 105), { ino: 1005, size: 77 });
  ms++;
  c.lookup(0, ms++, 2, 'f12', 112, { ino: 1012, size: 13 });
  c.invalInode(0, ms++, 111);
  c.forget(0, ms++, 109, 1);
  c.lookup(1, ms++, 1, 'other', 500, { ino: 1007, size: 7 });
  // A rename of the directory after the files were parked: their paths at the end follow it, their size events keep the old one.
  c.rename(0, ms++, 1, 'd', 1, 'e');
  const { model } = c.analyze({ limits: { maxFiles: 10_000 } });
  assert.equal(model.summary.files, 2 + 1 + 3000 + 1, 'the two roots, /d, the 3,000 files and one on connection 1');
  const byKey = new Map(model.files.map((f) => [`${f.conn}/${String(f.nodeid)}`, f]));
  const f0 = byKey.get('0/100')!;
  assert.equal(f0.path, '/e/f0');
  assert.deepEqual(f0.sizeHistory.map((e) => [e.event, e.value, e.kernelSize, e.daemonSize, e.reportedSize, e.path]), [['report', 0, 0, 0, 0, '/d/f0']]);
  assert.deepEqual([f0.ino, f0.reportedSize, f0.daemonSize, f0.kernelSize, f0.exchanges, f0.correlated], [1000, 0, 0, { '0': 0 }, 0, []]);
  const f5 = byKey.get('0/105')!;
  assert.deepEqual([f5.exchanges, f5.reportedSize, f5.sizeHistory.map((e) => e.value)], [1, 77, [5, 77]]);
  assert.deepEqual(byKey.get('0/112')!.sizeHistory.map((e) => e.value), [12, 13]);
  assert.deepEqual(byKey.get('0/111')!.sizeHistory.map((e) => [e.event, e.kernelSize]), [['report', 11], ['inval', null]]);
  const forgotten = byKey.get('0/109')!;
  assert.equal(forgotten.path, '/d/f9', 'forgotten before the rename');
  assert.equal(model.tables!.filesRetired, 1);
  const f7 = byKey.get('0/107')!;
  assert.deepEqual(f7.correlated, [{ conn: 1, nodeid: 500 }]);
  assert.deepEqual(f7.kernelSize, { '0': 7, '1': 7 });
  // Files of equal activity keep table order: the live ones with one size event, by creation.
  const plain = model.files.filter((f) => f.path.startsWith('/e/') && f.exchanges === 0 && f.sizeHistory.length === 1);
  const order = plain.map((f) => Number(f.nodeid));
  assert.equal(order.length, 3000 - 4, 'all but 105, 111, 112 (two events or a request) and the forgotten 109');
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
});

test('analysis: the busiest of many parked and live files, with a small file list', () => {
  const c = new Cap(1);
  c.init(0, 0);
  let ms = 1;
  for (let i = 0; i < 3000; i++) c.lookup(0, ms++, 1, `f${i}`, 100 + i, { ino: 1000 + i, size: i });
  for (const [n, times] of [[2500, 3], [40, 1], [1700, 2]] as const) {
    for (let k = 0; k < times; k++) c.attrReply(0, ms + 0.05, c.getattrReq(0, ms++, 100 + n), { ino: 1000 + n, size: n });
  }
  const { model } = c.analyze({ limits: { maxFiles: 6 } });
  assert.deepEqual(model.files.map((f) => f.path), ['/', '/f2500', '/f1700', '/f40', '/f0', '/f1']);
  assert.equal(model.filesOmitted, 3001 - 6);
});

test('ParkedFiles: a size event whose numbers are not the file\'s keeps its own; any connection number and event kind come back', () => {
  const t = new FileTable(false);
  const a = t.getOrCreate(70_000, 10, paths);
  a.regular = false;
  a.kernelSize = 5;
  a.group.reportedSize = 5;
  a.group.daemonSize = 5;
  a.tKernelChange = 3e12;
  a.noteSizeEvent(3e12, SizeCode.ShortRead, 41, 5);
  // The sizes moved after the event with no event of their own: the event keeps what it saw.
  a.kernelSize = 9;
  a.group.daemonSize = NaN;
  const b = t.getOrCreate(70_000, 11, paths);
  b.kernelSize = NaN;
  b.group.reportedSize = 8;
  b.group.daemonSize = NaN;
  b.noteSizeEvent(4e12, SizeCode.Store, null, 8);
  t.park(a);
  t.park(b);
  assert.equal(t.parked.size, 2);
  const events = (f: FileState): unknown[] => {
    const out: unknown[] = [];
    f.sizeHistory!.forEach((e) => out.push(e));
    return out;
  };
  const b2 = t.get(70_000, 11)!;
  assert.deepEqual([b2.conn, b2.kernelSize, b2.group.reportedSize, b2.group.daemonSize], [70_000, NaN, 8, NaN]);
  assert.deepEqual(events(b2), [{ t: 4e12, kind: 'store', unique: null, value: 8, kernel: NaN, daemon: NaN, reported: 8, path: '/n11' }]);
  const a2 = t.get(70_000, 10)!;
  assert.deepEqual([a2.conn, a2.regular, a2.kernelSize, a2.group.daemonSize, a2.tKernelChange], [70_000, false, 9, NaN, 3e12]);
  assert.deepEqual(events(a2), [{ t: 3e12, kind: 'short-read', unique: 41, value: 5, kernel: 5, daemon: 5, reported: 5, path: '/n10' }]);
});
