/**
 * `fusetrace export --format perfetto`: the analysis as a Chrome / Perfetto
 * trace (Trace Event Format, JSON object form), written while the captures
 * are read.
 *
 * - One process per connection (pid = conn + 1, named by `M` metadata). A
 *   FUSE request is an async slice (`ph` b/e, `cat` fuse, `id2.local` = its
 *   unique, name = opcode): requests overlap without nesting, which B/E/X
 *   duration events must not do. `args` are the cells of the `requests`
 *   table (report/csv.ts), so the two exports say the same thing.
 * - A process "by file" holds the same requests again on one track per file
 *   (events named after the path), the findings as instant events with flow
 *   arrows from each request involved to the finding, and counters of the
 *   kernel and daemon size views of each file.
 * - Counters of in-flight depth per connection come from the model's
 *   downsampled in-flight steps (the same numbers `analyze --json` gives).
 * - `ts` is in µs since the capture start with the ns kept as 3 decimals
 *   (absolute µs would need more digits than a double holds); the epoch is
 *   in `otherData.epochNs`.
 *
 * Events are not in time order (a request's b and e are written together at
 * its reply); the format does not ask for order and viewers sort. Memory:
 * one entry per file (its track), the requests of the last RECENT exchanges
 * (to draw flows to findings) and the unanswered requests until the end.
 */
import type { Exchange } from '../protocol/exchange.js';
import { exactId, idCell, type Id } from '../model/id64.js';
import { Op, opcodeName } from '../protocol/opcodes.js';
import { compileArgs, requestColumns, rowBuffer, type ExportClock, type RowSink } from './csv.js';
import type { AnalysisModel } from '../model/analysis.js';
import type { Finding } from '../model/finding.js';
import type { SizeEvent } from '../model/size-event.js';
import { jsonString, stringifyPlain } from './json.js';
import { MAX_NUMBER_TEXT, putAscii, putBytes, putHex, putNumber } from './row-bytes.js';
import type { TextBuffer } from './text-buffer.js';

/** Process id of the "by file" process; connections are 1 + conn. */
export const FILES_PID = 1_000_000;
/** Exchanges remembered to anchor the flows of findings that name them. */
const RECENT = 65_536;

export interface PerfettoOptions {
  /** Stop adding events past this count (metadata excluded); 0 = no limit. */
  maxEvents: number;
}

/** Relative ns -> µs with 3 decimals, exact (no float formatting of the fraction). */
export function usTs(t: number): string {
  const ns = Math.round(t);
  const neg = ns < 0;
  const a = Math.abs(ns);
  const frac = a % 1000;
  return `${neg ? '-' : ''}${(a - frac) / 1000}.${String(frac).padStart(3, '0')}`;
}

/** `usTs(t)` at b[p] (room for CELL_ROOM bytes taken). */
export function putUsTs(b: Buffer, p: number, t: number): number {
  const ns = Math.round(t);
  // usTs's own text (ASCII, short) for what is not a safe number of ns.
  if (!(ns <= Number.MAX_SAFE_INTEGER && ns >= -Number.MAX_SAFE_INTEGER)) return putAscii(b, p, usTs(t));
  if (ns < 0) b[p++] = 0x2d;
  // Math.abs: -0 (a time rounded up to 0) is written as 0, as usTs writes it.
  const a = Math.abs(ns);
  const whole = Math.floor(a / 1000);
  const frac = a - whole * 1000;
  p = putNumber(b, p, whole);
  b[p] = 0x2e;
  b[p + 1] = 0x30 + Math.floor(frac / 100);
  b[p + 2] = 0x30 + (Math.floor(frac / 10) % 10);
  b[p + 3] = 0x30 + (frac % 10);
  return p + 4;
}

/** Room a time or number takes at most in the events' bytes (`putUsTs`, `putNumber`, `putHex`). */
const CELL_ROOM = MAX_NUMBER_TEXT + 8;

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
/** The constant pieces of a request's events (JSON text as bytes). */
const TS = ascii('{"ts":');
const NEXT_TS = ascii(',\n{"ts":');
const PH_B = ascii(',"ph":"b"');
const PH_E = ascii(',"ph":"e"');
const PID = ascii(',"pid":');
const TID = ascii(',"tid":');
const ID2 = ascii(',"id2":{"local":"');
const ARGS = ascii('"},"args":');
const UNIQUE = ascii(',"unique":');
const ERROR = ascii(',"error":');
const CLOSE = ascii('}');
/** What a request's event has before its name (the opcode's, or a file track's path), the name's JSON string after it. */
const NAME_HEAD = ',"cat":"fuse","name":';
const COUNTER = ascii(',"ph":"C","cat":"fuse","name":');
const SIZE_NAME_END = ascii(' size"');
const COUNTER_ARGS = ascii(`,"pid":${FILES_PID},"args":{`);
const KERNEL = ascii('"kernel":');
const DAEMON = ascii('"daemon":');
const AND_DAEMON = ascii(',"daemon":');
const CLOSE_CLOSE = ascii('}}');
const END_ARGS = ascii('{}}');
const END_UNANSWERED = ascii('{"unanswered":true}}');
/** Room for an event's pieces but its names, args and a text unique: the constants, two times and three numbers, with margin. */
const EVENT_ROOM = 4 * CELL_ROOM + 96;

/**
 * `,"ph":"b"` (`ph`), then `,"cat":"fuse","name":"OP","pid":P,"tid":P,"id2":{"local":"0xUNIQUE"},"args":`
 * of a request's event on its connection's track, at b[p].
 */
function connHead(b: Buffer, p: number, ph: Buffer, opName: Buffer, pid: number, unique: Id, hex: Buffer | undefined): number {
  p = putBytes(b, p, ph);
  p = putBytes(b, p, opName);
  p = putNumber(b, putBytes(b, p, PID), pid);
  p = putNumber(b, putBytes(b, p, TID), pid);
  return putId2(b, p, unique, hex);
}

/** `,"id2":{"local":"0xUNIQUE"},"args":` at b[p]: the hex of a safe unique, else `hex`. */
function putId2(b: Buffer, p: number, unique: Id, hex: Buffer | undefined): number {
  p = putBytes(b, p, ID2);
  p = hex === undefined ? putHex(b, p, unique as number) : putBytes(b, p, hex);
  return putBytes(b, p, ARGS);
}

/** `,"cat":"fuse","name":"OP"` of a request's events on its connection's track (JSON text). */
function opHead(op: number): Buffer {
  return Buffer.from(`${NAME_HEAD}${jsonString(opcodeName(op))}`, 'utf8');
}

/** `{"op":"OP","conn":`, the start of a request's args on its file's track (JSON text). */
function fileOpHead(op: number): Buffer {
  return Buffer.from(`{"op":${jsonString(opcodeName(op))},"conn":`, 'utf8');
}

/** `make(op)`, kept in `made` for the opcodes below 256. */
function perOpcode(made: (Buffer | undefined)[], op: number, make: (op: number) => Buffer): Buffer {
  return op >= 0 && op < 256 ? (made[op] ??= make(op)) : make(op);
}

function hexId(v: Id): string {
  return `0x${v.toString(16)}`;
}

interface PendingFlow {
  id: number;
  kind: string;
  /** Track and time of the finding (the flow's finish). */
  tid: number;
  t: number;
  ts: string;
}

interface FileTrack {
  tid: number;
  /** `,"cat":"fuse","name":PATH,"pid":FILES_PID,"tid":TID` of its request events (JSON text as bytes). */
  head: Buffer;
  /** Where the path's JSON string in `head` ends, its closing quote (the size counter's name is the path's text and ` size"`). */
  nameEnd: number;
}

export class PerfettoWriter {
  /** Events written (metadata included). */
  events = 0;
  /** Events left out by --max-events. */
  dropped = 0;
  private first = true;
  /** Where the trace is written: the sink's own output buffer, or one of ours that hands it text. */
  private readonly w: TextBuffer;
  /** Writes a request's `args` into `w`: the cells of its `requests` row that hold something. */
  private readonly args: (x: Exchange) => void;
  /** `,"cat":"fuse","name":"OP"` of each request opcode's events, made on first use. */
  private readonly opNames: (Buffer | undefined)[] = [];
  /** `{"op":"OP","conn":` of each opcode's events on its file's track, made on first use. */
  private readonly fileOps: (Buffer | undefined)[] = [];
  /**
   * File tracks by connection, then path. By the path string itself, not a
   * key joined from it: a request's path is the string its file keeps, whose
   * hash the engine computes once, where a new key string is hashed anew.
   */
  private readonly files: Map<string, FileTrack>[] = [];
  private nextTid = 1;
  /**
   * The last RECENT exchanges, for the flows of findings that name them: by
   * connection, then by unique (`exactId`), their slot of the ring, which
   * holds the connection, the unique (undefined: free), the request's time
   * and the file's track id (0 none). Number keys: a `conn:unique` string
   * per exchange, hashed to set it and again to age it out, was three
   * fifths of writing an exchange's events.
   */
  private readonly recent: Map<Id, number>[] = [];
  private readonly ringConn = new Int32Array(RECENT);
  private readonly ringKey: (Id | undefined)[] = new Array<Id | undefined>(RECENT).fill(undefined);
  private readonly ringT = new Float64Array(RECENT);
  private readonly ringTid = new Int32Array(RECENT);
  private ringAt = 0;
  private readonly unanswered: Exchange[] = [];
  private flowSeq = 1;

  constructor(
    sink: RowSink,
    clock: ExportClock,
    private readonly opts: PerfettoOptions,
  ) {
    this.w = rowBuffer(sink);
    const columns = requestColumns(clock).filter((c) => c.name !== 'req_ns' && c.name !== 'reply_ns' && c.name !== 'req_ms' && c.name !== 'reply_ms');
    this.args = compileArgs(columns, this.w);
    this.w.str('{"traceEvents":[\n');
    this.emit({ ph: 'M', name: 'process_name', pid: FILES_PID, tid: 0, args: { name: 'by file' } });
    this.emit({ ph: 'M', name: 'process_sort_index', pid: FILES_PID, tid: 0, args: { sort_index: 1_000_000 } });
  }

  /** Whether `n` more events fit under --max-events. */
  private room(n: number): boolean {
    const max = this.opts.maxEvents;
    return max <= 0 || this.events + n <= max;
  }

  /** One event, by the project's JSON serializer (json.ts: names from the capture cannot act on a terminal). */
  private emit(e: Record<string, unknown>, ts?: string): void {
    let s = stringifyPlain(e);
    // ts is spliced in as a number literal with its ns decimals (the serializer would reformat it).
    if (ts !== undefined) s = `{"ts":${ts},${s.slice(1)}`;
    this.w.str(this.first ? s : `,\n${s}`);
    this.first = false;
    this.events++;
  }

  /**
   * The track of a file, by connection and path: a request's path is its
   * target's (for LOOKUP, CREATE ... the child's, whose nodeid is the parent).
   */
  private fileTrack(conn: number, path: string): FileTrack {
    const byPath = (this.files[conn] ??= new Map());
    let track = byPath.get(path);
    if (track === undefined) {
      const tid = this.nextTid++;
      const name = jsonString(path);
      track = { tid, head: Buffer.from(`${NAME_HEAD}${name},"pid":${FILES_PID},"tid":${tid}`, 'utf8'), nameEnd: NAME_HEAD.length + Buffer.byteLength(name) - 1 };
      byPath.set(path, track);
      this.emit({ ph: 'M', name: 'thread_name', pid: FILES_PID, tid, args: { name: conn === 0 ? path : `${path} (conn ${conn})` } });
      this.emit({ ph: 'M', name: 'thread_sort_index', pid: FILES_PID, tid, args: { sort_index: tid } });
    }
    return track;
  }

  /** One exchange, at its reply (or at the end for one never answered). */
  exchange(x: Exchange): void {
    if (!x.replied && !x.noReplyExpected) {
      this.unanswered.push(x);
      return;
    }
    this.writeExchange(x, x.replied ? x.tReply : x.tReq, END_ARGS);
  }

  /**
   * The request's events (its b and e on the connection's track, and on its
   * file's), as `emit` writes those objects, but as bytes into the output
   * buffer: made as strings (an object and a JSON.stringify per event at
   * first, then joined text), they were garbage, encoding and copying per
   * exchange, and the args' cells went through `stringifyPlain` one by one.
   * Room is taken once for the pieces around the args (which take their own).
   */
  private writeExchange(x: Exchange, tEnd: number, endArgs: Buffer): void {
    const withFile = x.path !== undefined && x.opcode !== Op.INIT && x.nodeid !== 0;
    if (!this.room(withFile ? 4 : 2)) {
      this.dropped += withFile ? 4 : 2;
      return;
    }
    const w = this.w;
    const pid = x.conn + 1;
    const op = x.opcode;
    const opName = perOpcode(this.opNames, op, opHead);
    const unique = x.unique;
    // A unique that is not a safe number (a bigint) has its hex made as text (rare).
    const hex = typeof unique === 'number' && unique >= 0 && unique <= Number.MAX_SAFE_INTEGER ? undefined : ascii(hexId(unique));
    const headRoom = EVENT_ROOM + opName.length + (hex === undefined ? 0 : hex.length);
    w.room(headRoom);
    let p = putBytes(w.buf, w.pos, this.first ? TS : NEXT_TS);
    this.first = false;
    p = putUsTs(w.buf, p, x.tReq);
    p = connHead(w.buf, p, PH_B, opName, pid, unique, hex);
    w.pos = p;
    this.args(x);
    w.room(headRoom + endArgs.length);
    p = putBytes(w.buf, w.pos, CLOSE);
    p = putBytes(w.buf, p, NEXT_TS);
    p = putUsTs(w.buf, p, tEnd);
    p = connHead(w.buf, p, PH_E, opName, pid, unique, hex);
    w.pos = putBytes(w.buf, p, endArgs);
    this.events += 2;
    let fileTid = 0;
    if (withFile) {
      // After the connection's events: a new file's track names itself (metadata events) in between.
      const track = this.fileTrack(x.conn, x.path!);
      fileTid = track.tid;
      const u = idCell(unique);
      const uText = typeof u === 'number' ? undefined : ascii(stringifyPlain(u));
      const fileOp = perOpcode(this.fileOps, op, fileOpHead);
      w.room(2 * (EVENT_ROOM + track.head.length) + fileOp.length + endArgs.length + (hex === undefined ? 0 : 2 * hex.length) + (uText === undefined ? 0 : uText.length));
      const b = w.buf;
      p = putBytes(b, w.pos, NEXT_TS);
      p = putUsTs(b, p, x.tReq);
      p = putBytes(b, p, PH_B);
      p = putBytes(b, p, track.head);
      p = putId2(b, p, unique, hex);
      p = putBytes(b, p, fileOp);
      p = putNumber(b, p, x.conn);
      p = putBytes(b, p, UNIQUE);
      p = uText === undefined ? putNumber(b, p, u as number) : putBytes(b, p, uText);
      if (x.replied) p = putNumber(b, putBytes(b, p, ERROR), x.error);
      p = putBytes(b, p, CLOSE_CLOSE);
      p = putBytes(b, p, NEXT_TS);
      p = putUsTs(b, p, tEnd);
      p = putBytes(b, p, PH_E);
      p = putBytes(b, p, track.head);
      p = putId2(b, p, unique, hex);
      w.pos = putBytes(b, p, endArgs);
      this.events += 2;
    }
    // The ring ages the oldest out (deleting a Map's oldest key through keys() gets slower with every hole).
    const key = exactId(x.unique);
    const at = this.ringAt;
    const old = this.ringKey[at];
    if (old !== undefined) this.recent[this.ringConn[at]!]!.delete(old);
    this.ringConn[at] = x.conn;
    this.ringKey[at] = key;
    this.ringT[at] = x.tReq;
    this.ringTid[at] = fileTid;
    this.ringAt = at + 1 === RECENT ? 0 : at + 1;
    (this.recent[x.conn] ??= new Map()).set(key, at);
    if (this.waitingKeys > 0) this.pendingFlows(x.conn, key, x.tReq, fileTid);
  }

  /** Flows of findings that named this exchange before it completed: written when it does. */
  private readonly waiting: Map<Id, PendingFlow[]>[] = [];
  /** Exchanges (connection and unique) that findings wait for. */
  private waitingKeys = 0;

  private pendingFlows(conn: number, key: Id, tReq: number, fileTid: number): void {
    const m = this.waiting[conn];
    const w = m?.get(key);
    if (m === undefined || w === undefined) return;
    m.delete(key);
    this.waitingKeys--;
    for (const f of w) this.flow(f, tReq, fileTid);
  }

  /**
   * A flow between the request (on its file's track) and the finding, from
   * the earlier to the later: a detector may judge at a request's send time
   * a race with requests sent after it.
   */
  private flow(f: PendingFlow, tReq: number, fileTid: number): void {
    const req = { tid: fileTid, ts: usTs(tReq) };
    const fin = { tid: f.tid, ts: f.ts };
    const [from, to] = tReq <= f.t ? [req, fin] : [fin, req];
    this.emit({ ph: 's', cat: 'fuse.finding', name: f.kind, pid: FILES_PID, tid: from.tid, id: f.id }, from.ts);
    this.emit({ ph: 'f', bp: 'e', cat: 'fuse.finding', name: f.kind, pid: FILES_PID, tid: to.tid, id: f.id }, to.ts);
  }

  /** A size event: the kernel's and the daemon's view of the file's size. */
  sizeEvent(ev: SizeEvent): void {
    const k = ev.kernelSize;
    const d = ev.daemonSize;
    if (k === null && d === null) return;
    if (!this.room(1)) {
      this.dropped++;
      return;
    }
    const track = this.fileTrack(ev.conn, ev.path);
    const suffix = ev.conn === 0 ? ' size' : ` (conn ${ev.conn}) size`;
    if ((k !== null && !Number.isFinite(k)) || (d !== null && !Number.isFinite(d))) {
      const name = `${ev.path}${suffix}`;
      const a: Record<string, number> = {};
      if (k !== null) a.kernel = k;
      if (d !== null) a.daemon = d;
      this.emit({ ph: 'C', cat: 'fuse', name, pid: FILES_PID, args: a }, usTs(ev.t));
      return;
    }
    // As `emit` writes that event, as bytes: the name is the path's JSON text kept in the track's head (one per size event).
    const w = this.w;
    // The suffix is plain ASCII: its JSON text is itself.
    const end = ev.conn === 0 ? SIZE_NAME_END : ascii(`${suffix}"`);
    w.room(EVENT_ROOM + track.nameEnd + end.length);
    const b = w.buf;
    let p = putBytes(b, w.pos, this.first ? TS : NEXT_TS);
    this.first = false;
    p = putUsTs(b, p, ev.t);
    p = putBytes(b, p, COUNTER);
    const head = track.head;
    for (let i = NAME_HEAD.length; i < track.nameEnd; i++) b[p++] = head[i]!;
    p = putBytes(b, p, end);
    p = putBytes(b, p, COUNTER_ARGS);
    if (k !== null) p = putNumber(b, putBytes(b, p, KERNEL), k);
    if (d !== null) p = putNumber(b, putBytes(b, p, k !== null ? AND_DAEMON : DAEMON), d);
    w.pos = putBytes(b, p, CLOSE_CLOSE);
    this.events++;
  }

  /** A finding: an instant on its file's track, and a flow from each request it names. */
  finding(f: Finding): void {
    const n = 1 + 2 * f.uniques.length;
    if (!this.room(n)) {
      this.dropped += n;
      return;
    }
    const tid = f.nodeid !== null && f.path !== null ? this.fileTrack(f.conn, f.path).tid : 0;
    const ts = usTs(f.t);
    this.emit({
      ph: 'i', s: 't', cat: 'fuse.finding', name: f.kind, pid: FILES_PID, tid,
      args: { severity: f.severity, message: f.message, uniques: f.uniques.join(' '), conn: f.conn, fingerprint: f.fingerprint, details: f.details },
    }, ts);
    for (const u of f.uniques) {
      const pf: PendingFlow = { id: this.flowSeq++, kind: f.kind, tid, t: f.t, ts };
      const key = exactId(u);
      const slot = this.recent[f.conn]?.get(key);
      if (slot !== undefined) this.flow(pf, this.ringT[slot]!, this.ringTid[slot]!);
      else {
        const m = (this.waiting[f.conn] ??= new Map());
        let w = m.get(key);
        if (!w) {
          m.set(key, (w = []));
          this.waitingKeys++;
        }
        w.push(pf);
      }
    }
  }

  /** Unanswered requests (ended at the capture's end), connection names, in-flight counters, trailer. */
  end(model: AnalysisModel): void {
    for (const x of this.unanswered) this.writeExchange(x, model.span.endT, END_UNANSWERED);
    this.unanswered.length = 0;
    for (const c of model.connections) {
      const pid = c.conn + 1;
      const label = [c.label, c.description].find((s) => s) ?? c.name;
      this.emit({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name: `fuse conn ${c.conn}${label ? `: ${label}` : ''}` } });
      this.emit({ ph: 'M', name: 'process_sort_index', pid, tid: 0, args: { sort_index: c.conn } });
      this.emit({ ph: 'M', name: 'thread_name', pid, tid: pid, args: { name: 'requests' } });
      for (const [t, depth] of c.inflight) {
        if (!this.room(1)) {
          this.dropped++;
          continue;
        }
        this.emit({ ph: 'C', cat: 'fuse', name: 'in flight', pid, args: { depth } }, usTs(t));
      }
    }
    const other = {
      tool: `fusetrace ${model.tool.version}`,
      epochNs: model.epochNs,
      timeUnit: 'ts is µs since epochNs, ns as decimals',
      inputs: model.inputs.map((i) => i.file),
      eventsDropped: this.dropped,
      flowsWithoutRequest: this.waiting.reduce((n, m) => n + [...m.values()].reduce((k, w) => k + w.length, 0), 0),
    };
    this.w.str(`\n],"displayTimeUnit":"ns","otherData":${stringifyPlain(other)}}\n`);
    this.w.flush();
  }
}
