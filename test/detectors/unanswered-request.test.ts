import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf, kinds } from '../analysis/capture-builder.js';

test('a request with no reply by the end: warning with its path; FORGET and answered requests are not', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  const g = c.getattrReq(0, 5, 10);
  c.forget(0, 6, 10, 1);
  const g2 = c.getattrReq(0, 7, 1);
  c.attrReply(0, 8, g2, { ino: 1, size: 4096 });
  const r = c.analyze();
  const f = findingsOf(r, 'unanswered-request');
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.uniques, [g]);
  assert.equal(f[0]!.path, '/f');
  assert.equal(f[0]!.severity, 'warning');
  assert.equal(r.model.summary.unanswered, 1);
  assert.deepEqual(kinds(r), ['unanswered-request/warning']);
});
