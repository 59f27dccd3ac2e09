/**
 * The one place a FUSE struct is described. A layout declared here drives:
 * the binary-parser decoders (compiled once per byte order at module load),
 * the field offsets the hot path reads directly, the struct docs, the JSON
 * keys and the CSV columns. Field names are the kernel's (`fuse.h`).
 */
import { Parser } from 'binary-parser';
import { exactId } from '../model/id64.js';

export type Scalar = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64';

/** A named set of bits, e.g. FOPEN_* (see flags/). */
export interface FlagSet {
  readonly name: string;
  /** Header and kernel version the table follows. */
  readonly source: string;
  /** [bit number, kernel spelling, first minor or undefined]. */
  readonly bits: readonly (readonly [number, string, number?])[];
}

/**
 * A host's own numbering of a flag word: layouts declare `of`, a capture
 * from that host is named with `as` (open(2) flags per architecture:
 * protocol/flags/open.ts). `id` tells dialects apart in caches (0 is none).
 */
export interface FlagDialect {
  readonly id: number;
  readonly of: FlagSet;
  readonly as: FlagSet;
}

/** A named set of values, e.g. opcodes or whence. */
export interface EnumSet {
  readonly name: string;
  readonly source: string;
  readonly values: ReadonlyMap<number, string>;
}

export interface FieldDecl {
  readonly name: string;
  readonly type: Scalar | StructLayout | { readonly bytes: number };
  /** First protocol minor in which the field means something. */
  readonly since?: number;
  readonly flags?: FlagSet;
  readonly enum?: EnumSet;
  /** Unit shown in docs and reports ("bytes", "s", "ns"). */
  readonly unit?: string;
  readonly doc?: string;
  /** Padding/unused: decoded but omitted from reports and CSV. */
  readonly pad?: boolean;
}

export interface Field extends FieldDecl {
  readonly offset: number;
  readonly size: number;
  /**
   * The negotiated minor predates `since`: these bytes were padding then,
   * and read as 0 whatever a daemon left in them (fuse-protocol.md §4.1).
   * Set only in the layouts `layoutAt` derives.
   */
  readonly zero?: boolean;
}

export interface StructLayout {
  readonly kind: 'struct';
  readonly name: string;
  readonly size: number;
  readonly fields: readonly Field[];
  /** Byte offset of each field by name (hot-path reads). */
  readonly offsets: Readonly<Record<string, number>>;
  readonly doc: string | undefined;
  readonly parserLE: Parser;
  readonly parserBE: Parser;
  /** The newest `since` of its fields, nested ones too (0 when none): from this minor on, `layoutAt` gives the layout itself. */
  readonly newestSince: number;
}

const SCALAR_SIZE: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

function fieldSize(t: FieldDecl['type']): number {
  if (typeof t === 'string') return SCALAR_SIZE[t];
  if ('kind' in t) return t.size;
  return t.bytes;
}

function buildParser(name: string, fields: readonly Field[], endian: 'little' | 'big'): Parser {
  let p = new Parser().endianness(endian);
  for (const f of fields) {
    const t = f.type;
    if (typeof t === 'string') {
      switch (t) {
        case 'u8': p = p.uint8(f.name); break;
        case 'u16': p = p.uint16(f.name); break;
        case 'u32': p = p.uint32(f.name); break;
        case 'i32': p = p.int32(f.name); break;
        case 'u64': p = p.uint64(f.name); break;
        case 'i64': p = p.int64(f.name); break;
      }
    } else if ('kind' in t) {
      p = p.nest(f.name, { type: endian === 'little' ? t.parserLE : t.parserBE });
    } else {
      p = p.buffer(f.name, { length: t.bytes });
    }
  }
  void name;
  return p;
}

/** Byte offset of field `f` of `l` (hot-path reads resolve theirs once, at module load); throws for a field `l` lacks. */
export function offsetOf(l: StructLayout, f: string): number {
  const v = l.offsets[f];
  if (v === undefined) throw new Error(`layout ${l.name} has no field ${f}`);
  return v;
}

/** Declares a struct; offsets follow from the field order (the kernel pads explicitly). */
export function struct(name: string, decls: readonly FieldDecl[], opts: { doc?: string; size?: number } = {}): StructLayout {
  let offset = 0;
  const fields: Field[] = [];
  const offsets: Record<string, number> = {};
  for (const d of decls) {
    const size = fieldSize(d.type);
    fields.push({ ...d, offset, size });
    offsets[d.name] = offset;
    offset += size;
  }
  if (opts.size !== undefined && opts.size !== offset) {
    throw new Error(`layout ${name}: fields add up to ${offset} bytes, declared ${opts.size}`);
  }
  let newestSince = 0;
  for (const f of fields) {
    const t = f.type;
    newestSince = Math.max(newestSince, f.since ?? 0, typeof t === 'object' && 'kind' in t ? t.newestSince : 0);
  }
  return {
    kind: 'struct',
    name,
    newestSince,
    size: offset,
    fields,
    offsets,
    doc: opts.doc,
    parserLE: buildParser(name, fields, 'little'),
    parserBE: buildParser(name, fields, 'big'),
  };
}

const atMinor = new Map<StructLayout, Map<number, StructLayout>>();

/**
 * `l` as a connection that negotiated `minor` means it: every field (nested
 * ones too) whose `since` is newer is marked `zero`; with a `dialect`, its
 * flag words are named the host's way (FlagDialect). `l` itself when nothing
 * changes, so that most connections keep the layouts (and the writers
 * generated per layout) they always had. The derived layout keeps the
 * name, size and offsets; the decoders and writers read a `zero` field as 0.
 */
export function layoutAt(l: StructLayout, minor: number, dialect?: FlagDialect): StructLayout {
  const named = dialect !== undefined && usesFlags(l, dialect.of) ? dialect : undefined;
  if (minor >= l.newestSince && named === undefined) return l;
  let m = atMinor.get(l);
  if (m === undefined) atMinor.set(l, (m = new Map()));
  // Minors fit in a byte; a dialect's id goes above them.
  const key = Math.min(minor, l.newestSince) + 256 * (named?.id ?? 0);
  let d = m.get(key);
  if (d === undefined) m.set(key, (d = deriveAt(l, minor, named)));
  return d;
}

const flagUsers = new Map<FlagSet, Map<StructLayout, boolean>>();

/** Some field of `l` (nested ones too) is a flag word of `set`. */
function usesFlags(l: StructLayout, set: FlagSet): boolean {
  let m = flagUsers.get(set);
  if (m === undefined) flagUsers.set(set, (m = new Map()));
  let u = m.get(l);
  if (u === undefined) {
    u = l.fields.some((f) => f.flags === set || (typeof f.type === 'object' && 'kind' in f.type && usesFlags(f.type, set)));
    m.set(l, u);
  }
  return u;
}

function deriveAt(l: StructLayout, minor: number, dialect: FlagDialect | undefined): StructLayout {
  let changed = false;
  const fields = l.fields.map((f): Field => {
    const t = f.type;
    if (typeof t === 'object' && 'kind' in t) {
      const n = layoutAt(t, minor, dialect);
      if (n === t) return f;
      changed = true;
      return { ...f, type: n };
    }
    let g = f;
    if (dialect !== undefined && f.flags === dialect.of) g = { ...g, flags: dialect.as };
    if (f.since !== undefined && f.since > minor) g = { ...g, zero: true };
    if (g !== f) changed = true;
    return g;
  });
  return changed ? { ...l, fields } : l;
}

/** Sets the `zero` fields of `d`, decoded with `l` (nested ones too), to 0. */
function zeroFields(l: StructLayout, d: DecodedStruct): DecodedStruct {
  for (const f of l.fields) {
    const v = d[f.name];
    if (v === undefined) continue;
    const t = f.type;
    if (typeof t === 'object' && 'kind' in t) zeroFields(t, v as DecodedStruct);
    else if (f.zero) d[f.name] = typeof t === 'string' ? 0 : Buffer.alloc(f.size);
  }
  return d;
}

/** A decoded value: numbers stay exact (bigint or decimal string past 2^53). */
export type Value = number | bigint | string | Buffer | DecodedStruct;
export interface DecodedStruct {
  [field: string]: Value | undefined;
}

function normalise(v: unknown): Value {
  if (typeof v === 'bigint') return exactId(v);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = normalise(o[k]);
    return o as DecodedStruct;
  }
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v as Value;
}

/**
 * Decodes `layout` at buf[off]. When fewer than `layout.size` bytes are
 * available (an older peer's shorter struct, or a snapped message), decodes
 * the fields that are wholly present and leaves the rest undefined; the
 * caller says why they are missing.
 */
export function decodeStruct(layout: StructLayout, buf: Buffer, off: number, avail: number, le: boolean): DecodedStruct {
  if (avail >= layout.size) {
    const raw = (le ? layout.parserLE : layout.parserBE).parse(buf.subarray(off, off + layout.size));
    return zeroFields(layout, normalise(raw) as DecodedStruct);
  }
  const out: DecodedStruct = {};
  for (const f of layout.fields) {
    if (f.offset + f.size > avail) break;
    const t = f.type;
    if (typeof t === 'string') out[f.name] = readScalar(buf, off + f.offset, t, le);
    else if ('kind' in t) out[f.name] = decodeStruct(t, buf, off + f.offset, avail - f.offset, le);
    else out[f.name] = buf.subarray(off + f.offset, off + f.offset + t.bytes);
  }
  return zeroFields(layout, out);
}

/** Reads one scalar without allocating (except for 64-bit values past 2^53). */
export function readScalar(buf: Buffer, pos: number, t: Scalar, le: boolean): number | bigint {
  switch (t) {
    case 'u8': return buf[pos]!;
    case 'u16': return le ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
    case 'u32': return le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
    case 'i32': return le ? buf.readInt32LE(pos) : buf.readInt32BE(pos);
    case 'u64': return u64(buf, pos, le);
    case 'i64': {
      const v = le ? buf.readBigInt64LE(pos) : buf.readBigInt64BE(pos);
      return exactId(v);
    }
  }
}

/** u32 at pos in the given byte order. */
export function u32(buf: Buffer, pos: number, le: boolean): number {
  return le === true ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
}

/**
 * u64 at pos: a number while it is at most 2^53-1 (uniques, offsets, sizes,
 * most nodeids), otherwise an exact bigint (lock owners, some handles).
 */
export function u64(buf: Buffer, pos: number, le: boolean): number | bigint {
  const lo = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos + 4);
  const hi = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos);
  if (hi < 0x200000) return hi * 4294967296 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Joins the names of set bits with `|`; unknown bits follow in hex. */
export function formatFlags(set: FlagSet, value: number | bigint): string {
  let v = BigInt(value);
  if (v === 0n) return '0';
  const names: string[] = [];
  for (const [bit, name] of set.bits) {
    const m = 1n << BigInt(bit);
    if (v & m) {
      names.push(name);
      v &= ~m;
    }
  }
  if (v !== 0n) names.push(`0x${v.toString(16)}`);
  return names.join('|');
}

/**
 * The bit number of a named flag of `set`. Code that tests a flag reads it
 * here rather than retyping it, so the value is the table's, which
 * test/protocol/constants.test.ts checks against the kernel header.
 */
export function flagBit(set: FlagSet, name: string): number {
  const b = set.bits.find((e) => e[1] === name);
  if (b === undefined) throw new Error(`${set.name} has no ${name}`);
  return b[0];
}

/** The mask of a named flag of `set` (bits 0-30: a plain int for `&`). */
export function flagMask(set: FlagSet, name: string): number {
  const bit = flagBit(set, name);
  if (bit > 30) throw new Error(`${name} is bit ${bit}: test it with flagBit`);
  return 1 << bit;
}

/** The value of a named member of `set`. */
export function enumValue(set: EnumSet, name: string): number {
  for (const [v, n] of set.values) if (n === name) return v;
  throw new Error(`${set.name} has no ${name}`);
}

/** Name of a value, or its number in hex with a `?` marker when unknown. */
export function formatEnum(set: EnumSet, value: number): string {
  return set.values.get(value) ?? `?0x${value.toString(16)}`;
}
