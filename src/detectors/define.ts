/**
 * The detector interface, shaped like a lint rule (style.md "Detectors"):
 * `defineDetector({ id, meta: { summary, severity, messages }, defaults, on })`
 * with handlers for requests, replies, notifications, pairing problems and
 * the end of the capture. Handlers run in time order, after the state stage
 * applied the event, and report findings through the context; the runner
 * fills in kind, message (from the message template and its data) and a
 * fingerprint that is stable across re-recordings.
 */
import { createHash } from 'node:crypto';
import type { Exchange, Id } from '../pairing/exchange.js';
import type { PairingProblem } from '../pairing/pairer.js';
import type { NotifyEvent } from '../protocol/extract.js';
import type { Finding, Severity } from '../report/model.js';
import type { Track } from '../state/files.js';
import { jsonId, type AnalysisState } from '../state/state.js';

/** What a detector hands to `ctx.report`. */
export interface FindingInput {
  /** Key of `meta.messages`. */
  messageId: string;
  /** Values for the message template's `{{name}}` placeholders. */
  data?: Record<string, string | number>;
  /** Overrides `meta.severity` (e.g. split writes reported at info). */
  severity?: Severity;
  conn: number;
  nodeid?: Id | null;
  path?: string | null;
  t: number;
  uniques: Id[];
  /** The numbers behind the finding (exact values; JSON-safe after conversion). */
  details?: Record<string, unknown>;
  /** Shape of the involved requests for the fingerprint: opcode names, relative offsets; never uniques or times. */
  shape: string;
  /** Tracks involved: their timeline bars are always kept. */
  tracks?: Track[];
}

export interface DetectorContext<O> {
  readonly id: string;
  readonly options: O;
  readonly state: AnalysisState;
  report(f: FindingInput): void;
}

export interface DetectorHandlers<O> {
  /** A request reached the daemon (tr: its in-flight track; undefined for FORGET/INTERRUPT/NOTIFY_REPLY). */
  request?(x: Exchange, tr: Track | undefined, ctx: DetectorContext<O>): void;
  /** A reply was sent; the state already applied it and took the exchange out of flight. */
  reply?(x: Exchange, tr: Track | undefined, ctx: DetectorContext<O>): void;
  notify?(n: NotifyEvent, ctx: DetectorContext<O>): void;
  problem?(p: PairingProblem, ctx: DetectorContext<O>): void;
  /** End of the capture: `ctx.state.inflightTracks()` holds what never got a reply. */
  end?(ctx: DetectorContext<O>): void;
}

export interface DetectorMeta {
  summary: string;
  severity: Severity;
  /** Message templates by id; `{{name}}` is replaced by `data.name`. */
  messages: Record<string, string>;
  /** Request/reply handlers only see these opcodes (all when absent). */
  opcodes?: readonly number[];
}

export interface Detector<O extends object = Record<string, never>> {
  id: string;
  meta: DetectorMeta;
  defaults: O;
  on: DetectorHandlers<O>;
}

/** Declares a detector (identity function that checks the shape). */
export function defineDetector<O extends object>(d: Detector<O>): Detector<O> {
  return d;
}

/** Fills `{{name}}` placeholders. */
export function formatMessage(template: string, data: Record<string, string | number> | undefined): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => (data && k in data ? String(data[k]) : `{{${k}}}`));
}

/** Stable fingerprint: kind + path (unknown nodeids blanked) + shape, hashed. */
export function fingerprint(kind: string, path: string | null | undefined, shape: string): string {
  const p = (path ?? '').replace(/\?\d+/g, '?');
  return `${kind}:${createHash('sha1').update(`${kind}\n${p}\n${shape}`).digest('hex').slice(0, 16)}`;
}

/** Makes a value JSON-safe: bigint -> exact number or string, NaN/Infinity -> null. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return jsonId(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = jsonSafe(val);
    return out;
  }
  return v;
}

/**
 * Where the runner sends findings (the analysis applies filters and caps).
 * `build` makes the Finding (message, fingerprint); a sink that drops the
 * finding never calls it, so floods of findings past the cap stay cheap.
 */
export type FindingSink = (kind: string, severity: Severity, input: FindingInput, build: () => Finding) => void;

type AnyDetector = Detector<object>;

/** Opcodes below this have their handler lists in arrays. */
const DIRECT_OPS = 256;

/**
 * Runs a set of detectors: builds one handler list per opcode so that each
 * event calls only the detectors that subscribed to it.
 */
export class DetectorRunner {
  private readonly ctxs: DetectorContext<object>[] = [];
  private readonly reqByOp = new Map<number, [AnyDetector, DetectorContext<object>][]>();
  private readonly repByOp = new Map<number, [AnyDetector, DetectorContext<object>][]>();
  private readonly reqAll: [AnyDetector, DetectorContext<object>][] = [];
  private readonly repAll: [AnyDetector, DetectorContext<object>][] = [];
  private readonly notifyH: [AnyDetector, DetectorContext<object>][] = [];
  private readonly problemH: [AnyDetector, DetectorContext<object>][] = [];
  private readonly endH: [AnyDetector, DetectorContext<object>][] = [];

  constructor(readonly detectors: readonly AnyDetector[], state: AnalysisState, sink: FindingSink, options: Record<string, object> = {}) {
    for (const d of detectors) {
      const ctx: DetectorContext<object> = {
        id: d.id,
        options: { ...d.defaults, ...(options[d.id] ?? {}) },
        state,
        report: (f) => {
          const path = f.path ?? null;
          sink(d.id, f.severity ?? d.meta.severity, f, () => ({
            kind: d.id,
            severity: f.severity ?? d.meta.severity,
            conn: f.conn,
            nodeid: f.nodeid === undefined || f.nodeid === null ? null : jsonId(f.nodeid),
            path,
            t: f.t,
            uniques: f.uniques.map(jsonId),
            message: formatMessage(d.meta.messages[f.messageId] ?? f.messageId, f.data),
            details: (jsonSafe(f.details ?? {}) as Record<string, unknown>),
            fingerprint: fingerprint(d.id, path, f.shape),
            messageId: f.messageId,
          }));
        },
      };
      this.ctxs.push(ctx);
      const pair: [AnyDetector, DetectorContext<object>] = [d, ctx];
      const on = d.on;
      const ops = d.meta.opcodes;
      if (on.request) {
        if (ops) for (const op of ops) push(this.reqByOp, op, pair);
        else this.reqAll.push(pair);
      }
      if (on.reply) {
        if (ops) for (const op of ops) push(this.repByOp, op, pair);
        else this.repAll.push(pair);
      }
      if (on.notify) this.notifyH.push(pair);
      if (on.problem) this.problemH.push(pair);
      if (on.end) this.endH.push(pair);
    }
    // Detectors without an opcode list see every opcode: merge them into each list.
    for (const m of [this.reqByOp, this.repByOp]) {
      const all = m === this.reqByOp ? this.reqAll : this.repAll;
      for (const list of m.values()) list.push(...all);
    }
  }

  /** Handler lists by opcode below DIRECT_OPS (filled on first use from the maps): no Map lookup per event. */
  private readonly reqDirect: ([AnyDetector, DetectorContext<object>][] | undefined)[] = new Array(DIRECT_OPS).fill(undefined);
  private readonly repDirect: ([AnyDetector, DetectorContext<object>][] | undefined)[] = new Array(DIRECT_OPS).fill(undefined);

  request(x: Exchange, tr: Track | undefined): void {
    const op = x.opcode;
    let l;
    if (op >= 0 && op < DIRECT_OPS) {
      l = this.reqDirect[op];
      if (l === undefined) this.reqDirect[op] = l = this.reqByOp.get(op) ?? this.reqAll;
    } else {
      l = this.reqByOp.get(op) ?? this.reqAll;
    }
    for (let i = 0; i < l.length; i++) l[i]![0].on.request!(x, tr, l[i]![1]);
  }

  reply(x: Exchange, tr: Track | undefined): void {
    const op = x.opcode;
    let l;
    if (op >= 0 && op < DIRECT_OPS) {
      l = this.repDirect[op];
      if (l === undefined) this.repDirect[op] = l = this.repByOp.get(op) ?? this.repAll;
    } else {
      l = this.repByOp.get(op) ?? this.repAll;
    }
    for (let i = 0; i < l.length; i++) l[i]![0].on.reply!(x, tr, l[i]![1]);
  }

  notify(n: NotifyEvent): void {
    for (const [d, c] of this.notifyH) d.on.notify!(n, c);
  }

  problem(p: PairingProblem): void {
    for (const [d, c] of this.problemH) d.on.problem!(p, c);
  }

  end(): void {
    for (const [d, c] of this.endH) d.on.end!(c);
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  let l = m.get(k);
  if (!l) m.set(k, (l = []));
  l.push(v);
}
