/**
 * `fusetrace export CAPTURE... --table T`: one table of the analysis as CSV
 * or JSON Lines for spreadsheets and scripts (docs/export.md). `requests`
 * and `sizes` rows are written while the captures are read, so memory stays
 * bounded; `findings`, `files` and `ops` are written from the final model.
 */
import { Option, type Command } from 'commander';
import { analyze } from '../../analysis/analyze.js';
import { Timebase } from '../../capture/message.js';
import type { Exchange } from '../../pairing/exchange.js';
import {
  FORMATS, TABLES, TableWriter, requestColumns, sizeColumns, writeModelTable, type ExportClock, type ExportFormat, type TableName,
} from '../../report/csv.js';
import type { SizeEvent } from '../../report/model.js';
import { EXIT_OK, Output, runCommand } from '../common.js';
import { addAnalysisOptions, analysisOptions, fatalExit, type AnalysisFlags } from './analyze.js';

interface ExportFlags extends AnalysisFlags {
  table: TableName;
  format: ExportFormat;
  output?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('write one table of the analysis as CSV or JSON Lines (requests, findings, files, sizes, ops)')
    .argument('<capture...>', 'pcapng or fusedump captures')
    .addOption(new Option('-t, --table <table>', 'which table').choices(TABLES as unknown as string[]).default('requests'))
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS as unknown as string[]).default('csv'))
    .option('-o, --output <file>', 'output file; - for standard output (the default)');
  addAnalysisOptions(cmd).addHelpText('after', `
Tables (columns and their order: docs/export.md):
  requests   one row per exchange: ids, times (ns since the epoch and ms since the start),
             latency, error, the request's fh/offset/size and flags by name, file sizes
             and in-flight count at send time
  findings   one row per finding        files   one row per file
  sizes      one row per size event      ops     per-opcode counts, errors, latency

Examples:
  fusetrace export cap.pcapng --table requests -o requests.csv
  fusetrace export A.pcapng B.pcapng --table sizes --format jsonl
  fusetrace export cap.pcapng --table requests --file /data/big.img --since 2s -o - | head

Exit status: 0 done, 2 usage error or unreadable input (rows read before the damage are written).`);
  cmd.action(async (captures: string[], flags: ExportFlags) => {
    const code = await runCommand(() => runExport(captures, flags));
    process.exitCode = code;
  });
}

export function runExport(captures: string[], flags: ExportFlags): number {
  const table = flags.table;
  const format = flags.format;
  const timebase = new Timebase();
  const clock: ExportClock = {
    get epochNs() {
      return timebase.epochNs;
    },
  };
  const out = new Output(flags.output);
  let result: ReturnType<typeof analyze>;
  try {
    let rows: TableWriter<Exchange> | TableWriter<SizeEvent> | undefined;
    const hooks: { onExchange?(x: Exchange): void; onSizeEvent?(e: SizeEvent): void } = {};
    if (table === 'requests') {
      const w = new TableWriter(requestColumns(clock), format, out);
      w.header();
      hooks.onExchange = (x) => w.row(x);
      rows = w;
    } else if (table === 'sizes') {
      const w = new TableWriter(sizeColumns(clock), format, out);
      w.header();
      hooks.onSizeEvent = (e) => w.row(e);
      rows = w;
    }
    const opts = analysisOptions(captures, flags, { hooks, timeline: false });
    result = analyze({ ...opts, timebase });
    if (rows) rows.flush();
    else writeModelTable(result.model, table as 'findings' | 'files' | 'ops', format, out, { epochNs: BigInt(result.model.epochNs) });
  } finally {
    out.close();
  }
  return fatalExit(result) ?? EXIT_OK;
}
