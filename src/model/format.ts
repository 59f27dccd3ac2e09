/**
 * How every output writes a fact: byte sizes, durations, absolute times.
 * One module below every stage, so that the text report, finding messages,
 * JSON, CSV, HTML, Perfetto, Parquet and dump say the same thing the same way.
 */

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

// --- absolute times ---------------------------------------------------------------

/** ISO-8601 UTC with nanoseconds for an absolute ns count (decimal string). */
export function formatAbsolute(epochNs: string, t: number): string {
  let abs: bigint;
  try {
    abs = BigInt(epochNs) + BigInt(Math.round(t));
  } catch {
    return '?';
  }
  return formatAbsoluteNs(abs);
}

/** Milliseconds a JavaScript Date can hold either side of 1970 (year ±275760). */
const MAX_DATE_MS = 8_640_000_000_000_000n;

/**
 * ISO-8601 UTC with nanoseconds for absolute ns since the Unix epoch, before
 * 1970 too; beyond what a calendar date can show (year ±275760, reachable
 * with pcapng's if_tsoffset or huge seconds), `@<ns>`, the form --since accepts.
 */
export function formatAbsoluteNs(abs: bigint): string {
  let sec = abs / 1_000_000_000n;
  let frac = abs % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    sec -= 1n;
  }
  const ms = sec * 1000n;
  if (ms > MAX_DATE_MS || ms < -MAX_DATE_MS) return `@${abs}`;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-24T23:20:01.000Z, or +275760-09-13T00:00:00.000Z
  return `${iso.slice(0, -5)}.${frac.toString().padStart(9, '0')}Z`;
}
