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
  FORMATS, TABLES, TableWriter, requestColumns, sizeColumns, writeModelTable, type ExportClock, type ExportFormat, type TableColumn, type TableName,
} from '../../report/csv.js';
import type { FileModel } from '../../model/analysis.js';
import type { SizeEvent } from '../../model/size-event.js';
import { PerfettoWriter } from '../../report/perfetto.js';
import { ParquetTableWriter } from '../../report/parquet.js';
import { fileColumns, findingColumns, opColumns } from '../../report/csv.js';
import { toolVersion } from '../../model/format.js';
import { UsageError } from '../../capture/errors.js';
import { createTableSql } from '../../report/sql-schema.js';
import { EXIT_OK, Output, runCommand } from '../common.js';
import { addAnalysisOptions, analysisOptions, fatalExit, warnFilterMisses, type AnalysisFlags } from './analyze.js';

/** Table formats (CSV, JSON Lines, Parquet), plus `perfetto`: the whole analysis as one trace (report/perfetto.ts). */
const EXPORT_FORMATS = [...FORMATS, 'parquet', 'perfetto'] as const;
type ExportCliFormat = (typeof EXPORT_FORMATS)[number];

interface ExportFlags extends AnalysisFlags {
  table: TableName;
  format: ExportCliFormat;
  output?: string;
  maxEvents?: string;
  schema?: string;
}

/**
 * "One row per file" and per finding means all of them: the export lifts
 * the bounds `analyze` puts on its report (the 100 busiest files, 20,000
 * findings). A file's row is written when its state is dropped (FORGET),
 * the rest at the end, so memory grows with the files alive at once and
 * with the findings, not with the files already done.
 */
const everyRow = (table: TableName) => ({ fileRows: table === 'files', limits: { maxFindings: Infinity } });

/**
 * What a table does not need from the analysis: `requests` and `sizes` rows
 * come from the state's views alone, so the detectors do not run, and no
 * summary (latency, concurrency, per-file counters and size history, the
 * retired files) is kept for them: the findings and files would be thrown away.
 */
function stagesFor(table: TableName, opts: ReturnType<typeof analysisOptions>): ReturnType<typeof analysisOptions> {
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

export function runExport(captures: string[], flags: ExportFlags): number {
  if (flags.schema !== undefined && (flags.format === 'perfetto' || flags.format === 'parquet')) {
    throw new UsageError(`--schema goes with --format csv or jsonl`, 'a Parquet file carries its own types');
  }
  if (flags.format === 'perfetto') return runPerfetto(captures, flags);
  if (flags.format === 'parquet') return runParquet(captures, flags);
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
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the directory exists and is writable');
  }
}

function parseMaxEvents(v: string | undefined): number {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--max-events ${v}: expected a positive whole number`);
  return Number(v);
}

/** The whole analysis as one Trace Event Format file, written as the captures are read. */
function runPerfetto(captures: string[], flags: ExportFlags): number {
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

/**
 * One table as a Parquet file (report/parquet.ts): `requests` and `sizes`
 * streamed in row groups, the others from the final model; each row names
 * its capture.
 */
function runParquet(captures: string[], flags: ExportFlags): number {
  if (flags.output === undefined || flags.output === '-') {
    throw new UsageError('--format parquet writes a file: give -o FILE.parquet', 'Parquet is a binary format with its index at the end; it is not written to standard output');
  }
  const file = flags.output;
  const table = flags.table;
  const timebase = new Timebase();
  const clock: ExportClock = {
    get epochNs() {
      return timebase.epochNs;
    },
  };
  const createdBy = `fusetrace ${toolVersion()}`;
  const captureOf = new Map<number, string>();
  const byConn = (r: { conn: number }): string | null => captureOf.get(r.conn) ?? null;
  const hooks: NonNullable<Parameters<typeof analyze>[0]['hooks']> = { onConnection: (c) => captureOf.set(c.conn, c.file) };
  let streamed: ParquetTableWriter<Exchange> | ParquetTableWriter<SizeEvent> | undefined;
  const open = <R>(cols: Parameters<typeof writerFor<R>>[0], capture: (r: R) => string | null): ParquetTableWriter<R> => writerFor(cols, file, capture, createdBy);
  if (table === 'requests') {
    const w = open(requestColumns(clock), (x: Exchange) => captures[x.input] ?? null);
    hooks.onExchange = (x) => w.row(x);
    streamed = w;
  } else if (table === 'sizes') {
    const w = open(sizeColumns(clock), byConn);
    hooks.onSizeEvent = (e) => w.row(e);
    streamed = w;
  }
  let files: ParquetTableWriter<FileModel> | undefined;
  if (table === 'files') {
    const w = open(fileColumns(), byConn);
    hooks.onFileRetired = (f) => w.row(f);
    files = w;
  }
  const opts = analysisOptions(captures, flags, { hooks, timeline: false });
  const result = analyze({ ...opts, timebase, ...everyRow(table) });
  const model = result.model;
  switch (table) {
    case 'requests':
    case 'sizes':
      streamed?.finish();
      break;
    case 'findings':
      writeAllParquet(open(findingColumns({ epochNs: BigInt(model.epochNs) }), byConn), model.findings);
      break;
    case 'files':
      writeAllParquet(files ?? open(fileColumns(), byConn), model.files);
      break;
    case 'ops':
      writeAllParquet(open(opColumns(), byConn), model.ops);
      break;
    default: {
      // A table added to TABLES must say here how it is written: until then this does not compile.
      const unwritten: never = table;
      throw new Error(`no Parquet writer for table ${String(unwritten)}`);
    }
  }
  return fatalExit(result) ?? EXIT_OK;
}

function writerFor<R>(cols: TableColumn<R>[], file: string, capture: (r: R) => string | null, createdBy: string): ParquetTableWriter<R> {
  try {
    return new ParquetTableWriter(cols, file, capture, createdBy);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the directory exists and is writable');
  }
}

function writeAllParquet<R>(w: ParquetTableWriter<R>, rows: readonly R[]): void {
  for (const r of rows) w.row(r);
  w.finish();
}
