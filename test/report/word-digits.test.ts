/**
 * The digits of words read from message bytes are what `String` writes of
 * their value, at every length boundary and across the 2^31, 2^32 and 2^53
 * edges the writers split at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { putI32, putU32, putU53, putU64, putU64At, STORE_SLACK, storesSource } from '../../src/report/word-digits.js';
import { MAX_NUMBER_TEXT } from '../../src/report/row-bytes.js';

const buf = Buffer.alloc(64);
const text = (end: number): string => buf.toString('latin1', 3, end);

/** 0, 1, and each power of ten and of two with its neighbours, below `max`. */
function edges(max: number): number[] {
  const out = new Set<number>([0, 1, max - 1]);
  for (let v = 1; v < max; v *= 10) for (const d of [-1, 0, 1]) out.add(v + d);
  for (let v = 1; v < max; v *= 2) for (const d of [-1, 0, 1]) out.add(v + d);
  return [...out].filter((v) => v >= 0 && v < max);
}

test('putU32 writes String(v) of every unsigned 32-bit edge', () => {
  for (const v of edges(2 ** 32)) assert.equal(text(putU32(buf, 3, v)), String(v));
});

test('putI32 writes String(v) of signed 32-bit values', () => {
  for (const v of edges(2 ** 31)) {
    assert.equal(text(putI32(buf, 3, v)), String(v));
    assert.equal(text(putI32(buf, 3, -v)), String(-v));
  }
  assert.equal(text(putI32(buf, 3, -(2 ** 31))), String(-(2 ** 31)));
});

test('putU53 writes String(hi * 2^32 + lo) from the halves up to 2^53-1', () => {
  const los = edges(2 ** 32);
  for (const hi of edges(2 ** 21)) {
    for (const lo of los) assert.equal(text(putU53(buf, 3, hi, lo)), String(hi * 2 ** 32 + lo), `hi ${hi} lo ${lo}`);
  }
});

test('putU64 writes String of any unsigned 64-bit value from its halves, past 2^53 too', () => {
  const his = [...edges(2 ** 32), 0x1fffff, 0x200000, 0x200001, 0xffffffff];
  const los = [0, 1, 999_999_999, 1_000_000_000, 2 ** 31, 2 ** 32 - 1, ...Array.from({ length: 20 }, () => Math.floor(Math.random() * 2 ** 32))];
  for (let i = 0; i < 200; i++) his.push(Math.floor(Math.random() * 2 ** 32));
  for (const hi of his) {
    for (const lo of los) assert.equal(text(putU64(buf, 3, hi, lo)), String((BigInt(hi) << 32n) | BigInt(lo)), `hi ${hi} lo ${lo}`);
  }
  // The powers of ten past 2^53 and their neighbours.
  for (let v = 10n ** 15n; v < 2n ** 64n; v *= 10n) {
    for (const w of [v - 1n, v, v + 1n]) assert.equal(text(putU64(buf, 3, Number(w >> 32n), Number(w & 0xffffffffn))), String(w));
  }
});

test('putU64At writes String of the u64 at any offset in either byte order, by words of four inside the room of a number', () => {
  const out = Buffer.alloc(64);
  const v = new DataView(out.buffer, out.byteOffset, out.length);
  // One message buffer for all (the reader's chunk): the view of it is made once.
  const msg = Buffer.alloc(64);
  const values: bigint[] = [];
  for (const hi of [0, 1, 0x1fffff, 0x200000, 0xffffffff]) for (const lo of edges(2 ** 32)) values.push((BigInt(hi) << 32n) | BigInt(lo));
  for (let w = 1n; w < 2n ** 64n; w *= 10n) values.push(w - 1n, w, w + 1n);
  values.push(2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n, 140060963900592n);
  for (const w of values) {
    for (const le of [true, false]) {
      for (const at of [0, 3, 56]) {
        msg.fill(0xa5);
        if (le) msg.writeBigUInt64LE(w, at);
        else msg.writeBigUInt64BE(w, at);
        out.fill(0x7e);
        const end = putU64At(out, v, 3, msg, at, le);
        assert.equal(out.toString('latin1', 3, end), String(w), `${w} ${le ? 'LE' : 'BE'} at ${at}`);
        assert.ok(out.subarray(0, 3).every((c) => c === 0x7e), 'nothing before');
        assert.ok(out.subarray(3 + MAX_NUMBER_TEXT).every((c) => c === 0x7e), 'nothing past the room');
      }
    }
  }
});

test('storesSource writes every ASCII constant byte for byte, by DataView stores (with and without slack) and by byte stores', () => {
  const deps: unknown[] = [];
  const dep = (v: unknown): string => {
    deps.push(v);
    return `deps[${deps.length - 1}]`;
  };
  const out = Buffer.alloc(96);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }), fc.integer({ min: 0, max: 7 }), (c, at) => {
    for (const [withView, slack] of [[true, 0], [true, STORE_SLACK], [false, 0]] as const) {
      out.fill(0xee);
      const src = `let p = at; ${storesSource(c, dep, withView ? 'dv' : undefined, 'u', slack)} return p;`;
      const end = new Function('u', 'dv', 'deps', 'at', src)(out, view, deps, at) as number;
      assert.equal(end, at + c.length);
      assert.equal(out.toString('latin1', at, end), c);
      // Nothing before the constant is touched, nor anything after it but the slack the caller allowed.
      assert.ok(out.subarray(0, at).every((b) => b === 0xee) && out.subarray(end + slack).every((b) => b === 0xee));
    }
  }), { numRuns: 2000 });
});

test('storesSource turns down a constant that is not ASCII, whatever its length and way of storing', () => {
  for (const c of ['é', 'abcdefgé', 'abcdefgh\u20ac', 'x'.repeat(20) + '\u00ff']) {
    for (const view of ['dv', undefined]) assert.throws(() => storesSource(c, () => 'd', view, 'u', STORE_SLACK), /not ASCII/);
  }
});
