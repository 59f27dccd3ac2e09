import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

test('a reply before the first request is info (capture started late); later ones are warnings', () => {
  const c = new Cap(1);
  c.rep(0, 1, 40, 0, Buffer.alloc(0));
  const g = c.getattrReq(0, 2, 1);
  c.attrReply(0, 3, g, { ino: 1, size: 4096 });
  c.rep(0, 4, g, -2); // answered twice
  const f = findingsOf(c.analyze(), 'orphan-reply');
  assert.deepEqual(f.map((x) => [x.uniques[0], x.severity, x.details.beforeFirstRequest]).sort(), [[40, 'info', true], [g, 'warning', false]].sort());
  assert.equal(f.find((x) => x.uniques[0] === g)!.details.error, -2);
});
