import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyTable, OpStats } from '../../src/state/latency.js';

test('an opcode counts its errors by errno, most frequent first', () => {
  const o = new OpStats(0, 3);
  for (const error of [0, -5, -2, -2, 5, -4000, 0]) o.addReply(error, 1000);
  assert.equal(o.errors, 5);
  // +5 is no valid reply, but it names the same errno as -5: one entry, both counted.
  assert.deepEqual(o.errnoCounts(), [
    { errno: 5, name: 'EIO', count: 2 },
    { errno: 2, name: 'ENOENT', count: 2 },
    { errno: 4000, name: 'E?4000', count: 1 },
  ]);
});

test('errno counts taken in runs equal those counted one by one, in the order first answered', () => {
  // Runs of one errno are counted apart and added when another errno comes or the counts are read.
  const errors = [-2, -2, -2, 0, -2, -13, -13, -2, 0, -5, -13, -2, -5, -5, -5, -13];
  const o = new OpStats(0, 1);
  const byHand = new Map<number, number>();
  for (const e of errors) {
    o.addReply(e, 10);
    if (e !== 0) byHand.set(-e, (byHand.get(-e) ?? 0) + 1);
  }
  const expected = [...byHand].sort((a, b) => b[1] - a[1]).map(([errno, count]) => ({ errno, count }));
  const got = o.errnoCounts().map(({ errno, count }) => ({ errno, count }));
  assert.deepEqual(got, expected);
  // Ties keep the order first answered: ENOENT (6) first; EACCES and EIO (4 each) in the order they came.
  assert.deepEqual(got.map((e) => e.errno), [2, 13, 5]);
  // Reading the counts ends the run; more errors of that errno after it still add up.
  o.addReply(-5, 10);
  o.addReply(-5, 10);
  assert.deepEqual(o.errnoCounts().map(({ errno, count }) => [errno, count]), [[2, 6], [5, 6], [13, 4]]);
});

test('the latency table keeps opcodes past the direct array (CUSE_INIT 4096, a damaged 70000) with the rest, by connection and opcode', () => {
  const t = new LatencyTable();
  for (const [conn, op] of [[1, 70000], [0, 4096], [0, 3], [1, 3], [0, 4096]] as const) {
    const s = t.get(conn, op);
    s.addRequest();
    s.addReply(0, 1000);
  }
  assert.equal(t.get(0, 4096), t.get(0, 4096), 'one record per connection and opcode');
  assert.deepEqual(t.all().map((s) => [s.conn, s.opcode, s.count, s.replied]), [[0, 3, 1, 1], [0, 4096, 2, 2], [1, 3, 1, 1], [1, 70000, 1, 1]]);
});
