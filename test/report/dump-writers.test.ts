/**
 * The generated dump writers print what the object path prints: for every
 * layout, the JSON text of report/dump-json.ts is `stringifyPlain` of the
 * reader's object, and the text items of report/dump-format.ts are what
 * `fields` makes of that object (quiet and verbose); and a text buffer
 * that flushes mid-line keeps its bytes in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { ALL_LAYOUTS } from '../../src/protocol/layouts/index.js';
import { structJsonAt } from '../../src/protocol/struct-json.js';
import { structJsonText } from '../../src/report/dump-json.js';
import { structFieldsText, structText, writeFixedNs } from '../../src/report/dump-format.js';
import { stringifyPlain } from '../../src/report/json.js';
import { TextBuffer } from '../../src/report/text-buffer.js';

/**
 * Zeros, all ones (64-bit values past 2^53, unknown flag bits), small values, random bytes, and random 64-bit
 * words below 2^48 in either byte order (pointers, as many daemons' file handles are: hex past 32 bits, under
 * 2^53); at an odd offset.
 */
function fills(size: number): Buffer[] {
  const small = Buffer.alloc(size + 3);
  for (let i = 3; i < small.length; i += 4) small[i] = i & 7;
  const pointers = Array.from({ length: 4 }, () => {
    const b = randomFillSync(Buffer.alloc(size + 3));
    for (let i = 3; i < b.length; i++) if ((i - 3) % 8 < 2 || (i - 3) % 8 > 5) b[i] = 0;
    return b;
  });
  return [Buffer.alloc(size + 3), Buffer.alloc(size + 3, 0xff), small, ...Array.from({ length: 4 }, () => randomFillSync(Buffer.alloc(size + 3))), ...pointers];
}

test('the JSON writer of every layout writes stringifyPlain of its object, both byte orders', () => {
  for (const l of ALL_LAYOUTS) {
    for (const le of [true, false]) {
      for (const buf of fills(l.size)) {
        assert.equal(structJsonText(l, buf, 3, le), stringifyPlain(structJsonAt(l, buf, 3, le)), `${l.name} ${le ? 'LE' : 'BE'} ${buf.toString('hex')}`);
      }
    }
  }
});

test('the text writer of every layout prints the items of its object, quiet and verbose, both byte orders', () => {
  for (const l of ALL_LAYOUTS) {
    for (const le of [true, false]) {
      for (const buf of fills(l.size)) {
        for (const verbose of [false, true]) {
          assert.equal(structText(l, buf, 3, le, verbose), structFieldsText(structJsonAt(l, buf, 3, le), verbose), `${l.name} ${le ? 'LE' : 'BE'} ${verbose ? '-v ' : ''}${buf.toString('hex')}`);
        }
      }
    }
  }
});

test('TextBuffer hands full buffers to its sink and keeps the bytes in order', () => {
  const got: Buffer[] = [];
  const t = new TextBuffer(16, (b) => got.push(Buffer.from(b)));
  const want: string[] = [];
  for (let i = 0; i < 50; i++) {
    t.bytes(Buffer.from(`k${i}:`));
    t.num(i * 1e9 + 7);
    t.str('é\n');
    want.push(`k${i}:${i * 1e9 + 7}é\n`);
  }
  t.flush();
  assert.equal(Buffer.concat(got).toString('utf8'), want.join(''));
  assert.ok(got.length > 10, 'the sink was given many small buffers');
});

test('times and latencies are written as toFixed writes them, ties and far values included', () => {
  const t = new TextBuffer(64);
  const values = [0, 1, 499, 500, 501, 999, 1000, 1500, 2500, 999_999_500, 999_999_499, 1e9, 86_400e9 + 123_456_789, 4e15 - 1, 4e15 + 500, 2 ** 53 + 2, -1, -1500, 0.5, 1234.75];
  for (let i = 0; i < 20000; i++) {
    const scale = 10 ** Math.floor(Math.random() * 16);
    values.push(Math.floor(Math.random() * scale), Math.floor(Math.random() * scale / 1000) * 1000 + 500);
    // Whole µs and ms and their neighbours, where a quotient taken by multiplying falls just short of the integer.
    const us = Math.floor(Math.random() * scale / 1000) * 1000;
    const ms = Math.floor(Math.random() * scale / 1e6) * 1e6;
    values.push(us, us - 1, us + 1, us + 499, us + 501, ms, ms - 1, ms + 1, ms - 500, ms + 999_499, ms + 999_501);
  }
  for (const ns of values) {
    for (const [d, width] of [[6, 10], [3, 0]] as const) {
      const from = t.pos;
      writeFixedNs(t, ns, d, width);
      assert.equal(t.takeFrom(from), (ns / (d === 6 ? 1e9 : 1e6)).toFixed(d).padStart(width), `${ns} ns, ${d} decimals`);
    }
  }
});
