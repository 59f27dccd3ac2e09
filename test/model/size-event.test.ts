/**
 * The state passes a size event's kind as its code and the model names it
 * from SIZE_EVENT_KINDS, by index. tsc holds a name to every code; this holds
 * the index to the code (codes numbered from 0 without gaps, names listed in
 * code order).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SIZE_EVENT_KINDS, SizeCode } from '../../src/model/size-event.js';

test('each size event code is the index of its name in SIZE_EVENT_KINDS', () => {
  assert.equal(SIZE_EVENT_KINDS[SizeCode.Report], 'report');
  assert.equal(SIZE_EVENT_KINDS[SizeCode.OpenTrunc], 'open-trunc');
  assert.equal(SIZE_EVENT_KINDS[SizeCode.ShortRead], 'short-read');
  // The last code is the last name: no gap, no name left over.
  assert.equal(SIZE_EVENT_KINDS.length, SizeCode.ShortRead + 1);
  assert.equal(new Set(SIZE_EVENT_KINDS).size, SIZE_EVENT_KINDS.length);
});
