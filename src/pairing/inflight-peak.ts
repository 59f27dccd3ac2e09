/**
 * The peak number of requests in flight per connection, in time order, for
 * the commands that read messages in block order (dump). Block order is not
 * time order (capture-format.md: blocks of different daemon threads), so a
 * count of pending requests taken in block order can exceed what was ever
 * in flight at one moment. Here each request and reply is an event at its
 * timestamp; events wait, as in the analysis's ordering window
 * (pairing/order.ts, the same bound), and are counted in time order,
 * replies before requests at equal times, a reply stamped no later than its
 * request just after it. The analysis counts the same requests (those that
 * expect a reply) the same way, so both report one peak.
 *
 * Numbers only, in typed arrays: in-order events go to a ring, stragglers
 * to a small binary heap.
 */

import { ORDER_WINDOW } from './order.js';

export class InflightPeak {
  /**
   * The ring: `n` events from `head` on, at index `& mask`. Sized once from
   * the window: at most `window` events wait before one is appended, so it
   * never fills.
   */
  private readonly rt: Float64Array;
  private readonly rk: Float64Array;
  private readonly rc: Int32Array;
  private readonly mask: number;
  private head = 0;
  private n = 0;
  /** The heap: `hn` events, ordered by (t, key). */
  private ht = new Float64Array(64);
  private hk = new Float64Array(64);
  private hc = new Int32Array(64);
  private hn = 0;
  private seq = 0;
  private readonly level: number[] = [];
  private readonly peaks: number[] = [];

  constructor(private readonly window = ORDER_WINDOW) {
    // The least power of two above the window: room for `window` events and the one appended.
    let cap = 1;
    while (cap <= window) cap *= 2;
    this.rt = new Float64Array(cap);
    this.rk = new Float64Array(cap);
    this.rc = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** A request that expects a reply, read at `t`. */
  request(conn: number, t: number): void {
    this.push(t, 1, conn);
  }

  /** The reply to a request read at `tReq`, written at `tReply`. */
  reply(conn: number, tReq: number, tReply: number): void {
    if (tReply > tReq) this.push(tReply, 0, -1 - conn);
    else this.push(tReq, 2, -1 - conn);
  }

  /** The peak of `conn` once every event is counted (`end`). */
  peak(conn: number): number {
    return this.peaks[conn] ?? 0;
  }

  /** Counts every waiting event. */
  end(): void {
    while (this.n + this.hn > 0) this.countNext();
  }

  /**
   * Events sort by time, then by `key`: rank (0 reply, 1 request, 2 reply
   * stamped no later than its request) times 2^40 plus arrival, so equal
   * times keep the rank rule, then arrival order. `c` is the connection, a
   * reply's as -1 - conn.
   */
  private push(t: number, rank: number, c: number): void {
    const key = rank * 1099511627776 + this.seq++;
    const n = this.n;
    if (n > 0) {
      const tail = (this.head + n - 1) & this.mask;
      const tt = this.rt[tail]!;
      if (t < tt || (t === tt && key < this.rk[tail]!)) {
        this.pushHeap(t, key, c);
        this.settle();
        return;
      }
    }
    const i = (this.head + n) & this.mask;
    this.rt[i] = t;
    this.rk[i] = key;
    this.rc[i] = c;
    this.n++;
    this.settle();
  }

  private settle(): void {
    while (this.n + this.hn > this.window) this.countNext();
  }

  /** Counts the earliest waiting event. */
  private countNext(): void {
    let c: number;
    const fromRing = this.n > 0 && (this.hn === 0 || before(this.rt[this.head]!, this.rk[this.head]!, this.ht[0]!, this.hk[0]!));
    if (fromRing) {
      c = this.rc[this.head]!;
      this.head = (this.head + 1) & this.mask;
      this.n--;
    } else {
      c = this.hc[0]!;
      this.popHeap();
    }
    if (c >= 0) {
      const l = (this.level[c] ?? 0) + 1;
      this.level[c] = l;
      if (l > (this.peaks[c] ?? 0)) this.peaks[c] = l;
    } else {
      const conn = -1 - c;
      const l = this.level[conn] ?? 0;
      if (l > 0) this.level[conn] = l - 1;
    }
  }

  private pushHeap(t: number, key: number, c: number): void {
    if (this.hn === this.ht.length) {
      const cap = this.hn * 2;
      const nt = new Float64Array(cap);
      const nk = new Float64Array(cap);
      const nc = new Int32Array(cap);
      nt.set(this.ht);
      nk.set(this.hk);
      nc.set(this.hc);
      this.ht = nt;
      this.hk = nk;
      this.hc = nc;
    }
    let i = this.hn++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, key, this.ht[p]!, this.hk[p]!)) break;
      this.ht[i] = this.ht[p]!;
      this.hk[i] = this.hk[p]!;
      this.hc[i] = this.hc[p]!;
      i = p;
    }
    this.ht[i] = t;
    this.hk[i] = key;
    this.hc[i] = c;
  }

  private popHeap(): void {
    const n = --this.hn;
    if (n === 0) return;
    const t = this.ht[n]!;
    const key = this.hk[n]!;
    const c = this.hc[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && before(this.ht[r]!, this.hk[r]!, this.ht[l]!, this.hk[l]!) ? r : l;
      if (!before(this.ht[m]!, this.hk[m]!, t, key)) break;
      this.ht[i] = this.ht[m]!;
      this.hk[i] = this.hk[m]!;
      this.hc[i] = this.hc[m]!;
      i = m;
    }
    this.ht[i] = t;
    this.hk[i] = key;
    this.hc[i] = c;
  }
}

function before(t1: number, k1: number, t2: number, k2: number): boolean {
  return t1 < t2 || (t1 === t2 && k1 < k2);
}
