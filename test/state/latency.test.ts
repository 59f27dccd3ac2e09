import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpStats } from '../../src/state/latency.js';

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
