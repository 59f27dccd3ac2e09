/**
 * Messages a recorder rebuilt (FUSE over io_uring, capture-format.md
 * "Rebuilt messages"): analyze pairs and counts them like any other, and
 * its limitations say how many there were and what they cannot show.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, OP } from './capture-builder.js';

const INIT_EXT = 1 << 30;
/** FUSE_OVER_IO_URING: INIT bit 41, bit 9 of flags2. */
const FLAGS2_OVER_IO_URING = 1 << 9;

/** INIT over /dev/fuse whose reply negotiates FUSE over io_uring. */
function uringInit(c: Cap): void {
  const inb = Buffer.alloc(64);
  inb.writeUInt32LE(7, 0);
  inb.writeUInt32LE(45, 4);
  inb.writeUInt32LE(INIT_EXT, 12);
  inb.writeUInt32LE(FLAGS2_OVER_IO_URING, 16);
  const u = c.req(0, 0, OP.INIT, 0, inb, { pid: 0 });
  const out = Buffer.alloc(64);
  out.writeUInt32LE(7, 0);
  out.writeUInt32LE(45, 4);
  out.writeUInt32LE(INIT_EXT, 12);
  out.writeUInt16LE(12, 16);
  out.writeUInt32LE(1 << 20, 20);
  out.writeUInt32LE(FLAGS2_OVER_IO_URING, 32);
  c.rep(0, 0.01, u, 0, out);
}

test('analyze: rebuilt io_uring messages are paired like others and counted under what the capture cannot show', () => {
  const c = new Cap(1);
  uringInit(c);
  for (let i = 0; i < 3; i++) {
    const u = c.getattrReq(0, 1 + i, 1);
    c.comment('rebuilt from fuse_request_send');
    c.attrReply(0, 1.5 + i, u, { size: 4096, mode: 0o40755 });
    c.comment('rebuilt from fuse_request_end');
  }
  const m = c.analyze().model;
  const conn = m.connections[0]!;
  assert.equal(conn.notable.overIoUring, true);
  assert.equal(conn.requests, 4);
  assert.equal(conn.replies, 4);
  const ops = m.ops.find((o) => o.opcode === OP.GETATTR)!;
  assert.equal(ops.replied, 3, 'the rebuilt replies answer the rebuilt requests');
  const lim = m.limitations.filter((l) => l.kind === 'io-uring');
  assert.equal(lim.length, 1);
  assert.match(lim[0]!.message, /rebuilt 6 ring messages/);
  assert.match(lim[0]!.message, /time is when it was queued/);
});

test('analyze: io_uring negotiated and nothing rebuilt: the ring traffic is said to be missing', () => {
  const c = new Cap(1);
  uringInit(c);
  const m = c.analyze().model;
  const lim = m.limitations.filter((l) => l.kind === 'io-uring');
  assert.equal(lim.length, 1);
  assert.match(lim[0]!.message, /bypass read\/write on \/dev\/fuse and are not in the capture/);
});
