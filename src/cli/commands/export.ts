/**
 * `fusetrace export CAPTURE... --table T`: one table of the analysis as CSV
 * or JSON Lines for spreadsheets and scripts (docs/export.md). `requests`
 * and `sizes` rows are written while the captures are read, so memory stays
 * bounded; `findings`, `files` and `ops` are written from the final model.
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { analyze } from '../../analysis/analyze.js';
import { NO_FILTERS } from '../../analysis/filters.js';
import { Timebase } from '../../capture/message.js';
import type { Exchange } from '../../protocol/exchange.js';
import {
  TABLES, TableWriter, fileColumns, requestColumns, sizeColumns, writeModelTable, type ExportClock, type TableName,
} from '../../report/csv.js';
import type { FileModel } from '../../model/analysis.js';
import type { SizeEvent } from '../../model/size-event.js';
import { UsageError, writeError } from '../../capture/errors.js';
import { createTableSql } from '../../report/sql-schema.js';
import { EXIT_OK, Output, runCommand } from '../common.js';
import { addAnalysisOptions, analysisOptions, fatalExit, warnFilterMisses } from './analyze.js';
import { EXPORT_FORMATS, everyRow, type ExportFlags } from './export-options.js';

/**
 * What a table does not need from the analysis: `requests` and `sizes` rows
 * come from the state's views alone, so the detectors do not run, and no
 * summary (latency, concurrency, per-file counters and size history, the
 * retired files) is kept for them: the findings and files would be thrown away.
 */
export function stagesFor(table: TableName, opts: ReturnType<typeof analysisOptions>): ReturnType<typeof analysisOptions> {
  if (table !== 'requests' && table !== 'sizes') return opts;
  return { ...opts, filters: { ...(opts.filters ?? NO_FILTERS), detectors: [] }, limits: { ...opts.limits, maxFiles: 0 }, viewsOnly: true };
}

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('write one table of the analysis as CSV, JSON Lines or Parquet (requests, findings, files, sizes, ops), or the whole analysis as a Perfetto trace')
    .argument('<capture...>', 'pcapng or fusedump captures')
    .addOption(new Option('-t, --table <table>', 'which table').choices(TABLES as unknown as string[]).default('requests'))
    .addOption(new Option('--format <format>', 'output format (perfetto: a trace of all requests, files and findings; --table does not apply)').choices(EXPORT_FORMATS as unknown as string[]).default('csv'))
    .option('-o, --output <file>', 'output file; - for standard output (the default)')
    .option('--schema <file>', 'csv, jsonl: also write the table\'s SQL CREATE TABLE (DuckDB types) to this file, to load any export with its types')
    .option('--max-events <n>', 'perfetto: stop adding trace events past n (chrome://tracing struggles past ~1.5 M)');
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
  fusetrace export traces/*.pcapng --table requests --format parquet -o requests.parquet
  fusetrace export cap.pcapng --format perfetto -o cap.trace.json    # ui.perfetto.dev, chrome://tracing

Exit status: 0 done, 2 usage error or unreadable input (rows read before the damage are written).`);
  cmd.action(async (captures: string[], flags: ExportFlags) => {
    const code = await runCommand(() => runExport(captures, flags));
    process.exitCode = code;
  });
}

export async function runExport(captures: string[], flags: ExportFlags): Promise<number> {
  if (flags.schema !== undefined && (flags.format === 'perfetto' || flags.format === 'parquet')) {
    throw new UsageError(`--schema goes with --format csv or jsonl`, 'a Parquet file carries its own types');
  }
  // Loaded for their format only: the Parquet writer (hyparquet) and the trace writer cost a CSV or JSON Lines run 20-35 ms of module loading.
  if (flags.format === 'perfetto') return (await import('./export-perfetto.js')).runPerfetto(captures, flags);
  if (flags.format === 'parquet') return (await import('./export-parquet.js')).runParquet(captures, flags);
  const table = flags.table;
  const format = flags.format;
  if (flags.schema !== undefined) writeSchema(flags.schema, table);
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
    let files: TableWriter<FileModel> | undefined;
    const hooks: { onExchange?(x: Exchange): void; onSizeEvent?(e: SizeEvent): void; onFileRetired?(f: FileModel): void } = {};
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
    } else if (table === 'files') {
      const w = new TableWriter(fileColumns(), format, out);
      w.header();
      hooks.onFileRetired = (f) => w.row(f);
      files = w;
    }
    const opts = stagesFor(table, { ...analysisOptions(captures, flags, { hooks, timeline: false }), ...everyRow(table) });
    result = analyze({ ...opts, timebase });
    if (rows) rows.flush();
    else if (files) {
      for (const f of result.model.files) files.row(f);
      files.flush();
    } else writeModelTable(result.model, table as 'findings' | 'files' | 'ops', format, out, { epochNs: BigInt(result.model.epochNs) });
  } finally {
    out.close();
  }
  warnFilterMisses(result);
  return fatalExit(result) ?? EXIT_OK;
}

function writeSchema(file: string, table: TableName): void {
  try {
    writeFileSync(file, createTableSql(table));
  } catch (e) {
    throw writeError(file, e);
  }
}
