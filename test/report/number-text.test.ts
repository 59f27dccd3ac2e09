import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberText } from '../../src/report/csv.js';

test('numberText writes what String writes', () => {
  const values = [0, -0, 1, -1, 0.1 + 0.2, 1e-7, 0.000001, 0.0000015, 5e-324, 123.456, 999999999.999999, 1e9, 1e21, 2 ** 53, -43.847567, NaN, Infinity];
  // Times and latencies as the tables make them (ns / 1e6, ns / 1e3), and arbitrary doubles.
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 200000; i++) {
    const ns = Math.floor(rand() * 10 ** Math.floor(rand() * 16));
    values.push(ns / 1e6, ns / 1e3, Math.round(ns) / 1e6 + 1e-9 * rand(), rand() * 1e9, rand());
  }
  for (const v of values) assert.equal(numberText(v), String(v), `value ${v}`);
});
