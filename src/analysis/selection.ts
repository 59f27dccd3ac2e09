/**
 * Per-opcode statistics and in-flight depth of the exchanges that
 * `--file`/`--since`/`--until` select, for a report narrowed by them (the
 * capture-wide ones live in the state: AnalysisState.latency and each
 * connection's ConnConcurrency). Fed in time order like the state; memory is
 * the selected exchanges in flight, a LatencyTable and a bounded
 * DepthTimeline per connection.
 *
 * An exchange counts for the opcode table when its request is in the time
 * window (as for the export and the hooks), and for the in-flight depth
 * whenever it belongs to a selected file; depth steps are kept inside the
 * window only, starting with the depth at its start.
 */
import type { Exchange } from '../protocol/exchange.js';
import { DepthTimeline } from '../state/concurrency.js';
import { LatencyTable } from '../state/latency.js';
import type { ResolvedFilters } from './filters.js';

interface ConnDepth {
  depth: number;
  peak: number;
  started: boolean;
  readonly timeline: DepthTimeline;
}

export class Selection {
  readonly ops = new LatencyTable();
  private readonly depth: ConnDepth[] = [];
  /** Selected exchanges in flight: counted in the opcode table (1), in the depth (2). */
  private readonly pending = new Map<Exchange, number>();

  constructor(private readonly filters: ResolvedFilters) {}

  private conn(c: number): ConnDepth {
    return (this.depth[c] ??= { depth: 0, peak: 0, started: false, timeline: new DepthTimeline() });
  }

  private step(c: number, t: number, delta: number): void {
    const d = this.conn(c);
    const f = this.filters;
    if (f.until !== null && t > f.until) {
      d.depth += delta;
      return;
    }
    if (f.since !== null && t < f.since) {
      d.depth += delta;
      return;
    }
    if (!d.started && f.since !== null) {
      d.timeline.add(f.since, d.depth);
      d.peak = d.depth;
    }
    d.started = true;
    d.depth += delta;
    if (d.depth > d.peak) d.peak = d.depth;
    d.timeline.add(t, d.depth);
  }

  /** A request after the state saw it (its path is known). */
  request(x: Exchange): void {
    const f = this.filters;
    if (!f.conn(x.conn) || !f.file(x.nodeid, x.path)) return;
    const inTime = f.time(x.tReq);
    if (inTime) this.ops.get(x.conn, x.opcode).addRequest();
    if (x.noReplyExpected) return;
    this.step(x.conn, x.tReq, 1);
    this.pending.set(x, inTime ? 3 : 2);
  }

  reply(x: Exchange): void {
    const how = this.pending.get(x);
    if (how === undefined) return;
    this.pending.delete(x);
    if (how & 1) this.ops.get(x.conn, x.opcode).addReply(x.error, x.tReply - x.tReq);
    this.step(x.conn, x.tReply, -1);
  }

  /** [t, depth] steps of a connection's selected exchanges inside the window, and their peak there. */
  inflight(c: number): { steps: [number, number][]; peak: number } {
    const d = this.depth[c];
    if (!d) return { steps: [], peak: 0 };
    return { steps: d.timeline.points, peak: d.peak };
  }
}
