import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { renderJson, stringifyJson } from '../../src/report/json.js';
import { model } from '../helpers/model-builder.js';

describe('json report', () => {
  it('is one document whose first key is the schema', () => {
    const m = model();
    const { schema: _s, ...rest } = m;
    const text = renderJson({ ...rest, schema: 'fusetrace.analysis/1' } as typeof m);
    assert.ok(text.startsWith('{\n  "schema": "fusetrace.analysis/1",'));
    const doc = JSON.parse(text);
    assert.equal(Object.keys(doc)[0], 'schema');
    assert.deepEqual(doc.findings.map((f: { kind: string }) => f.kind), ['parallel-write-beyond-size', 'stale-size-write']);
  });

  it('keeps 64-bit values exact: bigints as plain JSON numbers of any size, NaN as null', () => {
    const text = stringifyJson({ a: 2n ** 63n + 5n, b: 42n, c: NaN, d: Number.MAX_SAFE_INTEGER, e: [2n ** 64n - 1n] });
    assert.equal(text, '{"a":9223372036854775813,"b":42,"c":null,"d":9007199254740991,"e":[18446744073709551615]}');
  });

  it('writes what JSON.stringify writes, indented or not, for values without bigints', () => {
    const v = { s: 'a"b\\c\n', n: [1, -2.5, 1e21, null, undefined, () => 1], o: {}, a: [], nested: { x: { y: [true, false, { z: 'é' }] } }, u: undefined, m: new Map([['k', 1]]), set: new Set([3]) };
    const plain = { ...v, m: { k: 1 }, set: [3] };
    for (const indent of [undefined, 2, 4]) assert.equal(stringifyJson(v, indent), JSON.stringify(plain, null, indent));
  });

  it('escapes the characters that act on a terminal or split lines, and parses back to the same text', () => {
    const hostile = 'a\u001b]0;t\u0007\u009b2J\u202e\u2066\u2028\u2029\u0085\u007f\u061c\u200fz';
    const text = stringifyJson({ [hostile]: hostile });
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    assert.deepEqual(JSON.parse(text), { [hostile]: hostile });
  });
});
