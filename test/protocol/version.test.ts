/**
 * ConnProtocol: the INIT exchange in all its sizes (fuse-protocol.md §4.1,
 * §4.2), failed INITs, --proto, the assumed 7.45 layouts and lower bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Exchange } from '../../src/protocol/exchange.js';
import { Op } from '../../src/protocol/opcodes.js';
import { InitBit } from '../../src/protocol/flags/init.js';
import { proto, repHex, reply, reqHex, request, setLE, u16, u32, zeros } from './support.js';

const INIT_EXT = 1 << 30;

function initReply(p: ReturnType<typeof proto>, body: string, error = 0): Exchange {
  const x = new Exchange();
  x.opcode = Op.INIT;
  reply(x, repHex(2, error, body), p);
  return x;
}

test('init_in sized by length: 8 (< 7.6), 16 (7.6-7.35), 64 (7.36+); flags2 only with INIT_EXT', () => {
  setLE(true);
  let p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(5)), p);
  assert.equal(p.kernelMinor, 5);
  assert.equal(p.offeredLo, 0);
  assert.equal(p.maxReadahead, undefined);
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(35) + u32(131072) + u32(0x1234)), p);
  assert.equal(p.kernelMinor, 35);
  assert.equal(p.offeredLo, 0x1234);
  assert.equal(p.maxReadahead, 131072);
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(131072) + u32(0x1) + u32(0x5fd) + zeros(44)), p);
  assert.equal(p.offeredHi, 0, 'flags2 ignored without FUSE_INIT_EXT');
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(131072) + u32(INIT_EXT | 1) + u32(0x5fd) + zeros(44)), p);
  assert.equal(p.offeredHi, 0x5fd);
  assert.ok(p.offeredNames().includes('FUSE_REQUEST_TIMEOUT'));
  const bad = request(reqHex(Op.INIT, 2, 0, u32(7)), proto());
  assert.match(bad.x.reqProblem!.text, /INIT request body 4 bytes < 8 needed for fuse_init_in/);
});

test('init_out 8 / 24 / 64 bytes; negotiated = min(kernel, daemon); defaults', () => {
  setLE(true);
  // 8 bytes (< 7.5 daemon): flags and limits read as 0 (the kernel zero-fills).
  let p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(131072) + u32(INIT_EXT) + u32(0) + zeros(44)), p);
  let x = initReply(p, u32(7) + u32(4));
  assert.equal(x.replyProblem, undefined);
  assert.equal(p.minor, 4);
  assert.equal(p.flags, 0n);
  assert.equal(p.maxBackground, 12);
  assert.equal(p.maxWrite, 4096, 'max_write < 4096 is raised to 4096');
  assert.equal(p.maxPages, 32, 'without FUSE_MAX_PAGES: 32 pages');
  // 24 bytes (7.5-7.22): bindfs-like 7.19.
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(131072) + u32(INIT_EXT) + u32(0) + zeros(44)), p);
  x = initReply(p, u32(7) + u32(19) + u32(131072) + u32(17) + u16(0) + u16(0) + u32(131072));
  assert.equal(p.minor, 19);
  assert.equal(p.flagsLo, 17);
  assert.equal(p.maxWrite, 131072);
  assert.equal(p.has(InitBit.ASYNC_READ), true);
  assert.equal(p.has(InitBit.WRITEBACK_CACHE), false);
  // 64 bytes, daemon newer than the kernel: min() wins; flags2 needs INIT_EXT in the reply's flags.
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(40) + u32(131072) + u32(INIT_EXT) + u32(0) + zeros(44)), p);
  initReply(p, u32(7) + u32(45) + u32(131072) + u32((1 << InitBit.MAX_PAGES) | (1 << 15)) + u16(20) + u16(15) + u32(1 << 20) + u32(1) + u16(1000) + u16(0) + u32(1) + zeros(28));
  assert.equal(p.minor, 40);
  assert.equal(p.flagsHi, 0, 'flags2 ignored: no INIT_EXT in the reply');
  assert.equal(p.maxPages, 256, 'capped by fs.fuse.max_pages_limit');
  assert.equal(p.maxPagesRaw, 1000);
  assert.equal(p.maxBackground, 20);
  assert.equal(p.congestionThreshold, 15);
  assert.equal(p.has(InitBit.ASYNC_DIO), true);
  // Too long: refused by the kernel.
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(131072) + u32(0) + u32(0) + zeros(44)), p);
  x = initReply(p, u32(7) + u32(45) + zeros(64));
  assert.match(x.replyProblem!.text, /INIT reply body 72 bytes > 64/);
});

test('failed INIT: error reply or another major leaves the layouts alone', () => {
  setLE(true);
  let p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(0) + u32(0) + u32(0) + zeros(44)), p);
  initReply(p, '', -71);
  assert.equal(p.negotiated, false);
  assert.match(p.initFailed!, /error -71/);
  assert.equal(p.minor, 45);
  p = proto();
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(0) + u32(0) + u32(0) + zeros(44)), p);
  initReply(p, u32(8) + u32(0));
  assert.equal(p.negotiated, false);
  assert.match(p.initFailed!, /major 8/);
});

test('--proto and the assumed newest layout; lower bounds from traffic', () => {
  setLE(true);
  const a = proto();
  assert.equal(a.source, 'assumed');
  assert.equal(a.minor, 45);
  assert.equal(a.has(InitBit.ASYNC_DIO), undefined, 'unknown without INIT');
  request(reqHex(Op.READDIRPLUS, 4, 1, zeros(40)), a);
  assert.equal(a.lowerBound, 21);
  assert.equal(a.has(InitBit.DO_READDIRPLUS), true, 'inferred from traffic');
  request(reqHex(Op.STATX, 6, 1, zeros(24)), a);
  assert.equal(a.lowerBound, 39);
  assert.match(a.assumedNote!, /kernel speaks >= 7\.39 \(STATX seen\)/);
  const w = proto();
  request(reqHex(Op.WRITE, 8, 1, zeros(8) + zeros(8) + u32(0) + u32(1) + zeros(16)), w);
  assert.equal(w.has(InitBit.WRITEBACK_CACHE), true, 'FUSE_WRITE_CACHE seen');
  const u = proto({ minor: 31 });
  assert.equal(u.source, 'user');
  assert.equal(u.minor, 31);
  assert.match(u.assumedNote!, /layouts of protocol 7\.31 as given by --proto/);
  // INIT in the capture wins over --proto.
  request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(0) + u32(INIT_EXT) + u32(0) + zeros(44)), u);
  initReply(u, u32(7) + u32(38) + u32(0) + u32(0) + zeros(48));
  assert.equal(u.source, 'init');
  assert.equal(u.minor, 38);
  assert.equal(u.assumedNote, undefined);
});
