/**
 * A whole struct straight from its bytes to the JSON object that full decode
 * (decode.ts) prints: fields in declaration order, padding omitted, flags,
 * enums and modes named beside their value, 64-bit values past 2^53 as
 * decimal strings, byte arrays as hex.
 *
 * `dump` decodes every message of a capture, so this is its hot path: one
 * reader per layout and byte order, generated once from the layout (the
 * object literal has the layout's keys in order, each field read at its
 * offset), instead of a binary-parser object that is walked and copied per
 * message. Flag and mode names are cached per value: the same few repeat on
 * every message.
 */
import { formatEnum, formatFlags, readScalar, u64, type EnumSet, type FlagSet, type Scalar, type StructLayout } from './layout.js';
import { formatMode } from './flags/attr.js';
import { formatOpenFlags, OPEN_FLAG_SETS } from './flags/open.js';
import { GeneratedCode } from '../model/generated-code.js';
import { idCell } from '../model/id64.js';

/** A JSON value as produced by the decoder. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

type Reader = (buf: Buffer, off: number) => JsonObject;

/** Most distinct values a flag set keeps the names of (the cache is per flag set). */
const MAX_CACHED = 4096;
const flagCache = new Map<FlagSet, Map<number, string>>();
const modeCache = new Map<number, string>();

/** `flags_names` of a value; a bigint is never cached (and rarely seen). */
export function flagNames(set: FlagSet, v: number | bigint): string {
  if (typeof v === 'bigint') return OPEN_FLAG_SETS.has(set) ? formatOpenFlags(Number(v), set) : formatFlags(set, v);
  let m = flagCache.get(set);
  if (!m) flagCache.set(set, (m = new Map()));
  let s = m.get(v);
  if (s === undefined) {
    s = OPEN_FLAG_SETS.has(set) ? formatOpenFlags(v, set) : formatFlags(set, v);
    if (m.size < MAX_CACHED) m.set(v, s);
  }
  return s;
}

/** `mode_name` of a value (undefined for a bigint, which a mode never is). */
export function modeName(v: number | bigint): string | undefined {
  if (typeof v !== 'number') return undefined;
  let s = modeCache.get(v);
  if (s === undefined) {
    s = formatMode(v);
    if (modeCache.size < MAX_CACHED) modeCache.set(v, s);
  }
  return s;
}

/** `<field>_name` of an enum value (undefined for a bigint). */
export function enumName(set: EnumSet, v: number | bigint): string | undefined {
  return typeof v === 'number' ? formatEnum(set, v) : undefined;
}

const readers = { le: new Map<StructLayout, Reader>(), be: new Map<StructLayout, Reader>() };

/**
 * The JSON object of `layout` at buf[off], all of whose `layout.size` bytes
 * are present (the caller handles a shorter struct).
 */
export function structJsonAt(layout: StructLayout, buf: Buffer, off: number, le: boolean): JsonObject {
  const cache = le ? readers.le : readers.be;
  let r = cache.get(layout);
  if (!r) cache.set(layout, (r = compile(layout, le)));
  return r(buf, off);
}

/**
 * Source of an expression reading the scalar `t` of buffer `b` at the
 * expression `at` (number, or bigint past 2^53), for the generated readers
 * and writers; `dep` names a function the source may call.
 */
export function scalarSource(t: Scalar, at: string, le: boolean, dep: (v: unknown) => string): string {
  const E = le ? 'LE' : 'BE';
  switch (t) {
    case 'u8': return `b[${at}]`;
    case 'u16': return `b.readUInt16${E}(${at})`;
    case 'u32': return `b.readUInt32${E}(${at})`;
    case 'i32': return `b.readInt32${E}(${at})`;
    case 'u64': return `${dep(u64)}(b, ${at}, ${le})`;
    default: return `${dep(readScalar)}(b, ${at}, ${JSON.stringify(t)}, ${le})`;
  }
}

/**
 * The reader's source: `return {"a": <read>, "a_names": <names>, ...}`. An
 * enum or mode name is only written for a value that is a number, which
 * structJson also demands; for a 64-bit value that came out as a bigint the
 * key holds undefined, which every printer skips like an absent key.
 */
function compile(layout: StructLayout, le: boolean): Reader {
  const g = new GeneratedCode();
  const dep = (v: unknown): string => g.dep(v);
  const body = (l: StructLayout, base: string): string => {
    const parts: string[] = [];
    for (const f of l.fields) {
      if (f.pad) continue;
      const at = `${base} + ${f.offset}`;
      const key = JSON.stringify(f.name);
      const t = f.type;
      if (typeof t === 'object' && 'kind' in t) {
        parts.push(`${key}: ${body(t, at)}`);
        continue;
      }
      if (typeof t === 'object') {
        parts.push(`${key}: ${f.zero ? JSON.stringify('00'.repeat(t.bytes)) : `b.toString('hex', ${at}, ${at} + ${t.bytes})`}`);
        continue;
      }
      // A field newer than the negotiated minor (layout.ts layoutAt) is 0, named as 0.
      const read = f.zero ? '0' : scalarSource(t, at, le, dep);
      const wideType = t === 'u64' || t === 'i64';
      const named = f.flags !== undefined || f.enum !== undefined || f.name === 'mode';
      if (!named) {
        parts.push(`${key}: ${wideType ? `${dep(idCell)}(${read})` : read}`);
        continue;
      }
      // Read once into a local (the reader's only statements), used by the value and its name.
      const v = `v${locals.length}`;
      locals.push(`const ${v} = ${read};`);
      parts.push(`${key}: ${wideType ? `${dep(idCell)}(${v})` : v}`);
      if (f.flags) parts.push(`${JSON.stringify(`${f.name}_names`)}: ${dep(flagNames)}(${dep(f.flags)}, ${v})`);
      else if (f.enum) parts.push(`${JSON.stringify(`${f.name}_name`)}: ${dep(enumName)}(${dep(f.enum)}, ${v})`);
      else parts.push(`"mode_name": ${dep(modeName)}(${v})`);
    }
    return `{ ${parts.join(', ')} }`;
  };
  const locals: string[] = [];
  const literal = body(layout, 'o');
  const src = `return function read_${layout.name}(b, o) { ${locals.join(' ')} return ${literal}; };`;
  return g.compile<Reader>(src);
}
