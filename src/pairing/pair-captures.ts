/**
 * Reads captures and pairs their messages in one pass: the capture stage
 * feeding the pairing stage. Used by `dump` and the benchmarks; the analysis
 * adds its own stages on the same sinks.
 */
import { CaptureError } from '../capture/errors.js';
import { type BackingOp, type CaptureMessage, type CaptureNotice, type ConnectionInfo, type InterfaceStats, Timebase } from '../capture/message.js';
import { openCaptures, readMerged, type ReadOptions } from '../capture/open.js';
import { guessDirection } from '../protocol/guess-direction.js';
import type { CaptureInput } from '../capture/input.js';
import type { ProtocolOverride } from '../protocol/version.js';
import type { Exchange } from '../protocol/exchange.js';
import { Pairer, type MessageKind, type PairingSink } from './pairer.js';

export interface PairRunSink extends PairingSink {
  /** Every message, after pairing classified it (`pairer.last` / `pairer.lastNotify` tell what it was). */
  onMessage?(kind: MessageKind, m: CaptureMessage, pairer: Pairer): void;
  onConnection?(c: ConnectionInfo): void;
  onNotice?(n: CaptureNotice): void;
  onStats?(s: InterfaceStats): void;
  /** A passthrough backing-file ioctl (capture-format.md §1), in block order. */
  onBacking?(b: BackingOp): void;
  /** After each chunk read (which inputs are `done` tells what can still come). */
  afterStep?(inputs: CaptureInput[]): void;
}

export interface PairRunOptions extends ReadOptions {
  proto?: ProtocolOverride;
  /** The recording host of connections whose capture does not name it (PairerOptions.machine). */
  machine?: string;
}

export interface PairRun {
  pairer: Pairer;
  timebase: Timebase;
  connections: ConnectionInfo[];
  notices: CaptureNotice[];
  stats: InterfaceStats[];
  inputs: CaptureInput[];
  /** Requests with no reply at the end (already reported to onProblem). */
  unanswered: Exchange[];
  /** Latest message time seen. */
  tEnd: number;
  /** Input damage that stopped reading; everything before it was processed. */
  fatal: CaptureError | undefined;
}

/** Reads and pairs `files`; never throws for bad input (see `fatal`). */
export function pairCaptures(files: string[], sink: PairRunSink, opts: PairRunOptions = {}): PairRun {
  const pairer = new Pairer(sink, { proto: opts.proto, machine: opts.machine });
  const connections: ConnectionInfo[] = [];
  const notices: CaptureNotice[] = [];
  const stats: InterfaceStats[] = [];
  const timebase = opts.timebase ?? new Timebase();
  // In a typed array: a time stored in a closure's variable would allocate a number per message.
  const tEnd = new Float64Array([-Infinity]);
  let fatal: CaptureError | undefined;
  const onMessage = sink.onMessage;
  const inputs: CaptureInput[] = openCaptures(files, {
    onConnection(c) {
      connections.push(c);
      pairer.onConnection(c);
      sink.onConnection?.(c);
    },
    onMessage(m) {
      if (m.t > tEnd[0]!) tEnd[0] = m.t;
      const kind = pairer.message(m);
      if (onMessage) onMessage(kind, m, pairer);
    },
    onNotice(n) {
      notices.push(n);
      sink.onNotice?.(n);
    },
    onStats(s) {
      stats.push(s);
      sink.onStats?.(s);
    },
    onBacking: sink.onBacking,
  }, { ...opts, timebase, guessDirection }).inputs;
  try {
    const afterStep = sink.afterStep;
    readMerged(inputs, afterStep ? () => afterStep(inputs) : undefined);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    fatal = e;
  }
  const tLast = tEnd[0]!;
  const unanswered = pairer.end(tLast);
  return { pairer, timebase, connections, notices, stats, inputs, unanswered, tEnd: tLast === -Infinity ? 0 : tLast, fatal };
}
