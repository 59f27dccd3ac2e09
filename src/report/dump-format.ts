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
import type { DecodedMessage, Json, JsonObject } from '../protocol/decode.js';
import { formatMs } from '../model/format.js';

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
  decoded: DecodedMessage;
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

/** The body of a decoded message as `key value` pairs, names quoted, lists shortened. */
export function summarizeBody(d: DecodedMessage, verbose = false): string {
  const out: string[] = [];
  const B = d.body;
  for (const [k, v] of Object.entries(B)) {
    if (v === null || v === undefined) continue;
    switch (k) {
      case 'name': case 'oldname': case 'newname': case 'linkname':
        out.push(k === 'name' ? quote(v) : `${k} ${quote(v)}`);
        break;
      case 'data': case 'value': {
        const o = v as JsonObject;
        out.push(`${k === 'data' ? 'data' : 'value'} ${o.length}${o.captured !== o.length ? ` (${o.captured} captured)` : ''}`);
        break;
      }
      case 'entries': {
        const a = v as JsonObject[];
        const names = a.slice(0, verbose ? a.length : 6).map((e) => quote(e.name ?? ''));
        out.push(`${a.length} entries${names.length ? ` ${names.join(' ')}${a.length > names.length ? ' ...' : ''}` : ''}`);
        break;
      }
      case 'names': {
        const a = v as Json[];
        out.push(`names ${a.map(quote).join(' ')}`);
        break;
      }
      case 'forgets': {
        const a = v as JsonObject[];
        const shown = a.slice(0, verbose ? a.length : 8).map((f) => `${f.nodeid}:${f.nlookup}`);
        out.push(`forgets ${shown.join(' ')}${a.length > shown.length ? ' ...' : ''}`);
        break;
      }
      case 'ranges': case 'iovecs': {
        const a = v as JsonObject[];
        out.push(`${k} ${a.map((r) => `${scalar('base', (r.moffset ?? r.base) as Json)}+${r.len}`).join(' ')}`);
        break;
      }
      case 'nodeids': out.push(`nodeids ${(v as Json[]).join(' ')}`); break;
      case 'info': out.push(`info ${(v as Json[]).map(quote).join(' ')}`); break;
      case 'ext': out.push(`ext ${JSON.stringify(v)}`); break;
      case 'raw': out.push(`raw ${B.raw_length ?? ''} bytes`); break;
      case 'raw_length': break;
      case 'negotiated_minor': out.push(`negotiated 7.${v}`); break;
      case 'setxattr_in_size_inferred': if (verbose) out.push(`setxattr_in ${v} bytes (inferred)`); break;
      case 'fuse_init_in': case 'fuse_init_out': {
        const o = v as JsonObject;
        const rest: string[] = [];
        fields(Object.fromEntries(Object.entries(o).filter(([kk]) => !['major', 'minor', 'flags', 'flags_names'].includes(kk))), rest, verbose);
        out.push(`${o.major}.${o.minor}${rest.length ? ' ' + rest.join(' ') : ''}${o.flags64_names !== undefined ? ` flags ${o.flags64_names}` : ''}`);
        break;
      }
      default:
        if (typeof v === 'object' && !Array.isArray(v)) fields(v, out, verbose);
        else out.push(`${k} ${scalar(k, v)}`);
    }
  }
  return out.join(' ');
}

function prefix(m: CaptureMessage, index: number, opts: DumpFormatOptions): string {
  const t = ((m.t - (opts.t0 ?? 0)) / 1e9).toFixed(6);
  const who = `${opts.hideConn ? '' : `conn${m.conn} `}tid ${m.tid >= 0 ? m.tid : '?'}`;
  return `${String(index).padStart(5)}  ${t.padStart(10)}  ${who}  `;
}

function tail(d: DecodedMessage): string {
  let s = '';
  if (d.truncated) s += ` [${d.truncated}]`;
  if (d.problem) s += ` [malformed: ${d.problem}]`;
  return s;
}

function idOf(d: DecodedMessage): string {
  const u = d.header.unique;
  return u === undefined || u === null ? '' : ` #${u}`;
}

/** The request part: `WRITE #24 nodeid 5 fh 0x9 offset 4096 ...`. */
export function summarizeRequest(d: DecodedMessage, verbose = false): string {
  const nodeid = d.header.nodeid;
  const parts = [`${d.op}${d.opcode !== undefined && d.op.startsWith('?') ? ` (opcode ${d.opcode})` : ''}${idOf(d)}`];
  if (nodeid !== undefined && nodeid !== 0) parts.push(`nodeid ${nodeid}`);
  if (verbose) parts.push(`uid ${d.header.uid} gid ${d.header.gid} pid ${d.header.pid}`);
  else if (d.header.pid !== undefined && d.header.pid !== 0) parts.push(`pid ${d.header.pid}`);
  const body = summarizeBody(d, verbose);
  if (body) parts.push(body);
  return parts.join(' ');
}

/** The result part: `OK size 65536` or `-ENOENT`. */
export function summarizeResult(d: DecodedMessage, verbose = false): string {
  const err = (d.header.error_name as string | undefined) ?? '?';
  const body = summarizeBody(d, verbose);
  return body ? `${err} ${body}` : err;
}

/**
 * One line for one message: `index time conn tid arrow summary`.
 * Requests (`->`), replies (`<-`, with latency when the request is known),
 * notifications (`<~ NOTIFY INVAL_INODE ...`). Problems and truncation are
 * appended in brackets.
 */
export function formatMessageLine(ev: DumpEvent, opts: DumpFormatOptions = {}): string {
  const { m, x, decoded: d } = ev;
  const v = opts.verbose ?? false;
  const head = prefix(m, ev.index, opts);
  if (d.type === 'request') {
    return `${head}-> ${summarizeRequest(d, v)}${tail(d)}`;
  }
  if (d.type === 'notify') {
    return `${head}<~ NOTIFY ${d.op} ${summarizeBody(d, v)}`.trimEnd() + tail(d);
  }
  const what = x ? `${d.op}${idOf(d)}` : `reply${idOf(d)} (no matching request)`;
  const lat = x && Number.isFinite(x.tReq) ? ` (${formatMs(m.t - x.tReq)})` : '';
  const interrupt = ev.kind === 'interrupt-reply' ? ' (to INTERRUPT)' : '';
  return `${head}<- ${what}${interrupt} ${summarizeResult(d, v)}${lat}${tail(d)}`;
}

/**
 * One line per exchange (`dump --exchanges`): the request summary, `=>`, the
 * result and the latency; `=> (no reply expected)` for FORGET-like requests
 * and `=> (no reply)` when the capture ended first. Times and tid are the
 * request's.
 */
export function formatExchangeLine(x: Exchange, req: DecodedMessage, reply: DecodedMessage | undefined, opts: DumpFormatOptions = {}): string {
  const v = opts.verbose ?? false;
  const t = ((x.tReq - (opts.t0 ?? 0)) / 1e9).toFixed(6);
  const who = `${opts.hideConn ? '' : `conn${x.conn} `}tid ${x.tid >= 0 ? x.tid : '?'}`;
  const head = `${String(x.reqIndex + 1).padStart(5)}  ${t.padStart(10)}  ${who}  `;
  let res: string;
  if (reply) res = `${summarizeResult(reply, v)} (${formatMs(x.tReply - x.tReq)})${x.replyTid >= 0 && x.replyTid !== x.tid ? ` reply tid ${x.replyTid}` : ''}${tail(reply)}`;
  else if (x.noReplyExpected) res = '(no reply expected)';
  else res = '(no reply)';
  const intr = x.interrupts > 0 ? ` [interrupted ${x.interrupts}x after ${formatMs(x.tInterrupt - x.tReq)}]` : '';
  return `${head}${summarizeRequest(req, v)}${tail(req)} => ${res}${intr}`;
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
