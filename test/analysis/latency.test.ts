import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../src/state/latency.js';

test('latency histogram: percentiles within one bucket (6.25%), exact max and mean, log2 buckets in µs', () => {
  const h = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 1; i <= 1000; i++) values.push(i * 1000); // 1 µs .. 1 ms
  values.push(5e9, 3, 0);
  for (const v of values) h.add(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99]) {
    const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
    const got = h.percentile(q);
    assert.ok(Math.abs(got - exact) / exact < 0.0625, `p${q * 100}: ${got} vs ${exact}`);
  }
  assert.equal(h.max, 5e9);
  assert.equal(h.count, 1003);
  assert.equal(h.sum, values.reduce((a, b) => a + b, 0));
  const buckets = h.log2Us();
  assert.equal(buckets.reduce((a, b) => a + b[2], 0), 1003);
  for (const [lo, hi] of buckets) assert.ok(hi === 1 ? lo === 0 : hi === lo * 2);
  assert.deepEqual(buckets[buckets.length - 1]!.slice(0, 2), [2 ** 22, 2 ** 23]); // 5 s = 5e6 µs
});
