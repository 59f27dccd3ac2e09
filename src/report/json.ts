/**
 * `fusetrace analyze --json`: the whole `AnalysisModel` as one JSON document
 * whose first key is `"schema": "fusetrace.analysis/1"` (docs/json-schema.md).
 *
 * The model already keeps 64-bit ids exact (numbers up to 2^53-1, decimal
 * strings beyond); this renderer is the last guard: a bigint that slipped in
 * becomes a number when exact and a decimal string otherwise, never a throw
 * and never a rounded number. NaN and infinities (unknown values) become null.
 */
import type { AnalysisModel } from './model.js';

export const ANALYSIS_SCHEMA = 'fusetrace.analysis/1';

/** A JSON value for a 64-bit quantity: number while exact, decimal string beyond. */
export function jsonSafe64(v: bigint | number): number | string {
  if (typeof v === 'number') return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** JSON.stringify replacer: bigint -> number or exact string; NaN/Infinity -> null; Buffer -> hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return jsonSafe64(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  // Buffer.toJSON runs before the replacer: {type: 'Buffer', data: [...]}.
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}

/** Any value to JSON text with the bigint-safe replacer. */
export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, jsonReplacer, indent);
}

/**
 * The `--json` document. `schema` is written first whatever order the model
 * object was built in; the other keys follow the model's declaration order.
 */
export function renderJson(model: AnalysisModel, opts: { indent?: number } = {}): string {
  const { schema: _schema, ...rest } = model;
  void _schema;
  const doc = { schema: ANALYSIS_SCHEMA, ...rest };
  return stringifyJson(doc, opts.indent ?? 2) + '\n';
}
