/**
 * One-line text rendering of decoded messages for `fusetrace dump`
 * (tshark-like), and of request/reply pairs for `dump --exchanges`:
 *
 * ```
 *    12  0.001234  conn0 tid 4242  -> WRITE #24 nodeid 5 fh 0x9 offset 4096 size 65536 flags O_WRONLY|O_DIRECT write_flags LOCKOWNER
 *    13  0.001444  conn0 tid 4242  <- WRITE #24 OK size 65536 (0.210 ms)
 * ```
 *
 * The line shows the fields of the decoded body in declaration order, with
 * flags and enums by name (the `FUSE_WRITE_`-style prefixes dropped; JSON
 * keeps the kernel spelling), opaque handles in hex, and skips zero values
 * and bulky attribute details. Everything is still in `--json`.
 */
import type { BackingOp, CaptureMessage } from '../capture/message.js';
import { errnoName, replyErrorName } from '../model/format.js';
import type { Exchange } from '../protocol/exchange.js';
import { Part, REPLY_HEADER_KEY, type Json, type JsonObject, type MessageParts } from '../protocol/decode.js';
import { type EnumSet, type FlagSet, type Scalar, type StructLayout } from '../protocol/layout.js';
import { viewOf } from '../protocol/extract.js';
import { fuse_in_header, fuse_out_header } from '../protocol/layouts/header.js';
import { enumName, flagNames, modeName } from '../protocol/struct-json.js';
import { formatMs } from '../model/format.js';
import { GeneratedCode } from '../model/generated-code.js';
import { memoized } from '../model/memo.js';
import { MAX_NUMBER_TEXT, digitCount, putHex, putNineQuads, putSafeQuads, putSixQuads, putThreeQuads, putUint31Quads } from './row-bytes.js';
import { putU32, putU64At, scalarReadSource, storesSource, viewSource } from './word-digits.js';
import { TextBuffer, putJsonNumber } from './text-buffer.js';
import { escapeControls, nameByteText } from './untrusted-text.js';

export interface DumpFormatOptions {
  /** Show times as seconds since this relative time (ns); default 0 (the run's epoch). */
  t0?: number;
  /** Leave out the `conn0` column (single-connection inputs). */
  hideConn?: boolean;
  /** Show every field, including zeros and attribute details. */
  verbose?: boolean;
}

/** What `formatMessageLine` needs for one message. */
export interface DumpEvent {
  m: CaptureMessage;
  /** The pairing stage's classification (`request`, `reply`, `notify`, `interrupt`, `orphan-reply`, `malformed` ...). */
  kind: string;
  /** The Exchange the message belongs to (request, or reply with its request), if any. */
  x?: Exchange;
  /** The message walked by protocol/decode.ts. */
  parts: MessageParts;
  /** Message number shown in the first column (e.g. 1-based index in the input). */
  index: number;
}

/** Fields left out of the one-line summary unless verbose (they stay in JSON). */
const QUIET = new Set([
  'generation', 'entry_valid_nsec', 'attr_valid_nsec', 'blocks', 'atime', 'mtime', 'ctime', 'atimensec', 'mtimensec', 'ctimensec',
  'nlink', 'uid', 'gid', 'rdev', 'blksize', 'padding', 'dummy', 'namelen', 'attributes',
  'attributes_mask', 'btime', 'rdev_major', 'rdev_minor', 'dev_major', 'dev_minor', 'spare', 'flags2', 'flags2_names', 'flags64',
  'congestion_threshold', 'map_alignment', 'max_stack_depth', 'request_timeout', 'unused', 'raw', 'hex',
]);
/** Always shown, even when 0. */
const ALWAYS = new Set(['size', 'offset', 'off', 'nodeid', 'count', 'nlookup', 'length', 'len', 'off_in', 'off_out', 'foffset', 'bytes_copied', 'revents', 'result']);
/** Opaque 64-bit handles: hex. */
const HEX = new Set(['fh', 'kh', 'lock_owner', 'owner', 'fh_in', 'fh_out', 'arg', 'cmd', 'notify_unique', 'base', 'moffset']);

/** Drops the per-table prefix of kernel flag names for the compact line. */
const shortNames = memoized(shortenNames);

function shortenNames(s: string): string {
  return s.replace(/\b(?:FUSE_(?:WRITE|READ|RELEASE|FSYNC|GETATTR|LK|IOCTL|POLL|SETXATTR|OPEN|ATTR|SETUPMAPPING_FLAG)_|FOPEN_|FATTR_|FALLOC_FL_)/g, '');
}

function scalar(k: string, v: Json): string {
  if (typeof v === 'string' && HEX.has(k) && /^\d+$/.test(v)) return `0x${BigInt(v).toString(16)}`;
  if (typeof v === 'number' && HEX.has(k)) return `0x${v.toString(16)}`;
  if (typeof v === 'string') return v;
  return String(v);
}

/** What `fields` does with a key, worked out once per distinct key (a dump meets a few hundred). */
interface KeyPlan {
  /** A `_names`/`_name` sibling: shown with its value's key, not on its own. */
  readonly sibling: boolean;
  readonly quiet: boolean;
  readonly always: boolean;
  readonly hex: boolean;
  readonly namesKey: string;
  readonly nameKey: string;
  readonly nsecKey: string;
}
const keyPlan = memoized((k: string): KeyPlan => ({
  sibling: k.endsWith('_names') || k.endsWith('_name'), quiet: QUIET.has(k), always: ALWAYS.has(k), hex: HEX.has(k),
  namesKey: `${k}_names`, nameKey: `${k}_name`, nsecKey: `${k}_nsec`,
}));

/**
 * The `key value` items of a decoded struct object, as the generated
 * writers below print them from the bytes; used for the structs a walk
 * hands over as objects (cut short, or with derived keys such as INIT's).
 */
export function structFieldsText(o: JsonObject, verbose: boolean): string {
  const out: string[] = [];
  fields(o, out, verbose);
  return out.join(' ');
}

function fields(o: JsonObject, out: string[], verbose: boolean, prefix = ''): void {
  for (const k in o) {
    const p = keyPlan(k);
    if (p.sibling) continue;
    if (!verbose && p.quiet) continue;
    const v = o[k];
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) continue;
    if (typeof v === 'object') {
      fields(v, out, verbose, prefix);
      continue;
    }
    const named = o[p.namesKey] ?? o[p.nameKey];
    if (!verbose && v === 0 && !p.always && !(k === 'flags' && typeof o.flags_names === 'string' && o.flags_names.startsWith('O_'))) continue;
    if (typeof named === 'string') out.push(`${prefix}${k} ${shortNames(named)}`);
    else if (k.endsWith('_valid') && typeof v === 'number') {
      const ns = o[p.nsecKey];
      out.push(`${prefix}${k} ${v}${typeof ns === 'number' && ns !== 0 ? `.${String(ns).padStart(9, '0')}` : ''}s`);
    } else if (k === 'umask' && typeof v === 'number') out.push(`${prefix}umask 0${v.toString(8).padStart(3, '0')}`);
    else if (!p.hex) out.push(`${prefix}${k} ${typeof v === 'string' ? v : String(v)}`);
    else out.push(`${prefix}${k} ${scalar(k, v)}`);
  }
}

/**
 * A name in double quotes with JSON's escapes, but a byte that is not UTF-8
 * (the lone surrogate U+DC00 + byte, protocol/names.ts) as `\\xfc`, as the
 * analysis's text shows it, not JSON's `\\udcfc`.
 */
function quote(s: Json): string {
  const q = JSON.stringify(typeof s === 'string' ? s : String(s));
  return q.includes('\\udc') ? q.replace(LONE_BYTE_ESCAPE, (m: string, _e: string, h: string | undefined) => (h ? nameByteText(parseInt(h, 16)) : m)) : q;
}
/** A JSON escape: an escaped backslash (kept) or a lone surrogate U+DC80-U+DCFF's (made `\\xHH`). */
const LONE_BYTE_ESCAPE = /\\(\\|udc([89a-f][0-9a-f]))/g;

/** What a text writer knows of one field when it prints it the slow way (a bigint, a byte array, a first value). */
interface FieldPlan {
  readonly k: string;
  readonly p: KeyPlan;
  readonly flags: FlagSet | undefined;
  readonly enumSet: EnumSet | undefined;
  readonly mode: boolean;
  /** The struct has this `_valid` field's `_nsec` sibling. */
  readonly nsec: boolean;
  /** Shown even when 0 (verbose, or one of ALWAYS). */
  readonly keep: boolean;
}

/**
 * One field's item as `fields` prints it, with its leading space, or '' when
 * left out: `r` the value as read (undefined for a byte array, whose hex is
 * `v`), `ns` the `_nsec` sibling of a `_valid` field. The generated writers
 * print common values without it; its text is what they print.
 */
function itemText(f: FieldPlan, r: number | bigint | undefined, v: number | string, ns: number | undefined): string {
  const { k, p } = f;
  const named = r === undefined ? undefined : f.flags ? flagNames(f.flags, r) : f.enumSet ? enumName(f.enumSet, r) : f.mode ? modeName(r) : undefined;
  if (!f.keep && v === 0 && !(k === 'flags' && f.flags && typeof named === 'string' && named.startsWith('O_'))) return '';
  if (typeof named === 'string') return ` ${k} ${shortNames(named)}`;
  if (k.endsWith('_valid') && typeof v === 'number') return ` ${k} ${v}${f.nsec && typeof ns === 'number' && ns !== 0 ? `.${String(ns).padStart(9, '0')}` : ''}s`;
  if (k === 'umask' && typeof v === 'number') return ` umask 0${v.toString(8).padStart(3, '0')}`;
  return ` ${k} ${p.hex ? scalar(k, v) : v}`;
}

/** The buffer the string forms of the writers below are written into. */
const scratch = new TextBuffer(1 << 12);

/** Most distinct values of a field whose item bytes are kept. */
const MAX_CACHED_ITEMS = 4096;

/** A named field's item bytes for the number `r`, made once and kept (flags, enums, modes repeat). */
function cachedItem(cache: Map<number, Buffer>, f: FieldPlan, r: number): Buffer {
  const b = Buffer.from(itemText(f, r, r, undefined), 'utf8');
  if (cache.size < MAX_CACHED_ITEMS) cache.set(r, b);
  return b;
}

export type TextWriter = (t: TextBuffer, b: Buffer, o: number) => void;

/** Generated text writers by byte order and verbosity. */
const textWriters = [new Map<StructLayout, TextWriter>(), new Map<StructLayout, TextWriter>(), new Map<StructLayout, TextWriter>(), new Map<StructLayout, TextWriter>()];

/**
 * Writes the ` key value` items of the struct `l` at buf[off] (all of it
 * present), each with a leading space: `structFieldsText(structJsonAt(l,
 * buf, off, le))` without the object or a string. Each writer is generated
 * once per layout, byte order and verbosity: what `fields` decides per key
 * (left out, always shown, hex, named, `_valid` with its nanoseconds, umask
 * in octal) is decided when the source is made, and only the value tests
 * remain per message.
 */
function writeStructText(t: TextBuffer, l: StructLayout, buf: Buffer, off: number, le: boolean, verbose: boolean): void {
  textWriterOf(l, le, verbose)(t, buf, off);
}

export function textWriterOf(l: StructLayout, le: boolean, verbose: boolean): TextWriter {
  const cache = textWriters[(le ? 1 : 0) + (verbose ? 2 : 0)]!;
  let w = cache.get(l);
  if (!w) cache.set(l, (w = compileText(l, le, verbose)));
  return w;
}

/** `writeStructText` as a string, items joined by spaces. */
export function structText(l: StructLayout, buf: Buffer, off: number, le: boolean, verbose: boolean): string {
  const from = scratch.pos;
  writeStructText(scratch, l, buf, off, le, verbose);
  return scratch.takeFrom(from).slice(1);
}

function compileText(layout: StructLayout, le: boolean, verbose: boolean): TextWriter {
  const g = new GeneratedCode();
  const dep = (v: unknown): string => g.dep(v);
  const stmts: string[] = [];
  /** Bytes the items written by stores take at most: room for them is made at the start, and again after any call that writes. */
  let fixed = 0;
  const call = (c: string): string => `{ t.pos = p; ${c}; t.room(FIXED); u = t.buf; uv = t.view; p = t.pos; }`;
  /**
   * Source writing the number `r`, a scalar of type `t` as read, at u[p]: by
   * words of four (row-bytes.ts QUADS) when it is a whole number below 2^53
   * (every unsigned one; a u64 that is a number is at most 2^53-1), else as
   * JSON writes it.
   */
  const numberSource = (t: Scalar): string => {
    const quads = `${dep(putUint31Quads)}(uv, p, r)`;
    if (t === 'u8' || t === 'u16') return `p = ${quads};`;
    if (t === 'u32' || t === 'u64') return `p = r < 2147483648 ? ${quads} : ${dep(putSafeQuads)}(uv, p, r);`;
    return `p = r >= 0 && r < 2147483648 ? ${quads} : ${dep(putJsonNumber)}(u, p, r);`;
  };
  const emit = (l: StructLayout, base: string): void => {
    // The keys of the reader's object for this struct (struct-json.ts): each field, then its name.
    const own = new Map<string, string>();
    for (const f of l.fields) {
      if (f.pad) continue;
      own.set(f.name, f.name);
      if (f.flags) own.set(`${f.name}_names`, f.name);
      else if (f.enum || f.name === 'mode') own.set(`${f.name}_name`, f.name);
    }
    const readOf = (name: string): string => {
      const f = l.fields.find((x) => x.name === name)!;
      return f.zero ? '0' : scalarReadSource(f.type as Scalar, `${base} + ${f.offset}`, le, dep);
    };
    for (const f of l.fields) {
      if (f.pad) continue;
      const k = f.name;
      const p = keyPlan(k);
      if (p.sibling || (!verbose && p.quiet)) continue;
      const t = f.type;
      const at = `${base} + ${f.offset}`;
      if (typeof t === 'object' && 'kind' in t) {
        emit(t, at);
        continue;
      }
      if (own.has(p.namesKey) && own.get(p.namesKey) !== k || own.has(p.nameKey) && own.get(p.nameKey) !== k) {
        throw new Error(`dump text: ${l.name}.${k}: a name key of another field`);
      }
      const isScalar = typeof t !== 'object';
      const nsec = k.endsWith('_valid') && own.has(p.nsecKey);
      const plan: FieldPlan = {
        k, p, flags: isScalar ? f.flags : undefined, enumSet: isScalar ? f.enum : undefined, mode: isScalar && k === 'mode', nsec, keep: verbose || p.always,
      };
      const F = dep(plan);
      const slow = dep(itemText);
      if (!isScalar) {
        const hexOf = f.zero ? JSON.stringify('00'.repeat(t.bytes)) : `b.toString('hex', ${at}, ${at} + ${t.bytes})`;
        stmts.push(call(`t.str(${slow}(${F}, undefined, ${hexOf}, undefined));`));
        continue;
      }
      const wide = t === 'u64' || t === 'i64';
      const ns = nsec ? readOf(p.nsecKey) : 'undefined';
      const slowCall = call(`t.str(${slow}(${F}, r, ${wide ? 'r.toString()' : 'r'}, ${ns}))`);
      let fast: string;
      let other = slowCall;
      const skip = plan.keep ? '' : 'r !== 0 && ';
      const key = storesSource(` ${k} `, dep);
      fixed += k.length + 2 + MAX_NUMBER_TEXT;
      if (plan.flags || plan.enumSet || plan.mode || k === 'umask') {
        // The item depends on the value alone: its bytes are kept per value.
        const cache = dep(new Map<number, Buffer>());
        fast = call(`t.bytes(${cache}.get(r) ?? ${dep(cachedItem)}(${cache}, ${F}, r));`);
      } else if (k.endsWith('_valid')) {
        fixed += 2 + MAX_NUMBER_TEXT;
        fast = `if (${skip}true) { ${key} ${numberSource(t)}${nsec ? ` const ns = ${ns}; if (ns !== 0) { u[p++] = 46; p = ${dep(putNanos)}(u, uv, p, ns); }` : ''} u[p++] = 115; }`;
      } else if (p.hex) {
        fast = `if (r < 0) ${slowCall} else if (${skip}true) { ${key} p = ${dep(putHex)}(u, p, r); }`;
        // A u64 past 2^53 (lock owners): its hex digits, as `scalar` makes them of its decimal text.
        if (t === 'u64') other = `if (r >= 0n) ${call(`t.bytes(${dep(Buffer.from(` ${k} `, 'latin1'))}); t.str('0x' + r.toString(16));`)} else ${slowCall}`;
      } else {
        fast = `if (${skip}true) { ${key} ${numberSource(t)} }`;
      }
      // A field newer than the negotiated minor (layout.ts layoutAt) reads as 0.
      stmts.push(`{ const r = ${f.zero ? '0' : scalarReadSource(t, at, le, dep)}; if (typeof r === 'number') { ${fast} } else { ${other} } }`);
    }
  };
  emit(layout, 'o');
  const src = `return function text_${layout.name}(t, b, o) { ${viewSource(dep)} t.room(FIXED); let u = t.buf; let uv = t.view; let p = t.pos; ${stmts.join(' ')} t.pos = p; };`;
  return g.compile<TextWriter>(src.replaceAll('FIXED', String(fixed)));
}

/** Nanoseconds as `String(ns).padStart(9, '0')` at u[p] (`v` its DataView; room for MAX_NUMBER_TEXT taken). */
function putNanos(u: Buffer, v: DataView, p: number, ns: number): number {
  if (ns >= 1e9) return putJsonNumber(u, p, ns);
  return putNineQuads(v, p, ns);
}

/**
 * `(ns / 10^(3+d)).toFixed(d)` padded to `width` with spaces in front: a
 * time in seconds (d = 6) or a duration in ms (d = 3), both rounded to the
 * microsecond. For whole ns that is k = round(ns / 1000) written as digits;
 * toFixed rounds the double's exact value, which lies within half a unit
 * of the last place of ns / 10^(3+d), far nearer than 1 ns to ns itself
 * below 4e15 ns (46 days), so only a tie (ns ending in 500) or a value
 * outside that range needs toFixed.
 */
export function writeFixedNs(t: TextBuffer, ns: number, d: 3 | 6, width: number): void {
  t.room(width + FIXED_ROOM);
  t.pos = putFixedNs(t.buf, t.view, t.pos, ns, d, width);
}

/** Bytes `putFixedNs` writes at most besides its padding: toFixed of any double with 6 decimals ('-' and 21 digits, or an exponent form). */
const FIXED_ROOM = 32;

/**
 * `writeFixedNs` at u[p] (`v` its DataView; room for `width + FIXED_ROOM`
 * bytes taken); returns the position after it. Digits by words of four
 * (row-bytes.ts QUADS): a byte or two past the text may be overwritten.
 */
function putFixedNs(u: Buffer, v: DataView, p: number, ns: number, d: 3 | 6, width: number): number {
  if (!(ns >= 0 && ns < 4e15 && Number.isInteger(ns))) return putFixedSlow(u, p, ns, d, width);
  // ns = 1000 q + r and k = scale whole + frac, quotients by multiplying (a division costs several
  // multiplications; `ns % 1000` on a double was a call of the C library's fmod on every line). Exact below
  // 4e15: the double 0.001 is a little above 0.001, so a product with a whole multiple never rounds below
  // it, and the product's error (under 6e-4) is short of the 0.001 between the last fraction and the next
  // integer and of half its ulp; the double 1e-6 is a little below 1e-6, and k * 1e-6 < 4e6 misses a whole
  // multiple by under 2e-10, less than half its ulp. The test checks whole multiples and their neighbours.
  const q = Math.floor(ns * 0.001);
  const r = ns - q * 1000;
  if (r === 500) return putFixedSlow(u, p, ns, d, width);
  const k = r > 500 ? q + 1 : q;
  const scale = d === 6 ? 1e6 : 1e3;
  const whole = Math.floor(k * (d === 6 ? 1e-6 : 1e-3));
  const frac = k - whole * scale;
  if (whole >= 1e9) return putFixedSlow(u, p, ns, d, width);
  const n = digitCount(whole);
  for (let pad = width - (n + 1 + d); pad > 0; pad--) u[p++] = 0x20;
  p = putUint31Quads(v, p, whole);
  u[p++] = 0x2e;
  return d === 6 ? putSixQuads(v, p, frac) : putThreeQuads(v, p, frac);
}

function putFixedSlow(u: Buffer, p: number, ns: number, d: 3 | 6, width: number): number {
  const s = (ns / (d === 6 ? 1e9 : 1e6)).toFixed(d).padStart(width);
  for (let i = 0; i < s.length; i++) u[p++] = s.charCodeAt(i);
  return p;
}

/**
 * One request extension as decode.ts lists it, for a text line: `secctx
 * none` (the header the kernel sends when no security module labels the
 * file), `secctx "security.selinux" 20 bytes`, `groups 1000 1001`, `type
 * 40 16 bytes` for a type fusetrace does not know, `error (...)`.
 */
function extensionText(e: JsonObject): string {
  if (typeof e.error === 'string') return `error (${escapeControls(e.error)})`;
  if (e.type === 'fuse_secctx_header') {
    const ctxs = (e.contexts ?? []) as JsonObject[];
    return ctxs.length === 0 ? 'secctx none' : `secctx ${ctxs.map((c) => `${quote(c.name ?? '')} ${c.size} bytes`).join(' ')}`;
  }
  if (e.type === 'FUSE_EXT_GROUPS') return `groups ${((e.groups ?? []) as Json[]).join(' ') || 'none'}`;
  return `type ${e.type} ${e.size} bytes`;
}

/** One body value's text (names quoted, lists shortened), or undefined when it shows nothing. */
function valueText(P: MessageParts, k: string, v: Json, verbose: boolean): string | undefined {
  if (v === null || v === undefined) return undefined;
  switch (k) {
    case 'name': case 'oldname': case 'newname': case 'linkname':
      return k === 'name' ? quote(v) : `${k} ${quote(v)}`;
    case 'data': case 'value': {
      const o = v as JsonObject;
      return `${k === 'data' ? 'data' : 'value'} ${o.length}${o.captured !== o.length ? ` (${o.captured} captured)` : ''}`;
    }
    case 'entries': {
      const a = v as JsonObject[];
      const names = a.slice(0, verbose ? a.length : 6).map((e) => quote(e.name ?? ''));
      return `${a.length} entries${names.length ? ` ${names.join(' ')}${a.length > names.length ? ' ...' : ''}` : ''}`;
    }
    case 'names': return `names ${(v as Json[]).map(quote).join(' ')}`;
    case 'forgets': {
      const a = v as JsonObject[];
      const shown = a.slice(0, verbose ? a.length : 8).map((f) => `${f.nodeid}:${f.nlookup}`);
      return `forgets ${shown.join(' ')}${a.length > shown.length ? ' ...' : ''}`;
    }
    case 'ranges': case 'iovecs': {
      const a = v as JsonObject[];
      return `${k} ${a.map((r) => `${scalar('base', (r.moffset ?? r.base) as Json)}+${r.len}`).join(' ')}`;
    }
    case 'nodeids': return `nodeids ${(v as Json[]).join(' ')}`;
    case 'info': return `info ${(v as Json[]).map(quote).join(' ')}`;
    case 'ext': return `ext ${(v as JsonObject[]).map(extensionText).join('; ')}`;
    case 'raw': return `raw ${P.valueOf('raw_length') ?? ''} bytes`;
    case 'raw_length': return undefined;
    case 'negotiated_minor': return `negotiated 7.${v}`;
    case 'setxattr_in_size_inferred': return verbose ? `setxattr_in ${v} bytes (inferred)` : undefined;
    case 'fuse_init_in': case 'fuse_init_out': {
      const o = v as JsonObject;
      const rest = structFieldsText(Object.fromEntries(Object.entries(o).filter(([kk]) => !['major', 'minor', 'flags', 'flags_names'].includes(kk))), verbose);
      return `${o.major}.${o.minor}${rest ? ' ' + rest : ''}${o.flags64_names !== undefined ? ` flags ${o.flags64_names}` : ''}`;
    }
    default:
      if (typeof v === 'object' && !Array.isArray(v)) return structFieldsText(v, verbose) || undefined;
      return `${k} ${scalar(k, v)}`;
  }
}

/** Writes a walked message's body as ` key value` items (each with its leading space), names quoted, lists shortened. */
function writeBody(t: TextBuffer, P: MessageParts, verbose: boolean): void {
  const plan = P.count > 0 ? keptPlan(P) : undefined;
  for (let i = 0; i < P.count; i++) {
    switch (P.kinds[i]) {
      case Part.STRUCT: {
        const l = P.layouts[i]!;
        if (plan !== undefined) bodyWriter(plan, P, i, l, verbose)(t, P.data, P.nums[i]!);
        else writeStructText(t, l, P.data, P.nums[i]!, P.le, verbose);
        break;
      }
      case Part.DATA:
        writeDataItem(t, P.nums[i]!, P.caps[i]!);
        break;
      case Part.TEXT:
        if (P.keys[i] === 'name' && writePlainQuoted(t, SPACE, P.data, P.nums[i]!, P.caps[i]!)) break;
        writeValue(t, P, P.keys[i]!, P.textOf(i), verbose);
        break;
      default: writeValue(t, P, P.keys[i]!, P.values[i]!, verbose);
    }
  }
}

/** A body value's item (`valueText`), with its leading space and escapes. */
function writeValue(t: TextBuffer, P: MessageParts, k: string, v: Json, verbose: boolean): void {
  const s = valueText(P, k, v, verbose);
  if (s) {
    t.byte(0x20);
    t.str(escapeControls(s));
  }
}

/**
 * `key` (` ` for a name, ` oldname ` ...) and `"name"` for a name (data[start,
 * end), UTF-8) of printable ASCII without quote or backslash, which `quote`
 * and `escapeControls` leave as it is (nearly every name); false, and
 * nothing written, for any other.
 */
export function writePlainQuoted(t: TextBuffer, key: Buffer, data: Buffer, start: number, end: number): boolean {
  t.room(end - start + key.length + 2);
  const u = t.buf;
  let p = putPiece(u, t.pos, key);
  u[p++] = 0x22;
  for (let i = start; i < end; i++) {
    const c = data[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
    u[p++] = c;
  }
  u[p++] = 0x22;
  t.pos = p;
  return true;
}

/** The item before a name: its leading space. */
const SPACE = Buffer.from(' ', 'latin1');

/** ` data N` (` (C captured)` when only C of its N bytes were). */
export function writeDataItem(t: TextBuffer, n: number, c: number): void {
  t.bytes(DATA_ITEM);
  t.num(n);
  if (c !== n) {
    t.bytes(OPEN_PAREN);
    t.num(c);
    t.bytes(CAPTURED);
  }
}

const DATA_ITEM = Buffer.from(' data ', 'latin1');
const OPEN_PAREN = Buffer.from(' (', 'latin1');
const CAPTURED = Buffer.from(' captured)', 'latin1');
const NOTIFY_ARROW = Buffer.from('<~ NOTIFY ', 'latin1');
const NODEID = Buffer.from(' nodeid ', 'latin1');
const UID = Buffer.from(' uid ', 'latin1');
const GID = Buffer.from(' gid ', 'latin1');
const NO_HEADER_IDS = Buffer.from(' uid undefined gid undefined pid undefined', 'latin1');
const REPLY_WORD = Buffer.from('reply', 'latin1');
const NO_MATCH = Buffer.from(' (no matching request)', 'latin1');
const TO_INTERRUPT = Buffer.from(' (to INTERRUPT)', 'latin1');

/** A reply's error name (`replyErrorName` of `code`, as the walk's `P.headerValue` has it), its bytes kept by number. */
export function writeErrorName(t: TextBuffer, code: number): void {
  const byErrno = code <= 0 && code > -ERRNO_PIECES;
  let b = byErrno ? errnoPieces[-code] : errorPieces.get(code);
  if (b === undefined) {
    b = Buffer.from(escapeControls(replyErrorName(code)), 'utf8');
    if (byErrno) errnoPieces[-code] = b;
    else if (errorPieces.size < MAX_CACHED_ITEMS) errorPieces.set(code, b);
  }
  t.bytes(b);
}
/** OK and the errnos Linux defines have their bytes in an array; other codes (a damaged reply's) in a bounded map. */
const ERRNO_PIECES = 512;
const errnoPieces = new Array<Buffer | undefined>(ERRNO_PIECES);
const errorPieces = new Map<number, Buffer>();

/** Bytes the number, time, conn and tid columns take at most (their numbers each at most MAX_NUMBER_TEXT). */
const HEAD_ROOM = 16 + 10 + FIXED_ROOM + 3 * MAX_NUMBER_TEXT;

/**
 * The number column (`index` < 0: none) and the time, conn and tid columns:
 * `   12  0.001234  conn0 tid 4242  `, with one room check and plain stores
 * (every line starts with them).
 */
export function writeHead(t: TextBuffer, index: number, tNs: number, conn: number, tid: number, opts: DumpFormatOptions): void {
  t.room(HEAD_ROOM);
  const u = t.buf;
  const v = t.view;
  let p = t.pos;
  if (index >= 0) {
    // `String(n).padStart(5)`
    const len = index < 1e9 && (index | 0) === index ? digitCount(index) : 0;
    if (len === 0) p = putJsonNumber(u, p, index);
    else {
      for (let pad = 5 - len; pad > 0; pad--) u[p++] = 0x20;
      p = putUint31Quads(v, p, index);
    }
  }
  u[p] = 0x20;
  u[p + 1] = 0x20;
  p = putFixedNs(u, v, p + 2, tNs - (opts.t0 ?? 0), 6, 10);
  u[p] = 0x20;
  u[p + 1] = 0x20;
  p += 2;
  if (opts.hideConn !== true) {
    u[p] = 0x63; // conn
    u[p + 1] = 0x6f;
    u[p + 2] = 0x6e;
    u[p + 3] = 0x6e;
    p = putJsonNumber(u, p + 4, conn);
    u[p++] = 0x20;
  }
  u[p] = 0x74; // tid
  u[p + 1] = 0x69;
  u[p + 2] = 0x64;
  u[p + 3] = 0x20;
  p += 4;
  if (tid >= 0) p = tid < 2147483648 && (tid | 0) === tid ? putUint31Quads(v, p, tid) : putJsonNumber(u, p, tid);
  else u[p++] = 0x3f;
  u[p] = 0x20;
  u[p + 1] = 0x20;
  t.pos = p + 2;
}

function writeTail(t: TextBuffer, P: MessageParts): void {
  if (P.truncated) t.str(escapeControls(` [${P.truncated}]`));
  if (P.problem) t.str(escapeControls(` [malformed: ${P.problem}]`));
}

const IN_UNIQUE = fuse_in_header.offsets.unique ?? 8;
const IN_NODEID = fuse_in_header.offsets.nodeid ?? 16;
const IN_UID = fuse_in_header.offsets.uid ?? 24;
const IN_GID = fuse_in_header.offsets.gid ?? 28;
const IN_PID = fuse_in_header.offsets.pid ?? 32;
const OUT_UNIQUE = fuse_out_header.offsets.unique ?? 8;

/** Bytes the ` #unique nodeid N uid N gid N pid N` of a request take at most. */
const IDS_ROOM = 64 + 5 * MAX_NUMBER_TEXT;

/**
 * What a line needs of each message type and opcode, found by array index:
 * the op column's bytes (a request's with ` (opcode N)` after an unknown
 * one's `?0x63`), kept with the name they were made of (a reply without
 * its request shows none, a notification its own code's), and the text
 * writers of the body structs last seen at each position (for one byte
 * order and verbosity, `variant`).
 */
interface OpPlan {
  readonly op: string;
  readonly bytes: Buffer;
  variant: number;
  readonly layouts: (StructLayout | undefined)[];
  readonly writers: TextWriter[];
}
const opPlans = [0, 1].map(() => new Array<OpPlan | undefined>(256));

function opPiece(P: MessageParts, request: boolean): Buffer {
  const code = P.opcode;
  const byCode = code !== undefined && code >= 0 && code < 256 ? opPlans[request ? 1 : 0]! : undefined;
  const kept = byCode?.[code!];
  if (kept !== undefined && kept.op === P.op) return kept.bytes;
  const bytes = opBytes(P.op, code, request);
  if (byCode !== undefined) byCode[code!] = { op: P.op, bytes, variant: -1, layouts: [], writers: [] };
  return bytes;
}

/** The op column's bytes of `op` (a request's with ` (opcode N)` after an unknown one's `?0x63`). */
export function opBytes(op: string, code: number | undefined, request: boolean): Buffer {
  let text = escapeControls(op);
  if (request && code !== undefined && op.startsWith('?')) text += ` (opcode ${code})`;
  return Buffer.from(text, 'utf8');
}

/** The plan `opPiece` keeps for this message, if any. */
function keptPlan(P: MessageParts): OpPlan | undefined {
  const code = P.opcode;
  if (code === undefined || code < 0 || code >= 256) return undefined;
  const kept = opPlans[P.type === 'request' ? 1 : 0]![code];
  return kept !== undefined && kept.op === P.op ? kept : undefined;
}

/** The text writer of body struct `i` of P (`l`), kept in the plan for the next message of its opcode. */
function bodyWriter(plan: OpPlan, P: MessageParts, i: number, l: StructLayout, verbose: boolean): TextWriter {
  const variant = (P.le ? 1 : 0) + (verbose ? 2 : 0);
  if (plan.variant !== variant) {
    plan.variant = variant;
    plan.layouts.length = 0;
    plan.writers.length = 0;
  }
  if (plan.layouts[i] === l) return plan.writers[i]!;
  const w = textWriterOf(l, P.le, verbose);
  plan.layouts[i] = l;
  plan.writers[i] = w;
  return w;
}

/** The request part: `WRITE #24 nodeid 5 fh 0x9 offset 4096 ...`, after `-> ` when `arrow`. */
function writeRequest(t: TextBuffer, P: MessageParts, verbose: boolean, arrow: boolean): void {
  writeRequestHead(t, opPiece(P, true), P.header !== undefined ? P.data : undefined, P.headerAt, P.le, verbose, arrow);
  writeBody(t, P, verbose);
}

/**
 * `-> ` when `arrow`, the op column's bytes `op`, then ` #unique`, ` nodeid
 * N` unless 0, ` pid N` unless 0 (uid and gid too when verbose) from the
 * request header at data[h] (without `data`, what verbose shows of a
 * missing header): one room check, plain stores.
 */
export function writeRequestHead(t: TextBuffer, op: Buffer, data: Buffer | undefined, h: number, le: boolean, verbose: boolean, arrow: boolean): void {
  t.room(IDS_ROOM + op.length);
  const u = t.buf;
  let p = t.pos;
  if (arrow === true) {
    u[p] = 0x2d;
    u[p + 1] = 0x3e;
    u[p + 2] = 0x20;
    p += 3;
  }
  p = putPiece(u, p, op);
  if (data === undefined) {
    t.pos = p;
    if (verbose) t.bytes(NO_HEADER_IDS);
    return;
  }
  u[p] = 0x20;
  u[p + 1] = 0x23;
  const v = t.view;
  // The header's words through the message's DataView (the header is all there), not Buffer's readUInt32 with its offset check.
  const bv = viewOf(data);
  p = putU64At(u, v, p + 2, data, h + IN_UNIQUE, le);
  if ((bv.getUint32(h + IN_NODEID, le) | bv.getUint32(h + IN_NODEID + 4, le)) !== 0) {
    p = putPiece(u, p, NODEID);
    p = putU64At(u, v, p, data, h + IN_NODEID, le);
  }
  if (verbose) {
    p = putPiece(u, p, UID);
    p = putU32(u, p, bv.getUint32(h + IN_UID, le));
    p = putPiece(u, p, GID);
    p = putU32(u, p, bv.getUint32(h + IN_GID, le));
  }
  const pid = bv.getUint32(h + IN_PID, le);
  if (verbose || pid !== 0) {
    u[p] = 0x20; // pid
    u[p + 1] = 0x70;
    u[p + 2] = 0x69;
    u[p + 3] = 0x64;
    u[p + 4] = 0x20;
    p = pid < 2147483648 ? putUint31Quads(v, p + 5, pid) : putU32(u, p + 5, pid);
  }
  t.pos = p;
}

/** The result part: `OK size 65536` or `-ENOENT`. */
function writeResult(t: TextBuffer, P: MessageParts, verbose: boolean): void {
  if (P.headerKey === REPLY_HEADER_KEY) writeErrorName(t, P.headerCode);
  else t.byte(0x3f);
  writeBody(t, P, verbose);
}

/** ` (0.210 ms)`: a latency, as `formatMs` writes it, in parentheses. */
export function writeLatency(t: TextBuffer, ns: number): void {
  t.room(8 + FIXED_ROOM);
  const u = t.buf;
  u[t.pos] = 0x20;
  u[t.pos + 1] = 0x28;
  const p = putFixedNs(u, t.view, t.pos + 2, ns, 3, 0);
  u[p] = 0x20; // ms)
  u[p + 1] = 0x6d;
  u[p + 2] = 0x73;
  u[p + 3] = 0x29;
  t.pos = p + 4;
}

/**
 * One line for one message (no newline): `index time conn tid arrow
 * summary`. Requests (`->`), replies (`<-`, with latency when the request
 * is known), notifications (`<~ NOTIFY INVAL_INODE ...`). Problems and
 * truncation are appended in brackets. Text from the capture (names) is
 * shown with escapes (untrusted-text.ts). `index` < 0 leaves out the number
 * column (a line numbered when it is printed).
 */
export function writeMessageLine(t: TextBuffer, m: CaptureMessage, kind: string, x: Exchange | undefined, P: MessageParts, index: number, opts: DumpFormatOptions): void {
  const v = opts.verbose ?? false;
  writeHead(t, index, m.t, m.conn, m.tid, opts);
  if (P.type === 'request') {
    writeRequest(t, P, v, true);
  } else if (P.type === 'notify') {
    t.bytes(NOTIFY_ARROW);
    t.bytes(opPiece(P, false));
    writeBody(t, P, v);
    // As `trimEnd` of the text before the brackets: a body that ends in blanks (an empty list) loses them.
    while (t.pos > 0 && isBlank(t.buf[t.pos - 1]!)) t.pos--;
  } else {
    writeReplyStart(t, P, x !== undefined, kind === 'interrupt-reply');
    writeResult(t, P, v);
    if (x && Number.isFinite(x.tReq)) writeLatency(t, m.t - x.tReq);
  }
  writeTail(t, P);
}

/** `<- WRITE #24 ` (`<- reply #24 (no matching request) ` without its request). */
function writeReplyStart(t: TextBuffer, P: MessageParts, matched: boolean, toInterrupt: boolean): void {
  writeReplyHead(t, matched ? opPiece(P, false) : REPLY_WORD, P.header !== undefined ? P.data : undefined, P.headerAt, P.le, matched, toInterrupt);
}

/**
 * `<- `, the op column's bytes `op`, ` #unique` from the reply header at
 * data[h] (none without `data`), the notes of an unmatched reply or one to
 * an INTERRUPT, and a space: one room check, plain stores.
 */
export function writeReplyHead(t: TextBuffer, op: Buffer, data: Buffer | undefined, h: number, le: boolean, matched: boolean, toInterrupt: boolean): void {
  t.room(REPLY_ROOM + op.length);
  const u = t.buf;
  let p = t.pos;
  u[p] = 0x3c;
  u[p + 1] = 0x2d;
  u[p + 2] = 0x20;
  p = putPiece(u, p + 3, op);
  if (data !== undefined) {
    u[p] = 0x20;
    u[p + 1] = 0x23;
    p = putU64At(u, t.view, p + 2, data, h + OUT_UNIQUE, le);
  }
  if (matched !== true) p = putPiece(u, p, NO_MATCH);
  if (toInterrupt === true) p = putPiece(u, p, TO_INTERRUPT);
  u[p] = 0x20;
  t.pos = p + 1;
}

/** Bytes `writeReplyStart` takes besides the op's. */
const REPLY_ROOM = 8 + MAX_NUMBER_TEXT + NO_MATCH.length + TO_INTERRUPT.length;

/** The bytes of `b` at u[p] (room taken): a short piece by a loop, which costs less than set() up to a dozen bytes. */
function putPiece(u: Buffer, p: number, b: Buffer): number {
  const n = b.length;
  if (n > 12) u.set(b, p);
  else for (let i = 0; i < n; i++) u[p + i] = b[i]!;
  return p + n;
}

const isBlank = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** `writeMessageLine` as a string. */
export function formatMessageLine(ev: DumpEvent, opts: DumpFormatOptions = {}): string {
  const from = scratch.pos;
  writeMessageLine(scratch, ev.m, ev.kind, ev.x, ev.parts, ev.index, opts);
  return scratch.takeFrom(from);
}

/** A request as its exchange line shows it: the summary and its brackets (kept while the request waits for its reply). */
export function exchangeRequestText(P: MessageParts, verbose = false): string {
  const from = scratch.pos;
  writeRequest(scratch, P, verbose, false);
  writeTail(scratch, P);
  return scratch.takeFrom(from);
}

/**
 * The part of an exchange line after its time columns: the request
 * (`exchangeRequestText`), `=>`, the result and the latency; `=> (no reply
 * expected)` for FORGET-like requests and `=> (no reply)` when the capture
 * ended first.
 */
function exchangeText(x: Exchange, request: string, reply: MessageParts | undefined, opts: DumpFormatOptions = {}): string {
  const from = scratch.pos;
  scratch.str(request);
  writeExchangeResult(scratch, x, reply, opts.verbose ?? false);
  return scratch.takeFrom(from);
}

const RESULT_ARROW = Buffer.from(' => ', 'latin1');

/**
 * What follows an exchange line's request: ` => `, the walked reply's
 * result (`writeResult`), its latency and thread (`writeReplyTimes`), its
 * brackets, then the INTERRUPTs (`writeInterrupts`); without a reply, what
 * became of the request.
 */
export function writeExchangeResult(t: TextBuffer, x: Exchange, reply: MessageParts | undefined, verbose: boolean): void {
  writeResultArrow(t);
  if (reply) {
    writeResult(t, reply, verbose);
    writeReplyTimes(t, x);
    writeTail(t, reply);
  } else {
    t.str(x.noReplyExpected ? '(no reply expected)' : '(no reply)');
  }
  writeInterrupts(t, x);
}

/** The start of what follows an exchange line's request, before the result: ` => `. */
export function writeResultArrow(t: TextBuffer): void {
  t.bytes(RESULT_ARROW);
}

/** An answered exchange's latency, ` (0.210 ms)`, and ` reply tid N` when another thread than the request's answered. */
export function writeReplyTimes(t: TextBuffer, x: Exchange): void {
  writeLatency(t, x.tReply - x.tReq);
  if (x.replyTid >= 0 && x.replyTid !== x.tid) t.str(` reply tid ${x.replyTid}`);
}

/** ` [interrupted 2x after 0.500 ms]` for an exchange that INTERRUPTs reached. */
export function writeInterrupts(t: TextBuffer, x: Exchange): void {
  if (x.interrupts > 0) t.str(` [interrupted ${x.interrupts}x after ${formatMs(x.tInterrupt - x.tReq)}]`);
}

/**
 * One line per exchange (`dump --exchanges`): `exchangeHead` and
 * `exchangeText`. Times and tid are the request's.
 */
export function formatExchangeLine(x: Exchange, request: string, reply: MessageParts | undefined, opts: DumpFormatOptions = {}): string {
  return exchangeHead(x, opts) + exchangeText(x, request, reply, opts);
}

/** The columns of an exchange line before its text: number (the request's), time, conn, tid. */
export function exchangeHead(x: Exchange, opts: DumpFormatOptions = {}): string {
  const from = scratch.pos;
  writeHead(scratch, x.reqIndex + 1, x.tReq, x.conn, x.tid, opts);
  return scratch.takeFrom(from);
}

/**
 * A passthrough backing-file ioctl (capture-format.md §1): not a message, so
 * no number; `==` marks it apart from the messages' `->`/`<-`.
 */
export function formatBackingLine(b: BackingOp, opts: DumpFormatOptions = {}): string {
  const t = ((b.t - (opts.t0 ?? 0)) / 1e9).toFixed(6);
  const who = `${opts.hideConn ? '' : `conn${b.conn} `}tid ${b.tid}`;
  const res = b.result < 0 ? `-${errnoName(-b.result)}` : String(b.result);
  if (b.op === 'close') return `${''.padStart(5)}  ${t.padStart(10)}  ${who}  == BACKING_CLOSE id ${b.arg} -> ${res}`;
  const dev = typeof b.dev === 'bigint' ? b.dev : BigInt(b.dev);
  // glibc dev_t (gnu_dev_major, gnu_dev_minor): major in bits 8-19 and 44-63, minor in bits 0-7 and 20-43.
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
  const ident = [b.path !== '' ? b.path : '', b.ino !== 0 ? `(dev ${major}:${minor}, ino ${b.ino})` : ''].filter((x) => x !== '').join(' ');
  return `${''.padStart(5)}  ${t.padStart(10)}  ${who}  == BACKING_OPEN fd ${b.arg}${b.flags ? ` flags ${b.flags}` : ''} -> ${b.result < 0 ? res : `id ${res}`}${ident ? ' ' + ident : ''}`;
}
