/**
 * The detector interface, shaped like a lint rule (style.md "Detectors"):
 * `defineDetector({ id, meta: { summary, severity, messages }, create })`.
 * `create(ctx)` runs once per analysis and returns the handlers for requests,
 * replies, notifications, pairing problems and the end of the capture; what
 * a detector remembers between events lives in that closure. Handlers run in
 * time order, after the state stage applied the event (the state gives
 * neutral facts: sizes, what was in flight together; the judgement is the
 * detector's), and report findings through the context; the runner fills in
 * kind, message (from the message template and its data) and a fingerprint
 * that is stable across re-recordings.
 */
import { createHash } from 'node:crypto';
import type { Exchange } from '../protocol/exchange.js';
import { type Id, exactId } from '../model/id64.js';
import type { PairingProblem } from '../pairing/pairer.js';
import type { NotifyEvent } from '../protocol/extract.js';
import type { Finding, Severity } from '../model/finding.js';
import type { FileState, Track } from '../state/files.js';
import type { AnalysisState } from '../state/state.js';

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

export interface DetectorContext {
  readonly id: string;
  readonly state: AnalysisState;
  report(f: FindingInput): void;
  /**
   * The detector keeps `x` or its track past the handler call (an episode
   * judged later). Without this the analysis reuses the record of a
   * completed exchange for a later request.
   */
  keep(x: Exchange): void;
}

/** What `create` returns; every handler is optional. */
export interface DetectorHandlers {
  /** A request reached the daemon (tr: its in-flight track; undefined for FORGET/INTERRUPT/NOTIFY_REPLY). */
  request?(x: Exchange, tr: Track | undefined): void;
  /** A reply was sent; the state already applied it (`state.reportAt`) and took the exchange out of flight. */
  reply?(x: Exchange, tr: Track | undefined): void;
  /** A reply that carried size reports (`state.reportCount` > 0), after the `reply` handlers: most replies carry none. */
  reportingReply?(x: Exchange, tr: Track | undefined): void;
  /** A reply to a request the kernel interrupted (`x.interrupts` > 0), of any opcode, after the `reply` handlers (before `reportingReply`): most requests never are. */
  interruptedReply?(x: Exchange, tr: Track | undefined): void;
  notify?(n: NotifyEvent): void;
  problem?(p: PairingProblem): void;
  /** The file's state is about to be dropped (the kernel forgot it): what a detector still holds about it is reported now, to count in its summary. */
  retire?(f: FileState): void;
  /** End of the capture: `state.inflightTracks()` holds what never got a reply. */
  end?(): void;
}

export interface DetectorMeta {
  summary: string;
  severity: Severity;
  /** Message templates by id; `{{name}}` is replaced by `data.name`. */
  messages: Record<string, string>;
  /** Request/reply handlers only see these opcodes (all when absent). */
  opcodes?: readonly number[];
  /** Request handlers only see these opcodes (default: `opcodes`). */
  requestOpcodes?: readonly number[];
}

export interface Detector {
  id: string;
  meta: DetectorMeta;
  /** Called once per analysis: the handlers, with the detector's per-run state in their closure. */
  create(ctx: DetectorContext): DetectorHandlers;
}

/** Declares a detector (identity function that checks the shape). */
export function defineDetector(d: Detector): Detector {
  return d;
}

/** Fills `{{name}}` placeholders. */
function formatMessage(template: string, data: Record<string, string | number> | undefined): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => (data && k in data ? String(data[k]) : `{{${k}}}`));
}

/** Stable fingerprint: kind + path (unknown nodeids blanked) + shape, hashed. */
function fingerprint(kind: string, path: string | null | undefined, shape: string): string {
  const p = (path ?? '').replace(/\?\d+/g, '?');
  return `${kind}:${createHash('sha1').update(`${kind}\n${p}\n${shape}`).digest('hex').slice(0, 16)}`;
}

/** Makes a value JSON-safe: bigint -> exact number or string, NaN/Infinity -> null. */
function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return exactId(v);
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

/** Opcodes below this have their handler lists in arrays. */
const DIRECT_OPS = 256;

type Handler = DetectorHandlers;

/**
 * Runs a set of detectors: creates each detector's handlers for this run and
 * builds one handler list per opcode, so that each event calls only the
 * detectors that subscribed to it.
 */
export class DetectorRunner {
  private readonly reqByOp = new Map<number, Handler[]>();
  private readonly repByOp = new Map<number, Handler[]>();
  private readonly reqAll: Handler[] = [];
  private readonly repAll: Handler[] = [];
  private readonly reportingH: Handler[] = [];
  private readonly interruptedH: Handler[] = [];
  private readonly notifyH: Handler[] = [];
  private readonly problemH: Handler[] = [];
  private readonly retireH: Handler[] = [];
  private readonly endH: Handler[] = [];

  constructor(readonly detectors: readonly Detector[], private readonly state: AnalysisState, sink: FindingSink) {
    for (const d of detectors) {
      const ctx: DetectorContext = {
        id: d.id,
        state,
        keep: holdExchange,
        report: (f) => {
          const path = f.path ?? null;
          const severity = f.severity ?? d.meta.severity;
          sink(d.id, severity, f, () => ({
            kind: d.id,
            severity,
            conn: f.conn,
            nodeid: f.nodeid === undefined || f.nodeid === null ? null : exactId(f.nodeid),
            path,
            t: f.t,
            uniques: f.uniques.map(exactId),
            message: formatMessage(d.meta.messages[f.messageId] ?? f.messageId, f.data),
            details: (jsonSafe(f.details ?? {}) as Record<string, unknown>),
            fingerprint: fingerprint(d.id, path, f.shape),
            messageId: f.messageId,
          }));
        },
      };
      const h = d.create(ctx);
      const ops = d.meta.opcodes;
      const reqOps = d.meta.requestOpcodes ?? ops;
      if (h.request) {
        if (reqOps) for (const op of reqOps) push(this.reqByOp, op, h);
        else this.reqAll.push(h);
      }
      if (h.reply) {
        if (ops) for (const op of ops) push(this.repByOp, op, h);
        else this.repAll.push(h);
      }
      if (h.reportingReply) this.reportingH.push(h);
      if (h.interruptedReply) this.interruptedH.push(h);
      if (h.notify) this.notifyH.push(h);
      if (h.problem) this.problemH.push(h);
      if (h.retire) this.retireH.push(h);
      if (h.end) this.endH.push(h);
    }
    // Detectors without an opcode list see every opcode: merge them into each list.
    for (const m of [this.reqByOp, this.repByOp]) {
      const all = m === this.reqByOp ? this.reqAll : this.repAll;
      for (const list of m.values()) list.push(...all);
    }
  }

  /** Handler lists by opcode below DIRECT_OPS (filled on first use from the maps): no Map lookup per event. */
  private readonly reqDirect: (Handler[] | undefined)[] = new Array(DIRECT_OPS).fill(undefined);
  private readonly repDirect: (Handler[] | undefined)[] = new Array(DIRECT_OPS).fill(undefined);

  request(x: Exchange, tr: Track | undefined): void {
    const op = x.opcode;
    let l;
    if (op >= 0 && op < DIRECT_OPS) {
      l = this.reqDirect[op];
      if (l === undefined) this.reqDirect[op] = l = this.reqByOp.get(op) ?? this.reqAll;
    } else {
      l = this.reqByOp.get(op) ?? this.reqAll;
    }
    for (let i = 0; i < l.length; i++) l[i]!.request!(x, tr);
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
    for (let i = 0; i < l.length; i++) l[i]!.reply!(x, tr);
    if (x.interrupts > 0) {
      const r = this.interruptedH;
      for (let i = 0; i < r.length; i++) r[i]!.interruptedReply!(x, tr);
    }
    if (this.state.reportCount > 0) {
      const r = this.reportingH;
      for (let i = 0; i < r.length; i++) r[i]!.reportingReply!(x, tr);
    }
  }

  notify(n: NotifyEvent): void {
    for (const h of this.notifyH) h.notify!(n);
  }

  problem(p: PairingProblem): void {
    for (const h of this.problemH) h.problem!(p);
  }

  retire(f: FileState): void {
    for (const h of this.retireH) h.retire!(f);
  }

  end(): void {
    for (const h of this.endH) h.end!();
  }
}

function holdExchange(x: Exchange): void {
  x.held = true;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  let l = m.get(k);
  if (!l) m.set(k, (l = []));
  l.push(v);
}
