import assert from 'node:assert/strict';
import { Cap, openedFile, kinds, twoMounts } from '../analysis/capture-builder.js';
import { testDetector } from './detector-tester.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** /f (nodeid 10, ino 5) of 64 MiB, opened (fh 1). */
const mount = (): Cap => openedFile({ size: 64 * MiB });

testDetector('truncate-size-mismatch', {
  valid: [
    {
      name: 'truncates answered with the size they asked for, down and up; a failed one',
      capture: () => {
        const c = mount();
        const a = c.truncateReq(0, 10, 10, 1000);
        c.attrReply(0, 11, a, { ino: 5, size: 1000 });
        const b = c.truncateReq(0, 12, 10, 128 * MiB);
        c.attrReply(0, 13, b, { ino: 5, size: 128 * MiB });
        const e = c.truncateReq(0, 14, 10, 0);
        c.rep(0, 15, e, -1);
        return c;
      },
    },
    {
      name: 'a write in flight when the truncate came ends past the asked size (the race is write-truncate-race\'s)',
      capture: () => {
        const c = mount();
        const w = c.writeReq(0, 10, 10, 1, 4 * MiB, 64 * KiB, { pid: 1 });
        const t = c.truncateReq(0, 11, 10, 1000);
        c.writeReply(0, 12, w, 64 * KiB);
        c.attrReply(0, 13, t, { ino: 5, size: 4 * MiB + 64 * KiB });
        return c;
      },
      check: (r) => assert.deepEqual(kinds(r), ['write-truncate-race/error']),
    },
    {
      name: 'a write sent and answered while the truncate was out, inside the old size',
      capture: () => {
        const c = mount();
        const t = c.truncateReq(0, 10, 10, 1000);
        const w = c.writeReq(0, 11, 10, 1, 4 * MiB, 4 * KiB, { pid: 1 });
        c.writeReply(0, 12, w, 4 * KiB);
        c.attrReply(0, 13, t, { ino: 5, size: 4 * MiB + 4 * KiB });
        return c;
      },
    },
    {
      name: 'a FALLOCATE while the truncate was out',
      capture: () => {
        const c = mount();
        const t = c.truncateReq(0, 10, 10, 1000);
        const f = c.fallocateReq(0, 11, 10, 1, 0, 2 * MiB);
        c.rep(0, 12, f, 0);
        c.attrReply(0, 13, t, { ino: 5, size: 2 * MiB });
        return c;
      },
    },
    {
      name: 'a FALLOCATE in flight when the truncate was sent',
      capture: () => {
        const c = mount();
        const f = c.fallocateReq(0, 10, 10, 1, 0, 2 * MiB);
        const t = c.truncateReq(0, 11, 10, 1000);
        c.rep(0, 12, f, 0);
        c.attrReply(0, 13, t, { ino: 5, size: 2 * MiB });
        return c;
      },
    },
    {
      name: 'two truncates out together',
      capture: () => {
        const c = mount();
        const a = c.truncateReq(0, 10, 10, 1000);
        const b = c.truncateReq(0, 11, 10, 2000);
        c.attrReply(0, 12, a, { ino: 5, size: 2000 });
        c.attrReply(0, 13, b, { ino: 5, size: 2000 });
        return c;
      },
    },
    {
      name: 'another captured mount writes the file while this one truncates it',
      perConnection: true,
      capture: () => {
        const c = twoMounts({ ino: 5, size: 64 * MiB });
        c.open(0, 2, 10, 1, 0);
        const t = c.truncateReq(1, 10, 30, 1000);
        const w = c.writeReq(0, 11, 10, 1, 8 * MiB, 4 * KiB, { pid: 1 });
        c.writeReply(0, 12, w, 4 * KiB);
        c.attrReply(1, 13, t, { ino: 5, size: 8 * MiB + 4 * KiB });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'a truncate to 1000 bytes answered with size 0 (Ruby\'s FuseFS)',
      capture: (u) => {
        const c = mount();
        // A write that ended before the truncate was sent explains nothing.
        const w = c.writeReq(0, 8, 10, 1, 0, 4 * KiB, { pid: 1 });
        c.writeReply(0, 9, w, 4 * KiB);
        u.t = c.truncateReq(0, 10, 10, 1000);
        c.attrReply(0, 11, u.t, { ino: 5, size: 0 });
        return c;
      },
      findings: (u) => [{ messageId: 'mismatch', severity: 'warning', path: '/f', uniques: [u.t!], details: { asked: 1000, answered: 0, difference: -1000 } }],
    },
    {
      name: 'truncates of a fixed-size file answered with its size (s3backer)',
      capture: (u) => {
        const c = mount();
        u.down = c.truncateReq(0, 10, 10, 32 * MiB);
        c.attrReply(0, 11, u.down, { ino: 5, size: 64 * MiB });
        u.up = c.truncateReq(0, 12, 10, 128 * MiB);
        c.attrReply(0, 13, u.up, { ino: 5, size: 64 * MiB });
        return c;
      },
      findings: (u) => [
        { messageId: 'mismatch', uniques: [u.down!], details: { asked: 32 * MiB, answered: 64 * MiB } },
        { messageId: 'mismatch', uniques: [u.up!], details: { asked: 128 * MiB, answered: 64 * MiB } },
      ],
    },
  ],
});
