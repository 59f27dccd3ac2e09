/**
 * `fusetrace export --format perfetto`: the whole analysis as one trace
 * (report/perfetto.ts), loaded by export.ts for that format only.
 */
import { analyze } from '../../analysis/analyze.js';
import { Timebase } from '../../capture/message.js';
import { UsageError } from '../../capture/errors.js';
import type { ExportClock } from '../../report/csv.js';
import { PerfettoWriter } from '../../report/perfetto.js';
import { EXIT_OK, Output } from '../common.js';
import { analysisOptions, fatalExit } from './analyze.js';
import type { ExportFlags } from './export-options.js';

function parseMaxEvents(v: string | undefined): number {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--max-events ${v}: expected a positive whole number`);
  return Number(v);
}

/** The whole analysis as one Trace Event Format file, written as the captures are read. */
export function runPerfetto(captures: string[], flags: ExportFlags): number {
  const maxEvents = parseMaxEvents(flags.maxEvents);
  const timebase = new Timebase();
  const clock: ExportClock = {
    get epochNs() {
      return timebase.epochNs;
    },
  };
  const opts = analysisOptions(captures, flags, { timeline: false });
  const out = new Output(flags.output);
  let result: ReturnType<typeof analyze>;
  let w: PerfettoWriter;
  try {
    w = new PerfettoWriter(out, clock, { maxEvents });
    const pw = w;
    result = analyze({ ...opts, timebase, hooks: { onExchange: (x) => pw.exchange(x), onSizeEvent: (e) => pw.sizeEvent(e), onFinding: (f) => pw.finding(f) } });
    w.end(result.model);
  } finally {
    out.close();
  }
  if (w.dropped > 0) process.stderr.write(`fusetrace: note: --max-events ${maxEvents}: ${w.dropped} events left out (narrow with --file, --conn, --since, --until)\n`);
  return fatalExit(result) ?? EXIT_OK;
}
