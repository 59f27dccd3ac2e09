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
import { errnoName } from '../model/format.js';
import type { Exchange } from '../protocol/exchange.js';
import { Part, type Json, type JsonObject, type MessageParts } from '../protocol/decode.js';
import { u32, u64, type StructLayout } from '../protocol/layout.js';
import { fuse_in_header, fuse_out_header } from '../protocol/layouts/header.js';
import { enumName, flagNames, modeName, scalarSource, wide } from '../protocol/struct-json.js';
import { formatMs } from '../model/format.js';
import { GeneratedCode } from '../model/generated-code.js';

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
function shortNames(s: string): string {
  let short = shortCache.get(s);
  if (short === undefined) {
    short = shortenNames(s);
    if (shortCache.size < 4096) shortCache.set(s, short);
  }
  return short;
}
const shortCache = new Map<string, string>();

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
const keyPlans = new Map<string, KeyPlan>();

function keyPlan(k: string): KeyPlan {
  let p = keyPlans.get(k);
  if (!p) {
    p = {
      sibling: k.endsWith('_names') || k.endsWith('_name'), quiet: QUIET.has(k), always: ALWAYS.has(k), hex: HEX.has(k),
      namesKey: `${k}_names`, nameKey: `${k}_name`, nsecKey: `${k}_nsec`,
    };
    if (keyPlans.size < 4096) keyPlans.set(k, p);
  }
  return p;
}

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

function quote(s: Json): string {
  return JSON.stringify(typeof s === 'string' ? s : String(s));
}

type TextWriter = (b: Buffer, o: number) => string;

/** Generated text writers by byte order and verbosity. */
const textWriters = [new Map<StructLayout, TextWriter>(), new Map<StructLayout, TextWriter>(), new Map<StructLayout, TextWriter>(), new Map<StructLayout, TextWriter>()];

/**
 * The `key value` items of the struct `l` at buf[off] (all of it present),
 * joined by spaces: `structFieldsText(structJsonAt(l, buf, off, le))`
 * without the object. Each writer is generated once per layout, byte order
 * and verbosity: what `fields` decides per key (left out, always shown,
 * hex, named, `_valid` with its nanoseconds, umask in octal) is decided
 * when the source is made, and only the value tests remain per message.
 */
export function structText(l: StructLayout, buf: Buffer, off: number, le: boolean, verbose: boolean): string {
  const cache = textWriters[(le ? 1 : 0) + (verbose ? 2 : 0)]!;
  let w = cache.get(l);
  if (!w) cache.set(l, (w = compileText(l, le, verbose)));
  return w(buf, off);
}

function compileText(layout: StructLayout, le: boolean, verbose: boolean): TextWriter {
  const g = new GeneratedCode();
  const dep = (v: unknown): string => g.dep(v);
  const stmts: string[] = [];
  let locals = 0;
  const emit = (l: StructLayout, base: string): void => {
    // The keys of the reader's object for this struct (struct-json.ts): each field, then its name.
    const own = new Map<string, string>();
    for (const f of l.fields) {
      if (f.pad) continue;
      own.set(f.name, f.name);
      if (f.flags) own.set(`${f.name}_names`, f.name);
      else if (f.enum || f.name === 'mode') own.set(`${f.name}_name`, f.name);
    }
    const valueOf = (name: string): string => {
      const f = l.fields.find((x) => x.name === name)!;
      const t = f.type as Parameters<typeof scalarSource>[0];
      const read = scalarSource(t, `${base} + ${f.offset}`, le, dep);
      return t === 'u64' || t === 'i64' ? `${dep(wide)}(${read})` : read;
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
      const v = `v${locals++}`;
      const r = `r${locals++}`;
      if (typeof t === 'object') {
        stmts.push(`const ${v} = b.toString('hex', ${at}, ${at} + ${t.bytes});`);
      } else {
        stmts.push(`const ${r} = ${scalarSource(t, at, le, dep)};`);
        stmts.push(`const ${v} = ${t === 'u64' || t === 'i64' ? `${dep(wide)}(${r})` : r};`);
      }
      // The name shown instead of the value, as `o[k_names] ?? o[k_name]`.
      let named: string | undefined;
      if (typeof t !== 'object') {
        if (f.flags) named = `${dep(flagNames)}(${dep(f.flags)}, ${r})`;
        else if (f.enum) named = `${dep(enumName)}(${dep(f.enum)}, ${r})`;
        else if (k === 'mode') named = `${dep(modeName)}(${r})`;
      }
      const nm = `n${locals++}`;
      if (named) stmts.push(`const ${nm} = ${named};`);
      const head = JSON.stringify(`${k} `);
      let item = p.hex ? `${head} + ${dep(scalar)}(${JSON.stringify(k)}, ${v})` : `${head} + ${v}`;
      if (k === 'umask') item = `(typeof ${v} === 'number' ? 'umask 0' + ${v}.toString(8).padStart(3, '0') : ${item})`;
      if (k.endsWith('_valid')) {
        const nsec = own.has(p.nsecKey) ? valueOf(p.nsecKey) : undefined;
        const ns = `s${locals++}`;
        if (nsec) stmts.push(`const ${ns} = ${nsec};`);
        const frac = nsec ? `(typeof ${ns} === 'number' && ${ns} !== 0 ? '.' + String(${ns}).padStart(9, '0') : '')` : `''`;
        item = `(typeof ${v} === 'number' ? ${head} + ${v} + ${frac} + 's' : ${item})`;
      }
      if (named) item = `(typeof ${nm} === 'string' ? ${head} + ${dep(shortNames)}(${nm}) : ${item})`;
      let skip = 'false';
      if (!verbose && !p.always) {
        const keepFlags = k === 'flags' && f.flags ? ` && !(typeof ${nm} === 'string' && ${nm}.startsWith('O_'))` : '';
        skip = `${v} === 0${keepFlags}`;
      }
      stmts.push(`if (!(${skip})) s += (s === '' ? '' : ' ') + ${item};`);
    }
  };
  emit(layout, 'o');
  const src = `return function text_${layout.name}(b, o) { let s = ''; ${stmts.join(' ')} return s; };`;
  return g.compile<TextWriter>(src);
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
    case 'ext': return `ext ${JSON.stringify(v)}`;
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

/** The body of a walked message as `key value` pairs, names quoted, lists shortened. */
function summarizeBody(P: MessageParts, verbose = false): string {
  let s = '';
  for (let i = 0; i < P.count; i++) {
    let t: string | undefined;
    switch (P.kinds[i]) {
      case Part.STRUCT: t = structText(P.layouts[i]!, P.data, P.nums[i]!, P.le, verbose); break;
      case Part.DATA: {
        const n = P.nums[i]!;
        const c = P.caps[i]!;
        t = `data ${n}${c !== n ? ` (${c} captured)` : ''}`;
        break;
      }
      default: t = valueText(P, P.keys[i]!, P.values[i]!, verbose);
    }
    if (t) s += s === '' ? t : ` ${t}`;
  }
  return s;
}

function prefix(m: CaptureMessage, index: number, opts: DumpFormatOptions): string {
  const t = ((m.t - (opts.t0 ?? 0)) / 1e9).toFixed(6);
  const who = `${opts.hideConn ? '' : `conn${m.conn} `}tid ${m.tid >= 0 ? m.tid : '?'}`;
  return `${String(index).padStart(5)}  ${t.padStart(10)}  ${who}  `;
}

function tail(P: MessageParts): string {
  let s = '';
  if (P.truncated) s += ` [${P.truncated}]`;
  if (P.problem) s += ` [malformed: ${P.problem}]`;
  return s;
}

const IN_UNIQUE = fuse_in_header.offsets.unique ?? 8;
const IN_NODEID = fuse_in_header.offsets.nodeid ?? 16;
const IN_UID = fuse_in_header.offsets.uid ?? 24;
const IN_GID = fuse_in_header.offsets.gid ?? 28;
const IN_PID = fuse_in_header.offsets.pid ?? 32;
const OUT_UNIQUE = fuse_out_header.offsets.unique ?? 8;

function idOf(P: MessageParts): string {
  if (P.header === undefined) return '';
  return ` #${u64(P.data, P.headerAt + (P.header === fuse_in_header ? IN_UNIQUE : OUT_UNIQUE), P.le)}`;
}

/** The request part: `WRITE #24 nodeid 5 fh 0x9 offset 4096 ...`. */
function summarizeRequest(P: MessageParts, verbose = false): string {
  let s = `${P.op}${P.opcode !== undefined && P.op.startsWith('?') ? ` (opcode ${P.opcode})` : ''}${idOf(P)}`;
  if (P.header !== undefined) {
    const { data, le } = P;
    const h = P.headerAt;
    const nodeid = u64(data, h + IN_NODEID, le);
    const pid = u32(data, h + IN_PID, le);
    if (nodeid !== 0) s += ` nodeid ${nodeid}`;
    if (verbose) s += ` uid ${u32(data, h + IN_UID, le)} gid ${u32(data, h + IN_GID, le)} pid ${pid}`;
    else if (pid !== 0) s += ` pid ${pid}`;
  } else if (verbose) s += ' uid undefined gid undefined pid undefined';
  const body = summarizeBody(P, verbose);
  return body ? `${s} ${body}` : s;
}

/** The result part: `OK size 65536` or `-ENOENT`. */
function summarizeResult(P: MessageParts, verbose = false): string {
  const err = P.headerKey === 'error_name' ? P.headerValue : '?';
  const body = summarizeBody(P, verbose);
  return body ? `${err} ${body}` : err;
}

/**
 * One line for one message: `index time conn tid arrow summary`.
 * Requests (`->`), replies (`<-`, with latency when the request is known),
 * notifications (`<~ NOTIFY INVAL_INODE ...`). Problems and truncation are
 * appended in brackets.
 */
export function formatMessageLine(ev: DumpEvent, opts: DumpFormatOptions = {}): string {
  const { m, x, parts: P } = ev;
  const v = opts.verbose ?? false;
  const head = prefix(m, ev.index, opts);
  if (P.type === 'request') {
    return `${head}-> ${summarizeRequest(P, v)}${tail(P)}`;
  }
  if (P.type === 'notify') {
    return `${head}<~ NOTIFY ${P.op} ${summarizeBody(P, v)}`.trimEnd() + tail(P);
  }
  const what = x ? `${P.op}${idOf(P)}` : `reply${idOf(P)} (no matching request)`;
  const lat = x && Number.isFinite(x.tReq) ? ` (${formatMs(m.t - x.tReq)})` : '';
  const interrupt = ev.kind === 'interrupt-reply' ? ' (to INTERRUPT)' : '';
  return `${head}<- ${what}${interrupt} ${summarizeResult(P, v)}${lat}${tail(P)}`;
}

/** A request as its exchange line shows it: the summary and its brackets (kept while the request waits for its reply). */
export function exchangeRequestText(P: MessageParts, verbose = false): string {
  return `${summarizeRequest(P, verbose)}${tail(P)}`;
}

/**
 * The part of an exchange line after its time columns: the request
 * (`exchangeRequestText`), `=>`, the result and the latency; `=> (no reply
 * expected)` for FORGET-like requests and `=> (no reply)` when the capture
 * ended first.
 */
export function exchangeText(x: Exchange, request: string, reply: MessageParts | undefined, opts: DumpFormatOptions = {}): string {
  const v = opts.verbose ?? false;
  let res: string;
  if (reply) res = `${summarizeResult(reply, v)} (${formatMs(x.tReply - x.tReq)})${x.replyTid >= 0 && x.replyTid !== x.tid ? ` reply tid ${x.replyTid}` : ''}${tail(reply)}`;
  else if (x.noReplyExpected) res = '(no reply expected)';
  else res = '(no reply)';
  const intr = x.interrupts > 0 ? ` [interrupted ${x.interrupts}x after ${formatMs(x.tInterrupt - x.tReq)}]` : '';
  return `${request} => ${res}${intr}`;
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
  const t = ((x.tReq - (opts.t0 ?? 0)) / 1e9).toFixed(6);
  const who = `${opts.hideConn ? '' : `conn${x.conn} `}tid ${x.tid >= 0 ? x.tid : '?'}`;
  return `${String(x.reqIndex + 1).padStart(5)}  ${t.padStart(10)}  ${who}  `;
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
  // glibc dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  const ident = [b.path !== '' ? b.path : '', b.ino !== 0 ? `(dev ${major}:${minor}, ino ${b.ino})` : ''].filter((x) => x !== '').join(' ');
  return `${''.padStart(5)}  ${t.padStart(10)}  ${who}  == BACKING_OPEN fd ${b.arg}${b.flags ? ` flags ${b.flags}` : ''} -> ${b.result < 0 ? res : `id ${res}`}${ident ? ' ' + ident : ''}`;
}
