import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

const MiB = 2 ** 20;
const KIND = 'stale-attr-reply';

function scenario(valid: number): { c: Cap; g: number; w: number } {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: MiB });
  c.open(0, 2, 10, 1, 1);
  const g = c.getattrReq(0, 10, 10, { tid: 101 });
  const w = c.writeReq(0, 10.1, 10, 1, MiB, MiB, { pid: 5, tid: 102 });
  c.writeReply(0, 11, w, MiB, 0, { tid: 102 });
  c.attrReply(0, 12, g, { ino: 7, size: MiB, valid }); // computed before the write landed
  return { c, g, w };
}

test('GETATTR sent before an extending WRITE completed, answered after it with the old size: warning', () => {
  const { c, g, w } = scenario(1);
  const r = c.analyze();
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.deepEqual(f[0]!.uniques, [g, w]);
  assert.equal(f[0]!.details.sizeBefore, MiB);
  assert.equal(f[0]!.details.sizeAfter, 2 * MiB);
  // The stale report does not move the daemon-observed size back, and is no "external shrink".
  assert.equal(r.model.files.find((x) => x.path === '/f')!.daemonSize, 2 * MiB);
  assert.equal(findingsOf(r, 'size-shrank-externally').length, 0);
});

test('attr_valid 0: the kernel does not cache it, nothing to report', () => {
  assert.equal(findingsOf(scenario(0).c.analyze(), KIND).length, 0);
});

test('a report sent after the change completed is not stale', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: MiB });
  const w = c.writeReq(0, 10, 10, 1, MiB, MiB, { pid: 5 });
  c.writeReply(0, 11, w, MiB);
  const g = c.getattrReq(0, 12, 10);
  c.attrReply(0, 13, g, { ino: 7, size: 2 * MiB });
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});
