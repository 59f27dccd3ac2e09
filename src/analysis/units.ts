/** Human units for finding messages: bytes as GiB/MiB/KiB, durations as s/ms/µs. */

const UNITS: [number, string][] = [
  [2 ** 40, 'TiB'],
  [2 ** 30, 'GiB'],
  [2 ** 20, 'MiB'],
  [2 ** 10, 'KiB'],
];

/** `3.0 GiB`, `64 KiB`, `1000 bytes`; `unknown` for NaN. */
export function formatBytes(n: number): string {
  if (Number.isNaN(n)) return 'unknown';
  const a = Math.abs(n);
  for (const [size, name] of UNITS) {
    if (a >= size) {
      const v = n / size;
      return `${v.toFixed(1)} ${name}`;
    }
  }
  return exactBytes(n);
}

/**
 * Two sizes a message compares: rounded as `formatBytes`, but in exact bytes
 * when rounding would print two different sizes the same ("4.0 KiB, smaller
 * than the 4.0 KiB" says nothing).
 */
export function formatBytesPair(a: number, b: number): [string, string] {
  const fa = formatBytes(a);
  const fb = formatBytes(b);
  if (fa !== fb || a === b) return [fa, fb];
  return [exactBytes(a), exactBytes(b)];
}

/** `formatBytesPair` for two offsets (`0` stays `0`). */
export function formatOffsetPair(a: number, b: number): [string, string] {
  const [fa, fb] = formatBytesPair(a, b);
  return [a === 0 ? '0' : fa, b === 0 ? '0' : fb];
}

function exactBytes(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/** A byte offset: `3.0 GiB`, exact below 1 KiB. */
export function formatOffset(n: number): string {
  return n === 0 ? '0' : formatBytes(n);
}

/** `1.250 s`, `12.5 ms`, `830 µs` from ns. */
export function formatDuration(ns: number): string {
  if (Number.isNaN(ns)) return 'unknown';
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(0)} µs`;
  return `${ns} ns`;
}
