/**
 * Values by 64-bit id (unique, nodeid, ino): the requests in flight on a
 * connection, which the pairing stage looks up, adds and removes once per
 * message, and the state's files by nodeid and size groups by ino. A `Map`
 * does the same, but its ordered hash table leaves a hole per deletion and is
 * rebuilt (allocated again) every few inserts when entries come and go as fast
 * as here; and once the table is old, V8 allocates every rebuilt one in the
 * old generation, where each discarded table keeps whatever young values it
 * held alive until the next full collection (measured on a many-file capture:
 * every file the state dropped was copied and promoted through them). This
 * table is open addressing over typed arrays (linear probing, deletion by
 * backward shift, so no tombstones), allocates only when it grows, and clears
 * a deleted value's slot.
 *
 * Ids are numbers while exact (always, in practice); the rare bigint id (bit
 * 63 set, e.g. by a resent request) goes to a side `Map`. Iteration is in
 * insertion order, like a `Map`, and setting an existing key keeps its place,
 * like a `Map`; a table made `unordered` (one nobody iterates: the state's
 * paths by nodeid, groups by ino) keeps no insertion numbers, a quarter of its
 * memory (4 MB a table at a million entries), and iterates in no set order.
 */
import type { Exchange } from '../protocol/exchange.js';
import type { Id } from '../model/id64.js';

/** Empty slot marker: uniques are unsigned, so -1 is never a key. */
const EMPTY = -1;
/**
 * Insertion numbers are kept in 32 bits until one passes this (billions of
 * inserts into one table), then in 64-bit floats: at a million entries the
 * narrow column is 8 MB less per table, and the state holds three such.
 */
const NARROW_SEQ_MAX = 0xffffffff;

export class IdTable<V = Exchange> {
  private mask = 15;
  /** 32 - log2(capacity): the home slot is the top bits of the hash. */
  private shift = 28;
  private keys = new Float64Array(16).fill(EMPTY);
  private vals: (V | undefined)[] = new Array<V | undefined>(16).fill(undefined);
  /** Insertion sequence number per slot (for ordered iteration); none in an unordered table. */
  private seqs: Uint32Array | Float64Array | undefined;
  private seq = 0;
  private count = 0;
  private big: Map<bigint, { x: V; seq: number }> | undefined;
  /**
   * What `values()` gave last, until the table next changes: the end of the
   * input walks the state's files three times (the live files' last paths,
   * the parked rows' paths, the model), and at a million files each walk was
   * a sort.
   */
  private listed: V[] | undefined;

  constructor(opts?: { unordered: true }) {
    this.seqs = opts?.unordered === true ? undefined : new Uint32Array(16);
  }

  get size(): number {
    return this.count + (this.big?.size ?? 0);
  }

  /**
   * Home slot of an id: Fibonacci hashing of its two 32-bit halves, the slot
   * taken from the product's top bits, since ids are often multiples of a
   * power of two (uniques step by 2, nodeids are addresses).
   */
  private home(u: number): number {
    return Math.imul((u >>> 0) ^ Math.imul((u / 4294967296) >>> 0, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  has(u: Id): boolean {
    if (typeof u !== 'number') return this.big?.has(u) ?? false;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(u); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === u) return true;
      if (k === EMPTY) return false;
    }
  }

  get(u: Id): V | undefined {
    if (typeof u !== 'number') return this.big?.get(u)?.x;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(u); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === u) return this.vals[i];
      if (k === EMPTY) return undefined;
    }
  }

  set(u: Id, x: V): void {
    this.swap(u, x);
  }

  /** `set`, returning the value it replaced (undefined when the key was new): one probe where `get` then `set` take two. */
  swap(u: Id, x: V): V | undefined {
    this.listed = undefined;
    if (typeof u !== 'number') {
      const e = (this.big ??= new Map()).get(u);
      if (e) {
        const prev = e.x;
        e.x = x;
        return prev;
      }
      this.big.set(u, { x, seq: this.seq++ });
      return undefined;
    }
    const keys = this.keys;
    const mask = this.mask;
    let i = this.home(u);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === u) {
        const prev = this.vals[i];
        this.vals[i] = x;
        return prev;
      }
      if (k === EMPTY) break;
    }
    keys[i] = u;
    this.vals[i] = x;
    const seq = this.seq++;
    let seqs = this.seqs;
    if (seqs !== undefined) {
      if (seq > NARROW_SEQ_MAX && seqs instanceof Uint32Array) this.seqs = seqs = Float64Array.from(seqs);
      seqs[i] = seq;
    }
    // Keep the load under 1/2 so that probes stay short.
    if (++this.count * 2 > mask + 1) this.grow();
    return undefined;
  }

  delete(u: Id): boolean {
    this.listed = undefined;
    if (typeof u !== 'number') return this.big?.delete(u) ?? false;
    const i = this.slotOf(u);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Removes the key and returns its value (undefined when absent): one probe where `get` then `delete` take two. */
  take(u: Id): V | undefined {
    this.listed = undefined;
    if (typeof u !== 'number') {
      const big = this.big;
      const e = big?.get(u);
      if (big === undefined || e === undefined) return undefined;
      big.delete(u);
      return e.x;
    }
    const i = this.slotOf(u);
    if (i < 0) return undefined;
    const x = this.vals[i];
    this.removeAt(i);
    return x;
  }

  /** The slot holding number key `u`, or -1. */
  private slotOf(u: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(u); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === u) return i;
      if (k === EMPTY) return -1;
    }
  }

  /** Empties slot `i`, keeping every probe run unbroken. */
  private removeAt(i: number): void {
    const keys = this.keys;
    const mask = this.mask;
    const seqs = this.seqs;
    // Backward shift: move later entries of the probe run into the hole when
    // their home slot does not lie (cyclically) between the hole and them.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j]!;
      if (k === EMPTY) break;
      const h = this.home(k);
      if (((j - h) & mask) >= ((j - i) & mask)) {
        keys[i] = k;
        this.vals[i] = this.vals[j];
        if (seqs !== undefined) seqs[i] = seqs[j]!;
        i = j;
      }
    }
    keys[i] = EMPTY;
    this.vals[i] = undefined;
    this.count--;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldSeqs = this.seqs;
    const cap = oldKeys.length * 2;
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.seqs = oldSeqs === undefined ? undefined : this.seq > NARROW_SEQ_MAX ? new Float64Array(cap) : new Uint32Array(cap);
    const seqs = this.seqs;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j]!;
      if (k === EMPTY) continue;
      let i = this.home(k);
      while (this.keys[i] !== EMPTY) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.vals[i] = oldVals[j];
      if (seqs !== undefined && oldSeqs !== undefined) seqs[i] = oldSeqs[j]!;
    }
  }

  /**
   * The values in insertion order (end of input and views: not per message).
   * The state's files may number a million: each occupied slot becomes one
   * number, insertion sequence times capacity plus slot, sorted natively,
   * rather than an object each.
   */
  values(): IterableIterator<V> {
    return (this.listed ??= this.list()).values();
  }

  /** The values in insertion order (any order in an unordered table), as a new array. */
  private list(): V[] {
    const cap = this.keys.length;
    const seqs = this.seqs;
    if (seqs === undefined) {
      const out: V[] = [];
      for (let i = 0; i < cap; i++) if (this.keys[i] !== EMPTY) out.push(this.vals[i]!);
      if (this.big) for (const e of this.big.values()) out.push(e.x);
      return out;
    }
    if (this.big === undefined && this.seq * cap < Number.MAX_SAFE_INTEGER) {
      const order = new Float64Array(this.count);
      let n = 0;
      for (let i = 0; i < cap; i++) if (this.keys[i] !== EMPTY) order[n++] = seqs[i]! * cap + i;
      order.sort();
      const out = new Array<V>(n);
      for (let k = 0; k < n; k++) out[k] = this.vals[order[k]! % cap]!;
      return out;
    }
    const all: { x: V; seq: number }[] = [];
    for (let i = 0; i < cap; i++) {
      if (this.keys[i] !== EMPTY) all.push({ x: this.vals[i]!, seq: seqs[i]! });
    }
    if (this.big) all.push(...this.big.values());
    all.sort((a, b) => a.seq - b.seq);
    return all.map((e) => e.x);
  }
}
