import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IdTable } from '../../src/pairing/id-table.js';
import type { Id } from '../../src/model/id64.js';

/** Ids as they come: uniques stepping by 2, nodeids that are 64-byte aligned addresses, small numbers, bigints past 2^53. */
const ids = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((i) => 2 * i),
  fc.integer({ min: 0, max: 40 }).map((i) => 140060963900592 + 64 * i),
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 3 }).map((i) => (1n << 63n) + BigInt(i)),
);

// `list`: compare the iteration there too (a table keeps its last listing until it changes).
const op = fc.tuple(fc.constantFrom('set', 'delete', 'swap', 'take', 'list'), ids, fc.nat(1000));

for (const unordered of [false, true]) {
  test(`an${unordered ? ' unordered' : ''} IdTable answers get, has, size and ${unordered ? 'iteration (in any order)' : 'insertion-order iteration'} like a Map over any run of sets, swaps, deletes, takes and listings`, () => {
    const sameValues = (t: IdTable<number>, m: Map<Id, number>): void => {
      if (unordered) assert.deepEqual([...t.values()].sort((a, b) => a - b), [...m.values()].sort((a, b) => a - b));
      else assert.deepEqual([...t.values()], [...m.values()]);
    };
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const t = unordered ? new IdTable<number>({ unordered }) : new IdTable<number>();
      const m = new Map<Id, number>();
      for (const [kind, id, v] of ops) {
        if (kind === 'list') {
          sameValues(t, m);
          sameValues(t, m);
        } else if (kind === 'set') {
          t.set(id, v);
          m.set(id, v);
        } else if (kind === 'swap') {
          assert.equal(t.swap(id, v), m.get(id));
          m.set(id, v);
        } else if (kind === 'take') {
          assert.equal(t.take(id), m.get(id));
          m.delete(id);
        } else {
          assert.equal(t.delete(id), m.delete(id));
        }
        assert.equal(t.size, m.size);
      }
      for (const [, id] of ops) {
        assert.equal(t.get(id), m.get(id));
        assert.equal(t.has(id), m.has(id));
      }
      sameValues(t, m);
    }));
  });
}

test('an IdTable keeps aligned ids apart: 100,000 addresses 64 bytes apart go in, half come out, all are found', () => {
  const t = new IdTable<number>();
  const base = 140060963900592;
  for (let i = 0; i < 100_000; i++) t.set(base + 64 * i, i);
  for (let i = 0; i < 100_000; i += 2) assert.ok(t.delete(base + 64 * i));
  assert.equal(t.size, 50_000);
  for (let i = 0; i < 100_000; i++) assert.equal(t.get(base + 64 * i), i % 2 === 1 ? i : undefined);
  assert.deepEqual([...t.values()].slice(0, 3), [1, 3, 5]);
});

test('an IdTable keeps insertion order when its insertion numbers pass 32 bits (kept narrow until then)', () => {
  const t = new IdTable<number>();
  const early = [7, 9];
  for (const id of early) t.set(id, id);
  // Billions of inserts, skipped: the table's own counter set just below the 32-bit boundary.
  (t as unknown as { seq: number }).seq = 2 ** 32 - 3;
  const late: number[] = [];
  for (let i = 0; i < 50; i++) late.push(1000 + 2 * i);
  for (const id of late) t.set(id, id);
  t.delete(1010);
  assert.deepEqual([...t.values()], [...early, ...late.filter((id) => id !== 1010)]);
});
