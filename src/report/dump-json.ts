/**
 * The `decoded` object of `dump --json` as JSON text, written as bytes
 * straight from the message bytes into the output buffer: the same text
 * `stringifyPlain(partsObject(P))` gives, without the object or a string.
 * Each struct has one writer per byte order, generated once from its layout
 * (like the readers of protocol/struct-json.ts): its keys and punctuation
 * are byte constants of the source, each field is read at its offset and
 * written as digits, and the names of flags, enums and modes are cached as
 * ready bytes per value. A dump writes millions of these.
 */
import { Part, type MessageParts } from '../protocol/decode.js';
import type { EnumSet, FlagSet, StructLayout } from '../protocol/layout.js';
import { enumName, flagNames, modeName, scalarSource } from '../protocol/struct-json.js';
import { jsonString, stringifyPlain } from './json.js';
import { MAX_NUMBER_TEXT, putNumber } from './row-bytes.js';
import { TextBuffer } from './text-buffer.js';
import { GeneratedCode } from '../model/generated-code.js';

type Writer = (t: TextBuffer, b: Buffer, o: number) => void;

const writers = { le: new Map<StructLayout, Writer>(), be: new Map<StructLayout, Writer>() };

/** Writes the JSON text of `layout` at buf[off], all of whose bytes are present. */
function writeStructJson(t: TextBuffer, layout: StructLayout, buf: Buffer, off: number, le: boolean): void {
  const cache = le ? writers.le : writers.be;
  let w = cache.get(layout);
  if (!w) cache.set(layout, (w = compile(layout, le)));
  w(t, buf, off);
}

const scratch = new TextBuffer(1 << 12);

/** The JSON text of `layout` at buf[off] as a string. */
export function structJsonText(layout: StructLayout, buf: Buffer, off: number, le: boolean): string {
  const from = scratch.pos;
  writeStructJson(scratch, layout, buf, off, le);
  return scratch.takeFrom(from);
}

/** Most distinct values whose name pieces are kept. */
const MAX_CACHED = 4096;
const literals = new Map<string, Buffer>();

/** A string as JSON literal bytes, cached (ops, keys and header names repeat on every message). */
function lit(s: string): Buffer {
  let q = literals.get(s);
  if (q === undefined) {
    q = Buffer.from(s, 'utf8');
    if (literals.size < MAX_CACHED) literals.set(s, q);
  }
  return q;
}

type Pieces = Map<number | bigint, Buffer>;

/** Writes `key` + the JSON literal of a name, caching the bytes per value. */
function piece(t: TextBuffer, cache: Pieces, key: string, v: number | bigint, name: (v: number | bigint) => string | undefined): void {
  let b = cache.get(v);
  if (b === undefined) {
    const n = name(v);
    if (n === undefined) return;
    b = Buffer.from(`${key}${jsonString(n)}`, 'utf8');
    if (cache.size < MAX_CACHED && typeof v === 'number') cache.set(v, b);
  }
  t.bytes(b);
}

function flagsPiece(t: TextBuffer, cache: Pieces, key: string, set: FlagSet, v: number | bigint): void {
  piece(t, cache, key, v, (x) => flagNames(set, x));
}

function enumPiece(t: TextBuffer, cache: Pieces, key: string, set: EnumSet, v: number | bigint): void {
  piece(t, cache, key, v, (x) => enumName(set, x));
}

function modePiece(t: TextBuffer, cache: Pieces, key: string, v: number | bigint): void {
  piece(t, cache, key, v, modeName);
}

/** A 64-bit value as the readers give it: a number while exact, else its decimal digits in quotes. */
function wideAt(u: Buffer, p: number, v: number | bigint): number {
  if (typeof v === 'number') return putNumber(u, p, v);
  return p + u.write(`"${v}"`, p, 'latin1');
}

/** Bytes most of one scalar's JSON takes (a 64-bit value past 2^53 is quoted digits). */
const SCALAR_MAX = MAX_NUMBER_TEXT;

/**
 * The writer's source: the bytes of the reader's object literal
 * (protocol/struct-json.ts) in order, padding left out. Room for all of the
 * fixed part is made first (and again after a name, whose length varies).
 */
function compile(layout: StructLayout, le: boolean): Writer {
  const g = new GeneratedCode();
  const dep = (v: unknown): string => g.dep(v);
  const stmts: string[] = [];
  let fixed = 0;
  let locals = 0;
  const constant = (c: string): void => {
    fixed += c.length;
    if (c.length <= 24) {
      stmts.push(`${[...c].map((ch, i) => `u[p + ${i}] = ${ch.charCodeAt(0)};`).join(' ')} p += ${c.length};`);
    } else {
      stmts.push(`u.set(${dep(Buffer.from(c, 'latin1'))}, p); p += ${c.length};`);
    }
  };
  const emit = (l: StructLayout, base: string): void => {
    let sep = '';
    for (const f of l.fields) {
      if (f.pad) continue;
      const at = `${base} + ${f.offset}`;
      const key = `${sep}${JSON.stringify(f.name)}:`;
      sep = ',';
      const t = f.type;
      if (typeof t === 'object' && 'kind' in t) {
        constant(`${key}{`);
        emit(t, at);
        constant('}');
        continue;
      }
      if (typeof t === 'object') {
        constant(`${key}"`);
        fixed += 2 * t.bytes;
        stmts.push(`p += u.write(b.toString('hex', ${at}, ${at} + ${t.bytes}), p, 'latin1');`);
        constant('"');
        continue;
      }
      const read = scalarSource(t, at, le, dep);
      const wide = t === 'u64' || t === 'i64';
      constant(key);
      fixed += SCALAR_MAX;
      const v = `v${locals++}`;
      stmts.push(`const ${v} = ${read};`);
      stmts.push(`p = ${wide ? dep(wideAt) : dep(putNumber)}(u, p, ${v});`);
      if (f.flags === undefined && f.enum === undefined && f.name !== 'mode') continue;
      const cache = dep(new Map());
      let call: string;
      if (f.flags) call = `${dep(flagsPiece)}(t, ${cache}, ${JSON.stringify(`,"${f.name}_names":`)}, ${dep(f.flags)}, ${v})`;
      else if (f.enum) call = `${dep(enumPiece)}(t, ${cache}, ${JSON.stringify(`,"${f.name}_name":`)}, ${dep(f.enum)}, ${v})`;
      else call = `${dep(modePiece)}(t, ${cache}, ${JSON.stringify(`,"${f.name}_name":`)}, ${v})`;
      stmts.push(`t.pos = p; ${call}; t.room(FIXED); u = t.buf; p = t.pos;`);
    }
  };
  constant('{');
  emit(layout, 'o');
  constant('}');
  const src = `return function json_${layout.name}(t, b, o) { t.room(FIXED); let u = t.buf; let p = t.pos; ${stmts.join(' ')} t.pos = p; };`;
  return g.compile<Writer>(src.replaceAll('FIXED', String(fixed)));
}

/** Bytes of `"key":` and of the header's added `,"key":"value"}`, cached. */
const keyPieces = new Map<string, Buffer>();
const headerPieces = new Map<string, Map<string, Buffer>>();

function keyPiece(k: string): Buffer {
  let b = keyPieces.get(k);
  if (b === undefined) {
    b = Buffer.from(`${jsonString(k)}:`, 'utf8');
    if (keyPieces.size < MAX_CACHED) keyPieces.set(k, b);
  }
  return b;
}

function headerPiece(k: string, v: string): Buffer {
  let byValue = headerPieces.get(k);
  if (byValue === undefined) headerPieces.set(k, (byValue = new Map()));
  let b = byValue.get(v);
  if (b === undefined) {
    b = Buffer.from(`,${jsonString(k)}:${jsonString(v)}}`, 'utf8');
    if (byValue.size < MAX_CACHED) byValue.set(v, b);
  }
  return b;
}

const TYPE: Record<MessageParts['type'], Buffer> = {
  request: lit('{"type":"request"'), reply: lit('{"type":"reply"'), notify: lit('{"type":"notify"'),
};
const OPCODE = lit(',"opcode":');
const OP = lit(',"op":');
const HEADER = lit(',"header":');
const BODY = lit(',"body":');
const DATA_LENGTH = lit('{"length":');
const DATA_CAPTURED = lit(',"captured":');

/**
 * Writes a walked message (protocol/decode.ts) as the JSON text of its
 * DecodedMessage: `{"type":…,"opcode":…,"op":…,"header":{…},"body":{…}}`
 * and `truncated`/`problem` in the order they were noted, then `problem_id`.
 */
export function writePartsJson(t: TextBuffer, P: MessageParts): void {
  t.bytes(TYPE[P.type]);
  if (P.opcode !== undefined) {
    t.bytes(OPCODE);
    t.num(P.opcode);
  }
  t.bytes(OP);
  t.bytes(keyLiteral(P.op));
  t.bytes(HEADER);
  if (P.header === undefined) t.str('{}');
  else {
    writeStructJson(t, P.header, P.data, P.headerAt, P.le);
    if (P.headerKey !== undefined) {
      t.pos--; // the header's closing brace: the added key goes before it
      t.bytes(headerPiece(P.headerKey, P.headerValue));
    }
  }
  t.bytes(BODY);
  if (P.count === 0) t.str('{}');
  for (let i = 0; i < P.count; i++) {
    t.byte(i === 0 ? 123 : 44);
    t.bytes(keyPiece(P.keys[i]!));
    switch (P.kinds[i]) {
      case Part.STRUCT: writeStructJson(t, P.layouts[i]!, P.data, P.nums[i]!, P.le); break;
      case Part.DATA:
        t.bytes(DATA_LENGTH);
        t.num(P.nums[i]!);
        t.bytes(DATA_CAPTURED);
        t.num(P.caps[i]!);
        t.byte(125);
        break;
      default: t.str(stringifyPlain(P.values[i]));
    }
  }
  if (P.count > 0) t.byte(125);
  const truncated = P.truncated !== undefined ? `,"truncated":${jsonString(P.truncated)}` : '';
  const problem = P.problem !== undefined ? `,"problem":${jsonString(P.problem)}` : '';
  if (truncated !== '' || problem !== '') t.str(P.problemFirst ? problem + truncated : truncated + problem);
  if (P.problemId !== undefined) t.str(`,"problem_id":${jsonString(P.problemId)}`);
  t.byte(125);
}

/** A JSON string literal's bytes, cached. */
function keyLiteral(s: string): Buffer {
  let b = opLiterals.get(s);
  if (b === undefined) {
    b = Buffer.from(jsonString(s), 'utf8');
    if (opLiterals.size < MAX_CACHED) opLiterals.set(s, b);
  }
  return b;
}
const opLiterals = new Map<string, Buffer>();

/** `writePartsJson` as a string. */
export function partsJson(P: MessageParts): string {
  const from = scratch.pos;
  writePartsJson(scratch, P);
  return scratch.takeFrom(from);
}
