import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

test('a message shorter than its header, and a WRITE too short for fuse_write_in: errors with offsets', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.raw(0, 1, 1, Buffer.alloc(20));
  c.req(0, 2, 16, 1, Buffer.alloc(8));
  const r = c.analyze();
  const f = findingsOf(r, 'malformed-message');
  assert.equal(f.length, 2);
  assert.ok(f.every((x) => x.severity === 'error' && typeof x.details.offset === 'number' && x.details.offset > 0));
  assert.equal(r.model.summary.malformed, 2);
});
