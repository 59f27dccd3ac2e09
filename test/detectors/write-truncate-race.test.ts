import assert from 'node:assert/strict';
import { Cap, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FUSE_WRITE_CACHE, INIT, O_RDWR, O_TRUNC, openedFile, twoMounts } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

const KiB = 1024;

/** /f of 1 MiB opened with FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES. */
const mount = (initFlags = 0): Cap => openedFile({ size: 1024 * KiB, fopen: FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES, initFlags });

/** /f on two mounts (ino 5): a write through 0 in flight while 1 truncates it. */
function writeWhileTruncated(u: Record<string, number>): Cap {
  const c = twoMounts({ ino: 5, size: 1024 * KiB });
  c.open(0, 2, 10, 1, 0x41);
  u.w = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
  u.t = c.truncateReq(1, 11, 30, 0);
  c.attrReply(1, 12, u.t, { ino: 5, size: 0 });
  c.writeReply(0, 20, u.w, 64 * KiB);
  return c;
}

/**
 * Two mounts of daemons numbering inodes with their nodeids (libfuse's
 * high-level API without use_ino): a write to `a` through 0 in flight while
 * 1 truncates `b`; both files are nodeid 2, ino 2 (`same` names them alike).
 */
function ownNumbers(u: Record<string, number>, same = false): Cap {
  const c = new Cap(2);
  c.init(0, 0);
  c.init(1, 0);
  c.lookup(0, 1, 1, 'a', 2, { ino: 2, size: 1024 * KiB });
  c.lookup(1, 1, 1, same ? 'a' : 'b', 2, { ino: 2, size: 1024 * KiB });
  c.open(0, 2, 2, 1, 0);
  u.w = c.writeReq(0, 10, 2, 1, 1024 * KiB, 4 * KiB, { pid: 1 });
  u.t = c.truncateReq(1, 11, 2, 40);
  c.attrReply(1, 12, u.t, { ino: 2, size: 40 });
  c.writeReply(0, 20, u.w, 4 * KiB);
  return c;
}

testDetector('write-truncate-race', {
  valid: [
    {
      name: 'a writeback flush overlapping its own connection\'s truncate is the kernel\'s business',
      capture: () => {
        const c = mount(INIT.WRITEBACK_CACHE);
        const w = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
        const t = c.truncateReq(0, 11, 10, 0);
        c.attrReply(0, 12, t, { ino: 5, size: 0 });
        c.writeReply(0, 20, w, 4 * KiB);
        return c;
      },
    },
    {
      name: 'two mounts without correlation are two files',
      capture: writeWhileTruncated,
      perConnection: true,
      options: { correlate: false },
    },
    {
      name: 'two mounts whose inos are their own nodeids: one number at two paths is two files',
      capture: (u) => ownNumbers(u),
      perConnection: true,
      check: (r) => assert.deepEqual(r.model.findings.map((f) => f.kind), []),
    },
  ],
  invalid: [
    {
      name: 'a truncate arriving while a write is in flight: error naming both',
      capture: (u) => {
        const c = mount();
        u.w = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
        u.t = c.truncateReq(0, 11, 10, 0);
        c.attrReply(0, 12, u.t, { ino: 5, size: 0 });
        c.writeReply(0, 20, u.w, 64 * KiB);
        return c;
      },
      findings: (u) => [{ messageId: 'race', severity: 'error', uniques: [u.w!, u.t!], details: { sameConn: true, truncate: { unique: u.t, conn: 0, opcode: 4, size: 0 } } }],
    },
    {
      name: 'a write arriving while a truncate to a larger size is in flight: still a race',
      capture: (u) => {
        const c = mount();
        u.t = c.truncateReq(0, 10, 10, 4096 * KiB);
        u.w = c.writeReq(0, 11, 10, 1, 0, 64 * KiB, { pid: 1 });
        c.attrReply(0, 12, u.t, { ino: 5, size: 4096 * KiB });
        c.writeReply(0, 20, u.w, 64 * KiB);
        return c;
      },
      findings: (u) => [{ messageId: 'race', uniques: [u.w!, u.t!] }],
    },
    {
      name: 'OPEN with O_TRUNC counts as a truncate; one after the other is fine',
      capture: (u) => {
        const c = mount(INIT.ATOMIC_O_TRUNC);
        u.w = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
        c.open(0, 11, 10, 2, 0, O_RDWR | O_TRUNC, 12);
        c.writeReply(0, 20, u.w, 64 * KiB);
        const w2 = c.writeReq(0, 30, 10, 1, 0, 64 * KiB, { pid: 1 });
        c.writeReply(0, 31, w2, 64 * KiB);
        const t = c.truncateReq(0, 31, 10, 0);
        c.attrReply(0, 32, t, { ino: 5, size: 0 });
        return c;
      },
      findings: (u) => [{ messageId: 'race', details: { write: { unique: u.w, conn: 0, offset: 0, size: 64 * KiB, writeCache: false } } }],
    },
    {
      name: 'across correlated connections',
      capture: writeWhileTruncated,
      perConnection: true,
      findings: (u) => [{ messageId: 'race', conn: 0, uniques: [u.w!, u.t!], details: { sameConn: false } }],
    },
    {
      name: 'inos that are the nodeids on both mounts still join one path (nodeids that are inode numbers)',
      capture: (u) => ownNumbers(u, true),
      perConnection: true,
      findings: (u) => [{ messageId: 'race', conn: 0, uniques: [u.w!, u.t!], details: { sameConn: false } }],
    },
  ],
});
