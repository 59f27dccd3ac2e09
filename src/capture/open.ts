/**
 * Entry points of the capture stage: the `ParserFactory` that maps a detected
 * format to its reader, and helpers that read one or several captures into a
 * sink. Several inputs are merged by time at chunk granularity: the input
 * whose latest message is oldest is stepped next (the analysis reorders
 * within its own window).
 */
import { statSync } from 'node:fs';
import type { OffsetSpace } from './errors.js';
import { createFusedumpParser } from './fusedump-reader.js';
import { CaptureInput, type ParserContext, type ReaderOptions, type RecordParser } from './input.js';
import { Timebase, type CaptureFormat, type CaptureSink } from './message.js';
import { createPcapngParser } from './pcapng-reader.js';

/** The `ParserFactory`: a new parser for `format`. */
export function createParser(format: CaptureFormat, ctx: ParserContext): RecordParser {
  switch (format) {
    case 'pcapng': return createPcapngParser(ctx);
    case 'fusedump': return createFusedumpParser(ctx);
  }
}

export interface ReadOptions extends ReaderOptions {
  /** Shared time base (a new one when absent). */
  timebase?: Timebase;
}

export interface ReadResult {
  inputs: CaptureInput[];
  timebase: Timebase;
}

/** Opens the inputs (not read yet); `file` '-' is standard input. */
export function openCaptures(files: string[], sink: CaptureSink, opts: ReadOptions = {}): ReadResult {
  const timebase = opts.timebase ?? new Timebase();
  const options: ReaderOptions = { resync: opts.resync, linkType: opts.linkType, guessDirection: opts.guessDirection };
  const inputs = files.map((file, input) => new CaptureInput(file, { file, input, timebase, sink, options }, createParser));
  return { inputs, timebase };
}

/**
 * Reads several captures into one sink, merged by time: always steps the
 * input whose latest message time is the smallest (ties: the first input).
 * Throws the first `CaptureError`; everything read before it was delivered.
 */
export function readCaptures(files: string[], sink: CaptureSink, opts: ReadOptions = {}): ReadResult {
  const res = openCaptures(files, sink, opts);
  readMerged(res.inputs);
  return res;
}

/**
 * Reads opened inputs to their end, merged by time: always steps the input
 * whose latest message time is the smallest (ties: the first input), and
 * calls `afterStep` after each chunk (the analysis releases its time-ordered
 * events there). Throws the first `CaptureError`; everything read before it
 * was delivered.
 */
export function readMerged(inputs: CaptureInput[], afterStep?: () => void): void {
  try {
    for (;;) {
      let next: CaptureInput | undefined;
      for (const inp of inputs) {
        if (inp.done) continue;
        if (next === undefined || inp.lastT < next.lastT) next = inp;
      }
      if (next === undefined) break;
      if (!next.step()) next.close();
      afterStep?.();
    }
  } finally {
    for (const inp of inputs) inp.close();
  }
}

/**
 * The format of a capture file (inside its gzip compression), from its first
 * bytes, and what the readers' offsets in it count.
 */
export function sniffFormat(file: string): { format: CaptureFormat; space: OffsetSpace } {
  const ignore: CaptureSink = { onConnection: () => {}, onMessage: () => {}, onNotice: () => {} };
  const input = new CaptureInput(file, { file, input: 0, timebase: new Timebase(), sink: ignore, options: {} }, createParser);
  try {
    const format = input.sniff();
    return { format, space: input.compression ? 'decompressed' : 'file' };
  } finally {
    input.close();
  }
}

/** Reads one capture into the sink. */
export function readCapture(file: string, sink: CaptureSink, opts: ReadOptions = {}): ReadResult {
  return readCaptures([file], sink, opts);
}

/**
 * Bytes of the capture files to read (standard input and files that cannot
 * be read count 0: the reader reports those), for progress lines.
 */
export function captureBytes(files: readonly string[]): number {
  let total = 0;
  for (const f of files) {
    try {
      if (f !== '-') total += statSync(f).size;
    } catch {
      /* reported by the reader */
    }
  }
  return total;
}

/** Bytes read so far by the opened inputs. */
export function bytesRead(inputs: readonly CaptureInput[]): number {
  let done = 0;
  for (const inp of inputs) done += inp.bytesRead;
  return done;
}
