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

  it('keeps 64-bit values exact: bigints past 2^53 as decimal strings, NaN as null', () => {
    const text = stringifyJson({ a: 2n ** 63n + 5n, b: 42n, c: NaN, d: Number.MAX_SAFE_INTEGER });
    assert.equal(text, '{"a":"9223372036854775813","b":42,"c":null,"d":9007199254740991}');
  });
});
