/**
 * Concurrency views (analysis.md): per file, how many exchanges were in
 * flight and for how long at each level; per connection, the queue depth
 * over time as the daemon saw it (downsampled to a bounded number of steps)
 * and the distinct daemon threads that served requests.
 */

/** Time-weighted share of each in-flight level, fed with level changes in time order. */
export class LevelTime {
  /** ns spent at level 1: most files never have two exchanges in flight at once, and need no array. */
  private ns1 = 0;
  /** ns spent at each level from 2 on (index = level), made at the first. */
  private nsMore: number[] | undefined = undefined;
  private level = 0;
  private since = 0;
  max = 0;

  /** The level becomes `level` at time `t`. */
  set(level: number, t: number): void {
    if (this.level > 0) {
      const d = t - this.since;
      if (d > 0) {
        if (this.level === 1) {
          this.ns1 += d;
        } else {
          const m = (this.nsMore ??= []);
          m[this.level] = (m[this.level] ?? 0) + d;
        }
      }
    }
    if (t > this.since || this.level === 0) this.since = t;
    this.level = level;
    if (level > this.max) this.max = level;
  }

  get current(): number {
    return this.level;
  }

  /** Closes the open interval at `t` (end of capture) without changing the level. */
  close(t: number): void {
    const l = this.level;
    this.set(l, t);
  }

  /** Share of active time (level >= 1) per level, e.g. {"1": 0.8, "2": 0.2}. */
  share(): Record<string, number> {
    const m = this.nsMore ?? [];
    let total = this.ns1;
    for (let l = 2; l < m.length; l++) total += m[l] ?? 0;
    const out: Record<string, number> = {};
    if (total <= 0) return out;
    if (this.ns1 > 0) out['1'] = Math.round((this.ns1 / total) * 1e6) / 1e6;
    for (let l = 2; l < m.length; l++) {
      const v = m[l] ?? 0;
      if (v > 0) out[String(l)] = Math.round((v / total) * 1e6) / 1e6;
    }
    return out;
  }
}

/**
 * Queue depth steps [t, depth], kept to at most `cap` points: when full, the
 * minimum spacing doubles and neighbouring points merge, keeping the highest
 * depth of each merged run (peaks are never lost).
 */
export class DepthTimeline {
  private ts: number[] = [];
  private ds: number[] = [];
  private spacing = 0;
  constructor(private readonly cap = 2000) {}

  add(t: number, depth: number): void {
    const n = this.ts.length;
    if (n > 0 && t - this.ts[n - 1]! < this.spacing) {
      if (depth > this.ds[n - 1]!) this.ds[n - 1] = depth;
      return;
    }
    this.ts.push(t);
    this.ds.push(depth);
    if (n + 1 > this.cap) this.compact();
  }

  private compact(): void {
    const ts = this.ts;
    const ds = this.ds;
    this.spacing = this.spacing === 0 ? Math.max(1, (ts[ts.length - 1]! - ts[0]!) / (this.cap / 2)) : this.spacing * 2;
    let w = 0;
    for (let r = 0; r < ts.length; r++) {
      if (w > 0 && ts[r]! - ts[w - 1]! < this.spacing) {
        if (ds[r]! > ds[w - 1]!) ds[w - 1] = ds[r]!;
      } else {
        ts[w] = ts[r]!;
        ds[w] = ds[r]!;
        w++;
      }
    }
    ts.length = w;
    ds.length = w;
  }

  /** [t, depth] steps. */
  get points(): [number, number][] {
    return this.ts.map((t, i) => [t, this.ds[i]!]);
  }
}

/**
 * Threads seen recently, by `tid % RECENT_TIDS`: a daemon's few threads take
 * turns reading and answering, so "the tid added last" missed on most events
 * and `Set.add` ran for each (0.5% of analyze on a many-file capture).
 */
const RECENT_TIDS = 64;

/** Per-connection concurrency: in-flight depth, its peak and timeline, threads. */
export class ConnConcurrency {
  inflight = 0;
  peak = 0;
  readonly timeline = new DepthTimeline();
  private readonly tidSet = new Set<number>();
  /** Tids already in `tidSet` (entries are never removed), at `tid % RECENT_TIDS`; -1 free. */
  private readonly recent = new Int32Array(RECENT_TIDS).fill(-1);

  /** Distinct daemon threads that read or answered requests. */
  get threads(): number {
    return this.tidSet.size;
  }

  /** A daemon thread read or answered a message (`tid` < 0: unknown). */
  noteTid(tid: number): void {
    if (tid < 0) return;
    const i = tid % RECENT_TIDS;
    if (this.recent[i] === tid) return;
    this.tidSet.add(tid);
    this.recent[i] = tid;
  }

  request(t: number, tid: number): void {
    this.inflight++;
    if (this.inflight > this.peak) this.peak = this.inflight;
    this.timeline.add(t, this.inflight);
    this.noteTid(tid);
  }

  reply(t: number, tid: number): void {
    if (this.inflight > 0) this.inflight--;
    this.timeline.add(t, this.inflight);
    this.noteTid(tid);
  }
}
