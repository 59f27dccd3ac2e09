import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap, findingsOf, openedFile, twoMounts } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

const MiB = 2 ** 20;
const KIND = 'size-grew-externally';

test('a later report larger than the daemon-observed size, nothing captured that grows it: info, reported at that reply', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 2 * MiB });
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 3 * MiB });
  const f = findingsOf(c.analyze(), KIND);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'info');
  assert.deepEqual(f[0]!.uniques, [g]);
  assert.equal(f[0]!.t, 11e6, 'at the reply that showed it, though it waited for the end of the capture');
  assert.deepEqual(f[0]!.details, { reportedSize: 3 * MiB, daemonSize: 2 * MiB, grewBy: MiB, kernelSizeBefore: 2 * MiB, opcode: 'GETATTR', correlatedConns: [] });
});

test('a FALLOCATE in flight while the report was out explains the growth', () => {
  const c = openedFile({ size: MiB, ino: 7 });
  const fa = c.fallocateReq(0, 9, 10, 1, MiB, MiB);
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  c.rep(0, 12, fa, 0);
  assert.deepEqual(findingsOf(c.analyze(), KIND), []);
});

test('another captured mount\'s write explains the growth; that mount\'s capture alone shows it in hindsight', () => {
  const c = twoMounts({ ino: 7, size: MiB });
  c.open(1, 2, 30, 1);
  c.writeReply(1, 4, c.writeReq(1, 3, 30, 1, MiB, MiB), MiB);
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  assert.equal(findingsOf(analyze({ files: c.files() }), KIND).length, 0);
  assert.equal(findingsOf(analyze({ files: [c.files()[0]!] }), KIND).length, 1);
});

test('a file the kernel forgets before its next report: the finding is made as it is dropped, and counts in its summary', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: MiB });
  c.attrReply(0, 11, c.getattrReq(0, 10, 10), { ino: 7, size: 2 * MiB });
  c.forget(0, 12, 10, 1);
  const r = c.analyze();
  assert.equal(r.model.tables!.filesRetired, 1);
  assert.equal(findingsOf(r, KIND).length, 1);
  assert.equal(r.model.files.find((f) => f.path === '/f')!.findings, 1);
});

testDetector(KIND, {
  valid: [
    {
      name: 'a captured WRITE grew it',
      capture: () => {
        const c = openedFile({ size: MiB });
        c.writeReply(0, 4, c.writeReq(0, 3, 10, 1, MiB, 4096), 4096);
        c.attrReply(0, 6, c.getattrReq(0, 5, 10), { ino: 5, size: MiB + 4096 });
        return c;
      },
    },
    {
      name: 'a WRITE in flight when the report was answered (the daemon may have applied it)',
      capture: () => {
        const c = openedFile({ size: MiB });
        const w = c.writeReq(0, 3, 10, 1, MiB, 4096);
        c.attrReply(0, 5, c.getattrReq(0, 4, 10, { tid: 101 }), { ino: 5, size: MiB + 4096 });
        c.writeReply(0, 6, w, 4096);
        return c;
      },
    },
    {
      name: 'a truncate upwards answered while the report was out',
      capture: () => {
        const c = openedFile({ size: MiB });
        const g = c.getattrReq(0, 3, 10, { tid: 101 });
        c.attrReply(0, 4.5, c.truncateReq(0, 3.5, 10, 2 * MiB), { ino: 5, size: 2 * MiB });
        c.attrReply(0, 5, g, { ino: 5, size: 2 * MiB });
        return c;
      },
    },
    {
      name: 'a larger size the next report takes back is one wrong answer: inconsistent-size-report only',
      capture: () => {
        const c = openedFile({ size: MiB });
        c.attrReply(0, 4, c.getattrReq(0, 3, 10), { ino: 5, size: MiB + 114 });
        c.attrReply(0, 6, c.getattrReq(0, 5, 10), { ino: 5, size: MiB });
        return c;
      },
      check: (r) => assert.deepEqual(r.model.findings.map((f) => f.kind), ['inconsistent-size-report']),
    },
    {
      name: 'a directory grows with its entries: directories have no size views',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'd', 10, { ino: 7, size: 48, mode: 0o040755 });
        c.attrReply(0, 11, c.getattrReq(0, 10, 10), { ino: 7, size: 456, mode: 0o040755 });
        return c;
      },
    },
    {
      name: 'two nodeids of one connection report one ino (hard links): a write through one may be the other\'s growth',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'a', 10, { ino: 7, size: MiB });
        c.lookup(0, 1.5, 1, 'b', 11, { ino: 7, size: MiB });
        c.open(0, 2, 11, 1);
        c.writeReply(0, 4, c.writeReq(0, 3, 11, 1, MiB, 4096), 4096);
        c.attrReply(0, 6, c.getattrReq(0, 5, 10), { ino: 7, size: MiB + 4096 });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'grown, then confirmed by the next report: one finding, at the first',
      capture: (u) => {
        const c = openedFile({ size: MiB });
        u.g = c.getattrReq(0, 3, 10);
        c.attrReply(0, 4, u.g, { ino: 5, size: 2 * MiB });
        c.attrReply(0, 6, c.getattrReq(0, 5, 10), { ino: 5, size: 2 * MiB });
        return c;
      },
      findings: (u) => [{ messageId: 'grew', severity: 'info', path: '/f', uniques: [u.g!], details: { reportedSize: 2 * MiB, daemonSize: MiB, grewBy: MiB } }],
    },
    {
      name: 'grown twice, each confirmed by the next change: two findings',
      capture: (u) => {
        const c = openedFile({ size: MiB });
        u.a = c.getattrReq(0, 3, 10);
        c.attrReply(0, 4, u.a, { ino: 5, size: 2 * MiB });
        u.b = c.getattrReq(0, 5, 10);
        c.attrReply(0, 6, u.b, { ino: 5, size: 3 * MiB });
        return c;
      },
      findings: (u) => [{ messageId: 'grew', uniques: [u.a!], details: { daemonSize: MiB } }, { messageId: 'grew', uniques: [u.b!], details: { daemonSize: 2 * MiB } }],
    },
    {
      name: 'two sizes that round the same are printed in bytes',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4096 });
        c.attrReply(0, 11, c.getattrReq(0, 10, 10), { ino: 7, size: 4100 });
        return c;
      },
      findings: [{ messageId: 'grew', details: { reportedSize: 4100, daemonSize: 4096 } }],
      check: (_r, found) => assert.match(found[0]!.message, /at 4100 bytes, larger than the 4096 bytes the daemon had observed/),
    },
  ],
});
