/**
 * Small formatting helpers shared by the human renderers (text report, check
 * verdict): sizes, durations, times, colour, and tables whose columns are
 * described once (header, alignment, cell) and sized from the data.
 */
import { errnoName } from '../protocol/errno.js';

// --- colour ----------------------------------------------------------------

export interface Palette {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
  magenta(s: string): string;
}

const sgr = (open: string, close: string) => (s: string): string => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string): string => s;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { enabled, bold: plain, dim: plain, red: plain, yellow: plain, cyan: plain, green: plain, magenta: plain };
  return {
    enabled,
    bold: sgr('1', '22'),
    dim: sgr('2', '22'),
    red: sgr('31', '39'),
    yellow: sgr('33', '39'),
    cyan: sgr('36', '39'),
    green: sgr('32', '39'),
    magenta: sgr('35', '39'),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
/** Width of a string on a terminal, escape sequences excluded. */
export const displayWidth = (s: string): number => s.replace(ANSI, '').length;

// --- tables ------------------------------------------------------------------

export interface Column<R> {
  header: string;
  align: 'left' | 'right';
  cell(r: R): string;
  /** Colour applied after padding (so widths stay right). */
  paint?(text: string, r: R): string;
}

/** Renders rows under a header; each column as wide as its widest cell. */
export function renderTable<R>(cols: readonly Column<R>[], rows: readonly R[], p: Palette, indent = '  '): string[] {
  const cells = rows.map((r) => cols.map((c) => c.cell(r)));
  const widths = cols.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]!))));
  const pad = (s: string, w: number, align: 'left' | 'right'): string => {
    const fill = ' '.repeat(Math.max(0, w - displayWidth(s)));
    return align === 'right' ? fill + s : s + fill;
  };
  const line = (parts: string[]): string => (indent + parts.join('  ')).replace(/\s+$/, '');
  const out = [line(cols.map((c, i) => p.bold(pad(c.header, widths[i]!, c.align))))];
  rows.forEach((r, ri) => {
    out.push(line(cols.map((c, i) => {
      const text = pad(cells[ri]![i]!, widths[i]!, c.align);
      return c.paint ? c.paint(text, r) : text;
    })));
  });
  return out;
}

// --- numbers -------------------------------------------------------------------

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** `512 B`, `4.0 KiB`, `2.0 GiB`: binary units, one decimal. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  if (Math.abs(n) < 1024) return `${n} B`;
  let v = n;
  let i = -1;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[i]}`;
}

/** A size with its exact byte count when the short form rounds: `2.0 GiB (2147483648)`. */
export function formatSizeExact(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'unknown';
  const short = formatBytes(n);
  return short === `${n} B` ? short : `${short} (${n})`;
}

/** A duration given in ns: `850 ns`, `12.3 µs`, `1.20 ms`, `3.500 s`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '?';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(a < 1e4 ? 1 : 0)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(a < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}

/** A latency given in µs, compact for tables: `18µs`, `1.2ms`, `3.50s`. */
export function formatUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '-';
  if (us < 1) return `${us.toFixed(2)}µs`;
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)}µs`;
  if (us < 1e6) return `${(us / 1e3).toFixed(us < 1e4 ? 2 : 1)}ms`;
  return `${(us / 1e6).toFixed(2)}s`;
}

/** A time relative to the capture start: `+2.512340s` (µs precision). */
export function formatRel(t: number, startT = 0): string {
  return `+${((t - startT) / 1e9).toFixed(6)}s`;
}

/** Compact log2 bucket bound: 512, 1K, 64K, 2M. */
export function formatBound(n: number): string {
  if (n >= 1 << 30 && n % (1 << 30) === 0) return `${n / (1 << 30)}G`;
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export const percent = (x: number): string => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 2 : 1)}%`;

// --- errno names with their numbers --------------------------------------------

let errnoNumbers: Map<string, number> | undefined;

/** The number of an errno name (`ENOENT` -> 2), from the protocol table. */
export function errnoNumber(name: string): number | undefined {
  if (!errnoNumbers) {
    errnoNumbers = new Map();
    for (let n = 1; n < 4096; n++) {
      const nm = errnoName(n);
      if (!nm.startsWith('E?') && !errnoNumbers.has(nm)) errnoNumbers.set(nm, n);
    }
  }
  const m = /^E\?(\d+)$/.exec(name);
  if (m) return Number(m[1]);
  return errnoNumbers.get(name);
}

/** `ENOENT (2)`. */
export function errnoLabel(name: string): string {
  const n = errnoNumber(name);
  return n === undefined ? name : `${name} (${n})`;
}
