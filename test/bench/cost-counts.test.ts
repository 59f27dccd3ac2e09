/**
 * bench:cost's parsers: cachegrind's summary totals, and callgrind's
 * per-instruction costs attributed to V8's perf-map names (self costs only:
 * a call's inclusive cost line is not counted again).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributeCallgrind, costByKind, parseL2, lessCounts, parseCachegrindSummary, parsePerfMap, steadyCost } from '../../bench/cost-counts.js';

test('cachegrind summary: instructions, L1d and L2 data misses', () => {
  const stderr = [
    '==1== I   refs:      9,165,851,945',
    '==1== I1  misses:        1,234',
    '==1== D   refs:      4,000,000,000  (3,000 rd   + 1,000 wr)',
    '==1== D1  misses:      110,123,456  (100 rd   + 10 wr)',
    '==1== LLd misses:       27,800,001  (27 rd   + 1 wr)',
  ].join('\n');
  assert.deepEqual(parseCachegrindSummary(stderr), { instructions: 9165851945, d1Misses: 110123456, llMisses: 27800001 });
  assert.deepEqual(parseCachegrindSummary('==1== I   refs:      12'), { instructions: 12, d1Misses: undefined, llMisses: undefined });
  assert.equal(parseCachegrindSummary('valgrind: command not found'), undefined);
});

test('perf map: ranges sorted by start, bad lines skipped', () => {
  const r = parsePerfMap('2000 10 JS:*b file:///b.js:1:1\nnot a line\n1000 100 JS:^a file:///a.js:2:3\n');
  assert.deepEqual(r.map((x) => [x.start, x.end, x.name]), [[0x1000, 0x1100, 'JS:^a file:///a.js:2:3'], [0x2000, 0x2010, 'JS:*b file:///b.js:1:1']]);
});

test('callgrind: JIT code named from the perf map, native by its symbol, call lines not counted twice', () => {
  const map = '1000 100 JS:*request file:///state.js:1:1\n2000 100 JS:^reply file:///state.js:9:1\n';
  const profile = [
    'events: Ir',
    'fn=???',
    '0x1000 0 5',
    '0x10ff 0 7',
    'cfn=Builtins_LoadIC',
    'calls=3 0x9000 0',
    '0x1010 0 900',
    '0x2004 0 4',
    '0x5000 0 2',
    'fn=Builtins_LoadIC',
    '0x9000 0 11',
    'fn=v8::internal::compiler::GraphReducer::ReduceTop()',
    '0x8000 0 20',
  ].join('\n');
  const { total, units } = attributeCallgrind(profile, map);
  assert.equal(total, 5 + 7 + 4 + 2 + 11 + 20);
  assert.deepEqual(units.map((u) => [u.name, u.instructions]), [
    ['[native] v8::internal::compiler::GraphReducer::ReduceTop()', 20],
    ['JS:*request file:///state.js:1:1', 12],
    ['[native] Builtins_LoadIC', 11],
    ['JS:^reply file:///state.js:9:1', 4],
    ['(unnamed JIT code)', 2],
  ]);
  assert.deepEqual(costByKind(units), { turbofan: 12, baseline: 4, interpreted: 0, builtins: 11, compiler: 20, other: 2 });
});

test('callgrind with the caches simulated: L1 and L2 data misses per unit, read by the events line, trailing zeros left out', () => {
  const map = '1000 100 JS:*request file:///state.js:1:1\n';
  const profile = [
    'events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw',
    'fn=???',
    '0x1000 0 5 2 1 0 1 1 0 1 1',
    '0x1004 0 3 1 0 0 2',
    'cfn=Builtins_LoadIC',
    'calls=1 0x9000 0',
    '0x1008 0 400 50 50 0 40 40 0 30 30',
    '0x1010 0 0 1 0 0 1 0 0 1',
    'fn=Builtins_LoadIC',
    '0x9000 0 7 3 0 0 0 0 0 0 4',
  ].join('\n');
  const { total, units } = attributeCallgrind(profile, map);
  assert.equal(total, 5 + 3 + 7);
  assert.deepEqual(units, [
    { name: 'JS:*request file:///state.js:1:1', instructions: 8, d1Misses: 1 + 1 + 2 + 1, llMisses: 1 + 1 + 1 },
    { name: '[native] Builtins_LoadIC', instructions: 7, d1Misses: 0, llMisses: 4 },
  ]);
  // Without the cache events no miss counts, rather than zeros.
  assert.deepEqual(attributeCallgrind('events: Ir\nfn=???\n0x1000 0 5\n', map).units, [{ name: 'JS:*request file:///state.js:1:1', instructions: 5 }]);
});

test('steady cost: the larger capture\'s counts less the smaller\'s, by unit name, biggest first', () => {
  const large = [
    { name: 'JS:*request', instructions: 900, d1Misses: 90, llMisses: 30 },
    { name: '[native] compiler', instructions: 500, d1Misses: 10, llMisses: 5 },
    { name: 'JS:*reply', instructions: 300, d1Misses: 20, llMisses: 2 },
  ];
  const small = [
    { name: '[native] compiler', instructions: 520, d1Misses: 11, llMisses: 5 },
    { name: 'JS:*request', instructions: 500, d1Misses: 50, llMisses: 20 },
    { name: 'JS:^startup', instructions: 40, d1Misses: 4, llMisses: 1 },
  ];
  assert.deepEqual(steadyCost(large, small), [
    { name: 'JS:*request', instructions: 400, d1Misses: 40, llMisses: 10 },
    { name: 'JS:*reply', instructions: 300, d1Misses: 20, llMisses: 2 },
    { name: '[native] compiler', instructions: -20, d1Misses: -1, llMisses: 0 },
    { name: 'JS:^startup', instructions: -40, d1Misses: -4, llMisses: -1 },
  ]);
});

test('counts less counts (--base totals): each count, a miss count only where both runs have one', () => {
  assert.deepEqual(lessCounts({ instructions: 900, d1Misses: 70, llMisses: 20 }, { instructions: 400, d1Misses: 30, llMisses: 8 }),
    { instructions: 500, d1Misses: 40, llMisses: 12 });
  assert.deepEqual(lessCounts({ instructions: 900, d1Misses: 70, llMisses: 20 }, { instructions: 400 }), { instructions: 500 });
  assert.deepEqual(lessCounts({ name: 'JS:*f', instructions: 9 }, { instructions: 4, d1Misses: 1, llMisses: 1 }), { name: 'JS:*f', instructions: 5 });
});

test('--l2 KIB[,WAYS]: the L2 valgrind simulates, refused where valgrind would refuse it', () => {
  assert.deepEqual(parseL2('512'), { bytes: 524288, ways: 8 });
  assert.deepEqual(parseL2('2048,16'), { bytes: 2097152, ways: 16 });
  assert.deepEqual(parseL2('8192,16'), { bytes: 8388608, ways: 16 });
  // Not a power of two of sets, not a whole number of them, not a size at all.
  for (const bad of ['3000', '512,3', '0', '2048,0', '-512', '2 MiB', '2048,', '']) assert.equal(parseL2(bad), undefined, bad);
});
