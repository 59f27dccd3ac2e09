import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandleTable } from '../../src/state/handles.js';

const DIRECT_IO = 1;
const KEEP_CACHE = 2;

test('handles: only opens with FOPEN flags are looked up; one fh may serve several nodes and several opens', () => {
  const h = new HandleTable();
  h.open(1, 10, 0);
  assert.equal(h.fopen(1, 10), undefined, 'flags 0 are not kept');
  h.open(2, 10, DIRECT_IO);
  h.open(2, 11, KEEP_CACHE);
  h.open(2, 10, KEEP_CACHE);
  assert.equal(h.fopen(2, 10), KEEP_CACHE, 'the newest open of the node');
  assert.equal(h.fopen(2, 11), KEEP_CACHE);
  assert.equal(h.fopen(2, 12), undefined);
  assert.equal(h.fopen(undefined, 10), undefined);
  h.release(2, 10);
  assert.equal(h.fopen(2, 10), KEEP_CACHE, 'a RELEASE ends the oldest open of the node');
  h.release(2, 10);
  assert.equal(h.fopen(2, 10), undefined);
  assert.equal(h.fopen(2, 11), KEEP_CACHE, 'the other node keeps its open');
  assert.equal(h.peak, 3);
  assert.equal(h.dropped, 0);
});

test('handles: past the bound the oldest opens are dropped and counted', () => {
  const h = new HandleTable(3);
  for (let fh = 1; fh <= 5; fh++) h.open(fh, 100 + fh, DIRECT_IO);
  assert.equal(h.dropped, 2);
  assert.equal(h.peak, 3);
  assert.deepEqual([1, 2, 3, 4, 5].map((fh) => h.fopen(fh, 100 + fh)), [undefined, undefined, DIRECT_IO, DIRECT_IO, DIRECT_IO]);
  // Released opens make room again: nothing more is dropped.
  h.release(3, 103);
  h.open(6, 106, DIRECT_IO);
  assert.equal(h.dropped, 2);
  assert.equal(h.fopen(4, 104), DIRECT_IO);
  assert.equal(h.fopen(6, 106), DIRECT_IO);
});
