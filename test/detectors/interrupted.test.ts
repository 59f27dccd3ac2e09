import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

test('interrupts: answered EINTR, completed anyway, never answered, target already gone', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
  const a = c.writeReq(0, 10, 10, 1, 0, 4096, { pid: 1, tid: 101 });
  c.interrupt(0, 11, a);
  c.writeReply(0, 12, a, 0, -4, { tid: 101 });
  const b = c.getattrReq(0, 20, 10, { tid: 102 });
  c.interrupt(0, 21, b);
  c.attrReply(0, 22, b, { ino: 7, size: 0 });
  const d = c.getattrReq(0, 30, 10, { tid: 103 });
  c.interrupt(0, 31, d);
  const late = c.interrupt(0, 40, b);
  const f = findingsOf(c.analyze(), 'interrupted');
  assert.ok(f.every((x) => x.severity === 'info'));
  const ended = Object.fromEntries(f.map((x) => [String(x.uniques[0]), x.details.ended]));
  assert.deepEqual(ended, { [a]: 'eintr', [b]: 'completed', [d]: 'no-reply', [late]: 'not-in-flight' });
});
