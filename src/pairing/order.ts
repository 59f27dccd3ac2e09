/**
 * The time-ordering stage: block order is not time order across daemon
 * threads, and several captures are merged, so events wait in a min-heap
 * keyed by (time, rank, arrival) and leave in timestamp order once every
 * input has moved a window past them (or the heap reaches its cap). At equal
 * times replies leave before requests, so intervals [t_req, t_reply) that
 * only touch do not count as overlapping; a reply never leaves before its
 * own request.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { PairingProblem } from './pairer.js';
import type { NotifyEvent } from '../protocol/extract.js';

/**
 * Events that wait in the ordering window before the earliest leaves (the
 * analysis's default `maxWaiting`, and dump's count of requests in flight).
 * Blocks of different daemon threads come out of time order
 * (capture-format.md), and one that comes after more than this many events
 * stamped later is applied out of order (`model.tables.releasedLate`, and an
 * `out-of-order` limitation). In the bundled real recording
 * (fixtures/manyfiles.pcapng.gz, 460,687 messages) 99.9% of the blocks out of
 * order are at most 32 events behind, but one is between 257 and 512: a
 * window of 256 applies it out of order, 512 does not; 2048 leaves a margin
 * of four. The window costs speed, not only memory: what waits in it falls
 * out of the CPU's caches before the state reads it (on a 539 MB many-file
 * capture, analyze with 256 instead of 2048 took about 10% less CPU), so it
 * is kept no larger than real captures need.
 */
export const ORDER_WINDOW = 2048;

/**
 * How many times its start the analysis's window may grow: it doubles each
 * time a message came later than it allows (a capture whose threads lag more
 * than the bundled recordings), so one such message is applied out of order,
 * not every one like it; the bound keeps memory bounded (16 x 2048 events:
 * tens of MB of waiting exchanges at most).
 */
export const ORDER_WINDOW_GROWTH = 16;

/**
 * Messages the analysis reads between two releases from the window: often,
 * so that what waits stays young for the garbage collector (the bench's
 * model of that loop, bench/measure.ts `decode+pair+order`, uses it too).
 */
export const RELEASE_EVERY = 256;

export const enum EvKind {
  Request = 0,
  Reply = 1,
  Notify = 2,
  Problem = 3,
}

export interface Ev {
  t: number;
  /** 0 reply, 1 request/notification/problem, 2 a reply stamped no later than its own request. */
  rank: number;
  seq: number;
  kind: EvKind;
  x: Exchange | undefined;
  n: NotifyEvent | undefined;
  p: PairingProblem | undefined;
}

function less(a: Ev, b: Ev): boolean {
  return a.t < b.t || (a.t === b.t && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq)));
}

type Payload = Exchange | NotifyEvent | PairingProblem | undefined;

/** Events the sorted run holds at first (it doubles when full). */
const RUN_CAPACITY = 4096;

/**
 * Most events arrive already in time order, so they go to a sorted run (a
 * ring of columns appended at the tail, consumed at the head: O(1), and no
 * record per event); only stragglers that sort before the run's tail go to
 * the binary heap, as `Ev` records. The next event is the smaller of the
 * run's head and the heap's top; `pop` hands it over in one record it
 * reuses.
 */
export class EventHeap {
  private h: Ev[] = [];
  /** The run: `runCount` events from `runHead` on, each a column entry at index `& runMask`. */
  private runT = new Float64Array(RUN_CAPACITY);
  private runSeq = new Float64Array(RUN_CAPACITY);
  private runRank = new Uint8Array(RUN_CAPACITY);
  private runKind = new Uint8Array(RUN_CAPACITY);
  private runRef: Payload[] = new Array<Payload>(RUN_CAPACITY).fill(undefined);
  private runMask = RUN_CAPACITY - 1;
  private runHead = 0;
  private runCount = 0;
  /** Heap records released, reused (fewer short-lived objects for the garbage collector). */
  private free: Ev[] = [];
  /** What `pop` returns: valid until the next `pop`. */
  private readonly out: Ev = { t: 0, rank: 0, seq: 0, kind: EvKind.Request, x: undefined, n: undefined, p: undefined };
  private seq = 0;
  peak = 0;
  /** Events released later than a newer one (arrived after the window had passed them). */
  late = 0;
  private lastOut = -Infinity;

  get size(): number {
    return this.h.length + this.runCount;
  }

  peekT(): number {
    const a = this.runCount > 0 ? this.runT[this.runHead]! : Infinity;
    const b = this.h.length ? this.h[0]!.t : Infinity;
    return a < b ? a : b;
  }

  request(x: Exchange): void {
    this.push(x.tReq, 1, EvKind.Request, x);
  }

  reply(x: Exchange): void {
    const early = !(x.tReply > x.tReq);
    this.push(early ? x.tReq : x.tReply, early ? 2 : 0, EvKind.Reply, x);
  }

  notify(n: NotifyEvent): void {
    this.push(n.t, 1, EvKind.Notify, n);
  }

  problem(p: PairingProblem): void {
    this.push(p.t, 1, EvKind.Problem, p);
  }

  private push(t: number, rank: number, kind: EvKind, ref: Payload): void {
    const seq = this.seq++;
    let n = this.runCount;
    if (n > 0) {
      // Before the run's tail (its seq is smaller, so only time and rank can put it first): a straggler.
      const tail = (this.runHead + n - 1) & this.runMask;
      const tt = this.runT[tail]!;
      if (t < tt || (t === tt && rank < this.runRank[tail]!)) {
        this.pushHeap(t, rank, seq, kind, ref);
        return;
      }
      if (n > this.runMask) {
        this.growRun();
        n = this.runCount;
      }
    }
    const i = (this.runHead + n) & this.runMask;
    this.runT[i] = t;
    this.runSeq[i] = seq;
    this.runRank[i] = rank;
    this.runKind[i] = kind;
    this.runRef[i] = ref;
    this.runCount = n + 1;
    if (this.size > this.peak) this.peak = this.size;
  }

  /** Doubles the run's columns, its events from index 0 on. */
  private growRun(): void {
    const n = this.runCount;
    const cap = 2 * n;
    const t = new Float64Array(cap);
    const seq = new Float64Array(cap);
    const rank = new Uint8Array(cap);
    const kind = new Uint8Array(cap);
    const ref = new Array<Payload>(cap).fill(undefined);
    for (let k = 0; k < n; k++) {
      const i = (this.runHead + k) & this.runMask;
      t[k] = this.runT[i]!;
      seq[k] = this.runSeq[i]!;
      rank[k] = this.runRank[i]!;
      kind[k] = this.runKind[i]!;
      ref[k] = this.runRef[i];
    }
    this.runT = t;
    this.runSeq = seq;
    this.runRank = rank;
    this.runKind = kind;
    this.runRef = ref;
    this.runMask = cap - 1;
    this.runHead = 0;
  }

  private pushHeap(t: number, rank: number, seq: number, kind: EvKind, ref: Payload): void {
    let e = this.free.pop();
    if (e === undefined) e = { t, rank, seq, kind, x: undefined, n: undefined, p: undefined };
    e.t = t;
    e.rank = rank;
    e.seq = seq;
    e.kind = kind;
    setPayload(e, kind, ref);
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pe = h[parent]!;
      if (less(e, pe) !== true) break;
      h[i] = pe;
      i = parent;
    }
    h[i] = e;
    if (this.size > this.peak) this.peak = this.size;
  }

  /** The run's head sorts before heap record `b`. */
  private runFirst(b: Ev): boolean {
    const i = this.runHead;
    const t = this.runT[i]!;
    if (t !== b.t) return t < b.t;
    const rank = this.runRank[i]!;
    return rank < b.rank || (rank === b.rank && this.runSeq[i]! < b.seq);
  }

  /** The next event in time order, in a record reused by the next call (undefined when none waits). */
  pop(): Ev | undefined {
    const h = this.h;
    const out = this.out;
    if (this.runCount > 0 && (h.length === 0 || this.runFirst(h[0]!))) {
      const i = this.runHead;
      out.t = this.runT[i]!;
      out.rank = this.runRank[i]!;
      out.seq = this.runSeq[i]!;
      const kind = this.runKind[i]! as EvKind;
      out.kind = kind;
      setPayload(out, kind, this.runRef[i]);
      this.runRef[i] = undefined;
      this.runHead = (i + 1) & this.runMask;
      this.runCount--;
      return this.track(out);
    }
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        // `=== true`: V8 does not type the result of a call it did not inline (docs/speed.md, the truth tests).
        const c = r < n && less(h[r]!, h[l]!) === true ? r : l;
        if (less(h[c]!, last) !== true) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    out.t = top.t;
    out.rank = top.rank;
    out.seq = top.seq;
    out.kind = top.kind;
    out.x = top.x;
    out.n = top.n;
    out.p = top.p;
    top.x = undefined;
    top.n = undefined;
    top.p = undefined;
    if (this.free.length < 4096) this.free.push(top);
    return this.track(out);
  }

  /** The consumer is done with the event `pop` returned: its payload is let go. */
  recycle(e: Ev): void {
    e.x = undefined;
    e.n = undefined;
    e.p = undefined;
  }

  private track(e: Ev): Ev {
    if (e.t < this.lastOut) this.late++;
    else this.lastOut = e.t;
    return e;
  }
}

function setPayload(e: Ev, kind: EvKind, ref: Payload): void {
  e.x = kind === EvKind.Request || kind === EvKind.Reply ? (ref as Exchange) : undefined;
  e.n = kind === EvKind.Notify ? (ref as NotifyEvent) : undefined;
  e.p = kind === EvKind.Problem ? (ref as PairingProblem) : undefined;
}
