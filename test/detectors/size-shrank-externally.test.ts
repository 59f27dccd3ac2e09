import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap, findingsOf, twoMounts } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

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
  const c = twoMounts({ ino: 7, size: 4 * MiB });
  const t = c.truncateReq(1, 5, 30, 2 * MiB);
  c.attrReply(1, 6, t, { ino: 7, size: 2 * MiB });
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  assert.equal(findingsOf(analyze({ files: c.files() }), KIND).length, 0);
  // Connection 0 alone cannot see the truncate: the shrink shows in hindsight.
  assert.equal(findingsOf(analyze({ files: [c.files()[0]!] }), KIND).length, 1);
});

test('a FALLOCATE collapsing a range, in flight while the report was out, explains the smaller size', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4 * MiB });
  c.open(0, 2, 10, 1);
  const fa = c.fallocateReq(0, 9, 10, 1, 0, 2 * MiB, 8 /* FALLOC_FL_COLLAPSE_RANGE */);
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  c.rep(0, 12, fa, 0);
  assert.deepEqual(findingsOf(c.analyze(), KIND), []);
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

testDetector(KIND, {
  valid: [
    {
      name: 'a directory whose size shrinks (ntfs-3g after unlinks inside it): directories have no size views',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'd', 10, { ino: 7, size: 456, mode: 0o040755 });
        const g = c.getattrReq(0, 10, 10);
        c.attrReply(0, 11, g, { ino: 7, size: 48, mode: 0o040755 });
        return c;
      },
      check: (r) => {
        const d = r.model.files.find((f) => f.path === '/d');
        assert.ok(d, 'the directory is listed');
        assert.deepEqual(d.sizeHistory, []);
        assert.equal(d.reportedSize, undefined);
      },
    },
    ...[0xffffffff, 0].map((ino) => ({
      name: `placeholder ino ${ino} correlates nothing across connections`,
      perConnection: true,
      capture: () => {
        const c = new Cap(2);
        c.init(0, 0);
        c.init(1, 0);
        c.lookup(0, 1, 1, 'big', 10, { ino, size: 4 * MiB });
        c.lookup(1, 1, 1, 'small', 30, { ino, size: MiB });
        const g = c.getattrReq(1, 10, 30);
        c.attrReply(1, 11, g, { ino, size: MiB });
        return c;
      },
    })),
    {
      name: 'two nodeids of one connection with one ino are never one file, nor is that ino evidence across connections',
      perConnection: true,
      capture: () => {
        const c = new Cap(2);
        c.init(0, 0);
        c.init(1, 0);
        c.lookup(0, 1, 1, 'big', 10, { ino: 7, size: 4 * MiB });
        c.lookup(0, 2, 1, 'small', 11, { ino: 7, size: MiB });
        c.lookup(1, 3, 1, 'other', 30, { ino: 7, size: 4 * MiB });
        const g = c.getattrReq(0, 10, 11);
        c.attrReply(0, 11, g, { ino: 7, size: MiB });
        return c;
      },
      check: (r) => { for (const f of r.model.files) assert.deepEqual(f.correlated, [], f.path); },
    },
    {
      name: 'a regular file and a directory with one ino on two connections are not one file',
      perConnection: true,
      capture: () => {
        const c = new Cap(2);
        c.init(0, 0);
        c.init(1, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4 * MiB });
        c.lookup(1, 2, 1, 'd', 30, { ino: 7, size: 4096, mode: 0o040755 });
        return c;
      },
      check: (r) => { for (const f of r.model.files) assert.deepEqual(f.correlated, [], f.path); },
    },
  ],
  invalid: [
    {
      name: 'a file whose replies name two inos leaves its correlation: only its own shrink is seen',
      perConnection: true,
      capture: (u) => {
        const c = twoMounts({ ino: 7, size: 4 * MiB });
        const g = c.getattrReq(1, 5, 30);
        c.attrReply(1, 6, g, { ino: 8, size: 4 * MiB });
        u.g = c.getattrReq(1, 10, 30);
        c.attrReply(1, 11, u.g, { ino: 8, size: MiB });
        return c;
      },
      findings: (u) => [{ messageId: 'shrank', conn: 1, uniques: [u.g!], details: { correlatedConns: [] } }],
      check: (r) => { for (const f of r.model.files) assert.deepEqual(f.correlated, [], f.path); },
    },
    {
      name: 'two sizes that round the same are printed in bytes',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4100 });
        const g = c.getattrReq(0, 10, 10);
        c.attrReply(0, 11, g, { ino: 7, size: 4096 });
        return c;
      },
      findings: [{ messageId: 'shrank', details: { reportedSize: 4096, daemonSize: 4100 } }],
      check: (_r, found) => assert.match(found[0]!.message, /at 4096 bytes, smaller than the 4100 bytes the daemon had observed/),
    },
  ],
});
