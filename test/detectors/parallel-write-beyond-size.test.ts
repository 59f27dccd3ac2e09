import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, type AnalyzeResult } from '../../src/analysis/analyze.js';
import { Cap, findingsOf, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FUSE_WRITE_CACHE, INIT, kinds, openedFile } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const KiB = 1024;
const PDW = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
const KIND = 'parallel-write-beyond-size';

/** One mount, /big (nodeid 10, ino 500) of `size`, opened with fh 1 and `fopen`. */
const mount = (size: number, fopen = PDW, initFlags = 0): Cap => openedFile({ size, fopen, initFlags, name: 'big', ino: 500, valid: 3600 });

/** The LKML race: mount B (conn 1) truncates /big from 4 GiB to 2 GiB; mount A (conn 0), still believing 4 GiB, sends two writes beyond 2 GiB in parallel. */
function lkml(u: Record<string, number>): Cap {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(1, 1, 1, 'big', 20, { ino: 500, size: 4 * GiB });
  c.lookup(0, 2, 1, 'big', 10, { ino: 500, size: 4 * GiB, valid: 3600 });
  const t = c.truncateReq(1, 3, 20, 2 * GiB);
  c.attrReply(1, 3.1, t, { ino: 500, size: 2 * GiB });
  c.open(0, 4, 10, 1, PDW);
  u.w1 = c.writeReq(0, 10, 10, 1, 3 * GiB, 64 * KiB, { pid: 2001, tid: 101 });
  u.w2 = c.writeReq(0, 11, 10, 1, 3.5 * GiB, 64 * KiB, { pid: 2002, tid: 102 });
  c.writeReply(0, 510, u.w1, 64 * KiB, 0, { tid: 101 });
  c.writeReply(0, 511, u.w2, 64 * KiB, 0, { tid: 102 });
  return c;
}

/**
 * Two writers on a file truncated to 0, each writing `per` 1 MiB writes one
 * after the other at the offsets after the other's: at most 2 writes are ever
 * in flight at the same moment (each writer has one in flight), and the
 * file's in-flight count never drops to 0 between the first and the last.
 */
function twoWriters(u: Record<string, number>, per: number, t0 = 10): Cap {
  const c = mount(0);
  let t = t0;
  let pending: number | undefined;
  for (let i = 0; i < 2 * per; i++) {
    const w = c.writeReq(0, t, 10, 1, (i + 1) * MiB, MiB, { pid: 3000 + (i % 2), tid: 100 + (i % 2) });
    if (i === 0) u.first = w;
    u.last = w;
    if (pending !== undefined) c.writeReply(0, t + 0.5, pending, MiB, 0, { tid: 100 + ((i + 1) % 2) });
    pending = w;
    t += 1;
  }
  c.writeReply(0, t + 0.5, pending!, MiB);
  return c;
}

testDetector(KIND, {
  valid: [
    {
      name: 'exactly touching intervals are not "in flight together"',
      capture: () => {
        const c = mount(0);
        const w1 = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1 });
        c.writeReply(0, 20, w1, 4 * KiB);
        const w2 = c.writeReq(0, 20, 10, 1, 8 * KiB, 4 * KiB, { pid: 2 });
        c.writeReply(0, 30, w2, 4 * KiB);
        return c;
      },
      check: (r) => assert.equal(r.model.files.find((f) => f.path === '/big')!.maxConcurrentWrites, 1),
    },
    {
      name: 'judged on timestamps, not block order: a late reply block does not make writes overlap',
      capture: () => {
        const c = mount(0);
        const w1 = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1, tid: 101 });
        const w2 = c.writeReq(0, 30, 10, 1, 8 * KiB, 4 * KiB, { pid: 2, tid: 102 });
        c.writeReply(0, 20, w1, 4 * KiB, 0, { tid: 101 }); // block written after w2's request
        c.writeReply(0, 40, w2, 4 * KiB, 0, { tid: 102 });
        return c;
      },
    },
    {
      name: 'zero-length writes never count as beyond the size',
      capture: () => {
        const c = mount(0);
        const w1 = c.writeReq(0, 10, 10, 1, 4 * KiB, 0, { pid: 1 });
        const w2 = c.writeReq(0, 11, 10, 1, 8 * KiB, 0, { pid: 2 });
        c.writeReply(0, 20, w1, 0);
        c.writeReply(0, 21, w2, 0);
        return c;
      },
    },
    {
      name: 'writeback-cache writes (FUSE_WRITE_CACHE) extending in parallel are expected',
      capture: () => {
        const c = mount(0, 0, INIT.WRITEBACK_CACHE);
        const w1 = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
        const w2 = c.writeReq(0, 10.5, 10, 1, 64 * KiB, 64 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
        c.writeReply(0, 20, w1, 64 * KiB);
        c.writeReply(0, 21, w2, 64 * KiB);
        return c;
      },
      check: (r) => assert.deepEqual(kinds(r), []),
    },
    {
      name: 'after a truncate to a larger size, parallel writes below it are inside the file',
      capture: () => {
        const c = mount(1 * GiB);
        const t = c.truncateReq(0, 5, 10, 8 * GiB);
        c.attrReply(0, 6, t, { ino: 500, size: 8 * GiB });
        const w1 = c.writeReq(0, 10, 10, 1, 5 * GiB, 64 * KiB, { pid: 1 });
        const w2 = c.writeReq(0, 11, 10, 1, 6 * GiB, 64 * KiB, { pid: 2 });
        c.writeReply(0, 20, w1, 64 * KiB);
        c.writeReply(0, 21, w2, 64 * KiB);
        return c;
      },
      check: (r) => {
        assert.deepEqual(kinds(r), []);
        const file = r.model.files.find((f) => f.path === '/big')!;
        assert.equal(file.daemonSize, 8 * GiB);
        assert.equal(file.maxConcurrentWrites, 2);
      },
    },
    {
      name: 'the daemon size is unknown before the first report: nothing can be proved',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0);
        c.open(0, 2, 10, 1, PDW);
        const w1 = c.writeReq(0, 10, 10, 1, 5 * GiB, 64 * KiB, { pid: 1 });
        const w2 = c.writeReq(0, 11, 10, 1, 6 * GiB, 64 * KiB, { pid: 2 });
        c.writeReply(0, 20, w1, 64 * KiB);
        c.writeReply(0, 21, w2, 64 * KiB);
        return c;
      },
    },
    {
      name: 'the LKML race without correlation: connection 0 only knows its own 4 GiB',
      capture: lkml,
      perConnection: true,
      options: { correlate: false },
      check: (r) => assert.deepEqual(kinds(r), []),
    },
    {
      name: 'writes one after the other beyond the size, never two in flight: not a race',
      capture: () => {
        const c = mount(0);
        for (let i = 0; i < 4; i++) {
          const w = c.writeReq(0, 10 + i * 10, 10, 1, (i + 1) * MiB, MiB, { pid: 1 + (i % 2) });
          c.writeReply(0, 15 + i * 10, w, MiB);
        }
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'after an INVAL_INODE the kernel\'s size is unknown: the finding does not say what the kernel took the writes for',
      capture: (u) => {
        const c = mount(8 * MiB);
        c.invalInode(0, 5, 10);
        u.w1 = c.writeReq(0, 10, 10, 1, 9 * MiB, 64 * KiB, { pid: 2001, tid: 101 });
        u.w2 = c.writeReq(0, 11, 10, 1, 10 * MiB, 64 * KiB, { pid: 2002, tid: 102 });
        c.writeReply(0, 20, u.w1, 64 * KiB, 0, { tid: 101 });
        c.writeReply(0, 21, u.w2, 64 * KiB, 0, { tid: 102 });
        return c;
      },
      findings: (u) => [{
        messageId: 'hole', severity: 'error', uniques: [u.w1!, u.w2!],
        details: { daemonSize: 8 * MiB, kernelSize: null, kernelThoughtNonExtending: 0 },
      }],
      check: (r, found) => {
        assert.match(found[0]!.message, /This mount's kernel size was unknown: whether the kernel took them for extending is not known\./);
        assert.doesNotMatch(found[0]!.message, /sent extending writes/);
      },
    },
    {
      name: 'the LKML race: A and B correlated by ino, both writes start beyond the size B truncated to: one finding',
      capture: lkml,
      perConnection: true,
      findings: (u) => [{
        messageId: 'hole', severity: 'error', conn: 0, path: '/big', uniques: [u.w1!, u.w2!],
        details: {
          writes: 2, maxInFlight: 2, offsetFrom: 3 * GiB, offsetTo: 3.5 * GiB + 64 * KiB, daemonSize: 2 * GiB, kernelSize: 4 * GiB,
          kernelThoughtNonExtending: 2, startsBeyond: true, holeUnique: u.w1, maxBeyondBy: 1.5 * GiB, uniques: [u.w1!, u.w2!],
          handleFlags: ['FOPEN_DIRECT_IO', 'FOPEN_PARALLEL_DIRECT_WRITES'], otherConns: [], callerPid: null,
        },
      }],
      check: (r, found, u) => {
        // The stale size is told by this finding: no separate stale-size-write for writes in the race.
        assert.deepEqual(kinds(r), [`${KIND}/error`]);
        const again = findingsOf(lkmlAgain(u), KIND);
        assert.deepEqual(again.map((f) => f.fingerprint), found.map((f) => f.fingerprint));
      },
    },
    {
      name: 'parallel writes where only one reaches past the size, by extending it: warning',
      capture: (u) => {
        const c = mount(1 * GiB);
        u.w1 = c.writeReq(0, 10, 10, 1, 1 * GiB - 32 * KiB, 64 * KiB, { pid: 1 });
        u.w2 = c.writeReq(0, 11, 10, 1, 0, 64 * KiB, { pid: 2 });
        c.writeReply(0, 20, u.w1, 64 * KiB);
        c.writeReply(0, 21, u.w2, 64 * KiB);
        return c;
      },
      findings: (u) => [{
        messageId: 'extends', severity: 'warning', uniques: [u.w1!],
        details: { writes: 1, maxInFlight: 2, kernelThoughtNonExtending: 0, startsBeyond: false, maxBeyondBy: 32 * KiB },
      }],
    },
    {
      name: 'judged on timestamps: a request block that comes late in the file still overlaps',
      capture: (u) => {
        const c = mount(0);
        u.w2 = c.writeReq(0, 12, 10, 1, 8 * KiB, 4 * KiB, { pid: 2, tid: 102 });
        u.w1 = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1, tid: 101 }); // earlier time, later block
        c.writeReply(0, 20, u.w1, 4 * KiB, 0, { tid: 101 });
        c.writeReply(0, 21, u.w2, 4 * KiB, 0, { tid: 102 });
        return c;
      },
      findings: (u) => [{ messageId: 'hole', severity: 'error', uniques: [u.w1!, u.w2!], details: { holeUnique: u.w2, maxBeyondBy: 8 * KiB } }],
    },
    {
      name: 'writes answered with an error are still reported (the kernel sent them in parallel), with the errors counted',
      capture: () => {
        const c = mount(0);
        const w1 = c.writeReq(0, 10, 10, 1, 4 * KiB, 4 * KiB, { pid: 1 });
        const w2 = c.writeReq(0, 11, 10, 1, 8 * KiB, 4 * KiB, { pid: 2 });
        c.writeReply(0, 20, w1, 0, -5);
        c.writeReply(0, 21, w2, 0, -28);
        return c;
      },
      findings: [{ messageId: 'hole', details: { writes: 2, replyErrors: 2, unanswered: 0 } }],
    },
    {
      name: 'writes whose reply never comes are in flight to the end of the capture',
      capture: (u) => {
        const c = mount(0);
        u.w1 = c.writeReq(0, 10, 10, 1, 4 * KiB, 4 * KiB, { pid: 1 });
        u.w2 = c.writeReq(0, 50, 10, 1, 8 * KiB, 4 * KiB, { pid: 2 });
        c.getattrReq(0, 60, 1);
        return c;
      },
      findings: (u) => [{ messageId: 'hole', uniques: [u.w1!, u.w2!], details: { writes: 2, unanswered: 2 } }],
      check: (r, _found, u) => assert.deepEqual(findingsOf(r, 'unanswered-request').map((x) => x.uniques[0]).sort(), [u.w1, u.w2, u.w2! + 2].sort()),
    },
    {
      name: 'pieces of one split direct write are grouped and reported once at info',
      capture: (u) => {
        const c = mount(0, 0, INIT.ASYNC_DIO);
        const us: number[] = [];
        for (let i = 0; i < 4; i++) us.push(c.writeReq(0, 10 + i * 0.01, 10, 1, i * 128 * KiB, 128 * KiB, { pid: 4242, tid: 100 + i }));
        for (let i = 0; i < 4; i++) c.writeReply(0, 100 + i, us[i]!, 128 * KiB, 0, { tid: 100 + i });
        us.forEach((x, i) => (u[`p${i}`] = x));
        return c;
      },
      findings: (u) => [{
        messageId: 'split', severity: 'info', uniques: [u.p0!, u.p1!, u.p2!, u.p3!],
        details: { grouped: true, size: 512 * KiB, pieces: 4, callerPid: 4242 },
      }],
      check: (r) => assert.deepEqual(kinds(r), [`${KIND}/info`]),
    },
    {
      name: 'a split write racing another writer is one race of both callers',
      capture: (u) => {
        const c = mount(0);
        u.a1 = c.writeReq(0, 10, 10, 1, 0, 128 * KiB, { pid: 1 });
        u.a2 = c.writeReq(0, 10.1, 10, 1, 128 * KiB, 128 * KiB, { pid: 1 });
        c.writeReply(0, 20, u.a1, 128 * KiB);
        u.b = c.writeReq(0, 21, 10, 1, 1024 * KiB, 4 * KiB, { pid: 2 });
        c.writeReply(0, 30, u.a2, 128 * KiB);
        c.writeReply(0, 31, u.b, 4 * KiB);
        return c;
      },
      findings: (u) => [{ messageId: 'hole', severity: 'error', uniques: [u.a1!, u.a2!, u.b!], details: { writes: 3, maxInFlight: 2, holeUnique: u.a2, callerPid: null } }],
    },
    {
      name: '64 writes from two writers, never more than 2 in flight: one finding that says 2',
      capture: (u) => twoWriters(u, 32),
      findings: (u) => [{
        messageId: 'hole', severity: 'error',
        details: { writes: 64, maxInFlight: 2, offsetFrom: MiB, offsetTo: 65 * MiB, holeUnique: u.first, uniquesOmitted: 0 },
      }],
      check: (_r, found, u) => {
        const us = found[0]!.uniques;
        assert.equal(us.length, 64);
        assert.equal(us[0], u.first);
        assert.equal(us[63], u.last);
        assert.equal(new Set(us).size, 64);
      },
    },
    {
      name: 'two races more than a quiet second apart on one file: two episodes with one fingerprint',
      capture: (u) => {
        const c = twoWriters(u, 2);
        const w1 = c.writeReq(0, 1100, 10, 1, 10 * MiB, MiB, { pid: 3000 });
        const w2 = c.writeReq(0, 1100.2, 10, 1, 11 * MiB, MiB, { pid: 3001 });
        c.writeReply(0, 1101, w1, MiB);
        c.writeReply(0, 1102, w2, MiB);
        return c;
      },
      findings: [{ messageId: 'hole', details: { writes: 4 } }, { messageId: 'hole', details: { writes: 2, offsetFrom: 10 * MiB } }],
      check: (_r, found) => assert.equal(found[0]!.fingerprint, found[1]!.fingerprint),
    },
    {
      name: 'racing writes with quiet stretches shorter than a second between them: one episode',
      capture: (u) => {
        const c = mount(0);
        for (let i = 0; i < 8; i++) {
          // Pairs of writes in flight together, 50 ms of nothing between pairs.
          const a = c.writeReq(0, 10 + i * 60, 10, 1, (2 * i + 1) * MiB, MiB, { pid: 1 });
          const b = c.writeReq(0, 11 + i * 60, 10, 1, (2 * i + 2) * MiB, MiB, { pid: 2 });
          c.writeReply(0, 15 + i * 60, a, MiB);
          c.writeReply(0, 16 + i * 60, b, MiB);
          if (i === 0) u.first = a;
        }
        // A lone write beyond the size while the episode is open, overlapping nothing: part of the episode.
        u.lone = c.writeReq(0, 600, 10, 1, 20 * MiB, MiB, { pid: 1 });
        c.writeReply(0, 601, u.lone, MiB);
        return c;
      },
      findings: (u) => [{
        messageId: 'hole',
        details: { writes: 17, writesInFlightTogether: 16, maxInFlight: 2, holeUnique: u.first, offsetFrom: MiB, offsetTo: 21 * MiB },
      }],
      check: (_r, found, u) => assert.equal(found[0]!.uniques.at(-1), u.lone),
    },
    {
      name: 'writes through two correlated mounts in flight together: one finding per connection',
      perConnection: true,
      capture: (u) => {
        const c = new Cap(2);
        c.init(0, 0);
        c.init(1, 0);
        c.lookup(0, 1, 1, 'f', 10, { ino: 9, size: 0 });
        c.lookup(1, 1, 1, 'f', 20, { ino: 9, size: 0 });
        c.open(0, 2, 10, 1, PDW);
        c.open(1, 2, 20, 1, PDW);
        u.a = c.writeReq(0, 10, 10, 1, MiB, MiB, { pid: 1 });
        u.b = c.writeReq(1, 11, 20, 1, 2 * MiB, MiB, { pid: 2 });
        c.writeReply(0, 20, u.a, MiB);
        c.writeReply(1, 21, u.b, MiB);
        return c;
      },
      findings: (u) => [
        { messageId: 'hole', conn: 0, uniques: [u.a!], details: { writes: 1, maxInFlight: 2, otherConns: [1] } },
        { messageId: 'hole', conn: 1, uniques: [u.b!], details: { writes: 1, maxInFlight: 2, otherConns: [0] } },
      ],
    },
  ],
});

/** The same race recorded again: other uniques, other times, the same shape. */
function lkmlAgain(_u: Record<string, number>): AnalyzeResult {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.getattrReq(0, 0.5, 1);
  c.lookup(1, 1, 1, 'big', 21, { ino: 501, size: 4 * GiB });
  c.lookup(0, 2, 1, 'big', 11, { ino: 501, size: 4 * GiB, valid: 3600 });
  const t = c.truncateReq(1, 3, 21, 2 * GiB);
  c.attrReply(1, 3.3, t, { ino: 501, size: 2 * GiB });
  c.open(0, 4, 11, 1, PDW);
  const w2 = c.writeReq(0, 12, 11, 1, 3.5 * GiB, 64 * KiB, { pid: 2102, tid: 112 });
  const w1 = c.writeReq(0, 12.5, 11, 1, 3 * GiB, 64 * KiB, { pid: 2101, tid: 111 });
  c.writeReply(0, 300, w2, 64 * KiB, 0, { tid: 112 });
  c.writeReply(0, 301, w1, 64 * KiB, 0, { tid: 111 });
  return analyze({ files: c.files() });
}

test('a race on a busy file keeps its timeline bars although the finding comes when the episode ends', () => {
  const c = mount(64 * MiB);
  // 2100 writes inside the file, one at a time: past the per-file bar budget.
  for (let i = 0; i < 2100; i++) {
    const w = c.writeReq(0, 10 + i * 0.1, 10, 1, 0, 4 * KiB, { pid: 1 });
    c.writeReply(0, 10.05 + i * 0.1, w, 4 * KiB);
  }
  const a = c.writeReq(0, 300, 10, 1, 65 * MiB, MiB, { pid: 1 });
  const b = c.writeReq(0, 300.1, 10, 1, 67 * MiB, MiB, { pid: 2 });
  c.writeReply(0, 301, a, MiB);
  c.writeReply(0, 302, b, MiB);
  // 200 more inside writes while the episode is still open: the race's bars are no longer among the recent ones.
  for (let i = 0; i < 200; i++) {
    const w = c.writeReq(0, 310 + i * 0.1, 10, 1, 0, 4 * KiB, { pid: 1 });
    c.writeReply(0, 310.05 + i * 0.1, w, 4 * KiB);
  }
  const r = c.analyze({ timeline: true });
  const f = findingsOf(r, KIND);
  assert.equal(f.length, 1);
  assert.deepEqual(f[0]!.uniques, [a, b]);
  const file = r.model.files.find((x) => x.path === '/big')!;
  assert.ok(file.timelineTruncated, 'the file has more bars than it keeps');
  const kept = new Set((file.timeline ?? []).map((x) => x.unique));
  assert.ok(kept.has(a) && kept.has(b), 'both bars of the race are kept');
});
