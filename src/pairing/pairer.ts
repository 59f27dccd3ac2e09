/**
 * Pairs replies with requests, per connection and unique (fuse-protocol.md
 * §1.3, §6): ordinary requests wait in an in-flight map until their reply;
 * INTERRUPTs (odd uniques) mark their target and may get a reply of their
 * own; FORGET, BATCH_FORGET and NOTIFY_REPLY never get one; a reply with
 * unique 0 is a notification. Only in-flight requests are kept, so memory is
 * bounded by the daemon's concurrency, not by the capture size.
 */
import { writtenByGlusterfs } from '../capture/fusedump-reader.js';
import { Direction, type CaptureMessage, type ConnectionInfo } from '../capture/message.js';
import { Op, OPCODES, opcodeName } from '../protocol/opcodes.js';
import { noteProblem, Problem, ProblemNote } from '../protocol/problems.js';
import { ConnProtocol, type ProtocolOverride } from '../protocol/version.js';
import { extractNotify, extractReply, extractRequest, fillReplyHeader, fillRequestHeader, u64, viewOf, type NotifyEvent } from '../protocol/extract.js';
import { Exchange, resetExchange, resetReplyResult } from '../protocol/exchange.js';
import { RecordPool } from '../protocol/recycle.js';
import type { Id } from '../model/id64.js';
import { errnoNumber, formatMs } from '../model/format.js';
import { IdTable } from './id-table.js';

/** The error field of an ENOSYS reply. */
export const ENOSYS_REPLY = -errnoNumber('ENOSYS')!;

/** Opcodes that never get a reply (FORGET, BATCH_FORGET, NOTIFY_REPLY), as a table: checked per request. */
const NO_REPLY_OPS = new Uint8Array(256);
for (const r of OPCODES) if (r.noReply && r.code < NO_REPLY_OPS.length) NO_REPLY_OPS[r.code] = 1;

export type MessageKind =
  | 'request'
  | 'reply'
  | 'interrupt'
  | 'interrupt-reply'
  | 'no-reply-request'
  | 'notify'
  | 'orphan-reply'
  | 'malformed';

export type ProblemKind = 'orphan-reply' | 'duplicate-unique' | 'malformed-message' | 'unanswered-request' | 'reply-rejected';

/** A protocol-health fact found while pairing; the detectors turn these into findings. */
export interface PairingProblem {
  kind: ProblemKind;
  conn: number;
  unique: Id;
  opcode: number | undefined;
  nodeid: Id | undefined;
  t: number;
  /** File offset and block number of the message concerned. */
  offset: number;
  blockNo: number;
  input: number;
  message: string;
  /** malformed-message: the id of the protocol problem (protocol/problems.ts). */
  problemId?: string | undefined;
  /** orphan-reply: the connection had not yet seen a request (the capture started late). */
  beforeFirstRequest?: boolean;
  /** reply-rejected, orphan-reply: errno of the failed write (-1 failed without one, 0 not failed or not known). */
  errno?: number;
  /** orphan-reply: the reply's error field (0 or -errno). */
  error?: number;
  /** orphan-reply: an ENOSYS reply whose request the capture's writer does not write (capture-format.md §2). */
  requestNotWritten?: boolean;
  /** orphan-reply: the unique is one of the connection's recent requests that take no reply (FORGET, BATCH_FORGET), whose opcode is `opcode`. */
  answersNoReply?: boolean;
  exchange?: Exchange;
}

export interface PairingSink {
  /** A request was read by the daemon (also no-reply ones). */
  onRequest?(x: Exchange, m: CaptureMessage): void;
  /** A request got its reply, or (noReplyExpected) was seen. */
  onExchange?(x: Exchange, m: CaptureMessage): void;
  onNotify?(n: NotifyEvent, m: CaptureMessage): void;
  onProblem?(p: PairingProblem): void;
}

interface ConnState {
  info: ConnectionInfo | undefined;
  proto: ConnProtocol;
  inflight: IdTable;
  /** INTERRUPT exchanges by their odd unique. */
  interrupts: Map<Id, Exchange>;
  /**
   * Odd uniques of INTERRUPTs whose target has been answered, oldest first.
   * Such an INTERRUPT normally never gets a reply, so its entry is kept only
   * for a late reply to it (EAGAIN/ENOSYS races) and dropped once this many
   * newer ones are waiting: memory stays bounded whatever the capture length.
   */
  settledInterrupts: Id[];
  requests: number;
  /**
   * The uniques and opcodes of the last NO_REPLY_KEPT requests that take no
   * reply (-1: none), a ring: a daemon that answers one (ntfs-3g answers
   * BATCH_FORGET with ENOSYS) does so at once, and its orphan reply is then
   * told for what it is. Typed columns: FORGETs come one per file.
   */
  noReplyUniques: Float64Array;
  noReplyOps: Uint16Array;
  noReplyAt: number;
}

export interface PairerOptions {
  /** `--proto 7.N`: layouts for captures that start after INIT. */
  proto?: ProtocolOverride;
  /** `--machine M`: the recording host of connections whose capture does not name it (shb_hardware). */
  machine?: string;
  /** Tests: `recycle` poisons the exchange instead of keeping it for reuse, so that any later use of it throws. */
  poisonRecycled?: boolean;
}

/** Per-connection counters kept for the summary. */
export interface PairingCounts {
  messages: number;
  requests: number;
  replies: number;
  notifications: number;
  malformed: number;
  /** Messages whose needed fixed part was cut by the snap length (not malformed: the capture lost it). */
  truncated: number;
  orphans: number;
  duplicates: number;
  rejected: number;
}

/** INTERRUPTs whose target completed, kept for a late reply to them (per connection). */
const MAX_SETTLED_INTERRUPTS = 4096;
/** Requests that take no reply remembered per connection, to tell a reply to one (`ConnState.noReplyUniques`). */
const NO_REPLY_KEPT = 64;
/** Recycled exchanges kept for reuse: about what the ordering window and the in-flight requests hold at once. */
const MAX_POOLED = 4096;

export class Pairer {
  private conns: ConnState[] = [];
  /** The connection of the previous message: consecutive messages nearly always share one. */
  private lastConnNo = -1;
  private lastConn: ConnState | undefined;
  /** The exchange of the last message passed to `message()` (request, reply, interrupt). */
  last: Exchange | undefined;
  /** The notification of the last message, when it was one. */
  lastNotify: NotifyEvent | undefined;
  readonly counts: PairingCounts = { messages: 0, requests: 0, replies: 0, notifications: 0, malformed: 0, truncated: 0, orphans: 0, duplicates: 0, rejected: 0 };
  /** Exchanges given back by `recycle`, reused by the next requests. */
  private readonly pool: RecordPool<Exchange>;

  constructor(private readonly sink: PairingSink, private readonly opts: PairerOptions = {}) {
    this.pool = new RecordPool(resetExchange, MAX_POOLED, opts.poisonRecycled === true);
  }

  private conn(c: number): ConnState {
    let s = this.conns[c];
    if (!s) {
      s = {
        info: undefined, proto: new ConnProtocol(this.opts.proto), inflight: new IdTable(), interrupts: new Map(), settledInterrupts: [], requests: 0,
        noReplyUniques: new Float64Array(NO_REPLY_KEPT).fill(-1), noReplyOps: new Uint16Array(NO_REPLY_KEPT), noReplyAt: 0,
      };
      this.conns[c] = s;
    }
    return s;
  }

  onConnection(info: ConnectionInfo): void {
    const c = this.conn(info.conn);
    c.info = info;
    c.proto.setMachine(info.hardware ?? this.opts.machine);
  }

  protocol(conn: number): ConnProtocol {
    return this.conn(conn).proto;
  }

  connections(): number[] {
    const out: number[] = [];
    this.conns.forEach((_, i) => out.push(i));
    return out;
  }

  /** Classifies one message and pairs it; the message bytes are valid only during this call. */
  message(m: CaptureMessage): MessageKind {
    this.counts.messages++;
    this.last = undefined;
    this.lastNotify = undefined;
    let s = this.lastConn;
    if (m.conn !== this.lastConnNo || s === undefined) {
      s = this.conn(m.conn);
      this.lastConnNo = m.conn;
      this.lastConn = s;
    }
    if (m.dir === Direction.Outbound) return this.outbound(m, s);
    return this.inbound(m, s);
  }

  /** Counts the problem of message `m` and reports it, with `prefix` saying which message, unless it is a truncation. */
  private malformed(m: CaptureMessage, pr: ProblemNote, prefix = '', x?: Exchange): MessageKind {
    if (pr.kind === 'truncated') {
      // Cut by the snap length: the fields are unknown, the message is not wrong.
      this.counts.truncated++;
      return 'malformed';
    }
    this.counts.malformed++;
    // The problem waits in the ordering window and may be judged after the exchange completed.
    if (x !== undefined) x.held = true;
    this.sink.onProblem?.({
      kind: 'malformed-message', conn: m.conn, unique: x?.unique ?? 0, opcode: x?.opcode, nodeid: x?.nodeid, t: m.t,
      offset: m.fileOffset, blockNo: m.blockNo, input: m.input, message: prefix + pr.text, problemId: pr.id, exchange: x,
    });
    return 'malformed';
  }

  private inbound(m: CaptureMessage, s: ConnState): MessageKind {
    if (m.capLen < 40) {
      return this.malformed(m, new ProblemNote(Problem.KERNEL_MESSAGE_SHORT, m.capLen));
    }
    const x = this.pool.take() ?? new Exchange();
    fillRequestHeader(x, m);
    x.reqIndex = this.counts.messages - 1;
    this.last = x;
    extractRequest(x, m, s.proto);
    if (x.reqProblem !== undefined) this.malformed(m, x.reqProblem, `${opcodeName(x.opcode)} request #${x.unique}: `, x);
    this.counts.requests++;
    s.requests++;
    if (x.opcode === Op.INTERRUPT) {
      const target = x.target !== undefined ? s.inflight.get(x.target) : undefined;
      if (target) {
        if (target.interrupts === 0) target.tInterrupt = m.t;
        target.interrupts++;
      }
      s.interrupts.set(x.unique, x);
      this.sink.onRequest?.(x, m);
      return 'interrupt';
    }
    if (x.opcode < NO_REPLY_OPS.length && NO_REPLY_OPS[x.opcode] === 1) {
      x.noReplyExpected = true;
      const at = s.noReplyAt;
      // A bigint unique (past 2^53) is not kept: its reply, if any, is told as any orphan's.
      s.noReplyUniques[at] = typeof x.unique === 'number' ? x.unique : -1;
      s.noReplyOps[at] = x.opcode;
      s.noReplyAt = at + 1 === NO_REPLY_KEPT ? 0 : at + 1;
      this.sink.onRequest?.(x, m);
      this.sink.onExchange?.(x, m);
      return 'no-reply-request';
    }
    const prev = s.inflight.swap(x.unique, x);
    if (prev !== undefined) {
      this.counts.duplicates++;
      x.held = true;
      this.sink.onProblem?.({
        kind: 'duplicate-unique', conn: m.conn, unique: x.unique, opcode: x.opcode, nodeid: x.nodeid, t: m.t,
        offset: m.fileOffset, blockNo: m.blockNo, input: m.input,
        message: `${opcodeName(x.opcode)} #${x.unique} reuses the unique of ${opcodeName(prev.opcode)} #${prev.unique}, still in flight`,
        exchange: x,
      });
    }
    this.sink.onRequest?.(x, m);
    return 'request';
  }

  private outbound(m: CaptureMessage, s: ConnState): MessageKind {
    const { data, off } = m;
    const le = m.le === true;
    if (m.capLen < 16) {
      return this.malformed(m, new ProblemNote(Problem.DAEMON_MESSAGE_SHORT, m.capLen));
    }
    const dv = viewOf(data);
    const len = dv.getUint32(off, le);
    const error = dv.getInt32(off + 4, le);
    const unique = u64(dv, off + 8, le);
    if (unique === 0) {
      this.counts.notifications++;
      const n = extractNotify(m, s.proto);
      this.lastNotify = n;
      if (len !== m.origLen) noteProblem(n, Problem.LEN_MISMATCH, len, m.origLen);
      if (n.problem !== undefined) this.malformed(m, n.problem, `notification ${n.name}: `);
      this.sink.onNotify?.(n, m);
      return 'notify';
    }
    // INTERRUPT uniques are odd (bit 0). `& 1` on a number reads its low 32 bits: exact for integers.
    const isInterruptReply = typeof unique === 'number' ? (unique & 1) === 1 : (unique & 1n) === 1n;
    const x = isInterruptReply ? s.interrupts.get(unique) : s.inflight.take(unique);
    if (x === undefined) {
      this.counts.orphans++;
      const i = typeof unique === 'number' ? s.noReplyUniques.indexOf(unique) : -1;
      this.sink.onProblem?.({
        kind: 'orphan-reply', conn: m.conn, unique, opcode: i >= 0 ? s.noReplyOps[i] : undefined, nodeid: undefined, t: m.t,
        offset: m.fileOffset, blockNo: m.blockNo, input: m.input, beforeFirstRequest: s.requests === 0, error,
        requestNotWritten: error === ENOSYS_REPLY && writtenByGlusterfs(s.info), answersNoReply: i >= 0, errno: m.failedErrno,
        message: `reply ${error === 0 ? 'OK' : error} to #${unique}, which matches no pending request`,
      });
      return 'orphan-reply';
    }
    this.last = x;
    fillReplyHeader(x, m);
    x.replyIndex = this.counts.messages - 1;
    if (isInterruptReply) {
      s.interrupts.delete(unique);
    } else {
      extractReply(x, m, s.proto);
      if (x.interrupts > 0) {
        this.settleInterrupt(s, x.unique);
        // Read at or after this reply's time, the INTERRUPT found the request answered: its block came first (another thread's), not its time.
        if (!(x.tInterrupt < x.tReply)) {
          x.interrupts = 0;
          x.tInterrupt = NaN;
        }
      }
    }
    this.counts.replies++;
    if (x.replyProblem !== undefined) this.malformed(m, x.replyProblem, `${opcodeName(x.opcode)} reply #${x.unique}: `, x);
    if (m.failedErrno !== 0) {
      this.counts.rejected++;
      x.held = true;
      this.sink.onProblem?.({
        kind: 'reply-rejected', conn: m.conn, unique, opcode: x.opcode, nodeid: x.nodeid, t: m.t,
        offset: m.fileOffset, blockNo: m.blockNo, input: m.input, errno: m.failedErrno, exchange: x,
        message: `the kernel refused the reply to ${opcodeName(x.opcode)} #${unique}` + (m.failedErrno > 0 ? ` (write failed with errno ${m.failedErrno})` : ''),
      });
    }
    this.sink.onExchange?.(x, m);
    return isInterruptReply ? 'interrupt-reply' : 'reply';
  }

  /**
   * Gives back a completed exchange that nothing references any more (the
   * analysis decides when: analysis/analyze.ts), for reuse by a later
   * request. Held exchanges and INTERRUPTs (the connection may still keep
   * those for a late reply) are left to the garbage collector.
   */
  recycle(x: Exchange): void {
    if (x.held || x.opcode === Op.INTERRUPT) return;
    const r = x.result;
    this.pool.give(x);
    // The reply record goes with it, emptied: one record per exchange, not one per reply.
    if (r !== undefined && this.opts.poisonRecycled !== true) {
      resetReplyResult(r);
      x.result = r;
    }
  }

  private settleInterrupt(s: ConnState, target: Id): void {
    const odd = typeof target === 'number' ? target + 1 : target | 1n;
    if (!s.interrupts.has(odd)) return;
    s.settledInterrupts.push(odd);
    if (s.settledInterrupts.length > MAX_SETTLED_INTERRUPTS) {
      // Rare enough (only interrupted requests) that an array shift costs nothing noticeable.
      s.interrupts.delete(s.settledInterrupts.shift()!);
    }
  }

  /** INTERRUPTs the connection still keeps for a possible reply (tests, diagnostics). */
  interruptsTracked(conn: number): number {
    return this.conn(conn).interrupts.size;
  }

  /** Requests still in flight on a connection (for views that need them). */
  inflight(conn: number): IterableIterator<Exchange> {
    return this.conn(conn).inflight.values();
  }

  /**
   * End of input: reports every request still waiting for a reply. INTERRUPTs
   * whose target completed are not "unanswered": they normally get no reply.
   */
  end(tEnd: number): Exchange[] {
    const unanswered: Exchange[] = [];
    for (const [c, s] of this.conns.entries()) {
      if (!s) continue;
      for (const x of s.inflight.values()) {
        unanswered.push(x);
        this.sink.onProblem?.({
          kind: 'unanswered-request', conn: c, unique: x.unique, opcode: x.opcode, nodeid: x.nodeid, t: x.tReq,
          offset: x.reqFileOffset, blockNo: -1, input: x.input, exchange: x,
          message: `${opcodeName(x.opcode)} #${x.unique} got no reply by the end of the capture (${formatMs(tEnd - x.tReq)} after it was read)`,
        });
      }
    }
    return unanswered;
  }
}
