/**
 * The state passes a size event's kind as its code (a const enum, written as
 * numbers) and the model names it from SIZE_EVENT_KINDS: the two lists are
 * declared apart, so their order is held here.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SIZE_EVENT_KINDS, SizeCode } from '../../src/model/size-event.js';

test('each size event code names its kind in SIZE_EVENT_KINDS', () => {
  const named: [SizeCode, string][] = [
    [SizeCode.Report, 'report'], [SizeCode.Write, 'write'], [SizeCode.Truncate, 'truncate'],
    [SizeCode.OpenTrunc, 'open-trunc'], [SizeCode.Fallocate, 'fallocate'], [SizeCode.Copy, 'copy'],
    [SizeCode.Inval, 'inval'], [SizeCode.Store, 'store'], [SizeCode.ShortRead, 'short-read'],
  ];
  assert.equal(named.length, SIZE_EVENT_KINDS.length, 'a kind without a code, or a code without a kind');
  for (const [code, kind] of named) assert.equal(SIZE_EVENT_KINDS[code], kind);
});
