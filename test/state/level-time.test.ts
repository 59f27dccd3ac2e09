/**
 * LevelTime keeps level 1 apart from the higher levels (no array for a file
 * that never has two exchanges in flight): the shares must still cover every
 * level, in order, and an interval of zero length counts nothing.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LevelTime } from '../../src/state/concurrency.js';

test('LevelTime: shares of levels 1 to 3, the peak, and closing the last interval', () => {
  const l = new LevelTime();
  l.set(1, 0);
  l.set(2, 10);
  l.set(3, 15);
  l.set(3, 15);
  l.set(1, 20);
  l.set(0, 30);
  l.set(2, 40);
  l.close(50);
  // 1: [0,10) [20,30) = 20; 2: [10,15) [40,50) = 15; 3: [15,20) = 5.
  assert.deepEqual(l.share(), { '1': 0.5, '2': 0.375, '3': 0.125 });
  assert.equal(l.max, 3);
  assert.equal(l.current, 2);
});

test('LevelTime: only level 1, and nothing in flight at all', () => {
  const l = new LevelTime();
  l.set(1, 5);
  l.set(0, 9);
  assert.deepEqual(l.share(), { '1': 1 });
  assert.deepEqual(new LevelTime().share(), {});
});
