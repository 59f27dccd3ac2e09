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

/**
 * Most events arrive already in time order, so they go to a sorted run (an
 * array appended at the tail, consumed at the head: O(1)); only stragglers
 * that sort before the run's tail go to the binary heap. The next event is
 * the smaller of the run's head and the heap's top.
 */
export class EventHeap {
  private h: Ev[] = [];
  /**
   * The sorted run: events run[runHead .. runTail). The array keeps its
   * length when it empties (a zero length would drop its store, grown again
   * by every refill).
   */
  private run: (Ev | undefined)[] = [];
  private runHead = 0;
  private runTail = 0;
  /** Released events, reused (fewer short-lived objects for the garbage collector). */
  private free: Ev[] = [];
  private seq = 0;
  peak = 0;
  /** Events released later than a newer one (arrived after the window had passed them). */
  late = 0;
  private lastOut = -Infinity;

  get size(): number {
    return this.h.length + this.runTail - this.runHead;
  }

  peekT(): number {
    const a = this.runHead < this.runTail ? this.run[this.runHead]!.t : Infinity;
    const b = this.h.length ? this.h[0]!.t : Infinity;
    return a < b ? a : b;
  }

  request(x: Exchange): void {
    this.push(this.make(x.tReq, 1, EvKind.Request, x, undefined, undefined));
  }

  reply(x: Exchange): void {
    const early = !(x.tReply > x.tReq);
    this.push(this.make(early ? x.tReq : x.tReply, early ? 2 : 0, EvKind.Reply, x, undefined, undefined));
  }

  notify(n: NotifyEvent): void {
    this.push(this.make(n.t, 1, EvKind.Notify, undefined, n, undefined));
  }

  problem(p: PairingProblem): void {
    this.push(this.make(p.t, 1, EvKind.Problem, undefined, undefined, p));
  }

  private make(t: number, rank: number, kind: EvKind, x: Exchange | undefined, n: NotifyEvent | undefined, p: PairingProblem | undefined): Ev {
    const e = this.free.pop();
    if (e === undefined) return { t, rank, seq: this.seq++, kind, x, n, p };
    e.t = t;
    e.rank = rank;
    e.seq = this.seq++;
    e.kind = kind;
    e.x = x;
    e.n = n;
    e.p = p;
    return e;
  }

  /** Gives a released event back for reuse (after its consumer is done with it). */
  recycle(e: Ev): void {
    e.x = undefined;
    e.n = undefined;
    e.p = undefined;
    if (this.free.length < 4096) this.free.push(e);
  }

  private push(e: Ev): void {
    const run = this.run;
    if (this.runHead === this.runTail || !less(e, run[this.runTail - 1]!)) {
      if (this.runTail < run.length) run[this.runTail] = e;
      else run.push(e);
      this.runTail++;
      if (this.size > this.peak) this.peak = this.size;
      return;
    }
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pe = h[parent]!;
      if (!less(e, pe)) break;
      h[i] = pe;
      i = parent;
    }
    h[i] = e;
    if (this.size > this.peak) this.peak = this.size;
  }

  pop(): Ev | undefined {
    const h = this.h;
    const run = this.run;
    if (this.runHead < this.runTail && (h.length === 0 || less(run[this.runHead]!, h[0]!))) {
      const e = run[this.runHead]!;
      run[this.runHead++] = undefined;
      if (this.runHead === this.runTail) {
        this.runHead = 0;
        this.runTail = 0;
      } else if (this.runHead >= 4096 && this.runHead * 2 >= this.runTail) {
        run.copyWithin(0, this.runHead, this.runTail);
        run.fill(undefined, this.runTail - this.runHead, this.runTail);
        this.runTail -= this.runHead;
        this.runHead = 0;
      }
      return this.track(e);
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
        const c = r < n && less(h[r]!, h[l]!) ? r : l;
        if (!less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return this.track(top);
  }

  private track(e: Ev): Ev {
    if (e.t < this.lastOut) this.late++;
    else this.lastOut = e.t;
    return e;
  }
}
