import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatBytesPair, formatOffsetPair } from '../../src/model/format.js';

test('two sizes that round the same are printed in exact bytes; others as formatBytes prints them', () => {
  assert.deepEqual(formatBytesPair(4096, 4100), ['4096 bytes', '4100 bytes']);
  assert.deepEqual(formatBytesPair(9009, 9123), [formatBytes(9009), formatBytes(9123)]);
  assert.deepEqual(formatBytesPair(2 ** 30, 2 ** 31), ['1.0 GiB', '2.0 GiB']);
  assert.deepEqual(formatBytesPair(4096, 4096), ['4.0 KiB', '4.0 KiB'], 'equal sizes stay rounded');
  assert.deepEqual(formatBytesPair(1, 2), ['1 byte', '2 bytes']);
});

test('offsets: 0 stays 0, close offsets are exact', () => {
  assert.deepEqual(formatOffsetPair(0, 4096), ['0', '4.0 KiB']);
  assert.deepEqual(formatOffsetPair(3 * 2 ** 30, 3 * 2 ** 30 + 65536), ['3221225472 bytes', '3221291008 bytes']);
});
