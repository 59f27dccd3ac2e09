/**
 * `fusetrace export --format parquet` (report/parquet.ts), loaded by
 * export.ts for that format only.
 */
import { analyze } from '../../analysis/analyze.js';
import { Timebase } from '../../capture/message.js';
import { UsageError, writeError } from '../../capture/errors.js';
import type { Exchange } from '../../protocol/exchange.js';
import type { FileModel } from '../../model/analysis.js';
import type { SizeEvent } from '../../model/size-event.js';
import { toolVersion } from '../../model/format.js';
import { fileColumns, findingColumns, opColumns, requestColumns, sizeColumns, type ExportClock, type TableColumn } from '../../report/csv.js';
import { ParquetTableWriter } from '../../report/parquet.js';
import { EXIT_OK } from '../common.js';
import { analysisOptions, fatalExit } from './analyze.js';
import { everyRow, type ExportFlags } from './export-options.js';

/**
 * One table as a Parquet file (report/parquet.ts): `requests` and `sizes`
 * streamed in row groups, the others from the final model; each row names
 * its capture.
 */
export function runParquet(captures: string[], flags: ExportFlags): number {
  if (flags.output === undefined || flags.output === '-') {
    throw new UsageError('--format parquet writes a file: give -o FILE.parquet', 'Parquet is a binary format with its index at the end; it is not written to standard output');
  }
  const file = flags.output;
  try {
    return writeParquet(captures, flags, file);
  } catch (e) {
    // The writer appends to the file as row groups fill: a full disk shows there, as the system's error.
    if ((e as NodeJS.ErrnoException).syscall === 'write') throw writeError(file, e);
    throw e;
  }
}

function writeParquet(captures: string[], flags: ExportFlags, file: string): number {
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
    throw writeError(file, e);
  }
}

function writeAllParquet<R>(w: ParquetTableWriter<R>, rows: readonly R[]): void {
  for (const r of rows) w.row(r);
  w.finish();
}
