/**
 * The bounded list of retired files (analysis/build-model.ts RetiredFiles):
 * it keeps the busiest `keep` (the model builder cuts the rest), and what it holds meanwhile stays bounded by
 * `keep` even when every file that gets past the floor is a busy one (each
 * may hold a whole bar budget: a many-file capture's directories).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetiredFiles } from '../../src/analysis/build-model.js';
import { FileState } from '../../src/state/files.js';

function file(nodeid: number, exchanges: number): FileState {
  const f = new FileState(0, nodeid, `/f${nodeid}`, undefined);
  f.exchanges = exchanges;
  return f;
}

describe('RetiredFiles', () => {
  it('holds at most 2 x keep files when each new file is busier than the last (no pile-up of busy files)', () => {
    const keep = 10;
    const r = new RetiredFiles(keep);
    let nodeid = 1;
    for (let i = 0; i < 3 * keep; i++) r.add(file(nodeid++, 1)); // quiet files: a prune sets the floor
    let peak = 0;
    for (let n = 2; n <= 1000; n++) {
      r.add(file(nodeid++, n));
      peak = Math.max(peak, r.held);
    }
    assert.ok(peak <= 2 * keep + 1, `held up to ${peak} files`);
    const top = r.all().map((m) => m.exchanges).sort((a, b) => b - a).slice(0, keep);
    assert.deepEqual(top, Array.from({ length: keep }, (_, i) => 1000 - i));
    assert.equal(r.count, 3 * keep + 999);
    assert.equal(r.dropped + r.held, r.count);
  });

  it('keeps the busiest whatever the arrival order', () => {
    const keep = 5;
    const r = new RetiredFiles(keep);
    const order = [7, 3, 9, 9, 1, 12, 5, 12, 8, 2, 11, 4, 6, 10, 3, 12, 1, 2, 9, 7, 15, 14];
    const files = order.map((n, i) => file(100 + i, n));
    for (const f of files) r.add(f);
    assert.ok(r.held <= 2 * keep + 1);
    assert.deepEqual(r.all().map((m) => m.exchanges).sort((a, b) => b - a).slice(0, keep), [15, 14, 12, 12, 12]);
  });
});
