/**
 * JSON text for every JSON output (`analyze --json`, `check --json`, the
 * JSON Lines of `export` and `dump`), written by one serializer so that two
 * rules hold everywhere:
 *
 * - A 64-bit value is an exact JSON number, whatever its size: a bigint is
 *   written as its decimal digits (JSON numbers have no size limit; readers
 *   such as DuckDB, jq 1.7 and Python keep them exact), so a column or key
 *   never switches between number and string. NaN and infinities (unknown
 *   values) become null.
 * - A string cannot act on the terminal or the line structure of whoever
 *   prints the JSON: besides the C0 controls JSON always escapes, DEL, the C1
 *   controls, bidi overrides and isolates and U+2028/U+2029 are written as
 *   `\uXXXX` escapes. The parsed value is unchanged.
 *
 * `analyze --json` writes the whole `AnalysisModel` as one document whose
 * first key is `"schema"` (`ANALYSIS_SCHEMA`) (docs/analysis-json.md).
 */
import { ANALYSIS_SCHEMA, type AnalysisModel } from '../model/analysis.js';
import { errnoCountsByName } from '../model/format.js';
import { CONTROL_CHARS } from './untrusted-text.js';

const uEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Printable ASCII but `"` and `\\`: a string of only these is its own JSON literal between quotes. */
const PLAIN_TEXT = /^[ !#-[\]-~]*$/;

/** A JSON string literal with the characters above escaped. */
export function jsonString(s: string): string {
  if (PLAIN_TEXT.test(s)) return `"${s}"`;
  const text = JSON.stringify(s); // C0 controls already escaped: only the others are left
  CONTROL_CHARS.lastIndex = 0;
  return CONTROL_CHARS.test(text) ? text.replace(CONTROL_CHARS, uEscape) : text;
}

/** A plain value for what JSON has no literal for: Map -> object, Set -> array, Buffer -> hex. */
function plainValue(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
}

/**
 * Any value to JSON text, as `JSON.stringify(value, null, indent)` would
 * write it (same layout, same skipping of undefined and functions) except
 * for bigints, unknown numbers and the escapes above.
 */
export function stringifyJson(value: unknown, indent?: number): string {
  const step = indent ? ' '.repeat(indent) : '';
  return write(value, '') ?? 'null';

  function write(v: unknown, pad: string): string | undefined {
    switch (typeof v) {
      case 'string': return jsonString(v);
      case 'number': return Number.isFinite(v) ? String(v) : 'null';
      case 'bigint': return v.toString();
      case 'boolean': return v ? 'true' : 'false';
      case 'undefined': case 'function': case 'symbol': return undefined;
    }
    if (v === null) return 'null';
    const p = plainValue(v);
    if (p !== v) return write(p, pad);
    const inner = pad + step;
    const open = step ? `\n${inner}` : '';
    const sep = step ? `,\n${inner}` : ',';
    const close = step ? `\n${pad}` : '';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${open}${v.map((x: unknown) => write(x, inner) ?? 'null').join(sep)}${close}]`;
    }
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const s = write(x, inner);
      if (s !== undefined) parts.push(`${jsonString(k)}:${step ? ' ' : ''}${s}`);
    }
    return parts.length === 0 ? '{}' : `{${open}${parts.join(sep)}${close}}`;
  }
}

/** `"key":` of the keys seen so far (decoded structs have a few hundred distinct keys). */
const keyText = new Map<string, string>();
const MAX_KEYS = 4096;

function keyLiteral(k: string): string {
  let s = keyText.get(k);
  if (s === undefined) {
    s = `${jsonString(k)}:`;
    if (keyText.size < MAX_KEYS) keyText.set(k, s);
  }
  return s;
}

/**
 * `stringifyJson(value)` (no indent) for the values full decode and the
 * JSON Lines rows are made of: plain objects, arrays, strings, numbers,
 * bigints, booleans, null, undefined. Written for `dump --json`, which
 * serialises every message of a capture: key literals are cached, a plain
 * ASCII string is quoted as is, and text is appended to one string rather
 * than joined from arrays. Any other object (Map, Buffer, class instance
 * ...) is handed to stringifyJson, so the text is the same for any value.
 */
export function stringifyPlain(value: unknown): string {
  return plain(value) ?? 'null';
}

function plain(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string': return jsonString(v);
    case 'number': return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint': return v.toString();
    case 'boolean': return v ? 'true' : 'false';
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i === 0 ? '' : ',') + (plain(v[i]) ?? 'null');
    return s + ']';
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return stringifyJson(v);
  let s = '';
  for (const k in v as Record<string, unknown>) {
    const x = plain((v as Record<string, unknown>)[k]);
    if (x !== undefined) s += (s === '' ? '{' : ',') + keyLiteral(k) + x;
  }
  return s === '' ? '{}' : s + '}';
}

/**
 * The `--json` document. `schema` is written first whatever order the model
 * object was built in; the other keys follow the model's declaration order.
 * `epochNs` is an exact integer like every other 64-bit value; an opcode's
 * `errnos` are keyed by name (`{"ENOENT": 12}`).
 */
export function renderJson(model: AnalysisModel, opts: { indent?: number } = {}): string {
  const { schema: _schema, ...rest } = model;
  void _schema;
  const ops = model.ops.map((o) => ({ ...o, errnos: errnoCountsByName(o.errnos) }));
  const doc = { schema: ANALYSIS_SCHEMA, ...rest, epochNs: BigInt(model.epochNs), ops };
  return stringifyJson(doc, opts.indent ?? 2) + '\n';
}
