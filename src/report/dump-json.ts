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
import { Direction, type CaptureMessage, type Timebase } from '../capture/message.js';
import { Part, REPLY_HEADER_KEY, type MessageParts } from '../protocol/decode.js';
import type { MessageKind } from '../pairing/pairer.js';
import type { Exchange } from '../protocol/exchange.js';
import { opcodeName } from '../protocol/opcodes.js';
import { replyErrorName } from '../model/format.js';
import { u64, type EnumSet, type FlagSet, type Scalar, type StructLayout } from '../protocol/layout.js';
import { enumName, flagNames, modeName, scalarSource } from '../protocol/struct-json.js';
import { jsonString, stringifyPlain } from './json.js';
import { MAX_NUMBER_TEXT, putAscii, putJsonPlain, putNineQuads, putNumber, putUint31Quads } from './row-bytes.js';
import { putAbsNs } from './csv.js';
import { TextBuffer } from './text-buffer.js';
import { putI32, putU32, putU64, STORE_SLACK, storesSource, viewSource, wordSource } from './word-digits.js';
import { GeneratedCode } from '../model/generated-code.js';

type Writer = (t: TextBuffer, b: Buffer, o: number) => void;

/** Writes the JSON text of `layout` at buf[off], all of whose bytes are present. */
function writeStructJson(t: TextBuffer, layout: StructLayout, buf: Buffer, off: number, le: boolean): void {
  partWriter(layout, le).write(t, buf, off);
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

/** Writes `key` + the JSON literal of name `n` of value `v` (nothing when it has none), and keeps the bytes for the value. */
function newPiece(t: TextBuffer, cache: Pieces, key: string, v: number | bigint, n: string | undefined): void {
  if (n === undefined) return;
  const b = Buffer.from(`${key}${jsonString(n)}`, 'utf8');
  if (cache.size < MAX_CACHED && typeof v === 'number') cache.set(v, b);
  t.bytes(b);
}

// A kept piece is written without making the name (nor a closure to make it).
function flagsPiece(t: TextBuffer, cache: Pieces, key: string, set: FlagSet, v: number | bigint): void {
  const b = cache.get(v);
  if (b !== undefined) t.bytes(b);
  else newPiece(t, cache, key, v, flagNames(set, v));
}

function enumPiece(t: TextBuffer, cache: Pieces, key: string, set: EnumSet, v: number | bigint): void {
  const b = cache.get(v);
  if (b !== undefined) t.bytes(b);
  else newPiece(t, cache, key, v, enumName(set, v));
}

function modePiece(t: TextBuffer, cache: Pieces, key: string, v: number | bigint): void {
  const b = cache.get(v);
  if (b !== undefined) t.bytes(b);
  else newPiece(t, cache, key, v, modeName(v));
}

/** A 64-bit value as the readers give it: a number while exact, else its decimal digits in quotes. */
function wideAt(u: Buffer, p: number, v: number | bigint): number {
  if (typeof v === 'number') return putNumber(u, p, v);
  return p + u.write(`"${v}"`, p, 'latin1');
}

/**
 * Statements writing the digits of the safe integer `x` >= 2^31 (an
 * expression) four at a time: its two parts below and above 1e9 are int32s,
 * so no call is given a double (which would make a heap number per call).
 */
function safeStatements(x: string, dep: (v: unknown) => string): string {
  return `const w = ${x}; const wh = Math.floor(w / 1e9); p = ${dep(putNineQuads)}(dv, ${dep(putUint31Quads)}(dv, p, wh), w - wh * 1e9);`;
}

/** Bytes most of one scalar's JSON takes (a 64-bit value past 2^53 is quoted digits). */
const SCALAR_MAX = MAX_NUMBER_TEXT;

/**
 * Statements that read the scalar at `at` into the local `v` (its value as
 * the readers give it, for a name piece) and write its JSON at `p`. Words
 * are read byte by byte; a u64 is written from its halves while it is at
 * most 2^53-1 (its local is then the number; only past that a bigint).
 */
function scalarStatements(t: Scalar, at: string, le: boolean, v: string, named: boolean, dep: (x: unknown) => string): string[] {
  // Most fields hold 0 or another single digit (ids, padding-like counts, empty flags): one store, no call.
  // Four digits a store (row-bytes.ts QUADS) through `dv`, the DataView of `u`, below 2^31.
  const unsigned = (x: string): string => `if (${x} < 10) u[p++] = 48 + ${x}; else if (${x} < 2147483648) p = ${dep(putUint31Quads)}(dv, p, ${x}); else p = ${dep(putU32)}(u, p, ${x});`;
  switch (t) {
    case 'u8': return [`const ${v} = ${wordSource(1, at, le)};`, unsigned(v)];
    case 'u16': return [`const ${v} = ${wordSource(2, at, le)};`, unsigned(v)];
    case 'u32': return [`const ${v} = ${wordSource(4, at, le)};`, unsigned(v)];
    case 'i32': return [`const ${v} = ${wordSource(4, at, le)} | 0;`, `if (${v} >= 0) p = ${dep(putUint31Quads)}(dv, p, ${v}); else p = ${dep(putI32)}(u, p, ${v});`];
    case 'u64': {
      const lo = wordSource(4, le ? at : `${at} + 4`, le);
      const hi = wordSource(4, le ? `${at} + 4` : at, le);
      const wide = `${dep(u64)}(b, ${at}, ${le})`;
      const read = `const ${v}l = ${lo}; const ${v}h = ${hi};`;
      if (!named) return [read, `if (${v}h === 0) { ${unsigned(`${v}l`)} } else if (${v}h < 0x200000) { ${safeStatements(`${v}h * 4294967296 + ${v}l`, dep)} } else { u[p++] = 34; p = ${dep(putU64)}(u, p, ${v}h, ${v}l); u[p++] = 34; }`];
      return [read, `const ${v} = ${v}h < 0x200000 ? ${v}h * 4294967296 + ${v}l : ${wide};`, `p = ${dep(wideAt)}(u, p, ${v});`];
    }
    default: return [`const ${v} = ${scalarSource(t, at, le, dep)};`, `p = ${dep(wideAt)}(u, p, ${v});`];
  }
}

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
    stmts.push(storesSource(c, dep, 'dv', 'u', STORE_SLACK));
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
        if (f.zero) {
          constant(`${key}"${'00'.repeat(t.bytes)}"`);
          continue;
        }
        constant(`${key}"`);
        fixed += 2 * t.bytes;
        stmts.push(`p += u.write(b.toString('hex', ${at}, ${at} + ${t.bytes}), p, 'latin1');`);
        constant('"');
        continue;
      }
      const v = `v${locals++}`;
      const named = f.flags !== undefined || f.enum !== undefined || f.name === 'mode';
      if (f.zero) {
        // Newer than the negotiated minor (layout.ts layoutAt): 0, decided here, not per message.
        constant(`${key}0`);
        if (named) stmts.push(`const ${v} = 0;`);
      } else {
        constant(key);
        fixed += SCALAR_MAX;
        stmts.push(...scalarStatements(t, at, le, v, named, dep));
      }
      if (!named) continue;
      const cache = dep(new Map());
      let call: string;
      if (f.flags) call = `${dep(flagsPiece)}(t, ${cache}, ${JSON.stringify(`,"${f.name}_names":`)}, ${dep(f.flags)}, ${v})`;
      else if (f.enum) call = `${dep(enumPiece)}(t, ${cache}, ${JSON.stringify(`,"${f.name}_name":`)}, ${dep(f.enum)}, ${v})`;
      else call = `${dep(modePiece)}(t, ${cache}, ${JSON.stringify(`,"${f.name}_name":`)}, ${v})`;
      stmts.push(`t.pos = p; ${call}; t.room(FIXED); u = t.buf; dv = t.view; p = t.pos;`);
    }
  };
  constant('{');
  emit(layout, 'o');
  constant('}');
  const src = `return function json_${layout.name}(t, b, o) { ${viewSource(dep)} t.room(FIXED); let u = t.buf; let dv = t.view; let p = t.pos; ${stmts.join(' ')} t.pos = p; };`;
  return g.compile<Writer>(src.replaceAll('FIXED', String(fixed + STORE_SLACK)));
}

/** Bytes of `"key":` and of the header's added `,"key":"value"}`, cached. */
const keyPieces = new Map<string, Buffer>();
const headerPieces = new Map<string, HeaderPieces>();

/**
 * The pieces of one added header key by the number its value names: OK and
 * the errnos (0 to -511) in an array, any other number (a damaged reply's,
 * a notification's code) in a bounded map.
 */
interface HeaderPieces {
  readonly errnos: (Buffer | undefined)[];
  readonly other: Map<number, Buffer>;
}

export function keyPiece(k: string): Buffer {
  let b = keyPieces.get(k);
  if (b === undefined) {
    b = Buffer.from(`${jsonString(k)}:`, 'utf8');
    if (keyPieces.size < MAX_CACHED) keyPieces.set(k, b);
  }
  return b;
}

/** The pieces of the header's added key `k`. */
function headerPiecesOf(k: string): HeaderPieces {
  let h = headerPieces.get(k);
  if (h === undefined) headerPieces.set(k, (h = { errnos: new Array<Buffer | undefined>(512), other: new Map() }));
  return h;
}

/** The header's added key and its value, cached by the number the value names (a reply's error, a notification's code). */
function headerPiece(h: HeaderPieces, k: string, code: number, v: string): Buffer {
  const errno = code <= 0 && code > -512;
  let b = errno ? h.errnos[-code] : h.other.get(code);
  if (b === undefined) {
    b = Buffer.from(`,${jsonString(k)}:${jsonString(v)}}`, 'utf8');
    if (errno) h.errnos[-code] = b;
    else if (h.other.size < MAX_CACHED) h.other.set(code, b);
  }
  return b;
}

const replyPieces = headerPiecesOf(REPLY_HEADER_KEY);

/** `,"error_name":"…"}`, the end of a reply's header with error `code` (as writePartsJson writes it). */
export function errorNamePiece(code: number): Buffer {
  const b = code <= 0 && code > -512 ? replyPieces.errnos[-code] : undefined;
  return b ?? headerPiece(replyPieces, REPLY_HEADER_KEY, code, replyErrorName(code));
}

/** A struct's writer and its key `"name":` as a body part. */
interface PartWriter {
  readonly write: Writer;
  readonly key: Buffer;
}
const partWriters = { le: new Map<StructLayout, PartWriter>(), be: new Map<StructLayout, PartWriter>() };

/** The writer of `layout`'s JSON text in byte order `le`. */
export function structWriter(layout: StructLayout, le: boolean): Writer {
  return partWriter(layout, le).write;
}

function partWriter(layout: StructLayout, le: boolean): PartWriter {
  const cache = le ? partWriters.le : partWriters.be;
  let w = cache.get(layout);
  if (w === undefined) cache.set(layout, (w = { write: compile(layout, le), key: keyPiece(layout.name) }));
  return w;
}

/**
 * What the writer needs of each type and opcode of message, found by array
 * index instead of a map lookup per struct: the bytes of
 * `{"type":…,"opcode":…,"op":…,"header":` with the op name they were made
 * for (a reply without its request has none), and the writers of the
 * header and of the body structs last seen at each position.
 */
interface OpPlan {
  readonly op: string;
  readonly bytes: Buffer;
  header: StructLayout | undefined;
  headerWrite: Writer | undefined;
  /** The header's added key (`error_name`, `code_name`) last seen, and its pieces. */
  headerKey: string | undefined;
  headerPieces: HeaderPieces | undefined;
  readonly layouts: (StructLayout | undefined)[];
  readonly writers: PartWriter[];
}

/** Plans by type (request, reply, notify) and byte order, each by opcode. */
const plans = Array.from({ length: 6 }, () => new Array<OpPlan | undefined>(256));

function typeIndex(type: MessageParts['type']): number {
  return type === 'request' ? 0 : type === 'reply' ? 1 : 2;
}

function planOf(P: MessageParts): OpPlan {
  const code = P.opcode;
  const byCode = code !== undefined && code >= 0 && code < 256 ? plans[typeIndex(P.type) * 2 + (P.le ? 1 : 0)]! : undefined;
  const kept = byCode?.[code!];
  if (kept !== undefined && kept.op === P.op) return kept;
  const bytes = Buffer.from(`{"type":${jsonString(P.type)}${code !== undefined ? `,"opcode":${code}` : ''},"op":${jsonString(P.op)},"header":`, 'utf8');
  const plan: OpPlan = { op: P.op, bytes, header: undefined, headerWrite: undefined, headerKey: undefined, headerPieces: undefined, layouts: [], writers: [] };
  if (byCode !== undefined) byCode[code!] = plan;
  return plan;
}

/** The writer of body struct `i` (`l`), kept in the plan for the next message of its opcode. */
function bodyWriter(plan: OpPlan, i: number, l: StructLayout, le: boolean): PartWriter {
  if (plan.layouts[i] === l) return plan.writers[i]!;
  const w = partWriter(l, le);
  plan.layouts[i] = l;
  plan.writers[i] = w;
  return w;
}

const DATA_LENGTH = lit('{"length":');
const DATA_CAPTURED = lit(',"captured":');
const EMPTY_BODY = lit('{},"body":');
const EMPTY_OBJECT = lit('{}');
const BODY = lit(',"body":');

/** A string value as JSON: a plain one copied as it is, any other through `jsonString`. */
function writeString(t: TextBuffer, s: string): void {
  t.room(s.length + 2);
  const p = putJsonPlain(t.buf, t.pos, s);
  if (p >= 0) t.pos = p;
  else t.str(jsonString(s));
}

/** TEXT part `i` as JSON: its bytes copied while they are printable ASCII but `"` and `\\`, else `jsonString` of its string. */
function writeText(t: TextBuffer, P: MessageParts, i: number): void {
  const data = P.data;
  const start = P.nums[i]!;
  const end = P.caps[i]!;
  t.room(end - start + 2);
  const u = t.buf;
  let p = t.pos;
  u[p++] = 0x22;
  for (let j = start; j < end; j++) {
    const c = data[j]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      t.str(jsonString(P.textOf(i)));
      return;
    }
    u[p++] = c;
  }
  u[p++] = 0x22;
  t.pos = p;
}

/**
 * Writes a walked message (protocol/decode.ts) as the JSON text of its
 * DecodedMessage: `{"type":…,"opcode":…,"op":…,"header":{…},"body":{…}}`
 * and `truncated`/`problem` in the order they were noted, then `problem_id`.
 */
function writePartsJson(t: TextBuffer, P: MessageParts): void {
  const plan = planOf(P);
  t.bytes(plan.bytes);
  const le = P.le;
  const header = P.header;
  if (header === undefined) t.bytes(EMPTY_BODY);
  else {
    if (plan.header !== header) {
      plan.header = header;
      plan.headerWrite = partWriter(header, le).write;
    }
    plan.headerWrite!(t, P.data, P.headerAt);
    const k = P.headerKey;
    if (k !== undefined) {
      if (plan.headerKey !== k) {
        plan.headerKey = k;
        plan.headerPieces = headerPiecesOf(k);
      }
      t.pos--; // the header's closing brace: the added key goes before it
      t.bytes(headerPiece(plan.headerPieces!, k, P.headerCode, P.headerValue));
    }
    t.bytes(BODY);
  }
  if (P.count === 0) t.bytes(EMPTY_OBJECT);
  for (let i = 0; i < P.count; i++) {
    t.byte(i === 0 ? 123 : 44);
    switch (P.kinds[i]) {
      case Part.STRUCT: {
        const w = bodyWriter(plan, i, P.layouts[i]!, le);
        t.bytes(w.key);
        w.write(t, P.data, P.nums[i]!);
        break;
      }
      case Part.DATA:
        t.bytes(keyPiece(P.keys[i]!));
        t.bytes(DATA_LENGTH);
        t.num(P.nums[i]!);
        t.bytes(DATA_CAPTURED);
        t.num(P.caps[i]!);
        t.byte(125);
        break;
      case Part.TEXT:
        t.bytes(keyPiece(P.keys[i]!));
        writeText(t, P, i);
        break;
      default: {
        t.bytes(keyPiece(P.keys[i]!));
        const v = P.values[i];
        if (typeof v === 'string') writeString(t, v);
        else t.str(stringifyPlain(v));
      }
    }
  }
  if (P.count > 0) t.byte(125);
  const truncated = P.truncated !== undefined ? `,"truncated":${jsonString(P.truncated)}` : '';
  const problem = P.problem !== undefined ? `,"problem":${jsonString(P.problem)}` : '';
  if (truncated !== '' || problem !== '') t.str(P.problemFirst ? problem + truncated : truncated + problem);
  if (P.problemId !== undefined) t.str(`,"problem_id":${jsonString(P.problemId)}`);
  t.byte(125);
}

/** `writePartsJson` as a string. */
export function partsJson(P: MessageParts): string {
  const from = scratch.pos;
  writePartsJson(scratch, P);
  return scratch.takeFrom(from);
}

/** How a message's JSON line starts, before its index. */
export const MESSAGE_LINE_START = '{"type":"message","data":{"index":';

/** Writes a message's JSON line up to its `decoded` (a generated writer, below); `index` < 0 starts it at `conn`. */
type HeadWriter = (t: TextBuffer, index: number, m: CaptureMessage, kind: string, timebase: Timebase) => void;

/** The kinds of nearly every message: their pieces are constant stores in the head. */
const COMMON_KINDS: readonly MessageKind[] = ['request', 'reply', 'no-reply-request'];

/** The kinds of message (a few) as JSON literals followed by the next key, found by comparing the kind's string. */
const kindNames: string[] = [];
const kindPieces: Buffer[] = [];

function kindPiece(kind: string): Buffer {
  for (let i = 0; i < kindNames.length; i++) if (kindNames[i] === kind) return kindPieces[i]!;
  const b = Buffer.from(`${jsonString(kind)},"file_offset":`, 'utf8');
  if (kindNames.length < 64) {
    kindNames.push(kind);
    kindPieces.push(b);
  }
  return b;
}

/**
 * The second of the last absolute time written: its digits, the epoch they
 * were for and the relative ns at which that second starts. A capture has
 * many messages a second; one in the same second copies the digits and
 * writes its nine ns digits (`putAbsNs` writes a time in another second).
 */
const lastSecondDigits = Buffer.alloc(MAX_NUMBER_TEXT + 4);
const lastSecond = { digits: lastSecondDigits, words: new DataView(lastSecondDigits.buffer, lastSecondDigits.byteOffset, lastSecondDigits.length), length: 0, epoch: undefined as bigint | undefined, start: 0 };

/**
 * `putAbsNs` (the absolute time as digits, or -1) of a time the head did
 * not find in the second of `lastSecond`, which it then becomes (the head
 * writes a time in that second itself: the seconds' digits copied, nine
 * of ns).
 */
function putAbsTime(u: Buffer, p: number, epoch: bigint, t: number, rest: number): number {
  const s = lastSecond;
  const q = putAbsNs(u, p, epoch, t, rest);
  if (q - p > 9 && rest === 0) {
    // The digits are the seconds, then nine of ns within the second.
    let within = 0;
    for (let i = q - 9; i < q; i++) within = within * 10 + u[i]! - 48;
    s.length = q - p - 9;
    u.copy(s.digits, 0, p, q - 9);
    s.epoch = epoch;
    s.start = Math.round(t) - within;
  }
  return q;
}

/**
 * A message's JSON line up to the comment: `{"type":"message","data":{"index":N`
 * (unless `index` < 0) and the keys after it in their documented order
 * (optional ones left out when unset), as one function of stores and digit
 * writes: a dump writes millions.
 */
export const writeMessageHead: HeadWriter = (() => {
  const g = new GeneratedCode();
  const dep = (v: unknown): string => g.dep(v);
  // Room for the constants' slack is in `max`'s 256.
  const c = (s: string): string => storesSource(s, dep, 'dv', 'u', STORE_SLACK);
  // As String writes a number: a whole non-negative one four digits a store (row-bytes.ts QUADS), any other by putNumber.
  const n = (v: string): string => `{ const x = ${v}; if (x >= 0 && x < 10 && (x | 0) === x) u[p++] = 48 + x; else if ((x | 0) === x && x >= 0) p = ${dep(putUint31Quads)}(dv, p, x); else if (x > 0 && x <= 9007199254740991 && Math.floor(x) === x) { ${safeStatements('x', dep)} } else p = ${dep(putNumber)}(u, p, x); }`;
  // The constants, ten numbers, an absolute time and the longest kind (written by a loop, its room here too).
  const max = 256 + 11 * MAX_NUMBER_TEXT;
  const src = `return function writeMessageHead(t, index, m, kind, timebase) {
    t.room(${max}); const u = t.buf; const dv = t.view; let p = t.pos;
    if (index >= 0) { ${c(MESSAGE_LINE_START)} ${n('index')} }
    ${c(',"conn":')} ${n('m.conn')}
    ${c(',"t_ns":')}
    const epoch = timebase.epochNs;
    let at = -1;
    if (epoch !== undefined) {
      const s = ${dep(lastSecond)}; const ns = Math.round(m.t) - s.start;
      if (m.tRest === 0 && epoch === s.epoch && ns >= 0 && ns < 1e9) {
        // Four digits a copy: the bytes past the seconds' are written over by the nanoseconds'.
        const d = s.words; const k = s.length;
        for (let i = 0; i < k; i += 4) dv.setUint32(p + i, d.getUint32(i, true), true);
        at = ${dep(putNineQuads)}(dv, p + k, ns | 0);
      } else at = ${dep(putAbsTime)}(u, p, epoch, m.t, m.tRest);
    }
    p = at >= 0 ? at : ${dep(putAscii)}(u, p, timebase.absolute(m.t, m.tRest));
    ${c(',"t_rel_ns":')} ${n('m.t')}
    if (m.dir === ${Direction.Outbound}) { ${c(',"dir":"out"')} } else { ${c(',"dir":"in"')} }
    if (m.dirGuessed) { ${c(',"dir_guessed":true')} }
    ${c(',"pid":')} ${n('m.pid')}
    ${c(',"tid":')} ${n('m.tid')}
    ${c(',"kind":')}
    ${COMMON_KINDS.map((k) => `if (kind === ${JSON.stringify(k)}) { ${c(`${JSON.stringify(k)},"file_offset":`)} } else `).join('')}{
      const kp = ${dep(kindPiece)}(kind);
      for (let i = 0; i < kp.length; i++) u[p + i] = kp[i];
      p += kp.length;
    }
    ${n('m.fileOffset')}
    ${c(',"block":')} ${n('m.blockNo')}
    ${c(',"cap_len":')}
    const cap = m.capLen; const c0 = p; ${n('cap')} const c1 = p;
    ${c(',"orig_len":')}
    // Nearly every message was captured whole: its length's digits once more.
    if (m.origLen === cap) { for (let i = c0; i < c1; i++) u[p++] = u[i]; } else ${n('m.origLen')}
    if (m.failedErrno) { ${c(',"failed_errno":')} ${n('m.failedErrno')} }
    t.pos = p;
  };`;
  return g.compile<HeadWriter>(src);
})();

const COMMENT = lit(',"comment":');
const DECODED = lit(',"decoded":');
const NO_DECODE = lit('null}}');
const END = lit('}}');

/**
 * A message's JSON line without its newline: `{"type":"message","data":{"index":N`
 * (from its `conn` on when `index` < 0: a line numbered when it is printed),
 * its capture fields, then `decoded`, the walked message (`d`, or null when
 * it could not be walked).
 */
export function writeMessageJson(t: TextBuffer, index: number, m: CaptureMessage, kind: string, timebase: Timebase, d: MessageParts | undefined): void {
  writeMessageHead(t, index, m, kind, timebase);
  if (m.comment !== undefined) {
    t.bytes(COMMENT);
    t.str(jsonString(m.comment));
  }
  t.bytes(DECODED);
  if (d === undefined) {
    t.bytes(NO_DECODE);
    return;
  }
  writePartsJson(t, d);
  t.bytes(END);
}

/** Keys of an exchange's JSON line (dump --exchanges --json) before each value, in their documented order. */
const EXCHANGE_START = lit('{"type":"exchange","data":{"conn":');
const X_UNIQUE = lit(',"unique":');
const X_OPCODE = lit(',"opcode":');
const X_OP = lit(',"op":');
const X_NODEID = lit(',"nodeid":');
const X_PID = lit(',"pid":');
const X_TID = lit(',"tid":');
const X_CALLER = lit(',"caller_pid":');
const X_REQ_NS = lit(',"req_ns":');
const X_REPLY_NS = lit(',"reply_ns":');
const X_LATENCY = lit(',"latency_us":');
const X_ERROR = lit(',"error":');
const X_ERROR_NAME = lit(',"error_name":');
const X_NO_REPLY = lit(',"no_reply_expected":');
const X_INTERRUPTS = lit(',"interrupts":');
const X_REJECTED = lit(',"reply_rejected_errno":');
const NULL = lit('null');
const TRUE = lit('true');
const FALSE = lit('false');
/** `"NAME"` of each opcode met, as JSON. */
const opNames: (Buffer | undefined)[] = [];

/** A 64-bit id as JSON: its digits, exact also past 2^53 (a bigint). */
function writeId(t: TextBuffer, v: number | bigint): void {
  if (typeof v === 'number') t.num(v);
  else t.str(v.toString());
}

/** An absolute time in ns since the Unix epoch, exact (`Timebase.absoluteNs`). */
function writeAbsTime(t: TextBuffer, timebase: Timebase, rel: number, rest: number): void {
  t.room(MAX_NUMBER_TEXT);
  const q = putAbsNs(t.buf, t.pos, timebase.epochNs ?? 0n, rel, rest);
  if (q >= 0) t.pos = q;
  else t.str(timebase.absoluteNs(rel, rest).toString());
}

/**
 * An exchange's JSON line (dump --exchanges --json) up to its request: the
 * exchange's own keys, without the closing braces.
 */
export function writeExchangeJsonHead(t: TextBuffer, x: Exchange, timebase: Timebase): void {
  const replied = x.replied;
  t.bytes(EXCHANGE_START);
  t.num(x.conn);
  t.bytes(X_UNIQUE);
  writeId(t, x.unique);
  t.bytes(X_OPCODE);
  t.num(x.opcode);
  t.bytes(X_OP);
  const op = x.opcode;
  t.bytes(op >= 0 && op < 4096 ? (opNames[op] ??= lit(jsonString(opcodeName(op)))) : lit(jsonString(opcodeName(op))));
  t.bytes(X_NODEID);
  writeId(t, x.nodeid);
  t.bytes(X_PID);
  t.num(x.pid);
  t.bytes(X_TID);
  t.num(x.tid);
  t.bytes(X_CALLER);
  t.num(x.callerPid);
  t.bytes(X_REQ_NS);
  writeAbsTime(t, timebase, x.tReq, x.tReqRest);
  t.bytes(X_REPLY_NS);
  if (replied) writeAbsTime(t, timebase, x.tReply, x.tReplyRest);
  else t.bytes(NULL);
  t.bytes(X_LATENCY);
  if (replied) t.num((x.tReply - x.tReq) / 1000);
  else t.bytes(NULL);
  t.bytes(X_ERROR);
  if (replied) t.num(x.error);
  else t.bytes(NULL);
  if (replied) {
    // The reply header's own `,"error_name":"…"}` without its brace.
    t.bytes(errorNamePiece(x.error));
    t.pos--;
  } else {
    t.bytes(X_ERROR_NAME);
    t.bytes(NULL);
  }
  t.bytes(X_NO_REPLY);
  t.bytes(x.noReplyExpected ? TRUE : FALSE);
  t.bytes(X_INTERRUPTS);
  t.num(x.interrupts);
  t.bytes(X_REJECTED);
  if (x.replyFailedErrno !== 0) t.num(x.replyFailedErrno);
  else t.bytes(NULL);
}
