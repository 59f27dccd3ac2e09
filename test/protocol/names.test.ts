/**
 * nameText makes short ASCII names from their character codes and the rest
 * with the UTF-8 decoder: whichever way, a valid UTF-8 name is the string
 * `Buffer#toString('utf8')` gives for the same bytes. A byte that is not part
 * of valid UTF-8 becomes U+DC00 + byte, so different names stay different
 * strings (the kernel's names are bytes).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nameText } from '../../src/protocol/names.js';
import { renderText } from '../../src/report/text.js';
import { Cap, entryOut, OP } from '../analysis/capture-builder.js';

/** An independent reading: the shortest prefix a strict decoder accepts, else the byte as U+DC00 + byte. */
function reference(bytes: number[]): string {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let out = '';
  for (let i = 0; i < bytes.length;) {
    let n = 1;
    let s: string | undefined;
    for (; n <= 4 && i + n <= bytes.length; n++) {
      try {
        s = strict.decode(Uint8Array.from(bytes.slice(i, i + n)));
        break;
      } catch {
        // not (yet) a whole sequence
      }
    }
    if (s === undefined) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i++;
    } else {
      out += s;
      i += n;
    }
  }
  return out;
}

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

test('names with a byte past ASCII at any place: valid UTF-8 decoded, a stray byte as U+DC00 + byte', () => {
  same([...Buffer.from('dé.txt')]);
  same([...Buffer.from('日本語\u{1f600}')]);
  for (let n = 1; n <= 20; n++) {
    for (const high of [0x80, 0xc3, 0xff]) {
      for (let at = 0; at < n; at++) {
        const bytes = Array.from({ length: n }, (_, i) => (i === at ? high : 0x61 + (i % 26)));
        const { b, start, end } = placed(bytes);
        assert.equal(nameText(b, start, end), reference(bytes), `bytes ${Buffer.from(bytes).toString('hex')}`);
        assert.ok(nameText(b, start, end).includes(String.fromCharCode(0xdc00 + high)));
      }
    }
  }
});

test('any bytes: the string a strict decoder gives, byte by byte where it refuses; different names, different strings', () => {
  const name = fc.array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xa9, 0xbf)), { minLength: 1, maxLength: 24 });
  fc.assert(fc.property(name, name, (x, y) => {
    const a = placed(x);
    const sx = nameText(a.b, a.start, a.end);
    assert.equal(sx, reference(x));
    const b = placed(y);
    assert.equal(sx === nameText(b.b, b.start, b.end), Buffer.from(x).equals(Buffer.from(y)));
  }), { numRuns: 3000, seed: 5 });
});

test('two names that differ only in a byte that is not UTF-8 are two files: unlinking one leaves the other', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const name = (...bytes: number[]): Buffer => Buffer.from([...bytes, 0]);
  const a = c.req(0, 1, OP.LOOKUP, 1, name(0xfc, 0x61)); // Latin-1 "üa"
  c.rep(0, 1.1, a, 0, entryOut(10, { ino: 10, size: 5 }));
  const b = c.req(0, 2, OP.LOOKUP, 1, name(0xfd, 0x61)); // Latin-1 "ýa"
  c.rep(0, 2.1, b, 0, entryOut(11, { ino: 11, size: 7 }));
  const u = c.req(0, 3, 10 /* UNLINK */, 1, name(0xfc, 0x61));
  c.rep(0, 3.1, u, 0);
  const m = c.analyze().model;
  const paths = Object.fromEntries(m.files.map((f) => [Number(f.nodeid), f.path]));
  assert.equal(paths[10], '/\udcfca (deleted)');
  assert.equal(paths[11], '/\udcfda');
  const text = renderText(m);
  assert.match(text, /\/\\xfca \(deleted\)/);
  assert.match(text, /\/\\xfda /);
});

test('control bytes and NUL inside a counted name stay as they are', () => {
  same([0x61, 0x00, 0x62]);
  same([0x01, 0x1f, 0x7f, 0x0a]);
});
