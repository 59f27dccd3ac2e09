import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap, findingsOf } from '../analysis/capture-builder.js';

const MiB = 2 ** 20;
const KIND = 'size-shrank-externally';

test('a later report smaller than the daemon-observed size, no truncate captured: warning', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4 * MiB });
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'warning');
  assert.deepEqual(f[0]!.uniques, [g]);
  assert.equal(f[0]!.details.reportedSize, 2 * MiB);
  assert.equal(f[0]!.details.daemonSize, 4 * MiB);
});

test('a captured truncate explains the smaller size, also on another correlated connection', () => {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4 * MiB });
  c.lookup(1, 1, 1, 'f', 30, { ino: 7, size: 4 * MiB });
  const t = c.truncateReq(1, 5, 30, 2 * MiB);
  c.attrReply(1, 6, t, { ino: 7, size: 2 * MiB });
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  assert.equal(findingsOf(analyze({ files: c.files() }), KIND).length, 0);
  // Connection 0 alone cannot see the truncate: the shrink shows in hindsight.
  assert.equal(findingsOf(analyze({ files: [c.files()[0]!] }), KIND).length, 1);
});

test('a truncate in flight when the report was sent is not external', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4 * MiB });
  const t = c.truncateReq(0, 10, 10, MiB);
  const g = c.getattrReq(0, 10.5, 10, { tid: 101 });
  c.attrReply(0, 11, g, { ino: 7, size: MiB });
  c.attrReply(0, 12, t, { ino: 7, size: MiB });
  assert.equal(findingsOf(c.analyze(), KIND).length, 0);
});
