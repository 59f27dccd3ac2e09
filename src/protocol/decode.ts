/**
 * Full decode of one message for printing (`fusetrace dump`, `--json`):
 * every field of every struct by its kernel name, flags and enums also by
 * name, names, directory entries, xattr names, locks, INIT in both
 * directions, BATCH_FORGET entries, REMOVEMAPPING ranges, IOCTL iovecs and
 * request extensions.
 *
 * The decode is a walk of the opcode's row (ops/*.ts): each body part the
 * row declares (a struct, a string, a counted array, records, data) is
 * located in the message by one generic rule, and hooks exist only for
 * what a row cannot say: the size of a struct that depends on the message
 * (WRITE, SETXATTR), and the variable tails (xattr values, READLINK's
 * target, IOCTL's iovecs, CUSE_INIT's strings, INIT's 64-bit flags, the
 * notifications' data and node lists). The walk fills a `MessageParts`:
 * which struct lies where, with no object built per struct, so that dump's
 * text and JSON writers (report/dump-format.ts, report/dump-json.ts) print
 * straight from the message bytes; `partsObject` builds the plain object
 * (`DecodedMessage`) from the same parts.
 *
 * Field naming (stable): each struct appears under its kernel name
 * (`fuse_write_in`), its flag fields get a sibling `<field>_names`
 * (`write_flags_names: "FUSE_WRITE_LOCKOWNER"`), enum fields `<field>_name`,
 * modes `<field>_name` (`S_IFREG|0644`); padding is omitted. Variable parts
 * use `name`, `oldname`/`newname`, `linkname`, `value`, `data`, `entries`,
 * `names`, `forgets`, `ranges`, `iovecs`, `ext`. Bytes fusetrace does not
 * understand are kept as `raw` hex. 64-bit values past 2^53 become decimal
 * strings, byte arrays hex strings.
 */
import type { CaptureMessage } from '../capture/message.js';
import type { Exchange } from './exchange.js';
import { replyErrorName } from '../model/format.js';
import { idCell } from '../model/id64.js';
import { memoized } from '../model/memo.js';
import { extractNotify, requestProblem, viewOf, type NotifyEvent } from './extract.js';
import { decodeStruct, formatEnum, formatFlags, layoutAt, readScalar, u32, u64, type DecodedStruct, type FlagDialect, type StructLayout, type Value } from './layout.js';
import { Notify, notifyName, notifyRow, Op, opcodeName, opcodeRow, type BodyPart } from './opcodes.js';
import { fieldMinor, NEWEST_MINOR, type ConnProtocol } from './version.js';
import { formatMode } from './flags/attr.js';
import { FUSE_INIT_FLAGS, InitBit } from './flags/init.js';
import { FUSE_IOCTL_RETRY } from './flags/io.js';
import { formatOpenFlags, OPEN_FLAG_SETS } from './flags/open.js';
import { fuse_in_header, fuse_out_header } from './layouts/header.js';
import { fuse_dirent, fuse_direntplus } from './layouts/dir.js';
import { fuse_ext_header, fuse_secctx, FUSE_EXT_GROUPS, FUSE_MAX_NR_SECCTX } from './layouts/ext.js';
import { cuse_init_out, fuse_init_in, fuse_init_out } from './layouts/init.js';
import { fuse_removemapping_one } from './layouts/io.js';
import { fuse_forget_one, fuse_ioctl_iovec, fuse_ioctl_out } from './layouts/misc.js';
import { fuse_notify_prune_out, fuse_notify_store_out } from './layouts/notify.js';
import { sizeAt } from './layouts/index.js';
import { Problem, ProblemNote, type ProblemDef } from './problems.js';
import { Dirent, direntAt, direntNamelen, direntNext, setxattrHeaderLen, writeInSize } from './tails.js';
import { structJsonAt, type Json, type JsonObject } from './struct-json.js';
import { nameText } from './names.js';

export type { Json, JsonObject } from './struct-json.js';

/** One decoded message. */
export interface DecodedMessage {
  type: 'request' | 'reply' | 'notify';
  /** Opcode of the request (for a reply: of its request; undefined for an unmatched reply). */
  opcode: number | undefined;
  /** `WRITE`, `?0x63` for an unknown opcode, notification name for notifications. */
  op: string;
  /** fuse_in_header or fuse_out_header fields; replies add `error_name` (`-ENOENT`, `OK`). */
  header: JsonObject;
  /** Arguments or result (see the module comment for the key names). */
  body: JsonObject;
  /** Fixed part or data cut by the snap length: `truncated: 4016 of 131072 data bytes captured`. */
  truncated?: string;
  /** Malformed content (the text of the message's ProblemNote). */
  problem?: string;
  /** The registry id (protocol/problems.ts) of `problem`, or of `truncated` when the snap length cut a needed part: `struct-cut`. */
  problem_id?: string;
}

const IN_HDR = fuse_in_header.size;
const OUT_HDR = fuse_out_header.size;
/** Hex dumps of unknown or opaque bytes are limited to this many bytes (the length is always given). */
const MAX_HEX = 4096;

/** What one entry of `MessageParts` holds. */
export const Part = {
  /** A whole struct: `layouts[i]` at absolute offset `nums[i]` of the message bytes. */
  STRUCT: 0,
  /** A bulk payload: `{length: nums[i], captured: caps[i]}`. */
  DATA: 1,
  /** A value built by the walk (`values[i]`): lists, a struct cut short. */
  VALUE: 2,
  /** A string of the message bytes, UTF-8 at absolute offsets `nums[i]` to `caps[i]` (a name): the printers copy it from the bytes, and make the string only when a byte needs an escape. */
  TEXT: 3,
} as const;

const EMPTY = Buffer.alloc(0);

/**
 * One decoded message as its body parts in output order, each under its
 * JSON key. The walks fill it and a renderer reads it at once: it points
 * into the message bytes, which the capture reader reuses, and one
 * instance is reused from message to message.
 */
export class MessageParts {
  type: 'request' | 'reply' | 'notify' = 'request';
  opcode: number | undefined = undefined;
  op = '?';
  data: Buffer = EMPTY;
  le = true;
  /** fuse_in_header or fuse_out_header at `headerAt`; undefined when the message is shorter than it. */
  header: StructLayout | undefined = undefined;
  headerAt = 0;
  /** The key added to the header (`error_name` of a reply, `code_name` of a notification), and its value. */
  headerKey: string | undefined = undefined;
  headerValue = '';
  /** The number `headerValue` names (the reply's error, the notification's code): the same number, the same name. */
  headerCode = 0;
  count = 0;
  readonly keys: string[] = [];
  readonly kinds: number[] = [];
  readonly layouts: (StructLayout | undefined)[] = [];
  readonly nums: number[] = [];
  readonly caps: number[] = [];
  readonly values: Json[] = [];
  truncated: string | undefined = undefined;
  problem: string | undefined = undefined;
  /** The registry id of the message's problem (`problem`, or a `truncated` from the registry). */
  problemId: string | undefined = undefined;
  /** `problem` was noted before `truncated` (the order of their keys). */
  problemFirst = false;

  reset(type: 'request' | 'reply' | 'notify', m: CaptureMessage): void {
    this.type = type;
    this.opcode = undefined;
    this.op = '?';
    this.data = m.data;
    this.le = m.le;
    this.header = undefined;
    this.headerAt = 0;
    this.headerKey = undefined;
    this.headerValue = '';
    this.headerCode = 0;
    this.count = 0;
    this.truncated = undefined;
    this.problem = undefined;
    this.problemId = undefined;
    this.problemFirst = false;
  }

  private add(key: string, kind: number, l: StructLayout | undefined, n: number, cap: number, v: Json): void {
    const i = this.count++;
    this.keys[i] = key;
    this.kinds[i] = kind;
    this.layouts[i] = l;
    this.nums[i] = n;
    this.caps[i] = cap;
    this.values[i] = v;
  }

  addStruct(l: StructLayout, at: number): void {
    this.add(l.name, Part.STRUCT, l, at, 0, null);
  }

  addData(key: string, length: number, captured: number): void {
    this.add(key, Part.DATA, undefined, length, captured, null);
  }

  addValue(key: string, v: Json): void {
    this.add(key, Part.VALUE, undefined, 0, 0, v);
  }

  addText(key: string, start: number, end: number): void {
    this.add(key, Part.TEXT, undefined, start, end, null);
  }

  /** The string of TEXT part `i`. */
  textOf(i: number): string {
    return nameText(this.data, this.nums[i]!, this.caps[i]!);
  }

  /** The value of a VALUE part, or undefined. */
  valueOf(key: string): Json | undefined {
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key && this.kinds[i] === Part.VALUE) return this.values[i];
    return undefined;
  }

  /** Notes a cut (the first one counts). */
  noteTruncated(s: string): void {
    this.truncated ??= s;
  }

  /** Sets the message's problem (protocol/problems.ts): `truncated` or `problem` by its kind. */
  noteChecked(pr: ProblemNote | undefined): void {
    if (pr === undefined) return;
    if (pr.kind === 'truncated') {
      this.truncated = pr.text;
      this.problemId = pr.id;
    } else {
      this.setProblem(pr);
    }
  }

  setProblem(pr: ProblemNote): void {
    this.problem = pr.text;
    this.problemId = pr.id;
    this.problemFirst = this.truncated === undefined;
  }
}

function jsonValue(v: Value | undefined): Json {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return idCell(v);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (typeof v === 'object') return v as unknown as Json;
  return v;
}

/**
 * A decoded struct as JSON: fields in declaration order, padding omitted,
 * flags/enums/modes named beside their value.
 */
export function structJson(l: StructLayout, d: DecodedStruct): JsonObject {
  const out: JsonObject = {};
  for (const f of l.fields) {
    if (f.pad) continue;
    const v = d[f.name];
    if (v === undefined) continue;
    const t = f.type;
    if (typeof t === 'object' && 'kind' in t) {
      out[f.name] = structJson(t, v as DecodedStruct);
      continue;
    }
    out[f.name] = jsonValue(v);
    if (f.flags && (typeof v === 'number' || typeof v === 'bigint')) {
      out[`${f.name}_names`] = OPEN_FLAG_SETS.has(f.flags) ? formatOpenFlags(Number(v), f.flags) : formatFlags(f.flags, v);
    } else if (f.enum && typeof v === 'number') {
      out[`${f.name}_name`] = formatEnum(f.enum, v);
    } else if (f.name === 'mode' && typeof v === 'number') {
      out.mode_name = formatMode(v);
    }
  }
  return out;
}

/**
 * decodeStruct, but a short struct (an older peer's compat size, or a snap)
 * also decodes the present prefix of a nested struct (fuse_attr inside a
 * 7.8 fuse_entry_out lacks only blksize and flags).
 */
function decodePrefix(l: StructLayout, buf: Buffer, off: number, avail: number, le: boolean): DecodedStruct {
  if (avail >= l.size) return decodeStruct(l, buf, off, avail, le);
  const out: DecodedStruct = {};
  for (const f of l.fields) {
    if (f.offset >= avail) break;
    const t = f.type;
    if (typeof t === 'object' && 'kind' in t) {
      out[f.name] = decodePrefix(t, buf, off + f.offset, avail - f.offset, le);
    } else if (f.offset + f.size <= avail) {
      // A field newer than the negotiated minor (layout.ts layoutAt) reads as 0.
      if (f.zero) out[f.name] = typeof t === 'string' ? 0 : Buffer.alloc(f.size);
      else out[f.name] = typeof t === 'string' ? readScalar(buf, off + f.offset, t, le) : buf.subarray(off + f.offset, off + f.offset + f.size);
    } else break;
  }
  return out;
}

function cstrings(buf: Buffer, start: number, end: number): { strs: string[]; next: number; unterminated: boolean } {
  const strs: string[] = [];
  let i = start;
  let s = start;
  while (i < end) {
    if (buf[i] === 0) { strs.push(nameText(buf, s, i)); s = i + 1; }
    i++;
  }
  const unterminated = s < end;
  if (unterminated) strs.push(nameText(buf, s, end));
  return { strs, next: s, unterminated };
}

function hex(buf: Buffer, start: number, end: number): string {
  return buf.toString('hex', start, Math.min(end, start + MAX_HEX));
}

/** Notes a cut of a bulk payload (`length` bytes, `captured` of them present); returns the captured count. */
function dataCaptured(P: MessageParts, length: number, captured: number, what: string): number {
  const c = Math.max(0, Math.min(length, captured));
  if (c < length) P.noteTruncated(`truncated: ${c} of ${length} ${what} bytes captured`);
  return c;
}

function addData(P: MessageParts, key: string, length: number, captured: number, what = 'data'): void {
  P.addData(key, length, dataCaptured(P, length, captured, what));
}

/** `{length, captured, hex}` of a value whose bytes are shown. */
function hexValue(P: MessageParts, data: Buffer, start: number, length: number, captured: number, what: string): JsonObject {
  const c = dataCaptured(P, length, captured, what);
  return { length, captured: c, hex: hex(data, start, start + Math.max(0, Math.min(captured, length))) };
}

/** A message shorter than its header (`short`: the registry's problem for it): the problem and the raw bytes. */
function tooShort(P: MessageParts, m: CaptureMessage, short: ProblemDef): MessageParts {
  P.setProblem(new ProblemNote(short, m.capLen));
  P.addValue('raw', hex(m.data, m.off, m.off + m.capLen));
  P.addValue('raw_length', m.capLen);
  return P;
}

/** Bytes no row describes: their hex and length, and a note when the capture cut them. */
function addRaw(P: MessageParts, data: Buffer, b: number, length: number, avail: number, noteCut: boolean): void {
  P.addValue('raw', hex(data, b, b + avail));
  P.addValue('raw_length', length);
  if (noteCut && avail < length) P.noteTruncated(`truncated: ${avail} of ${length} body bytes captured`);
}

/** Structs whose decoded object gains derived keys (the 64-bit INIT flags). */
/** By name: the layout a connection's minor derives (layout.ts layoutAt) has the extras of its own. */
const STRUCT_EXTRAS = new Map<string, (j: JsonObject) => void>([[fuse_init_in.name, addInitFlags], [fuse_init_out.name, addInitFlags]]);

/**
 * The struct `l` at body offset `at`, of which `size` bytes belong to it
 * (less than its full size from an older peer) and `avail - at` were
 * captured. A whole struct stays a position in the bytes; a short one is
 * decoded field by field as far as it goes.
 */
function addStruct(P: MessageParts, l: StructLayout, b: number, at: number, avail: number, size: number): void {
  const n = Math.max(0, Math.min(size, avail - at));
  const extra = STRUCT_EXTRAS.get(l.name);
  if (n >= l.size && extra === undefined) {
    P.addStruct(l, b + at);
    return;
  }
  const j = n >= l.size ? structJsonAt(l, P.data, b + at, P.le) : structJson(l, decodePrefix(l, P.data, b + at, n, P.le));
  extra?.(j);
  P.addValue(l.name, j);
}

/** Where one message body is: `b` its absolute start, `len` its declared bytes, `avail` the captured ones. */
interface Body {
  m: CaptureMessage;
  p: ConnProtocol;
  b: number;
  len: number;
  avail: number;
  /** Captured bytes after the header, extensions included (a request's data runs into them). */
  all: number;
  /** A reply: its request's `size` (0 asks GETXATTR/LISTXATTR for the size only). */
  asked: number;
}

const body: Body = { m: undefined as unknown as CaptureMessage, p: undefined as unknown as ConnProtocol, b: 0, len: 0, avail: 0, all: 0, asked: -1 };

/** The JSON key and the cut noun of the entries after a counted head (BATCH_FORGET, REMOVEMAPPING). */
const ARRAY_KEYS = new Map<StructLayout, readonly [string, string]>([
  [fuse_forget_one, ['forgets', 'forget entries']],
  [fuse_removemapping_one, ['ranges', 'ranges']],
]);

/** The `one` entries after a head whose first u32 counts them; notes a cut. */
function addCounted(P: MessageParts, w: Body, at: number, one: StructLayout): void {
  const [key, noun] = ARRAY_KEYS.get(one) ?? [one.name, 'entries'];
  const { m, b, avail } = w;
  const count = avail >= 4 ? u32(m.data, b, m.le) : 0;
  const items: Json[] = [];
  for (let i = 0; i < count && at + one.size <= avail; i++, at += one.size) items.push(structJsonAt(one, m.data, b + at, m.le));
  if (items.length < count && at + one.size <= w.len) P.noteTruncated(`truncated: ${items.length} of ${count} ${noun} captured`);
  P.addValue(key, items);
}

/**
 * The string at data[start] up to its NUL or `end` (unterminated) as a TEXT
 * part, null when nothing is left (as `cstrings` splits them); returns
 * where the next one starts.
 */
function addString(P: MessageParts, key: string, data: Buffer, start: number, end: number): number {
  if (start >= end) {
    P.addValue(key, null);
    return start;
  }
  let i = start;
  while (i < end && data[i] !== 0) i++;
  P.addText(key, start, i);
  return i < end ? i + 1 : end;
}

/** A hook sizes a struct from the message itself (returns its byte count) or handles a variable tail from `at`. */
type Hook = (P: MessageParts, w: Body, at: number) => number;

/** fuse_write_in is 24 bytes before 7.9, and a capture without INIT says which by its lengths. */
const writeSize: Hook = (_P, w) => {
  const { m, p } = w;
  return writeInSize(viewOf(m.data), w.b, w.len, w.avail, m.le, p.negotiated, p.minor);
};

/** fuse_setxattr_in is 8 or 16 bytes (FUSE_SETXATTR_EXT); without INIT, inferred and said so. */
const setxattrSize: Hook = (P, w) => {
  const { m, p } = w;
  const vsize = w.avail >= 4 ? u32(m.data, w.b, m.le) : 0;
  const hl = setxattrHeaderLen(m.data, w.b, w.len, w.avail, vsize, p.setxattrExt, p.minor);
  if (p.setxattrExt === undefined) P.addValue('setxattr_in_size_inferred', hl);
  return hl;
};

/** SETXATTR's name (up to its NUL) and value (`size` bytes, shown in hex). */
const setxattrTail: Hook = (P, w, at) => {
  const { data, le } = w.m;
  const vsize = w.avail >= 4 ? u32(data, w.b, le) : 0;
  const end = w.b + w.avail;
  const nul = data.indexOf(0, w.b + at);
  const nameEnd = nul >= 0 && nul < end ? nul : end;
  P.addValue('name', nameText(data, w.b + at, nameEnd));
  const vstart = nameEnd + 1 - w.b;
  P.addValue('value', hexValue(P, data, w.b + vstart, vsize, w.avail - vstart, 'value'));
  return 0;
};

/** An IOCTL's input bytes. */
const ioctlInput: Hook = (P, w, at) => {
  addData(P, 'data', Math.max(0, w.len - at), w.all - at, 'input');
  return 0;
};

/** Request struct sizes taken from the message. */
const REQUEST_SIZE: Partial<Record<number, Hook>> = { [Op.WRITE]: writeSize, [Op.SETXATTR]: setxattrSize };
/** Request tails that are not a plain list of strings or data. */
const REQUEST_TAIL: Partial<Record<number, Hook>> = { [Op.SETXATTR]: setxattrTail, [Op.IOCTL]: ioctlInput };

/** The key a reply's header gains: the name of its error. */
export const REPLY_HEADER_KEY = 'error_name';

/** `replyErrorName`, kept by number: a capture's replies repeat a few errors (-ENOENT per missed LOOKUP), each would be a new string. */
const errorNameOf = memoized(replyErrorName);

/**
 * Walks a request (kernel -> daemon) into `P`. `x` is the Exchange the
 * pairing stage made of this message: `problem`/`truncated` are its
 * `reqProblem`. Without it, extract.ts's checks run on a scratch Exchange
 * (`requestProblem`).
 */
export function walkRequest(m: CaptureMessage, p: ConnProtocol, x: Exchange | undefined, P: MessageParts): MessageParts {
  P.reset('request', m);
  if (m.capLen < IN_HDR) return tooShort(P, m, Problem.IN_HEADER_SHORT);
  const { data, off, le } = m;
  P.header = fuse_in_header;
  P.headerAt = off;
  const len = u32(data, off, le);
  const opcode = u32(data, off + 4, le);
  P.opcode = opcode;
  const row = opcodeRow(opcode);
  P.op = row !== undefined ? row.name : opcodeName(opcode);
  P.noteChecked(x !== undefined ? x.reqProblem : requestProblem(m, p));
  const extLen = (le ? data.readUInt16LE(off + 36) : data.readUInt16BE(off + 36)) * 8;
  const total = Math.max(0, len - IN_HDR);
  const bodyLen = Math.max(0, total - extLen);
  const avail = Math.max(0, Math.min(m.capLen, len) - IN_HDR);
  const b = off + IN_HDR;
  const w = body;
  w.m = m; w.p = p; w.b = b; w.len = bodyLen; w.avail = Math.min(avail, bodyLen); w.all = avail; w.asked = -1;
  if (row === undefined) addRaw(P, data, b, total, avail, true);
  else walkParts(P, w, row.request, REQUEST_SIZE[opcode], REQUEST_TAIL[opcode]);
  if (extLen > 0 && extLen <= total) {
    const capEnd = Math.min(avail, total);
    P.addValue('ext', decodeExtensions(data, b + bodyLen, b + Math.max(bodyLen, capEnd), le));
    if (capEnd < total) P.noteTruncated(`truncated: extensions ${Math.max(0, capEnd - bodyLen)} of ${extLen} bytes captured`);
  }
  return P;
}

/**
 * The generic walk of a body: structs one after the other (`size` may size
 * the first from the message), then strings (NUL-separated), a counted
 * array, records or data; `tail` takes over at the first part after the
 * structs when the row's words are not enough.
 */
function walkParts(P: MessageParts, w: Body, parts: readonly BodyPart[], size: Hook | undefined, tail: Hook | undefined): void {
  let at = 0;
  /** Where the next string starts: the strings follow the structs, each up to its NUL, the last one perhaps cut. */
  let next = -1;
  for (const part of parts) {
    switch (part.k) {
      case 'struct': {
        if (part.optional && w.len < part.l.size) break;
        const n = size ? size(P, w, at) : part.byLen ? part.l.size : sizeAt(part.l, w.p.minor);
        size = undefined;
        addStruct(P, layoutAt(part.l, fieldMinor(w.p), w.p.openFlags), w.b, at, w.avail, n);
        at += n;
        break;
      }
      case 'string':
        if (tail) return void tail(P, w, at);
        next = addString(P, part.f, w.m.data, next < 0 ? w.b + at : next, w.b + w.avail);
        break;
      case 'array':
        if (tail) return void tail(P, w, at);
        addCounted(P, w, at, part.l);
        break;
      case 'records':
        if (tail) return void tail(P, w, at);
        addDirents(P, w, part.l === fuse_direntplus);
        break;
      case 'data':
        if (tail) return void tail(P, w, at);
        addData(P, 'data', Math.max(0, w.len - at), w.all - at);
        break;
      case 'either':
        // The request asked for the size only (its `size` was 0).
        if (w.asked === 0) addStruct(P, layoutAt(part.l, fieldMinor(w.p), w.p.openFlags), w.b, at, w.avail, part.l.size);
        else if (tail) return void tail(P, w, at);
        break;
    }
  }
}

/**
 * What the walk makes of every whole message of one opcode and direction
 * (all bytes captured, no extensions, no problem noted) whose body holds at
 * least `size` bytes: `structs` whole at fixed body offsets, then `strings`
 * (each up to its NUL or the body's end, null when nothing is left, as
 * `addString` splits them), then, with `data`, the rest of the body from
 * `size` on as a data part. `firstSize`, when set, is the first struct's
 * size as the message gives it (WRITE); the form holds only when that is the
 * struct's full size. A writer that prints such a message from the form
 * (report/dump-json-message.ts) prints what the walk's parts print.
 */
export interface MessageForm {
  readonly structs: readonly { readonly l: StructLayout; readonly at: number }[];
  readonly size: number;
  readonly strings: readonly string[];
  readonly data: boolean;
  readonly firstSize: ((m: CaptureMessage, p: ConnProtocol) => number) | undefined;
}

/** Request tails that add what the row's data part would for a whole message (only their cut noun differs). */
const DATA_TAILS: ReadonlySet<Hook> = new Set([ioctlInput]);

/** The form of `parts` at protocol `minor` (see MessageForm), or undefined when the walk does more than a form says. */
function formOf(parts: readonly BodyPart[], minor: number, fields: number, dialect: FlagDialect | undefined, size: Hook | undefined, tail: Hook | undefined): MessageForm | undefined {
  const structs: { l: StructLayout; at: number }[] = [];
  const strings: string[] = [];
  let at = 0;
  let data = false;
  let firstSize: MessageForm['firstSize'];
  for (const part of parts) {
    if (data) return undefined;
    if (part.k === 'struct') {
      if (strings.length > 0 || STRUCT_EXTRAS.has(part.l.name)) return undefined;
      if (size !== undefined) {
        if (size !== writeSize) return undefined;
        firstSize = wholeWriteSize;
        size = undefined;
      } else if (!part.byLen && sizeAt(part.l, minor) !== part.l.size) return undefined;
      structs.push({ l: layoutAt(part.l, fields, dialect), at });
      at += part.l.size;
    } else if (part.k === 'string' && tail === undefined) strings.push(part.f);
    else if (part.k === 'data' && (tail === undefined || DATA_TAILS.has(tail))) data = true;
    else return undefined;
  }
  return { structs, size: at, strings, data, firstSize };
}

/** `writeSize` of a whole WRITE without extensions. */
function wholeWriteSize(m: CaptureMessage, p: ConnProtocol): number {
  const len = u32(m.data, m.off, m.le) - IN_HDR;
  return writeInSize(viewOf(m.data), m.off + IN_HDR, len, len, m.le, p.negotiated, p.minor);
}

/**
 * The form of a request of `opcode` at protocol `minor` (its struct sizes),
 * whose structs hold the fields of minor `fields` (version.ts fieldMinor:
 * the newest when no INIT said), their open(2) flags named as `dialect`
 * says (ConnProtocol.openFlags), or undefined (see MessageForm).
 */
export function requestForm(opcode: number, minor: number, fields = NEWEST_MINOR, dialect?: FlagDialect): MessageForm | undefined {
  const row = opcodeRow(opcode);
  return row === undefined ? undefined : formOf(row.request, minor, fields, dialect, REQUEST_SIZE[opcode], REQUEST_TAIL[opcode]);
}

/**
 * The form of a successful reply with a body to a request of `opcode`, or
 * undefined (see MessageForm, requestForm). A reply without a body has none to walk:
 * its header alone, whatever its error.
 */
export function replyForm(opcode: number, minor: number, fields = NEWEST_MINOR, dialect?: FlagDialect): MessageForm | undefined {
  const row = opcodeRow(opcode);
  if (row === undefined || row.reply.length === 0 || opcode === Op.INIT) return undefined;
  return formOf(row.reply, minor, fields, dialect, undefined, REPLY_TAIL[opcode]);
}

/** Adds the 64-bit flag names (flags | flags2 << 32 when FUSE_INIT_EXT) to a decoded init_in/out. */
function addInitFlags(j: JsonObject): void {
  if (typeof j.flags !== 'number') return;
  const lo = j.flags >>> 0;
  const hi = typeof j.flags2 === 'number' && (lo & (1 << InitBit.INIT_EXT)) !== 0 ? j.flags2 >>> 0 : 0;
  if (typeof j.flags2 === 'number') j.flags2_names = formatFlags(FUSE_INIT_FLAGS, BigInt(j.flags2 >>> 0) << 32n);
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  j.flags64 = idCell(v);
  j.flags64_names = formatFlags(FUSE_INIT_FLAGS, v);
}

/** Walks the extension block: security contexts (type 0..31) and supplementary groups (32). */
function decodeExtensions(data: Buffer, start: number, end: number, le: boolean): Json[] {
  const out: Json[] = [];
  let p = start;
  while (p + fuse_ext_header.size <= end) {
    const size = u32(data, p, le);
    const type = u32(data, p + 4, le);
    if (size < fuse_ext_header.size || p + size > end) {
      out.push({ error: `extension at +${p - start}: size ${size} does not fit the ${end - p} bytes left`, raw: hex(data, p, end) });
      break;
    }
    if (type <= FUSE_MAX_NR_SECCTX) {
      const ctxs: Json[] = [];
      let q = p + 8;
      for (let i = 0; i < type && q + fuse_secctx.size <= p + size; i++) {
        const csize = u32(data, q, le);
        const nameStart = q + fuse_secctx.size;
        let nul = nameStart;
        while (nul < p + size && data[nul] !== 0) nul++;
        const ctxStart = nul + 1;
        ctxs.push({ size: csize, name: nameText(data, nameStart, nul), value: hex(data, ctxStart, Math.min(ctxStart + csize, p + size)) });
        q = ctxStart + csize;
      }
      out.push({ type: 'fuse_secctx_header', size, nr_secctx: type, contexts: ctxs });
    } else if (type === FUSE_EXT_GROUPS) {
      const n = size >= 12 ? u32(data, p + 8, le) : 0;
      const groups: number[] = [];
      for (let i = 0; i < n && p + 12 + 4 * (i + 1) <= p + size; i++) groups.push(u32(data, p + 12 + 4 * i, le));
      out.push({ type: 'FUSE_EXT_GROUPS', size, nr_groups: n, groups });
    } else {
      out.push({ type, size, raw: hex(data, p + 8, p + size) });
    }
    p += size;
  }
  return out;
}

/** READLINK's target. */
const linkTarget: Hook = (P, w) => {
  P.addValue('linkname', nameText(w.m.data, w.b, w.b + w.avail));
  if (w.avail < w.len) P.noteTruncated(`truncated: ${w.avail} of ${w.len} target bytes captured`);
  return 0;
};

/** GETXATTR's value. */
const xattrValue: Hook = (P, w) => {
  P.addValue('value', hexValue(P, w.m.data, w.b, w.len, w.avail, 'value'));
  return 0;
};

/** LISTXATTR's names. */
const xattrNames: Hook = (P, w) => {
  P.addValue('names', cstrings(w.m.data, w.b, w.b + w.avail).strs);
  addData(P, 'data', w.len, w.avail, 'name list');
  return 0;
};

/** Iovecs shown at most: FUSE_IOCTL_MAX_IOV, the kernel's bound on each direction's count. */
const FUSE_IOCTL_MAX_IOV = 256;

/** IOCTL's output: the iovecs of a FUSE_IOCTL_RETRY, or its output bytes. */
const ioctlOutput: Hook = (P, w, at) => {
  const { data, le } = w.m;
  const o = w.avail >= fuse_ioctl_out.size ? structJsonAt(fuse_ioctl_out, data, w.b, le) : structJson(fuse_ioctl_out, decodePrefix(fuse_ioctl_out, data, w.b, Math.max(0, w.avail), le));
  const flags = typeof o.flags === 'number' ? o.flags : 0;
  if (flags & FUSE_IOCTL_RETRY) {
    const n = (typeof o.in_iovs === 'number' ? o.in_iovs : 0) + (typeof o.out_iovs === 'number' ? o.out_iovs : 0);
    const iovs: Json[] = [];
    const shown = Math.min(n, FUSE_IOCTL_MAX_IOV);
    for (let i = 0; i < shown && at + fuse_ioctl_iovec.size <= w.avail; i++, at += fuse_ioctl_iovec.size) iovs.push(structJsonAt(fuse_ioctl_iovec, data, w.b + at, le));
    // The body holds the next one, the capture does not: cut by the snap length (as addCounted notes it).
    if (iovs.length < shown && at + fuse_ioctl_iovec.size <= w.len) P.noteTruncated(`truncated: ${iovs.length} of ${n} iovecs captured`);
    P.addValue('iovecs', iovs);
  } else if (w.len > fuse_ioctl_out.size) {
    addData(P, 'data', w.len - fuse_ioctl_out.size, w.avail - fuse_ioctl_out.size, 'output');
  }
  return 0;
};

/** CUSE_INIT's KEY=value strings. */
const cuseInfo: Hook = (P, w) => {
  P.addValue('info', cstrings(w.m.data, w.b + cuse_init_out.size, w.b + w.avail).strs.filter((s) => s !== ''));
  return 0;
};

/** Reply tails that are not plain data. */
const REPLY_TAIL: Partial<Record<number, Hook>> = {
  [Op.READLINK]: linkTarget, [Op.GETXATTR]: xattrValue, [Op.LISTXATTR]: xattrNames, [Op.IOCTL]: ioctlOutput, [Op.CUSE_INIT]: cuseInfo,
};

/**
 * Walks a reply into `P` through its request's opcode (`x.opcode`);
 * GETXATTR and LISTXATTR with request size 0 decode a fuse_getxattr_out.
 * `x` is the Exchange the pairing stage paired this reply with:
 * `problem`/`truncated` are its `replyProblem`. Without `x` (an unmatched
 * reply) the body is kept raw.
 */
export function walkReply(m: CaptureMessage, x: Exchange | undefined, p: ConnProtocol, P: MessageParts): MessageParts {
  P.reset('reply', m);
  P.opcode = x?.opcode;
  const row = x !== undefined ? opcodeRow(x.opcode) : undefined;
  P.op = row !== undefined ? row.name : x !== undefined ? opcodeName(x.opcode) : '?';
  if (m.capLen < OUT_HDR) return tooShort(P, m, Problem.OUT_HEADER_SHORT);
  const { data, off, le } = m;
  P.header = fuse_out_header;
  P.headerAt = off;
  const len = u32(data, off, le);
  const error = le ? data.readInt32LE(off + 4) : data.readInt32BE(off + 4);
  P.headerKey = REPLY_HEADER_KEY;
  P.headerValue = errorNameOf(error);
  P.headerCode = error;
  const bodyLen = Math.max(0, len - OUT_HDR);
  const avail = Math.max(0, Math.min(m.capLen, len) - OUT_HDR);
  const b = off + OUT_HDR;
  if (x) P.noteChecked(x.replyProblem);
  if (error !== 0 || bodyLen === 0 || !x) {
    if (bodyLen > 0) addRaw(P, data, b, bodyLen, avail, false);
    return P;
  }
  if (row === undefined || row.reply.length === 0) {
    addRaw(P, data, b, bodyLen, avail, true);
    return P;
  }
  const w = body;
  w.m = m; w.p = p; w.b = b; w.len = bodyLen; w.avail = avail; w.all = avail; w.asked = x.size;
  walkParts(P, w, row.reply, undefined, REPLY_TAIL[x.opcode]);
  if (x.opcode === Op.INIT) P.addValue('negotiated_minor', p.negotiated ? p.minor : null);
  return P;
}

function addDirents(P: MessageParts, w: Body, plus: boolean): void {
  const { m, b, len: body, avail } = w;
  const l = layoutAt(plus ? fuse_direntplus : fuse_dirent, fieldMinor(w.p));
  const out: Json[] = [];
  const { data, le } = m;
  const dv = viewOf(data);
  let pos = 0;
  while (pos < body) {
    const at = direntAt(dv, b, pos, body, avail, le, plus);
    if (at === Dirent.FIXED_OVERRUNS || at === Dirent.FIXED_CUT) break;
    // A record whose name is bad or cut is still shown, with what there is of its name.
    const e = structJsonAt(l, data, b + pos, le);
    e.name = nameText(data, b + pos + l.size, b + Math.min(pos + l.size + direntNamelen, avail));
    out.push(e);
    if (at !== Dirent.OK) break;
    pos = direntNext(pos, plus);
  }
  if (pos < body && avail < body) P.noteTruncated(`truncated: ${avail} of ${body} directory bytes captured (${out.length} entries decoded)`);
  P.addValue('entries', out);
}

/** STORE's data. */
const storeData: Hook = (P, w) => {
  addData(P, 'data', Math.max(0, w.len - fuse_notify_store_out.size), w.avail - fuse_notify_store_out.size);
  return 0;
};

/** PRUNE's node ids. */
const pruneIds: Hook = (P, w) => {
  const { data, le } = w.m;
  const ids: Json[] = [];
  for (let at = fuse_notify_prune_out.size; at + 8 <= Math.min(w.avail, w.len); at += 8) {
    ids.push(idCell(u64(data, w.b + at, le)));
  }
  P.addValue('nodeids', ids);
  return 0;
};

/** What follows a notification's declared body. */
const NOTIFY_TAIL: Partial<Record<number, Hook>> = { [Notify.STORE]: storeData, [Notify.PRUNE]: pruneIds };

/** Walks a notification (daemon -> kernel, unique 0) into `P`; `ev` is what the pairing stage read of it. */
export function walkNotify(m: CaptureMessage, p: ConnProtocol, ev: NotifyEvent | undefined, P: MessageParts): MessageParts {
  ev ??= extractNotify(m, p);
  P.reset('notify', m);
  P.op = notifyName(ev.code);
  if (m.capLen < OUT_HDR) {
    if (ev.problem !== undefined) P.setProblem(ev.problem);
    return P;
  }
  P.header = fuse_out_header;
  P.headerAt = m.off;
  P.headerKey = 'code_name';
  P.headerValue = notifyName(ev.code);
  P.headerCode = ev.code;
  P.noteChecked(ev.problem);
  const { data, off, le } = m;
  const len = u32(data, off, le);
  const bodyLen = Math.max(0, len - OUT_HDR);
  const avail = Math.max(0, Math.min(m.capLen, len) - OUT_HDR);
  const b = off + OUT_HDR;
  const row = notifyRow(ev.code);
  if (row === undefined) {
    addRaw(P, data, b, bodyLen, avail, false);
    return P;
  }
  let at = 0;
  for (const part of row.body) {
    if (part.k === 'struct') {
      addStruct(P, part.l, b, at, avail, part.l.size);
      at += part.l.size;
    } else if (part.k === 'string') {
      P.addValue(part.f, ev.entryName ?? ev.nameCaptured ?? null);
    }
  }
  const tail = NOTIFY_TAIL[ev.code];
  if (tail) {
    const w = body;
    w.m = m; w.p = p; w.b = b; w.len = bodyLen; w.avail = avail; w.all = avail; w.asked = -1;
    tail(P, w, at);
  }
  return P;
}

/** The plain object of walked parts (what `dump --json` prints as `decoded`). */
export function partsObject(P: MessageParts): DecodedMessage {
  const d: DecodedMessage = { type: P.type, opcode: P.opcode, op: P.op, header: {}, body: {} };
  if (P.header) {
    d.header = structJsonAt(P.header, P.data, P.headerAt, P.le);
    if (P.headerKey !== undefined) d.header[P.headerKey] = P.headerValue;
  }
  const B = d.body;
  for (let i = 0; i < P.count; i++) {
    const k = P.keys[i]!;
    switch (P.kinds[i]) {
      case Part.STRUCT: B[k] = structJsonAt(P.layouts[i]!, P.data, P.nums[i]!, P.le); break;
      case Part.DATA: B[k] = { length: P.nums[i]!, captured: P.caps[i]! }; break;
      case Part.TEXT: B[k] = P.textOf(i); break;
      default: B[k] = P.values[i]!;
    }
  }
  if (P.problemFirst) {
    if (P.problem !== undefined) d.problem = P.problem;
    if (P.truncated !== undefined) d.truncated = P.truncated;
  } else {
    if (P.truncated !== undefined) d.truncated = P.truncated;
    if (P.problem !== undefined) d.problem = P.problem;
  }
  if (P.problemId !== undefined) d.problem_id = P.problemId;
  return d;
}

/** Decodes a request (kernel -> daemon); see walkRequest. */
export function decodeRequest(m: CaptureMessage, p: ConnProtocol, x?: Exchange): DecodedMessage {
  return partsObject(walkRequest(m, p, x, new MessageParts()));
}

/** Decodes a reply through its request's opcode (see walkReply). */
export function decodeReply(m: CaptureMessage, x: Exchange | undefined, p: ConnProtocol): DecodedMessage {
  return partsObject(walkReply(m, x, p, new MessageParts()));
}

/** Decodes a notification (daemon -> kernel, unique 0); `ev` is what the pairing stage read of it. */
export function decodeNotify(m: CaptureMessage, p: ConnProtocol, ev: NotifyEvent = extractNotify(m, p)): DecodedMessage {
  return partsObject(walkNotify(m, p, ev, new MessageParts()));
}
