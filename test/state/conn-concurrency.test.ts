/**
 * A connection's daemon threads are counted once each: threads take turns
 * reading and answering, and a small cache of recent tids sits before the
 * set (tids sharing a slot of it must still count apart).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ConnConcurrency } from '../../src/state/concurrency.js';

test('ConnConcurrency counts each daemon thread once, whatever the order threads take turns in', () => {
  const c = new ConnConcurrency();
  // Threads taking turns, two that share a slot of the recent-tid cache (tid % 64), and unknown tids.
  const tids = [100, 101, 100, 164, 100, 164, 101, -1, 36, 100, 228, 164, -1, 101];
  for (let i = 0; i < tids.length; i++) {
    if (i % 2 === 0) c.request(i, tids[i]!);
    else c.reply(i, tids[i]!);
  }
  c.noteTid(4_000_000);
  c.noteTid(100);
  assert.equal(c.threads, new Set(tids.filter((t) => t >= 0)).size + 1);
});
