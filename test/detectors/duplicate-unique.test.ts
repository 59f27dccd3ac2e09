import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

test('a request reusing the unique of one in flight: error', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const g = c.getattrReq(0, 1, 1);
  c.getattrReq(0, 2, 1, { unique: g });
  c.attrReply(0, 3, g, { ino: 1, size: 4096 });
  const f = findingsOf(c.analyze(), 'duplicate-unique');
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'error');
  assert.deepEqual(f[0]!.uniques, [g]);
  assert.equal(f[0]!.details.opcode, 'GETATTR');
});
