/**
 * nameText makes short ASCII names from their character codes and the rest
 * with the UTF-8 decoder: whichever way, the string must be the one
 * `Buffer#toString('utf8')` gives for the same bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nameText } from '../../src/protocol/names.js';

/** `bytes` placed at an odd offset of a larger buffer, between other bytes. */
function placed(bytes: number[]): { b: Buffer; start: number; end: number } {
  const b = Buffer.alloc(bytes.length + 10, 0x41);
  b.set(bytes, 3);
  return { b, start: 3, end: 3 + bytes.length };
}

function same(bytes: number[]): void {
  const { b, start, end } = placed(bytes);
  assert.equal(nameText(b, start, end), b.toString('utf8', start, end), `bytes ${Buffer.from(bytes).toString('hex')}`);
}

test('ASCII names of every length up to past the short limit read as their bytes', () => {
  for (let n = 0; n <= 40; n++) {
    const bytes = Array.from({ length: n }, (_, i) => 0x21 + ((i * 7) % 94));
    same(bytes);
    const { b, start, end } = placed(bytes);
    assert.equal(nameText(b, start, end).length, n);
  }
});

test('names with a byte past ASCII at any place are decoded as UTF-8', () => {
  const utf8Name = [...Buffer.from('dé.txt')];
  same(utf8Name);
  for (let n = 1; n <= 20; n++) {
    for (const high of [0x80, 0xc3, 0xff]) {
      for (let at = 0; at < n; at++) {
        const bytes = Array.from({ length: n }, (_, i) => (i === at ? high : 0x61 + (i % 26)));
        same(bytes);
      }
    }
  }
});

test('control bytes and NUL inside a counted name stay as they are', () => {
  same([0x61, 0x00, 0x62]);
  same([0x01, 0x1f, 0x7f, 0x0a]);
});
