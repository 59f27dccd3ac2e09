/**
 * Names, comments and interface names in a capture are untrusted input: a
 * daemon, or whoever wrote the capture, chooses them. Printed raw, an escape
 * sequence sets the window title or clears the screen, a C1 CSI (U+009B)
 * does the same on some terminals, a bidi override (U+202E) reverses what
 * follows, and a line feed starts a line that can pass for a finding. Every
 * text output (analyze, check, dump) shows such characters as visible
 * escapes instead (docs/export.md "Untrusted names"); the JSON outputs escape
 * the same characters the JSON way (json.ts), and CSV quotes them (csv.ts).
 */

/**
 * Characters that act on a terminal or on the line structure of a text:
 * the C0 controls, DEL, the C1 controls, the bidi marks, embeddings,
 * overrides and isolates, and the Unicode line and paragraph separators;
 * and the lone surrogates U+DC80-U+DCFF, which stand for a name's bytes that
 * are not UTF-8 (protocol/names.ts), shown as those bytes (`\xfc`).
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|(?<![\ud800-\udbff])[\udc80-\udcff]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** How the text outputs show a name's byte that is not UTF-8 (protocol/names.ts): `\xfc`. */
export function nameByteText(byte: number): string {
  return `\\x${byte.toString(16)}`;
}

/** `\n`, `\r`, `\t`, `\e`, `\x07` for C0, DEL and C1, `\u202e` beyond. */
function visible(c: string): string {
  const short = SHORT[c];
  if (short) return short;
  const code = c.charCodeAt(0);
  if (code >= 0xdc80 && code <= 0xdcff) return nameByteText(code - 0xdc00);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A string with every character of `CONTROL_CHARS` shown as a visible escape. */
export function escapeControls(s: string): string {
  CONTROL_CHARS.lastIndex = 0;
  return CONTROL_CHARS.test(s) ? s.replace(CONTROL_CHARS, visible) : s;
}

/**
 * A copy of a plain value (model, report) whose strings, keys included, are
 * escaped with `escapeControls`, for renderers that print many of its
 * strings: escaping once at the entrance leaves none out.
 */
export function escapeControlsDeep<T>(v: T): T {
  return deep(v) as T;
}

function deep(v: unknown): unknown {
  if (typeof v === 'string') return escapeControls(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(deep);
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[escapeControls(k)] = deep(x);
  return out;
}
