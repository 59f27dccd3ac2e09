import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

test('a reply whose write(2) failed: warning with the errno', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const g = c.getattrReq(0, 1, 1);
  c.rep(0, 2, g, 0, Buffer.alloc(104), { failedErrno: 2 });
  const f = findingsOf(c.analyze(), 'reply-rejected');
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.deepEqual(f[0]!.uniques, [g]);
  assert.equal(f[0]!.details.errnoName, 'ENOENT');
});
