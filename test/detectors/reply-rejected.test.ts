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

test('a refused reply is not applied: its attributes change no size view', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4096 });
  const g = c.getattrReq(0, 2, 10);
  c.rep(0, 3, g, 0, Buffer.alloc(104), { failedErrno: 2 }); // would report size 0
  const r = c.analyze();
  assert.equal(findingsOf(r, 'size-shrank-externally').length, 0);
  assert.equal(r.model.files.find((f) => f.path === '/f')!.daemonSize, 4096);
});
