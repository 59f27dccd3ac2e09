/**
 * Helpers of the human renderers (text report, check verdict): colour, and
 * tables whose columns are described once (header, alignment, cell) and
 * sized from the data. Sizes, durations and names of facts are written by
 * model/format.ts, as every output writes them.
 */

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
const displayWidth = (s: string): number => s.replace(ANSI, '').length;

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

// --- labels ----------------------------------------------------------------------

/** Compact log2 bucket bound: 512, 1K, 64K, 2M. */
export function formatBound(n: number): string {
  if (n >= 1 << 30 && n % (1 << 30) === 0) return `${n / (1 << 30)}G`;
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export const percent = (x: number): string => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 2 : 1)}%`;
