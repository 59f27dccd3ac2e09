import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityBins, MAX_BINS, mergeActivity, shiftFor } from '../../src/state/activity.js';

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('activity bins', () => {
  it('count every time in at most MAX_BINS power-of-two slices, whatever the order', () => {
    const a = new ActivityBins();
    const times: number[] = [];
    // Mostly ascending with some earlier ones (replies come out of request order), over 10 s.
    for (let i = 0; i < 50_000; i++) times.push(i * 200_000 - (i % 7 === 0 ? 3_000_000 : 0) + 5e9);
    times.push(1); // one far before
    for (const t of times) a.add(t);
    const m = a.model();
    assert.equal(a.total, times.length);
    assert.equal(sum(m.counts), times.length);
    assert.ok(m.counts.length <= MAX_BINS, `${m.counts.length} slices`);
    assert.equal(Math.log2(m.width) % 1, 0, 'a power of two');
    // Every slice holds exactly the times within it: the slices were widened as times came, the counts re-binned.
    const expected = new Array<number>(m.counts.length).fill(0);
    for (const t of times) expected[Math.floor(t / m.width) - m.t0 / m.width]!++;
    assert.deepEqual(m.counts, expected);
  });

  it('keep a few raw times exactly, and merge with other files at a common width', () => {
    const a = new ActivityBins();
    a.add(1000);
    a.add(5_000_000);
    assert.ok(a.model().counts.length <= MAX_BINS, 'raw times far apart fit the slices too');
    const b = new ActivityBins();
    for (let i = 0; i < 100; i++) b.add(i * 1_000_000);
    const m = mergeActivity([a.model(), b.model()], [7_500_000], shiftFor(1_000_000));
    assert.equal(sum(m.counts), 103);
    assert.ok(m.width >= 1_000_000 && m.width >= b.model().width);
    assert.ok(m.counts[Math.floor((5_000_000 - m.t0) / m.width)]! >= 2, "a's 5 ms and b's");
  });
});
