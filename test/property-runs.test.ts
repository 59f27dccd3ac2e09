/**
 * FUSETRACE_PROPERTY_RUNS and FUSETRACE_PROPERTY_SEED (test/helpers/property-runs.ts): a value that is no
 * count stops the tests instead of giving fast-check `NaN`, with which it runs no case and every property passes.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { propertyRuns, propertySeed } from './helpers/property-runs.js';

const saved = { runs: process.env.FUSETRACE_PROPERTY_RUNS, seed: process.env.FUSETRACE_PROPERTY_SEED };
afterEach(() => {
  for (const [k, v] of [['FUSETRACE_PROPERTY_RUNS', saved.runs], ['FUSETRACE_PROPERTY_SEED', saved.seed]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('unset or empty: the test\'s own default', () => {
  delete process.env.FUSETRACE_PROPERTY_RUNS;
  delete process.env.FUSETRACE_PROPERTY_SEED;
  assert.equal(propertyRuns(600), 600);
  assert.equal(propertySeed(7), 7);
  process.env.FUSETRACE_PROPERTY_RUNS = '';
  assert.equal(propertyRuns(600), 600);
});

test('a whole number is taken', () => {
  process.env.FUSETRACE_PROPERTY_RUNS = '300000';
  process.env.FUSETRACE_PROPERTY_SEED = '-12';
  assert.equal(propertyRuns(600), 300000);
  assert.equal(propertySeed(7), -12);
});

test('anything else stops the test, naming the variable', () => {
  for (const v of ['abc', '0', '-5', '1.5', '3e400', '1k']) {
    process.env.FUSETRACE_PROPERTY_RUNS = v;
    assert.throws(() => propertyRuns(600), new RegExp(`FUSETRACE_PROPERTY_RUNS=${v.replace('.', '\\.')}: expected a whole number`));
  }
  process.env.FUSETRACE_PROPERTY_SEED = 'x';
  assert.throws(() => propertySeed(7), /FUSETRACE_PROPERTY_SEED=x/);
});
