import { type Cap, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FUSE_WRITE_CACHE, INIT, openedFile } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

const KiB = 1024;

/** /f of 1 MiB opened with FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES. */
const mount = (initFlags = 0): Cap => openedFile({ size: 1024 * KiB, fopen: FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES, initFlags });

testDetector('overlapping-parallel-writes', {
  valid: [
    {
      name: 'exactly touching ranges do not overlap',
      capture: () => {
        const c = mount();
        const a = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
        const b = c.writeReq(0, 11, 10, 1, 64 * KiB, 64 * KiB, { pid: 2 });
        c.writeReply(0, 20, a, 64 * KiB);
        c.writeReply(0, 21, b, 64 * KiB);
        return c;
      },
    },
    {
      name: 'overlapping ranges one after the other are fine; zero-length writes never overlap',
      capture: () => {
        const c = mount();
        const a = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
        c.writeReply(0, 20, a, 64 * KiB);
        const b = c.writeReq(0, 20, 10, 1, 0, 64 * KiB, { pid: 2 });
        const z = c.writeReq(0, 21, 10, 1, 16 * KiB, 0, { pid: 3 });
        c.writeReply(0, 30, b, 64 * KiB);
        c.writeReply(0, 31, z, 0);
        return c;
      },
    },
    {
      name: 'two writeback flushes of the same range are left to the kernel',
      capture: () => {
        const c = mount(INIT.WRITEBACK_CACHE);
        const a = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
        const b = c.writeReq(0, 11, 10, 1, 0, 4 * KiB, { pid: 0, writeFlags: FUSE_WRITE_CACHE, flags: 0 });
        c.writeReply(0, 20, a, 4 * KiB);
        c.writeReply(0, 21, b, 4 * KiB);
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'overlapping ranges in flight together: one warning naming both',
      capture: (u) => {
        const c = mount();
        u.a = c.writeReq(0, 10, 10, 1, 0, 64 * KiB, { pid: 1 });
        u.b = c.writeReq(0, 11, 10, 1, 32 * KiB, 64 * KiB, { pid: 2 });
        c.writeReply(0, 20, u.a, 64 * KiB);
        c.writeReply(0, 21, u.b, 64 * KiB);
        return c;
      },
      findings: (u) => [{ messageId: 'overlap', severity: 'warning', uniques: [u.a!, u.b!], details: { overlapBytes: 32 * KiB, overlapOffset: 32 * KiB } }],
    },
    {
      name: 'three writes of one range in flight together: each pair once',
      capture: (u) => {
        const c = mount();
        u.a = c.writeReq(0, 10, 10, 1, 0, 4 * KiB, { pid: 1 });
        u.b = c.writeReq(0, 11, 10, 1, 0, 4 * KiB, { pid: 2 });
        u.c = c.writeReq(0, 12, 10, 1, 0, 4 * KiB, { pid: 3 });
        c.writeReply(0, 20, u.a, 4 * KiB);
        c.writeReply(0, 21, u.b, 4 * KiB);
        c.writeReply(0, 22, u.c, 4 * KiB);
        return c;
      },
      findings: (u) => [
        { messageId: 'overlap', uniques: [u.a!, u.b!] },
        { messageId: 'overlap', uniques: [u.a!, u.c!] },
        { messageId: 'overlap', uniques: [u.b!, u.c!] },
      ],
    },
  ],
});
