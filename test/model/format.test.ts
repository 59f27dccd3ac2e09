import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  errnoCountsByName, errnoLabel, errnoName, errnoNumber, errnoOf, formatBytes, formatBytesPair, formatDuration, formatLatencyUs, formatMs,
  formatOffsetPair, formatSizeExact, formatVerdictUs, KNOWN_ERRNOS, replyErrorName, toolVersion,
} from '../../src/model/format.js';
import { exactId, formatId, idCell } from '../../src/model/id64.js';
import { CLIENT_JS, PAGE_FORMATTERS } from '../../src/report/html/client.js';
import { repoRoot } from '../helpers/mount.js';

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

test('byte sizes: each output style as it prints them', () => {
  const cases: [number, string, string, string][] = [
    // n, message, table, page
    [0, '0 bytes', '0 B', '0 B'],
    [1, '1 byte', '1 B', '1 B'],
    [1023, '1023 bytes', '1023 B', '1023 B'],
    [1024, '1.0 KiB', '1.0 KiB', '1 KiB'],
    [1536, '1.5 KiB', '1.5 KiB', '1.5 KiB'],
    [150 * 2 ** 20, '150.0 MiB', '150 MiB', '150 MiB'],
    [2 ** 31 + 12345, '2.0 GiB', '2.0 GiB', '2 GiB'],
    [2 ** 50, '1024.0 TiB', '1.0 PiB', '1 PiB'],
    [2 ** 60, '1048576.0 TiB', '1.0 EiB', '1024 PiB'],
    [-1536, '-1.5 KiB', '-1.5 KiB', '-1.5 KiB'],
  ];
  for (const [n, message, table, page] of cases) {
    assert.equal(formatBytes(n), message, `message ${n}`);
    assert.equal(formatBytes(n, 'table'), table, `table ${n}`);
    assert.equal(formatBytes(n, 'page'), page, `page ${n}`);
  }
  assert.equal(formatBytes(NaN), 'unknown');
  assert.equal(formatBytes(null, 'table'), '?');
  assert.equal(formatBytes(undefined, 'page'), '?');
  assert.equal(formatSizeExact(2 ** 31), '2.0 GiB (2147483648)');
  assert.equal(formatSizeExact(512), '512 B');
});

test('durations: each output style as it prints them', () => {
  const cases: [number, string, string, string][] = [
    // ns, message, table, page
    [850, '850 ns', '850 ns', '850 ns'],
    [1234, '1 µs', '1.2 µs', '1.2 µs'],
    [12_345, '12 µs', '12 µs', '12.3 µs'],
    [123_456, '123 µs', '123 µs', '123 µs'],
    [1_234_567, '1.2 ms', '1.23 ms', '1.235 ms'],
    [12_345_678, '12.3 ms', '12.3 ms', '12.35 ms'],
    [123_456_789, '123.5 ms', '123.5 ms', '123.5 ms'],
    [3_500_000_000, '3.500 s', '3.500 s', '3.500 s'],
    [123_400_000_000, '123.400 s', '123.400 s', '123.4 s'],
  ];
  for (const [ns, message, table, page] of cases) {
    assert.equal(formatDuration(ns), message, `message ${ns}`);
    assert.equal(formatDuration(ns, 'table'), table, `table ${ns}`);
    assert.equal(formatDuration(ns, 'page'), page, `page ${ns}`);
  }
  assert.equal(formatDuration(12.5), '12.5 ns', 'messages keep a fraction of a ns as it is');
  assert.equal(formatDuration(12.5, 'table'), '13 ns');
  assert.equal(formatDuration(NaN), 'unknown');
  assert.equal(formatDuration(Infinity, 'page'), '?');
  assert.equal(formatMs(12_345_678), '12.346 ms');
  assert.equal(formatLatencyUs(0.5), '0.50µs');
  assert.equal(formatLatencyUs(18.2), '18µs');
  assert.equal(formatLatencyUs(1234), '1.23ms');
  assert.equal(formatLatencyUs(undefined), '-');
  // check verdicts: the baseline's value below 1 ms, ms with two decimals from there, never seconds.
  assert.deepEqual([830, 12.3, 0.5, 1000, 1500, 2_500_000].map(formatVerdictUs), ['830 µs', '12.3 µs', '0.5 µs', '1.00 ms', '1.50 ms', '2500.00 ms']);
});

test('the HTML page runs the same byte and duration formatters', () => {
  const [pageBytes, pageDuration] = new Function(`${PAGE_FORMATTERS}\nreturn [formatBytes, formatDuration];`)() as [typeof formatBytes, typeof formatDuration];
  fc.assert(fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(0, 1023, 1024, 99.99 * 1024, 100 * 1024, 2 ** 53)), (n) => {
    for (const s of ['message', 'table', 'page'] as const) {
      assert.equal(pageBytes(n, s), formatBytes(n, s));
      assert.equal(pageDuration(n, s), formatDuration(n, s));
    }
  }));
  assert.match(CLIENT_JS, /function fmtBytes\(n\) \{ return formatBytes\(n, 'page'\); \}/);
  assert.ok(CLIENT_JS.includes(PAGE_FORMATTERS), 'the page script embeds the formatters');
});

test('errno names, numbers and labels come from one table', () => {
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoName(-2), 'ENOENT');
  assert.equal(errnoName(4000), 'E?4000');
  assert.deepEqual(errnoOf(-5), { errno: 5, name: 'EIO' });
  assert.deepEqual(errnoOf(4000), { errno: 4000, name: 'E?4000' });
  assert.equal(errnoNumber('ENOENT'), 2);
  assert.equal(errnoNumber('ERESTARTSYS'), 512);
  assert.equal(errnoNumber('E?4000'), undefined, 'not a name strace or the headers write');
  assert.equal(errnoNumber('ENOPE'), undefined);
  assert.equal(errnoLabel(errnoOf(-5)), 'EIO (5)');
  assert.equal(errnoLabel(errnoOf(4000)), 'E?4000 (4000)');
  const counts = [{ ...errnoOf(2), count: 3 }, { ...errnoOf(4000), count: 1 }];
  assert.deepEqual(Object.entries(errnoCountsByName(counts)), [['ENOENT', 3], ['E?4000', 1]], 'by name, in the order given');
  assert.equal(replyErrorName(0), 'OK');
  assert.equal(replyErrorName(-2), '-ENOENT');
  assert.equal(replyErrorName(5), '+5', 'a positive error is not an errno');
  for (const [n, name] of KNOWN_ERRNOS) assert.equal(errnoNumber(errnoName(n)), n, name);
  assert.deepEqual(KNOWN_ERRNOS.map(([n]) => n), KNOWN_ERRNOS.map(([n]) => n).sort((a, b) => a - b));
});

test('the version is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(toolVersion(), pkg.version);
});

test('64-bit ids: numbers while exact, bigint (model, JSON) or decimal string (cells) beyond', () => {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  assert.equal(exactId(max), Number.MAX_SAFE_INTEGER);
  assert.equal(exactId(-max), -Number.MAX_SAFE_INTEGER);
  assert.equal(exactId(max + 1n), max + 1n);
  assert.equal(exactId(7), 7);
  assert.equal(idCell(max), Number.MAX_SAFE_INTEGER);
  assert.equal(idCell(2n ** 64n - 1n), '18446744073709551615');
  assert.equal(formatId(2n ** 63n), '9223372036854775808');
  assert.equal(formatId(null), '-');
});
