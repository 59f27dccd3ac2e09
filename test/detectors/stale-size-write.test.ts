import assert from 'node:assert/strict';
import { Cap, findingsOf, FUSE_WRITE_CACHE, INIT, staleTwoMounts } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

const MiB = 2 ** 20;
const KIND = 'stale-size-write';


testDetector(KIND, {
  valid: [
    {
      name: 'kernel and daemon agree; after INVAL_INODE the kernel size is unknown',
      perConnection: true,
      capture: () => {
        const c = staleTwoMounts();
        const w = c.writeReq(1, 10, 30, 9, 4 * MiB, MiB, { pid: 1 });
        c.writeReply(1, 20, w, MiB);
        c.invalInode(0, 21, 10);
        const w2 = c.writeReq(0, 30, 10, 1, 7 * MiB, MiB, { pid: 1 });
        c.writeReply(0, 40, w2, MiB);
        return c;
      },
    },
    {
      name: 'writeback-cache writes are not judged',
      capture: () => {
        const c = new Cap(1);
        c.init(0, 0, INIT.WRITEBACK_CACHE);
        c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 0 });
        const w = c.writeReq(0, 10, 10, 1, 0, MiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
        c.writeReply(0, 20, w, MiB);
        return c;
      },
    },
    {
      name: 'stale writes in flight together are the parallel-write-beyond-size episode, which tells the stale size',
      perConnection: true,
      capture: () => {
        const c = staleTwoMounts();
        const a = c.writeReq(0, 10, 10, 1, 4 * MiB, MiB, { pid: 1 });
        const b = c.writeReq(0, 11, 10, 1, 6 * MiB, MiB, { pid: 2 });
        c.writeReply(0, 20, a, MiB);
        c.writeReply(0, 21, b, MiB);
        return c;
      },
      check: (r) => assert.equal(findingsOf(r, 'parallel-write-beyond-size')[0]!.details.kernelThoughtNonExtending, 2),
    },
  ],
  invalid: [
    {
      name: 'a lone write the kernel believed inside, beyond the daemon size (no concurrency needed)',
      perConnection: true,
      capture: (u) => {
        const c = staleTwoMounts();
        u.w = c.writeReq(0, 10, 10, 1, 4 * MiB, MiB, { pid: 1 });
        c.writeReply(0, 20, u.w, MiB);
        return c;
      },
      findings: (u) => [{
        messageId: 'hole', severity: 'warning', conn: 0, path: '/f', uniques: [u.w!],
        details: { writes: 1, offsetFrom: 4 * MiB, offsetTo: 5 * MiB, kernelSize: 8 * MiB, daemonSize: 2 * MiB, startsBeyond: true, maxBeyondBy: 2 * MiB },
      }],
      check: (r) => assert.equal(findingsOf(r, 'parallel-write-beyond-size').length, 0),
    },
    {
      name: 'a write that only extends',
      perConnection: true,
      capture: () => {
        const c = staleTwoMounts();
        const w = c.writeReq(0, 10, 10, 1, 2 * MiB - 4096, MiB, { pid: 1 });
        c.writeReply(0, 20, w, MiB);
        return c;
      },
      findings: [{ messageId: 'extends', details: { writes: 1, startsBeyond: false, maxBeyondBy: MiB - 4096 } }],
    },
    {
      // bindfs over a file truncated by another mount: dd through the page cache (write-through 4 KiB WRITEs), then one O_DIRECT write.
      name: 'page-cache writes joined by one O_DIRECT write are not all called direct',
      perConnection: true,
      capture: () => {
        const c = staleTwoMounts();
        c.open(0, 5, 10, 2, 0, 0x1); // a page-cache handle (no FOPEN_DIRECT_IO), O_WRONLY
        for (let i = 0; i < 3; i++) {
          const w = c.writeReq(0, 10 + i * 10, 10, 2, 4 * MiB + i * 4096, 4096, { pid: 1, flags: 0x1 });
          c.writeReply(0, 15 + i * 10, w, 4096);
        }
        const d = c.writeReq(0, 50, 10, 2, 5 * MiB, 4096, { pid: 1 });
        c.writeReply(0, 55, d, 4096);
        return c;
      },
      findings: [{ messageId: 'hole', details: { writes: 4 } }],
      check: (_r, found) => assert.match(found[0]!.message, /^4 writes \(1 direct\) to \/f /),
    },
    {
      name: 'sequential stale writes are one episode, until none was in flight for a second',
      perConnection: true,
      capture: (u) => {
        const c = staleTwoMounts();
        for (let i = 0; i < 5; i++) {
          const w = c.writeReq(0, 10 + i * 10, 10, 1, (3 + i) * MiB, MiB, { pid: 1 });
          c.writeReply(0, 15 + i * 10, w, MiB);
          if (i === 0) u.first = w;
        }
        // Inside the size the daemon now has (8 MiB): not stale, and it does not end the episode.
        const inside = c.writeReq(0, 100, 10, 1, 0, MiB, { pid: 1 });
        c.writeReply(0, 105, inside, MiB);
        // Mount 1 truncates again, long after: a new stale stretch, a second episode.
        const t = c.truncateReq(1, 2000, 30, 1 * MiB);
        c.attrReply(1, 2001, t, { ino: 7, size: 1 * MiB });
        u.again = c.writeReq(0, 2010, 10, 1, 7 * MiB, MiB / 2, { pid: 1 });
        c.writeReply(0, 2015, u.again, MiB / 2);
        return c;
      },
      findings: (u) => [
        { messageId: 'hole', details: { writes: 5, offsetFrom: 3 * MiB, offsetTo: 8 * MiB, holeUnique: u.first, maxBeyondBy: MiB } },
        { messageId: 'hole', uniques: [u.again!], details: { writes: 1, daemonSize: MiB, kernelSize: 8 * MiB } },
      ],
    },
  ],
});
