/**
 * Hostile input: random and mutated messages never make extract or decode
 * throw, and every result stays JSON-able (fast-check properties). The
 * message sits inside a larger buffer, as in a reader's chunk, so reads past
 * the message would show up as wrong results rather than as exceptions:
 * the properties also check that the bytes after the message do not matter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property-runs.js';
import { Direction, type CaptureMessage } from '../../src/capture/message.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { decodeNotify, decodeReply, decodeRequest } from '../../src/protocol/decode.js';
import { extractNotify, extractReply, extractRequest, fillRequestHeader } from '../../src/protocol/extract.js';
import { OPCODES } from '../../src/protocol/opcodes.js';
import { ConnProtocol } from '../../src/protocol/version.js';

const opcodes = [...OPCODES.map((r) => r.code), 0, 7, 99, 0xffffffff];

/** Runs of the request property (the notification one makes two thirds as many); raise with FUSETRACE_PROPERTY_RUNS for a longer hunt. */
const RUNS = propertyRuns(3000);

function message(bytes: Uint8Array, le: boolean, dir: Direction, capLen: number, fill: number): CaptureMessage {
  // The captured part of the message at offset 8 of a chunk, followed by `fill` bytes.
  const cap = Math.min(capLen, bytes.length);
  const data = Buffer.alloc(8 + bytes.length + 64, fill);
  data.set(bytes.subarray(0, cap), 8);
  return {
    conn: 0, t: 0, tRest: 0, dir, dirGuessed: false, data, off: 8, capLen: cap, origLen: bytes.length, le,
    pid: 1, tid: 1, failedErrno: 0, comment: undefined, fileOffset: 0, blockNo: 0, input: 0,
  };
}

/** A request-shaped message: header fields partly sane (opcode from the table, len near the real length). */
const requestArb = fc.record({
  op: fc.constantFrom(...opcodes),
  body: fc.uint8Array({ maxLength: 400 }),
  lenDelta: fc.integer({ min: -50, max: 50 }),
  sameLen: fc.boolean(),
  extlen: fc.integer({ min: 0, max: 70 }),
  le: fc.boolean(),
  snap: fc.integer({ min: 0, max: 500 }),
  minor: fc.option(fc.integer({ min: 0, max: 45 })),
  // The recording host: its open(2) flags are named and kept its way (flags/open.ts).
  machine: fc.constantFrom(undefined, 'x86_64', 'aarch64', 'ppc64le', 'mips64'),
});

function buildRequest(r: { op: number; body: Uint8Array; lenDelta: number; sameLen: boolean; extlen: number; le: boolean }): Uint8Array {
  const b = Buffer.alloc(40 + r.body.length);
  const len = r.sameLen ? b.length : Math.max(0, b.length + r.lenDelta);
  if (r.le) { b.writeUInt32LE(len, 0); b.writeUInt32LE(r.op >>> 0, 4); b.writeBigUInt64LE(42n, 8); b.writeBigUInt64LE(1n, 16); b.writeUInt16LE(r.extlen, 36); }
  else { b.writeUInt32BE(len, 0); b.writeUInt32BE(r.op >>> 0, 4); b.writeBigUInt64BE(42n, 8); b.writeBigUInt64BE(1n, 16); b.writeUInt16BE(r.extlen, 36); }
  b.set(r.body, 40);
  return b;
}

function snapshot(x: Exchange): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

test('random requests and their replies: no exception, JSON-able, independent of the bytes after the message', () => {
  fc.assert(fc.property(requestArb, fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -600, max: 1 }), (r, rbody, error) => {
    const bytes = buildRequest(r);
    const results: string[] = [];
    for (const fill of [0x00, 0xff]) {
      const p = new ConnProtocol(r.minor === null ? undefined : { minor: r.minor });
      p.setMachine(r.machine);
      const m = message(bytes, r.le, Direction.Inbound, r.snap + 40, fill);
      const x = new Exchange();
      fillRequestHeader(x, m);
      extractRequest(x, m, p);
      const d = decodeRequest(m, p, x);
      JSON.stringify(d);
      const rb = Buffer.alloc(16 + rbody.length);
      if (r.le) { rb.writeUInt32LE(rb.length, 0); rb.writeInt32LE(error, 4); rb.writeBigUInt64LE(42n, 8); }
      else { rb.writeUInt32BE(rb.length, 0); rb.writeInt32BE(error, 4); rb.writeBigUInt64BE(42n, 8); }
      rb.set(rbody, 16);
      const rm = message(rb, r.le, Direction.Outbound, rb.length, fill);
      extractReply(x, rm, p);
      const rd = decodeReply(rm, x, p);
      JSON.stringify(rd);
      results.push(snapshot(x) + JSON.stringify(d) + JSON.stringify(rd));
    }
    assert.equal(results[0], results[1]);
  }), { numRuns: RUNS });
});

test('random notifications: no exception, JSON-able, independent of the bytes after the message', () => {
  fc.assert(fc.property(fc.integer({ min: -3, max: 12 }), fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.integer({ min: 0, max: 250 }), (code, body, le, snap) => {
    const b = Buffer.alloc(16 + body.length);
    if (le) { b.writeUInt32LE(b.length, 0); b.writeInt32LE(code, 4); } else { b.writeUInt32BE(b.length, 0); b.writeInt32BE(code, 4); }
    b.set(body, 16);
    const out: string[] = [];
    for (const fill of [0x00, 0xff]) {
      const p = new ConnProtocol();
      const m = message(b, le, Direction.Outbound, snap + 16, fill);
      const ev = extractNotify(m, p);
      const d = decodeNotify(m, p);
      out.push(JSON.stringify(ev, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) + JSON.stringify(d));
    }
    assert.equal(out[0], out[1]);
  }), { numRuns: Math.ceil((RUNS * 2) / 3) });
});
