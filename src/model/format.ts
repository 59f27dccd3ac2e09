/**
 * How every output writes a fact: byte sizes, durations, absolute times,
 * errno names and the tool's version. One module below every stage, so that
 * the text report, finding messages, JSON, CSV, HTML (its page script runs
 * the same functions, see report/html/client.ts), Perfetto, Parquet and dump
 * say the same thing the same way.
 *
 * Where outputs really print a size or a duration differently (a finding
 * message, a text table, the HTML page), the difference is a named style,
 * described by data, not a second formatter. `formatBytes` and
 * `formatDuration` read only their arguments and their style table, so the
 * page script embeds their source (Function.prototype.toString) with the
 * table as JSON.
 */
import { readFileSync } from 'node:fs';

// --- byte sizes ----------------------------------------------------------------

/**
 * How each output writes a byte size. `units`: how many of KiB, MiB, GiB,
 * TiB, PiB, EiB it uses; `decimals`: by the scaled value's decade (1-9,
 * 10-99, 100 and more; the last entry holds for the rest); `trim` drops
 * trailing zeros; `small`: the unit below 1 KiB.
 */
export const BYTE_STYLES = {
  /** Finding messages: `3.0 GiB`, `64.0 KiB`, `1000 bytes`, `1 byte`. */
  message: { unknown: 'unknown', units: 4, decimals: [1], trim: false, small: 'bytes' },
  /** Text report tables: `512 B`, `4.0 KiB`, `120 MiB`. */
  table: { unknown: '?', units: 6, decimals: [1, 1, 0], trim: false, small: 'B' },
  /** HTML page: `512 B`, `1.5 KiB`, `3 GiB` (at most two decimals). */
  page: { unknown: '?', units: 5, decimals: [2], trim: true, small: 'B' },
} as const;
export type ByteStyle = keyof typeof BYTE_STYLES;

/** A byte size in binary units, as `style` writes it; `unknown` of the style for null, undefined or a non-finite number. */
export function formatBytes(n: number | null | undefined, style: ByteStyle = 'message'): string {
  const st = BYTE_STYLES[style];
  if (n === null || n === undefined || !Number.isFinite(n)) return st.unknown;
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < st.units) {
    v /= 1024;
    i++;
  }
  if (i === 0) return st.small === 'bytes' ? `${n} byte${n === 1 ? '' : 's'}` : `${n} B`;
  const d: readonly number[] = st.decimals;
  const text = v.toFixed(d[Math.min(v >= 100 ? 2 : v >= 10 ? 1 : 0, d.length - 1)]);
  return `${st.trim ? String(parseFloat(text)) : text} ${['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'][i - 1]}`;
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

/** A size with its exact byte count when the table form rounds: `2.0 GiB (2147483648)`; `unknown` when unknown. */
export function formatSizeExact(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'unknown';
  const short = formatBytes(n, 'table');
  return short === `${n} B` ? short : `${short} (${n})`;
}

// --- durations -----------------------------------------------------------------

/**
 * How each output writes a duration given in ns: decimals in s, ms and µs by
 * the value's decade in that unit (as for bytes); below 1 µs whole ns
 * (`roundNs`) or the value as it is.
 */
export const DURATION_STYLES = {
  /** Finding messages: `1.250 s`, `12.5 ms`, `830 µs`, `500 ns`. */
  message: { unknown: 'unknown', s: [3], ms: [1], us: [0], roundNs: false },
  /** Text report: `3.500 s`, `1.20 ms`, `12.3 ms`, `12.3 µs`, `830 µs`, `850 ns`. */
  table: { unknown: '?', s: [3], ms: [2, 1], us: [1, 0], roundNs: true },
  /** HTML page: `1.234 s`, `123.4 s`, `1.234 ms`, `12.34 ms`, `45.6 µs`, `456 µs`, `800 ns`. */
  page: { unknown: '?', s: [3, 3, 1], ms: [3, 2, 1], us: [1, 1, 0], roundNs: true },
} as const;
export type DurationStyle = keyof typeof DURATION_STYLES;

/** A duration given in ns, as `style` writes it. */
export function formatDuration(ns: number, style: DurationStyle = 'message'): string {
  const st = DURATION_STYLES[style];
  if (!Number.isFinite(ns)) return st.unknown;
  const a = Math.abs(ns);
  const scaled = (div: number, unit: string, d: readonly number[]): string =>
    `${(ns / div).toFixed(d[Math.min(a >= div * 100 ? 2 : a >= div * 10 ? 1 : 0, d.length - 1)])} ${unit}`;
  if (a >= 1e9) return scaled(1e9, 's', st.s);
  if (a >= 1e6) return scaled(1e6, 'ms', st.ms);
  if (a >= 1e3) return scaled(1e3, '\u00b5s', st.us);
  return `${st.roundNs ? Math.round(ns) : ns} ns`;
}

/** A duration in ms with µs precision, for columns that line up: `12.345 ms`. */
export function formatMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** A latency given in µs, compact for tables: `18µs`, `1.2ms`, `3.50s`; `-` when unknown. */
export function formatLatencyUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '-';
  if (us < 1) return `${us.toFixed(2)}µs`;
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)}µs`;
  if (us < 1e6) return `${(us / 1e3).toFixed(us < 1e4 ? 2 : 1)}ms`;
  return `${(us / 1e6).toFixed(2)}s`;
}

/**
 * A latency given in µs as `check` verdicts write it: below 1000 µs the value
 * as the baseline holds it (`830 µs`, `12.3 µs`), from there in ms with two
 * decimals (`1.50 ms`, `2500.00 ms`; never seconds).
 */
export function formatVerdictUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} \u00b5s`;
}

/** A time relative to the capture start: `+2.512340s` (µs precision). */
export function formatRel(t: number, startT = 0): string {
  return `+${((t - startT) / 1e9).toFixed(6)}s`;
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

// --- errno -------------------------------------------------------------------------

/**
 * Linux errno names (asm-generic/errno-base.h and errno.h, x86-64/arm64).
 * Replies carry -errno; outputs name it with its number beside it.
 */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC',
  9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 15: 'ENOTBLK',
  16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL',
  23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE',
  30: 'EROFS', 31: 'EMLINK', 32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG',
  37: 'ENOLCK', 38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 42: 'ENOMSG', 43: 'EIDRM', 61: 'ENODATA',
  62: 'ETIME', 71: 'EPROTO', 74: 'EBADMSG', 75: 'EOVERFLOW', 84: 'EILSEQ', 95: 'EOPNOTSUPP',
  103: 'ECONNABORTED', 104: 'ECONNRESET', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 116: 'ESTALE',
  121: 'EREMOTEIO', 122: 'EDQUOT', 125: 'ECANCELED', 512: 'ERESTARTSYS', 524: 'ENOTSUPP',
};

/** Every known errno, [number, name], by number. */
export const KNOWN_ERRNOS: readonly (readonly [number, string])[] = Object.entries(ERRNO_NAMES).map(([n, name]) => [Number(n), name] as const).sort((a, b) => a[0] - b[0]);

const ERRNO_NUMBERS = new Map<string, number>(KNOWN_ERRNOS.map(([n, name]) => [name, n]));

/** An errno as the model holds it: its number (positive) and its name (`errnoName`). */
export interface Errno {
  errno: number;
  name: string;
}

/** How often one errno was answered. */
export interface ErrnoCount extends Errno {
  count: number;
}

/** `ENOENT` for 2 (or -2); `E?123` when unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return ERRNO_NAMES[n] ?? `E?${n}`;
}

/** The errno of a reply's error field (-2 or 2: ENOENT, 2). */
export function errnoOf(error: number): Errno {
  const n = Math.abs(error);
  return { errno: n, name: errnoName(n) };
}

/** The number of an errno name as strace and the kernel headers spell it (`ENOENT` -> 2); undefined when unknown. */
export function errnoNumber(name: string): number | undefined {
  return ERRNO_NUMBERS.get(name);
}

/** `ENOENT (2)`. */
export function errnoLabel(e: Errno): string {
  return `${e.name} (${e.errno})`;
}

/**
 * Errno counts keyed by name, `{"ENOENT": 12}`: how `analyze --json` and a
 * baseline file write them (in the order given).
 */
export function errnoCountsByName(counts: readonly ErrnoCount[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of counts) out[e.name] = e.count;
  return out;
}

/** A reply's error field as dump shows it: `OK`, `-ENOENT`, `+5` (not a valid reply: the kernel wants 0 or -errno). */
export function replyErrorName(error: number): string {
  return error === 0 ? 'OK' : error < 0 ? `-${errnoName(-error)}` : `+${error}`;
}

// --- version -------------------------------------------------------------------------

let versionRead: string | undefined;

/** The package version (package.json), as every output stamps it. */
export function toolVersion(): string {
  if (versionRead === undefined) {
    try {
      versionRead = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
    } catch {
      versionRead = '0.0.0';
    }
  }
  return versionRead;
}
