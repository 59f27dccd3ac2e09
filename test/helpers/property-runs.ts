/**
 * How many cases a property test runs: its own default in `npm test`, or
 * FUSETRACE_PROPERTY_RUNS for a longer hunt (HACKING.md). A value that is not
 * a whole number of at least 1 stops the test file: fast-check runs no case
 * at all for `numRuns: NaN`, so a mistyped count would pass every property
 * without trying one.
 */
export function propertyRuns(defaultRuns: number): number {
  return wholeFromEnv('FUSETRACE_PROPERTY_RUNS', defaultRuns, 1);
}

/** The seed of a property that keeps a fixed one, or FUSETRACE_PROPERTY_SEED to try another. */
export function propertySeed(defaultSeed: number): number {
  return wholeFromEnv('FUSETRACE_PROPERTY_SEED', defaultSeed, -(2 ** 31));
}

function wholeFromEnv(name: string, fallback: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}=${v}: expected a whole number of at least ${min}`);
  return n;
}
