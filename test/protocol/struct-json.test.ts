import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { structJson } from '../../src/protocol/decode.js';
import { decodeStruct } from '../../src/protocol/layout.js';
import { ALL_LAYOUTS } from '../../src/protocol/layouts/index.js';
import { structJsonAt } from '../../src/protocol/struct-json.js';

/** What the printers see: keys holding undefined are skipped like absent ones. */
const printed = (o: unknown): unknown => JSON.parse(JSON.stringify(o));

test('structJsonAt gives the object of decodeStruct + structJson for every layout, both byte orders', () => {
  for (const l of ALL_LAYOUTS) {
    for (const le of [true, false]) {
      // Zeros, all ones (64-bit values past 2^53, unknown flag bits) and random bytes, at an odd offset.
      const fills = [Buffer.alloc(l.size + 3), Buffer.alloc(l.size + 3, 0xff), randomFillSync(Buffer.alloc(l.size + 3))];
      for (const buf of fills) {
        const want = structJson(l, decodeStruct(l, buf, 3, l.size, le));
        const got = structJsonAt(l, buf, 3, le);
        assert.deepEqual(printed(got), printed(want), `${l.name} ${le ? 'LE' : 'BE'} ${buf.toString('hex')}`);
        assert.deepEqual(Object.keys(printed(got) as object), Object.keys(printed(want) as object), `${l.name}: key order`);
      }
    }
  }
});
