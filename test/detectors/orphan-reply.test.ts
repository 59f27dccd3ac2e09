import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Cap } from '../analysis/capture-builder.js';
import { reply, request, withTempDir } from '../capture/support.js';
import { testDetector } from './detector-tester.js';

testDetector('orphan-reply', {
  valid: [
    {
      name: 'every reply answers a pending request',
      capture: () => {
        const c = new Cap(1);
        const g = c.getattrReq(0, 2, 1);
        c.attrReply(0, 3, g, { ino: 1, size: 4096 });
        return c;
      },
    },
  ],
  invalid: [
    {
      name: 'a reply before the first request is info (capture started late); a second answer later is a warning',
      capture: (u) => {
        const c = new Cap(1);
        c.rep(0, 1, 40, 0, Buffer.alloc(0));
        u.g = c.getattrReq(0, 2, 1);
        c.attrReply(0, 3, u.g, { ino: 1, size: 4096 });
        c.rep(0, 4, u.g, -2); // answered twice
        return c;
      },
      findings: (u) => [
        { messageId: 'early', severity: 'info', uniques: [40], details: { beforeFirstRequest: true, error: 0 } },
        { messageId: 'orphan', severity: 'warning', uniques: [u.g!], details: { beforeFirstRequest: false, error: -2 } },
      ],
    },
    {
      // As ntfs-3g (its own FUSE 2.8) answers BATCH_FORGET: ENOSYS, refused by the kernel with ENOENT.
      name: 'a reply to a FORGET, a request that takes none, is named as that',
      capture: (u) => {
        const c = new Cap(1);
        const g = c.getattrReq(0, 2, 1);
        c.attrReply(0, 3, g, { ino: 1, size: 4096 });
        u.f = c.forget(0, 4, 5, 1);
        c.rep(0, 4.01, u.f, -38, Buffer.alloc(0), { failedErrno: 2 });
        u.f2 = c.forget(0, 5, 6, 1);
        c.rep(0, 5.01, u.f2, 0);
        return c;
      },
      findings: (u) => [
        { messageId: 'noReply', severity: 'warning', uniques: [u.f!], details: { beforeFirstRequest: false, error: -38, answers: 'FORGET' } },
        { messageId: 'noReply', severity: 'warning', uniques: [u.f2!], details: { beforeFirstRequest: false, error: 0, answers: 'FORGET' } },
      ],
    },
  ],
});

test('orphan-reply: the message of a reply to a FORGET says what the capture shows of it', () => {
  const c = new Cap(1);
  const g = c.getattrReq(0, 2, 1);
  c.attrReply(0, 3, g, { ino: 1, size: 4096 });
  const f = c.forget(0, 4, 5, 1);
  c.rep(0, 4.01, f, -38, Buffer.alloc(0), { failedErrno: 2 });
  const f2 = c.forget(0, 5, 6, 1);
  c.rep(0, 5.01, f2, 0);
  const msgs = c.analyze().model.findings.filter((x) => x.kind === 'orphan-reply').map((x) => x.message);
  assert.deepEqual(msgs, [
    `reply to #${f} (-ENOSYS) answers FORGET #${f} on connection 0, a request that takes no reply: the kernel refused it (the write failed with ENOENT); ENOSYS: the daemon does not implement FORGET`,
    `reply to #${f2} (OK) answers FORGET #${f2} on connection 0, a request that takes no reply: the kernel refuses such a reply`,
  ]);
});

/** A fusedump whose records carry the signature item `sig` (GlusterFS's or strace-fusedump's). */
function signedFusedump(sig: Buffer, records: [1 | 2, Buffer][]): Buffer {
  return Buffer.concat(records.map(([dir, msg], i) => {
    const head = Buffer.alloc(1 + 4 + 16);
    head[0] = dir === 1 ? 0x52 : 0x57;
    head.writeUInt32LE(3, 1);
    head.writeUInt32LE(16, 5);
    head.writeBigUInt64LE(1_796_500_000n, 9);
    head.writeUInt32LE(i * 1000, 17);
    return Buffer.concat([head, sig, msg]);
  }));
}

const GLUSTER_SIG = Buffer.from('0c000000474c5553544552f5', 'hex');
const STRACE_SIG = Buffer.from('0900000053545241ce', 'hex');
const INIT_IN = Buffer.alloc(64);
INIT_IN.writeUInt32LE(7, 0);
INIT_IN.writeUInt32LE(45, 4);
const INIT_OUT = Buffer.alloc(64);
INIT_OUT.writeUInt32LE(7, 0);
INIT_OUT.writeUInt32LE(24, 4);

/** Findings of a fusedump with an INIT exchange, then lone replies -ENOSYS (#4), OK (#6), -ENOENT (#8). */
function loneReplies(sig: Buffer): [string | undefined, string, string][] {
  const data = signedFusedump(sig, [
    [1, request(26, 2, 0, INIT_IN)], [2, reply(2, 0, INIT_OUT)],
    [2, reply(4, -38)], [2, reply(6, 0)], [2, reply(8, -2)],
  ]);
  return withTempDir((dir) => {
    const file = join(dir, 'lone.fusedump');
    writeFileSync(file, data);
    const r = analyze({ files: [file] });
    assert.equal(r.fatal, undefined);
    return r.model.findings.map((f): [string | undefined, string, string] => [f.messageId, f.severity, String(f.uniques[0])]).sort((a, b) => a[2].localeCompare(b[2]));
  });
}

test('orphan-reply: only an ENOSYS reply of a fusedump GlusterFS wrote is notWritten (info)', () => {
  assert.deepEqual(loneReplies(GLUSTER_SIG), [['notWritten', 'info', '4'], ['orphan', 'warning', '6'], ['orphan', 'warning', '8']]);
  assert.deepEqual(loneReplies(STRACE_SIG), [['orphan', 'warning', '4'], ['orphan', 'warning', '6'], ['orphan', 'warning', '8']]);
});
