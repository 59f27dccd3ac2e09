/**
 * `fusetrace export`: the tables of docs/export.md as CSV (RFC 4180, header
 * row always) or JSON Lines, written as rows arrive so memory stays bounded
 * whatever the capture size. `requests` and `sizes` stream from the analysis
 * hooks; `findings`, `files` and `ops` come from the final model.
 *
 * Each table's columns are described once here (name, type, cell); the docs
 * list the same names in the same order (a test compares them). The
 * per-opcode argument columns of `requests` (fh, offset, size, the flag
 * words by name) are not listed by hand: they are the fields of the request
 * layouts in src/protocol/layouts that the pairing stage extracts.
 *
 * Cells: numbers stay numbers (no units, no separators); a 64-bit value
 * beyond 2^53-1 is carried as its exact decimal string and written as those
 * digits, a JSON number in JSON Lines, so each column has one type in both
 * formats. Unknown values are empty cells (CSV) or null (JSON Lines). Names
 * are untrusted: CSV quotes every cell holding a delimiter, quote, CR or LF
 * and defuses formula-like text cells; JSON escapes controls (json.ts).
 * csv-stringify, with formulas escaped and a bare CR or LF quoted, writes
 * the same text and is the tests' reference for it; as the writer it cost
 * about 20 times the byte writer's time a row (row-bytes.ts).
 */
import { childPath, type Exchange } from '../protocol/exchange.js';
import { idCell, type Id } from '../model/id64.js';
import { errnoName } from '../model/format.js';
import { memoized } from '../model/memo.js';
import { jsonString, stringifyJson, stringifyPlain } from './json.js';
import { MAX_NUMBER_TEXT, isIntegerText, putAscii, putCsvPlain, putFraction, putInt32, putJsonChars, putJsonPlain, putNanos, putNineQuads, putNumber, putSafeQuads, putScaled, putScaledParts, putScaledQuads, putUint31Quads } from './row-bytes.js';
import { TEXT_BUFFER, TextBuffer } from './text-buffer.js';
import { STORE_SLACK, storesSource } from './word-digits.js';
import { formatOpenFlags, OPEN_FLAGS } from '../protocol/flags/open.js';
import { formatFlags, type Field } from '../protocol/layout.js';
import { ARGUMENT_LAYOUTS, opcodeName } from '../protocol/opcodes.js';
import { SIZE_EVENT_KINDS, type SizeEvent } from '../model/size-event.js';
import type { AnalysisModel, FileModel, OpStatsModel } from '../model/analysis.js';
import type { Finding } from '../model/finding.js';
import { GeneratedCode } from '../model/generated-code.js';

export type Cell = number | string | boolean | null;
export type ColumnType = 'integer' | 'number' | 'string';

/** How a cell is read: `get`, and for a number cell also `value`, which the byte writer reads instead. */
export interface CellSource<R> {
  get(r: R): Cell;
  /**
   * A number column's value without a Cell made of it (`valueColumn`): `get`
   * is `num(value(r))`, and the row writer writes its digits straight from it.
   */
  value?(r: R): number | bigint | undefined;
  /**
   * A text cell fixed by a number read from the row (a flag word, an error):
   * `get` is `cell(key(r))` (`keyedSource`). The row writer keeps the bytes
   * of the cells of the keys it met and copies them.
   */
  keyed?: { key(r: R): number; cell(key: number): Cell };
}

export interface TableColumn<R> extends CellSource<R> {
  name: string;
  type: ColumnType;
  doc: string;
  /** An absolute time column (`absTimeColumn`): `get` is `absNs(clock, t(r), rest(r))`. */
  absTime?: { clock: ExportClock; t(r: R): number; rest(r: R): number };
  /**
   * A cell that only some kinds of row have (the requests' argument columns, by
   * opcode): `get` is `of[kind(r)]?.get(r) ?? null`. The row writer writes a run
   * of such columns with the same `kind` by one function per kind, so a row
   * pays for the cells its kind has, not for every column.
   */
  byKind?: { kind(r: R): number; of: readonly (CellSource<R> | undefined)[] };
  /**
   * A column of ns shown as ms or µs (`scaledColumn`): `get` is
   * `num(Math.round(ns(r)) / 10^digits)`; the row writer writes it from the
   * whole ns (row-bytes.ts `putScaled`).
   */
  scaled?: { ns(r: R): number | undefined; digits: number };
  /**
   * A text column whose cell is, when `dir(r)` is set, `childPath(dir(r),
   * name(r))` (the path of a request naming a child, protocol/exchange.ts):
   * the row writer writes the two parts, without the joined string.
   */
  joined?: { dir(r: R): string | undefined; name(r: R): string };
}

/** Clock facts every time cell needs: the run's epoch (absolute ns of t = 0). */
export interface ExportClock {
  /** Absolute ns since the Unix epoch of relative time 0; undefined until known, then fixed (a row writer keeps it split). */
  epochNs: bigint | undefined;
}

export const TABLES = ['requests', 'findings', 'files', 'sizes', 'ops'] as const;
export type TableName = (typeof TABLES)[number];
export const FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof FORMATS)[number];

// --- cells -----------------------------------------------------------------------

/** A 64-bit id cell (model/id64.ts `idCell`): a number while exact, decimal string beyond. */
function id64(v: Id | string | null | undefined): Cell {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : idCell(v);
}

/**
 * A number cell: null for NaN (unknown); a bigint (or a number past 2^53-1
 * that some stage already rounded) never becomes a rounded cell: a bigint is
 * written exactly as a decimal string, a rounded number as unknown (null).
 */
const num = (v: number | bigint | null | undefined): Cell => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return id64(v);
  if (!Number.isFinite(v)) return null;
  return Number.isInteger(v) && !Number.isSafeInteger(v) ? null : v;
};

/** A number column read through `value` (see `CellSource.value`). */
function valueColumn<R>(name: string, type: ColumnType, doc: string, value: (r: R) => number | bigint | undefined): TableColumn<R> {
  return { name, type, doc, value, get: (r) => num(value(r)) };
}

/** A cell fixed by a number of the row (see `CellSource.keyed`), each key's cell made once. */
function keyedSource<R>(key: (r: R) => number, cell: (k: number) => Cell): CellSource<R> {
  const kept = memoized(cell);
  return { get: (r) => kept(key(r)), keyed: { key, cell: kept } };
}

/** A number cell's source read through `value`. */
function valueSource<R>(value: (r: R) => number | bigint | undefined): CellSource<R> {
  return { value, get: (r) => num(value(r)) };
}

/** The last epoch split into whole seconds and ns, for exact decimal sums without a bigint per cell. */
let splitEpoch: bigint | undefined;
let splitSec = 0;
let splitNsec = 0;

/**
 * `absNs` as digits at b[p] (room for MAX_NUMBER_TEXT bytes taken), or -1
 * (nothing written) when only the exact bigint sum holds it (or `t` is
 * unknown): whole seconds and ns in plain numbers, kept in local variables
 * (a number stored outside the function would be boxed, garbage per cell).
 */
export function putAbsNs(b: Buffer, p: number, epoch: bigint, t: number, rest: number): number {
  if (rest !== 0 || t - t !== 0) return -1;
  if (epoch !== splitEpoch) {
    splitEpoch = epoch;
    splitSec = Number(epoch / 1_000_000_000n);
    splitNsec = Number(epoch % 1_000_000_000n);
  }
  const total = splitNsec + Math.round(t);
  const carry = Math.floor(total / 1e9);
  const sec = splitSec + carry;
  if (sec <= 0 || sec > Number.MAX_SAFE_INTEGER || !(total <= Number.MAX_SAFE_INTEGER && total >= -Number.MAX_SAFE_INTEGER)) return -1;
  return putNanos(b, p, sec, total - carry * 1e9);
}
const ABS_SCRATCH = Buffer.alloc(MAX_NUMBER_TEXT);

/** Relative ns (plus the `rest` a double could not hold, see `CaptureMessage.tRest`) -> absolute ns since the Unix epoch, exact, as a decimal string. */
export function absNs(clock: ExportClock, t: number, rest = 0): Cell {
  const epoch = clock.epochNs;
  if (!Number.isFinite(t) || epoch === undefined) return null;
  const n = putAbsNs(ABS_SCRATCH, 0, epoch, t, rest);
  if (n >= 0) return ABS_SCRATCH.toString('latin1', 0, n);
  return (epoch + BigInt(Math.round(t)) + BigInt(rest)).toString();
}

/**
 * A column of absolute times (`absNs`) from relative ns (NaN: none); the
 * byte writer writes its digits without making the string.
 */
function absTimeColumn<R>(name: string, doc: string, clock: ExportClock, t: (r: R) => number, rest: (r: R) => number = () => 0): TableColumn<R> {
  return { name, type: 'integer', doc, get: (r) => absNs(clock, t(r), rest(r)), absTime: { clock, t, rest } };
}

/** ns as ms (`digits` 6) or µs (3), ns resolution kept: see `TableColumn.scaled`. */
function scaledColumn<R>(name: string, doc: string, digits: number, ns: (r: R) => number | undefined): TableColumn<R> {
  const unit = 10 ** digits;
  return { name, type: 'number', doc, get: (r) => num(Math.round(ns(r) ?? NaN) / unit), scaled: { ns, digits } };
}

/** Relative ns -> ms since the capture start, ns resolution kept (6 decimals). */
const relMs = (t: number): Cell => (Number.isFinite(t) ? msOf(t) : null);
const msOf = (t: number): number => Math.round(t) / 1e6;

// --- requests: argument columns from the layouts ---------------------------------------

/** How an `Exchange` carries a layout field, or undefined when it does not. */
function carrier(f: Field): CellSource<Exchange> | undefined {
  if (f.pad) return undefined;
  switch (f.name) {
    case 'fh': return valueSource((x) => x.fh);
    case 'offset': return valueSource((x) => x.offsetExact ?? x.offset);
    case 'size':
    case 'length': return valueSource((x) => x.sizeExact ?? x.size);
  }
  if (f.flags === OPEN_FLAGS) return keyedSource((x) => x.flags >>> 0, formatOpenFlags);
  // The one other flag word of a request body (write_flags, valid, mode,
  // fsync_flags, ...) is the opcode's `opFlags` (protocol/extract.ts).
  if (f.flags) {
    const set = f.flags;
    return keyedSource((x) => x.opFlags >>> 0, (v) => (v ? formatFlags(set, v) : ''));
  }
  return undefined;
}

const opcodeOf = (x: Exchange): number => x.opcode;

function argumentColumns(): TableColumn<Exchange>[] {
  const cols = new Map<string, { type: ColumnType; docs: string[]; byOp: Map<number, CellSource<Exchange>> }>();
  for (const [layout, ops] of ARGUMENT_LAYOUTS) {
    for (const f of layout.fields) {
      const src = carrier(f);
      if (!src) continue;
      let c = cols.get(f.name);
      if (!c) cols.set(f.name, (c = { type: f.flags ? 'string' : 'integer', docs: [], byOp: new Map() }));
      c.docs.push(`${layout.name}.${f.name}`);
      for (const op of ops) c.byOp.set(op, src);
    }
  }
  return [...cols].map(([name, c]) => {
    // By opcode in an array: a Map lookup for each of these columns on every row cost more than the cell.
    const of = new Array<CellSource<Exchange> | undefined>(Math.max(...c.byOp.keys()) + 1).fill(undefined);
    for (const [op, src] of c.byOp) of[op] = src;
    return {
      name,
      type: c.type,
      doc: `${c.type === 'string' ? 'flags by name' : 'value'} of ${c.docs.join(', ')}`,
      get: (x: Exchange) => {
        const src = of[x.opcode];
        return src === undefined ? null : src.get(x);
      },
      byKind: { kind: opcodeOf, of },
    };
  });
}

export function requestColumns(clock: ExportClock): TableColumn<Exchange>[] {
  // `=== true`, not the bare field (tested in six cells a row): docs/speed.md, the truth tests.
  const replied = (x: Exchange): boolean => x.replied === true;
  return [
    valueColumn('conn', 'integer', 'connection number', (x) => x.conn),
    valueColumn('unique', 'integer', 'request id (fuse_in_header.unique)', (x) => x.unique),
    valueColumn('opcode', 'integer', 'opcode number', opcodeOf),
    { name: 'op', type: 'string', doc: 'opcode name (LOOKUP, WRITE, ...)', ...keyedSource(opcodeOf, opcodeName) },
    valueColumn('nodeid', 'integer', 'header nodeid (the parent directory for name operations)', (x) => x.nodeid),
    {
      name: 'path', type: 'string', doc: 'path of the file at request time (?NODEID when unknown; empty for nodeid 0: INIT, BATCH_FORGET, INTERRUPT)', get: (x) => x.path ?? null,
      // A request naming a child holds its directory's path and the name until `path` is read (Exchange.dirPath).
      joined: { dir: (x) => x.dirPath, name: (x) => x.name ?? '' },
    },
    valueColumn('pid', 'integer', 'daemon process that read the request (empty: unknown)', (x) => (x.pid >= 0 ? x.pid : undefined)),
    valueColumn('tid', 'integer', 'daemon thread that read the request (empty: unknown)', (x) => (x.tid >= 0 ? x.tid : undefined)),
    valueColumn('caller_pid', 'integer', 'fuse_in_header.pid: the calling thread, 0 for the kernel', (x) => x.callerPid),
    absTimeColumn('req_ns', 'request time, ns since the Unix epoch (exact)', clock, (x) => x.tReq, (x) => x.tReqRest),
    absTimeColumn('reply_ns', 'reply time, ns since the Unix epoch (empty: no reply)', clock, (x) => (replied(x) ? x.tReply : NaN), (x) => x.tReplyRest),
    scaledColumn('req_ms', 'request time, ms since the capture start', 6, (x) => x.tReq),
    scaledColumn('reply_ms', 'reply time, ms since the capture start', 6, (x) => (replied(x) ? x.tReply : undefined)),
    scaledColumn('latency_us', 'reply time - request time, µs', 3, (x) => (replied(x) ? x.latency : undefined)),
    valueColumn('error', 'integer', 'reply error: 0 or -errno (empty: no reply)', (x) => (replied(x) ? x.error : undefined)),
    { name: 'errno', type: 'string', doc: 'errno name of a failed reply (ENOENT)', ...keyedSource((x) => (replied(x) ? x.error : 0), (e) => (e !== 0 ? errnoName(e) : null)) },
    ...argumentColumns(),
    valueColumn('result_size', 'integer', 'bytes written (write_out.size), read, copied or listed', (x) => (replied(x) ? x.resultSize : undefined)),
    valueColumn('kernel_size', 'integer', "the file's size as this connection's kernel believed it when the request was sent", (x) => x.kernelSizeAtReq),
    valueColumn('daemon_size', 'integer', "the daemon-observed size of the file when the request was sent", (x) => x.daemonSizeAtReq),
    valueColumn('file_inflight', 'integer', 'other exchanges in flight on the same file when the request was read', (x) => x.fileInflightAtReq),
  ];
}

// --- the other tables ---------------------------------------------------------------------

export function sizeColumns(clock: ExportClock): TableColumn<SizeEvent>[] {
  return [
    absTimeColumn('t', 'event time, ns since the Unix epoch (exact)', clock, (e) => e.t),
    { name: 't_ms', type: 'number', doc: 'event time, ms since the capture start', get: (e) => relMs(e.t) },
    { name: 'conn', type: 'integer', doc: 'connection the event was seen on', get: (e) => e.conn },
    { name: 'nodeid', type: 'integer', doc: 'nodeid on that connection', get: (e) => id64(e.nodeid) },
    { name: 'path', type: 'string', doc: 'path of the file', get: (e) => e.path },
    { name: 'event', type: 'string', doc: SIZE_EVENT_KINDS.join(', '), get: (e) => e.event },
    { name: 'unique', type: 'integer', doc: 'the exchange behind the event (empty for notifications)', get: (e) => id64(e.unique) },
    { name: 'kernel_size', type: 'integer', doc: "the connection's kernel-believed size after the event (empty: unknown)", get: (e) => num(e.kernelSize) },
    { name: 'daemon_size', type: 'integer', doc: 'the daemon-observed size after the event', get: (e) => num(e.daemonSize) },
    { name: 'value', type: 'integer', doc: 'the size the event itself carried (attr.size, offset+written, new size)', get: (e) => num(e.value) },
    { name: 'reported_size', type: 'integer', doc: 'the last attr.size the daemon reported', get: (e) => num(e.reportedSize) },
  ];
}

export function findingColumns(clock: ExportClock): TableColumn<Finding>[] {
  return [
    absTimeColumn('t', 'time of the finding, ns since the Unix epoch', clock, (f) => f.t),
    { name: 't_ms', type: 'number', doc: 'ms since the capture start', get: (f) => relMs(f.t) },
    { name: 'severity', type: 'string', doc: 'error, warning or info', get: (f) => f.severity },
    { name: 'kind', type: 'string', doc: 'finding kind (docs/spec/analysis.md)', get: (f) => f.kind },
    { name: 'conn', type: 'integer', doc: 'connection', get: (f) => f.conn },
    { name: 'nodeid', type: 'integer', doc: 'nodeid (empty: not about one file)', get: (f) => id64(f.nodeid) },
    { name: 'path', type: 'string', doc: 'path of the file', get: (f) => f.path },
    { name: 'uniques', type: 'string', doc: 'the exchanges involved, space-separated', get: (f) => f.uniques.join(' ') },
    { name: 'message', type: 'string', doc: 'one-line explanation', get: (f) => f.message },
    { name: 'fingerprint', type: 'string', doc: 'stable identity used by baseline/check', get: (f) => f.fingerprint },
    { name: 'details', type: 'string', doc: 'the numbers behind the finding, as a JSON object', get: (f) => stringifyJson(f.details) },
  ];
}

export function fileColumns(): TableColumn<FileModel>[] {
  return [
    { name: 'conn', type: 'integer', doc: 'connection', get: (f) => f.conn },
    { name: 'nodeid', type: 'integer', doc: 'nodeid', get: (f) => id64(f.nodeid) },
    { name: 'ino', type: 'integer', doc: 'attr.ino (empty: never reported)', get: (f) => id64(f.ino) },
    { name: 'path', type: 'string', doc: 'path', get: (f) => f.path },
    { name: 'exchanges', type: 'integer', doc: 'exchanges on the file', get: (f) => f.exchanges },
    { name: 'writes', type: 'integer', doc: 'WRITE exchanges', get: (f) => f.writes },
    { name: 'bytes_written', type: 'integer', doc: 'bytes the WRITE replies accepted', get: (f) => f.bytesWritten },
    { name: 'max_concurrent', type: 'integer', doc: 'most exchanges in flight together', get: (f) => f.maxConcurrent },
    { name: 'max_concurrent_writes', type: 'integer', doc: 'most WRITEs in flight together', get: (f) => f.maxConcurrentWrites },
    { name: 'reported_size', type: 'integer', doc: 'last attr.size reported (end of capture)', get: (f) => num(f.reportedSize) },
    { name: 'daemon_size', type: 'integer', doc: 'daemon-observed size (end of capture)', get: (f) => num(f.daemonSize) },
    { name: 'kernel_size', type: 'integer', doc: "this connection's kernel-believed size (end of capture)", get: (f) => num(f.kernelSize[String(f.conn)] ?? null) },
    { name: 'open_flags', type: 'string', doc: 'FOPEN_* flags seen in OPEN/CREATE replies', get: (f) => f.openFlags.join('|') },
    { name: 'correlated', type: 'string', doc: 'the same file on other connections, CONN:NODEID space-separated', get: (f) => f.correlated.map((c) => `${c.conn}:${c.nodeid}`).join(' ') },
    { name: 'findings', type: 'integer', doc: 'findings about the file', get: (f) => f.findings },
  ];
}

export function opColumns(): TableColumn<OpStatsModel>[] {
  const lat = (k: 'p50' | 'p90' | 'p99' | 'max' | 'mean') => (o: OpStatsModel): Cell => num(o.latencyUs?.[k]);
  return [
    { name: 'conn', type: 'integer', doc: 'connection', get: (o) => o.conn },
    { name: 'opcode', type: 'integer', doc: 'opcode number', get: (o) => o.opcode },
    { name: 'op', type: 'string', doc: 'opcode name', get: (o) => o.name },
    { name: 'count', type: 'integer', doc: 'requests', get: (o) => o.count },
    { name: 'replied', type: 'integer', doc: 'requests with a reply', get: (o) => o.replied },
    { name: 'errors', type: 'integer', doc: 'replies with an error', get: (o) => o.errors },
    { name: 'errnos', type: 'string', doc: 'errors by errno name, NAME:COUNT space-separated', get: (o) => o.errnos.map((e) => `${e.name}:${e.count}`).join(' ') },
    { name: 'p50_us', type: 'number', doc: 'median latency, µs', get: lat('p50') },
    { name: 'p90_us', type: 'number', doc: '90th percentile latency, µs', get: lat('p90') },
    { name: 'p99_us', type: 'number', doc: '99th percentile latency, µs', get: lat('p99') },
    { name: 'max_us', type: 'number', doc: 'largest latency, µs', get: lat('max') },
    { name: 'mean_us', type: 'number', doc: 'mean latency, µs', get: lat('mean') },
  ];
}

/** Column names of every table, in order (docs/export.md lists the same). */
export function tableColumns(table: TableName): TableColumn<never>[] {
  const clock: ExportClock = { epochNs: 0n };
  switch (table) {
    case 'requests': return requestColumns(clock) as TableColumn<never>[];
    case 'sizes': return sizeColumns(clock) as TableColumn<never>[];
    case 'findings': return findingColumns(clock) as TableColumn<never>[];
    case 'files': return fileColumns() as TableColumn<never>[];
    case 'ops': return opColumns() as TableColumn<never>[];
  }
}

// --- writers --------------------------------------------------------------------------------

/** Where rows go (common.ts `Output` fits). */
export interface TextSink {
  write(s: string): void;
}

const INTEGER_TEXT = /^-?[0-9]+$/;
/** Fields RFC 4180 requires quoted: a delimiter, a quote, or a bare CR or LF anywhere. */
const CSV_NEEDS_QUOTES = /[",\r\n]/;
/** First characters a spreadsheet reads as a formula (OWASP "CSV injection"), plus TAB and CR. */
const CSV_FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell. A text cell (a `string` column) that starts like a formula
 * gets a leading apostrophe, so a spreadsheet shows it as text
 * (docs/export.md "Formula cells"); number columns are never touched, so
 * `-2` stays the number -2. A cell with a comma, quote, CR or LF, alone or
 * in pairs, is quoted with its quotes doubled.
 */
export function csvCell(v: Cell, type: ColumnType): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v !== 'string') return Number.isFinite(v) ? String(v) : '';
  let s = v;
  if (type === 'string' && CSV_FORMULA_START.test(s)) s = `'${s}`;
  return CSV_NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One JSON value of a JSON Lines row: integer columns are JSON numbers, also
 * beyond 2^53 (a 64-bit id arrives as its exact decimal string and is written
 * as those digits: JSON numbers have no size limit, and readers such as
 * DuckDB keep them exact); every other cell keeps its own JSON type.
 */
export function jsonlCell(v: Cell, type: ColumnType): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (type === 'integer' && INTEGER_TEXT.test(v)) return v;
  return jsonString(v);
}

/**
 * Where rows go (common.ts `Output` fits): text, or straight into the sink's
 * own output buffer when it has one, which spares copying and decoding them.
 */
export interface RowSink extends TextSink {
  readonly text?: TextBuffer;
}

/**
 * The buffer a row writer writes into for `sink`: its own when it has one
 * of at least TEXT_BUFFER bytes, as rows need (see MAX_PLAIN), else one that
 * hands it text.
 */
export function rowBuffer(sink: RowSink): TextBuffer {
  return sink.text instanceof TextBuffer && sink.text.buf.length >= TEXT_BUFFER
    ? sink.text
    : new TextBuffer(TEXT_BUFFER, (b) => sink.write(b.toString('utf8')));
}

/**
 * Writes rows of one table: CSV (RFC 4180: header row first, CRLF line ends,
 * see `csvCell`) or JSON Lines (one object per row, keys in column order,
 * see `jsonlCell`). Each row is written as bytes into one reused buffer
 * (the sink's own, text-buffer.ts) by a function generated for the table and format, and the
 * buffer goes to the sink each time it fills and at `flush`.
 */
export class TableWriter<R> {
  private headerDone = false;
  private readonly bytes: TextBuffer;
  private readonly line: (r: R) => void;
  rows = 0;

  constructor(
    private readonly columns: readonly TableColumn<R>[],
    private readonly format: ExportFormat,
    sink: RowSink,
  ) {
    this.bytes = rowBuffer(sink);
    this.line = compileRow(columns, format, this.bytes);
  }

  /** Writes the header (CSV) even when no row follows. */
  header(): void {
    if (this.headerDone) return;
    this.headerDone = true;
    if (this.format === 'csv') this.bytes.str(this.columns.map((c) => csvCell(c.name, 'string')).join(',') + '\r\n');
  }

  row(r: R): void {
    if (!this.headerDone) this.header();
    this.rows++;
    this.line(r);
  }

  /** Ends the table (the header at least) and hands on what is buffered. */
  flush(): void {
    this.header();
    this.bytes.flush();
  }
}

/** `String(v)` as the table writers write it (row-bytes.ts `putFraction`), as a string. */
export function numberText(v: number): string {
  return NUMBER_SCRATCH.toString('latin1', 0, putFraction(NUMBER_SCRATCH, 0, v));
}
const NUMBER_SCRATCH = Buffer.alloc(MAX_NUMBER_TEXT);

// --- cells as bytes ----------------------------------------------------------------------
//
// Each writes the text `csvCell` / `jsonlCell` (with `numberText` for number
// columns) write for the cell, at `p` of the writer's buffer, and returns the
// position after it. The row function takes room for its numbers and
// separators before the first cell (`TextBuffer.reserve`); a text cell takes
// its own and leaves that much free again after it.

/** Text made by the string-level rule, then encoded once. */
function putText(w: TextBuffer, p: number, text: string): number {
  w.pos = p;
  w.str(text);
  w.room(w.reserve);
  return w.pos;
}

/** Room for a text cell of `n` UTF-16 units written as ASCII (plus quotes), with the row's reserve kept. */
function textRoom(w: TextBuffer, p: number, n: number): number {
  if (p + n + 2 + w.reserve <= w.buf.length) return p;
  w.pos = p;
  w.flush();
  return 0;
}

const MAX_PLAIN = TEXT_BUFFER >> 2;

function csvText(w: TextBuffer, p: number, s: string, type: ColumnType): number {
  if (s.length < MAX_PLAIN) {
    p = textRoom(w, p, s.length);
    const q = putCsvPlain(w.buf, p, s, type === 'string');
    if (q >= 0) return q;
  }
  return putText(w, p, csvCell(s, type));
}

function jsonText(w: TextBuffer, p: number, s: string): number {
  if (s.length < MAX_PLAIN) {
    p = textRoom(w, p, s.length);
    const q = putJsonPlain(w.buf, p, s);
    if (q >= 0) return q;
  }
  return putText(w, p, jsonString(s));
}

/** The CSV cell of `childPath(dir, name)` (a `joined` column), written from the parts while they are plain. */
function csvJoined(w: TextBuffer, p: number, dir: string, name: string): number {
  const n = dir.length + 1 + name.length;
  if (n < MAX_PLAIN) {
    p = textRoom(w, p, n);
    const b = w.buf;
    // childPath: the root's child is `/name`, any other directory's `dir/name`; the cell starts as `dir` does.
    let q = dir === '/' ? p : putCsvPlain(b, p, dir, true);
    if (q >= 0) {
      b[q] = SLASH;
      q = putCsvPlain(b, q + 1, name, false);
      if (q >= 0) return q;
    }
  }
  return putText(w, p, csvCell(childPath(dir, name), 'string'));
}

/** The JSON Lines cell of `childPath(dir, name)`, as `csvJoined`. */
function jsonJoined(w: TextBuffer, p: number, dir: string, name: string): number {
  const n = dir.length + 1 + name.length;
  if (n < MAX_PLAIN) {
    p = textRoom(w, p, n);
    const b = w.buf;
    b[p] = QUOTE;
    let q = dir === '/' ? p + 1 : putJsonChars(b, p + 1, dir);
    if (q >= 0) {
      b[q] = SLASH;
      q = putJsonChars(b, q + 1, name);
      if (q >= 0) {
        b[q] = QUOTE;
        return q + 1;
      }
    }
  }
  return putText(w, p, jsonString(childPath(dir, name)));
}
const SLASH = 0x2f;
const QUOTE = 0x22;

type PutCell = (w: TextBuffer, p: number, v: Cell) => number;

/** `null`. */
function putNull(b: Buffer, p: number): number {
  b[p] = 0x6e;
  b[p + 1] = 0x75;
  b[p + 2] = 0x6c;
  b[p + 3] = 0x6c;
  return p + 4;
}

const CSV_PUT: Record<ColumnType, PutCell> = {
  integer: (w, p, v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? putNumber(w.buf, p, v) : p;
    if (typeof v === 'string') return csvText(w, p, v, 'integer');
    return v === null ? p : putText(w, p, csvCell(v, 'integer'));
  },
  number: (w, p, v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? putFraction(w.buf, p, v) : p;
    if (typeof v === 'string') return csvText(w, p, v, 'number');
    return v === null ? p : putText(w, p, csvCell(v, 'number'));
  },
  string: (w, p, v) => {
    if (typeof v === 'string') return csvText(w, p, v, 'string');
    if (typeof v === 'number') return Number.isFinite(v) ? putNumber(w.buf, p, v) : p;
    return v === null ? p : putText(w, p, csvCell(v, 'string'));
  },
};

const JSONL_PUT: Record<ColumnType, PutCell> = {
  integer: (w, p, v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? putNumber(w.buf, p, v) : putNull(w.buf, p);
    if (v === null) return putNull(w.buf, p);
    if (typeof v === 'string' && isIntegerText(v) && v.length < MAX_PLAIN) return putAscii(w.buf, textRoom(w, p, v.length), v);
    return typeof v === 'string' ? jsonText(w, p, v) : putText(w, p, jsonlCell(v, 'integer'));
  },
  number: (w, p, v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? putFraction(w.buf, p, v) : putNull(w.buf, p);
    if (v === null) return putNull(w.buf, p);
    return typeof v === 'string' ? jsonText(w, p, v) : putText(w, p, jsonlCell(v, 'number'));
  },
  string: (w, p, v) => {
    if (typeof v === 'string') return jsonText(w, p, v);
    if (v === null) return putNull(w.buf, p);
    if (typeof v === 'number') return Number.isFinite(v) ? putNumber(w.buf, p, v) : putNull(w.buf, p);
    return putText(w, p, jsonlCell(v, 'string'));
  },
};

/**
 * An args cell (`RowFormat`): what `stringifyPlain` writes for the cell,
 * nothing for null and ''. A 64-bit id past 2^53 is a JSON string there.
 */
function argsCell(putFinite: (b: Buffer, p: number, v: number) => number): PutCell {
  return (w, p, v) => {
    if (typeof v === 'number') return Number.isFinite(v) ? putFinite(w.buf, p, v) : putText(w, p, 'null');
    if (v === null || v === '') return p;
    return typeof v === 'string' ? jsonText(w, p, v) : putText(w, p, stringifyPlain(v));
  };
}
const ARGS_PUT: Record<ColumnType, PutCell> = { integer: argsCell(putNumber), number: argsCell(putFraction), string: argsCell(putNumber) };

/** An absolute time cell (`absTimeColumn`): its digits, or what `absNs` makes of it when only a bigint holds it. */
function putAbsTime(put: PutCell): (w: TextBuffer, p: number, clock: ExportClock, t: number, rest: number) => number {
  return (w, p, clock, t, rest) => {
    const epoch = clock.epochNs;
    const q = epoch === undefined ? -1 : putAbsNs(w.buf, p, epoch, t, rest);
    return q >= 0 ? q : put(w, p, absNs(clock, t, rest));
  };
}
const CSV_ABS_TIME = putAbsTime(CSV_PUT.integer);
const JSONL_ABS_TIME = putAbsTime(JSONL_PUT.integer);

type PutValue = (w: TextBuffer, p: number, v: number | bigint | undefined) => number;

/** Whether a number is a known, unrounded cell (`num` keeps it): finite, and exact if an integer (every double past 2^53 is one). */
const exactNumber = (v: number): boolean => v <= 9007199254740991 && v >= -9007199254740991;

/**
 * Cells read through `CellSource.value`: what the `PutCell` of `num(v)`
 * writes, without the Cell. A bigint (rare) goes the Cell's way.
 */
function putValue(put: Record<ColumnType, PutCell>, none: (b: Buffer, p: number) => number): Record<ColumnType, PutValue> {
  return {
    integer: (w, p, v) => (typeof v === 'number' ? (exactNumber(v) ? putNumber(w.buf, p, v) : none(w.buf, p)) : v === undefined ? none(w.buf, p) : put.integer(w, p, num(v))),
    number: (w, p, v) => (typeof v === 'number' ? (exactNumber(v) ? putFraction(w.buf, p, v) : none(w.buf, p)) : v === undefined ? none(w.buf, p) : put.number(w, p, num(v))),
    string: (w, p, v) => put.string(w, p, num(v)),
  };
}
const CSV_VALUE = putValue(CSV_PUT, (_b, p) => p);
const JSONL_VALUE = putValue(JSONL_PUT, putNull);
const ARGS_VALUE = putValue(ARGS_PUT, (_b, p) => p);
const PUT: Record<RowFormat, Record<ColumnType, PutCell>> = { csv: CSV_PUT, jsonl: JSONL_PUT, args: ARGS_PUT };
const VALUE: Record<RowFormat, Record<ColumnType, PutValue>> = { csv: CSV_VALUE, jsonl: JSONL_VALUE, args: ARGS_VALUE };

/** The text of a `keyed` cell: '' for an args cell that is left out. */
function keyedText(format: RowFormat, v: Cell, type: ColumnType): string {
  if (format === 'csv') return csvCell(v, type);
  if (format === 'jsonl') return jsonlCell(v, type);
  return v === null || v === '' ? '' : stringifyPlain(v);
}

/**
 * One row's bytes (CSV with its CRLF, or a JSON Lines object with its LF),
 * generated once per table and format as straight-line code: every column's
 * getter and cell writer gets a call site of its own, which the engine can
 * inline (a loop over the columns calls thirty getters from one site), and
 * separators and JSON keys are constant byte stores. A number column with a
 * `value` is written from it without a Cell; a run of `byKind` columns is
 * one call of the function generated for the row's kind (`compileKinds`).
 * `export --table requests` writes a row per exchange of the capture.
 */
function compileRow<R>(columns: readonly TableColumn<R>[], format: RowFormat, w: TextBuffer): (r: R) => void {
  const times = new EpochSplit();
  const parts: RunWriter<R>[] = [];
  let part = new GeneratedCode();
  part.dep(undefined); // d0: the name the cells' code gives the output buffer, a parameter here
  let lines: CellLine[] = [];
  let cells = 0;
  const endPart = (): void => {
    parts.push(part.compile<RunWriter<R>>(`return function cells(d0, p0, r) {\n${cellsCode(lines, dep, 'p0')}\nreturn p;\n};`));
    part = new GeneratedCode();
    part.dep(undefined);
    lines = [];
    cells = 0;
  };
  const dep = (v: unknown): string => part.dep(v);
  // The line's end, and the eight bytes a constant may write past itself (word-digits.ts STORE_SLACK).
  let fixed = 4 + STORE_SLACK;
  for (let i = 0; i < columns.length;) {
    const c = columns[i]!;
    const kind = c.byKind?.kind;
    let end = i + 1;
    if (kind) while (end < columns.length && columns[end]!.byKind?.kind === kind) end++;
    const run = columns.slice(i, end);
    fixed += run.reduce((n, c, k) => n + lead(format, c, i + k).length + MAX_NUMBER_TEXT, 0);
    if (kind) {
      const { table, other } = compileKinds(run, i, format);
      lines.push(`{ const k = ${dep(kind)}(r); p = (k >= 0 && k < ${table.length} ? ${dep(table)}[k] : ${dep(other)})(d0, p, r); }`);
    } else {
      lines.push(...leadAndCell(format, c, i, columnCode(c, format, dep, times), dep));
    }
    i = end;
    if (++cells === ROW_PART_CELLS) endPart();
  }
  lines.push({ text: format === 'csv' ? '\r\n' : format === 'args' ? '}' : '}\n' });
  endPart();
  const g = new GeneratedCode();
  g.dep(w); // d0, the output buffer
  const calls = parts.map((f) => `p = ${g.dep(f)}(d0, p, r);`).join('\n');
  // The reserve is set by each row: tables may share one output buffer (the sink's).
  return g.compile<(r: R) => void>(`return function row(r) {
d0.reserve = ${fixed}; d0.room(${fixed});
let p = d0.pos;
${calls}
d0.pos = p;
};`);
}

/**
 * The request args of the Perfetto trace (report/perfetto.ts): a generated
 * writer of the `args` object of a row (`RowFormat`) into `w` at its
 * position, as the table rows are written.
 */
export function compileArgs<R>(columns: readonly TableColumn<R>[], w: TextBuffer): (r: R) => void {
  return compileRow(columns, 'args', w);
}

/**
 * Cells a generated function of a row writes (`compileRow`): a row is a few
 * calls of such parts rather than one function. The engine compiles a
 * function anew each time a cell meets a value of a kind it had not seen
 * (the first unanswered request, the first error, ...): one function of
 * thirty cells took 50-85 ms a compile, three or more times a run.
 */
const ROW_PART_CELLS = 8;

/** A generated statement, or constant text to store (runs of them are stored as one, four bytes a store: word-digits.ts `storesSource`). */
type CellLine = string | { text: string };

/** `lines` (writing at `p` of `b`, the buffer of `d0`) with the variables they use declared before them, `p` starting at `start`. */
function cellsCode(lines: readonly CellLine[], dep: (v: unknown) => string, start: string): string {
  const code: string[] = [];
  let text = '';
  for (const l of lines) {
    if (typeof l !== 'string') {
      text += l.text;
      continue;
    }
    // The row's reserve covers the constants' slack (`compileRow`).
    if (text !== '') code.push(storesSource(text, dep, 'v', 'b', STORE_SLACK));
    text = '';
    code.push(l);
  }
  if (text !== '') code.push(storesSource(text, dep, 'v', 'b', STORE_SLACK));
  return `const b = d0.buf; const v = d0.view;\nlet p = ${start};\n${code.join('\n')}`;
}

/**
 * The formats of a row writer: the two of `export --table`, and `args`, the
 * JSON object of a row's cells that hold something (null and '' left out
 * with their keys), as `stringifyPlain` writes that object (an exact 64-bit
 * id past 2^53 as a string): the Perfetto trace's request args.
 */
type RowFormat = 'csv' | 'jsonl' | 'args';

/** What goes before the cell of column `i`: a comma, or (JSON Lines, args) the key. */
function lead<R>(format: RowFormat, c: TableColumn<R>, i: number): string {
  return format === 'csv' ? (i === 0 ? '' : ',') : `${i === 0 ? '{' : ','}${jsonString(c.name)}:`;
}

/**
 * A cell's lead and its statement. In `args` an empty cell writes nothing
 * (as in CSV) and hands nothing on, and its lead is taken back with it (a
 * cell that wrote something may have handed the buffer on, after which
 * positions say nothing: `handed` tells). The first column's cell is never
 * left out (its key opens the object), so `null` stands for it when empty
 * (the requests' `conn` never is).
 */
function leadAndCell<R>(format: RowFormat, c: TableColumn<R>, i: number, cell: string, dep: (v: unknown) => string): CellLine[] {
  const text = lead(format, c, i);
  if (format !== 'args') return [{ text }, cell];
  const empty = i === 0 ? storesSource('null', dep, 'v', 'b') : 'p = s;';
  return [`{ const s = p; const h = d0.handed; ${storesSource(text, dep, 'v', 'b')} ${cell} if (p === s + ${text.length} && d0.handed === h) { ${empty} } }`];
}

/**
 * The epoch split into whole seconds and ns for the time cells of one row
 * writer, taken once it is known (see `ExportClock`): no bigint compared or
 * divided per cell. And the digits of the last whole seconds written, as
 * three 32-bit words: the times of a row, and of row after row, mostly share
 * their seconds, whose ten digits are then three stores. Numbers in typed
 * arrays: a number field would be boxed anew on each store.
 */
class EpochSplit {
  /** 0: not split yet (else 1), the epoch's seconds and ns; the last seconds written (NaN: none yet). */
  readonly s = new Float64Array([0, 0, 0, NaN]);
  /** The last seconds' digits: three little-endian words (twelve bytes, the digits first), then their count. */
  readonly w = new Uint32Array(4);
  private readonly digits = new DataView(new ArrayBuffer(32));

  /** Takes `sec` (0 < sec < 1e12: at most twelve digits) as the last seconds written. */
  keep(sec: number): void {
    const d = this.digits;
    const w = this.w;
    this.s[3] = sec;
    w[3] = putSafeQuads(d, 0, sec);
    w[0] = d.getUint32(0, true);
    w[1] = d.getUint32(4, true);
    w[2] = d.getUint32(8, true);
  }
}

/**
 * `putAbsNs` with the epoch split kept in `e`: the digits at b[p], or -1
 * (nothing written) when only `absNs` holds the cell (the epoch unknown, a
 * time past 2^53 ns). `t` is finite. Once the epoch is split the generated
 * time cells split `t` themselves and call `putSecondsNs` (`columnCode`).
 */
function putTimeDigits(v: DataView, p: number, e: EpochSplit, clock: ExportClock, t: number): number {
  const s = e.s;
  if (s[0] === 0) {
    const epoch = clock.epochNs;
    if (epoch === undefined) return -1;
    s[1] = Number(epoch / 1_000_000_000n);
    s[2] = Number(epoch % 1_000_000_000n);
    s[0] = 1;
  }
  const total = s[2]! + Math.round(t);
  if (!(total <= Number.MAX_SAFE_INTEGER && total >= -Number.MAX_SAFE_INTEGER)) return -1;
  const carry = Math.floor(total / 1e9);
  return putSecondsNs(v, p, e, s[1]! + carry, (total - carry * 1e9) | 0);
}

/**
 * The digits of whole seconds `sec` (since the Unix epoch) and nine of `ns`
 * (an int32 below 1e9) at b[p], or -1 (nothing written) for a `sec` only
 * `absNs` holds. The seconds' digits are the last ones kept in `e` again for
 * nearly every cell.
 */
function putSecondsNs(v: DataView, p: number, e: EpochSplit, sec: number, ns: number): number {
  if (sec !== e.s[3]) {
    if (sec <= 0 || sec > Number.MAX_SAFE_INTEGER) return -1;
    if (sec >= 1e12) return putNineQuads(v, putSafeQuads(v, p, sec), ns);
    e.keep(sec);
  }
  // Twelve bytes stored, the digits' count kept: the rest is inside the cell's room and written over next.
  const w = e.w;
  v.setUint32(p, w[0]!, true);
  v.setUint32(p + 4, w[1]!, true);
  v.setUint32(p + 8, w[2]!, true);
  return putNineQuads(v, p + w[3]!, ns);
}

/** The generated statement writing the cell of column `c` (see `cellCode`), for the kinds of column with writers of their own. */
function columnCode<R>(c: TableColumn<R>, format: RowFormat, dep: (v: unknown) => string, times: EpochSplit): string {
  // An args cell is a time's Cell, the exact decimal string (`absNs`): as a JSON string, written the general way.
  const a = format === 'args' ? undefined : c.absTime;
  if (a) {
    const slow = `${dep(format === 'csv' ? CSV_ABS_TIME : JSONL_ABS_TIME)}(d0, p, ${dep(a.clock)}, t, rest)`;
    // An unknown time (NaN) is an empty cell whatever its rest (absNs).
    // Split here into whole seconds and ns (int32s) once the epoch is: a call given `t` (ns, past 2^31) would box it.
    const es = dep(times.s);
    const split = `const total = ${es}[2] + Math.round(t); if (total <= 9007199254740991 && total >= -9007199254740991) { const carry = Math.floor(total / 1000000000);`
      + ` q = ${dep(putSecondsNs)}(v, p, ${dep(times)}, ${es}[1] + carry, (total - carry * 1000000000) | 0); }`;
    const put = `let q = -1; if (rest === 0) { if (${es}[0] === 0) q = ${dep(putTimeDigits)}(v, p, ${dep(times)}, ${dep(a.clock)}, t); else { ${split} } }`;
    return `{ const t = ${dep(a.t)}(r); if (t - t !== 0) {${emptyCode(format, dep)}} else { const rest = ${dep(a.rest)}(r); ${put} p = q >= 0 ? q : ${slow}; } }`;
  }
  const sc = c.scaled;
  if (sc) {
    const slow = `${dep(VALUE[format].number)}(d0, p, k / ${10 ** sc.digits})`;
    const d = sc.digits;
    const put = d === 3 || d === 6 ? `${dep(putScaledQuads)}(v, b, p, k, ${d})` : `${dep(putScaled)}(b, p, k, ${d})`;
    const other = `{ const q = ${put}; p = q >= 0 ? q : ${slow}; }`;
    // Split here into int32 parts while the whole part is one (a capture shorter than 24 days): a call given \`k\` would box it.
    const unit = 10 ** d;
    const parts = d === 3 || d === 6 ? `else if (k >= 0 && k < ${Math.min(1e15, 2 ** 31 * unit)}) { const kw = Math.floor(k / ${unit}); p = ${dep(putScaledParts)}(v, b, p, kw | 0, (k - kw * ${unit}) | 0, ${d}); } ` : '';
    return `{ const k = Math.round(${dep(sc.ns)}(r)); if (k !== k) {${emptyCode(format, dep)}} ${parts}else ${other} }`;
  }
  const j = c.joined;
  if (j) {
    const joined = `${dep(format === 'csv' ? csvJoined : jsonJoined)}(d0, p, dir, ${dep(j.name)}(r))`;
    return `{ const dir = ${dep(j.dir)}(r); if (dir !== undefined) p = ${joined}; else ${cellCode(c, c.type, format, dep)} }`;
  }
  return cellCode(c, c.type, format, dep);
}

/**
 * The generated statement writing one cell of `src` at `p` (of `b`, the
 * buffer of `d0`) and moving `p` past it. The common cases are tested inline:
 * an integer value that is an int32 (a single digit stored, else `putInt32`),
 * a string (`csvText`, `jsonText`); anything else goes to the cell writer of
 * its type.
 */
function cellCode<R>(src: CellSource<R>, type: ColumnType, format: RowFormat, dep: (v: unknown) => string): string {
  const keyed = src.keyed;
  if (keyed) {
    const cells = new KeptCells((k) => Buffer.from(keyedText(format, keyed.cell(k), type), 'utf8'));
    return `{ const c = ${dep(cells)}.of(${dep(keyed.key)}(r)); const n = c.length; if (n > ${MAX_NUMBER_TEXT}) p = ${dep(textRoom)}(d0, p, n); for (let i = 0; i < n; i++) b[p + i] = c[i]; p += n; }`;
  }
  if (src.value) {
    const slow = `${dep(VALUE[format][type])}(d0, p, val)`;
    if (type === 'integer') {
      const int = `if (val >= 0) p = ${dep(putUint31Quads)}(v, p, val); else p = ${dep(putInt32)}(b, p, val);`;
      // putSafeQuads here, from the two int32 parts: a call given the value (a 64-bit id past 2^31) would box it.
      const safe = `else if (val > 0 && val <= 9007199254740991 && Math.floor(val) === val) { const vh = Math.floor(val / 1000000000); p = ${dep(putNineQuads)}(v, ${dep(putUint31Quads)}(v, p, vh | 0), (val - vh * 1000000000) | 0); }`;
      return `{ const val = ${dep(src.value)}(r); if (typeof val === 'number') { if ((val | 0) === val) { ${int} } ${safe} else if (val !== val) {${emptyCode(format, dep)}} else p = ${slow}; } else if (val === undefined) {${emptyCode(format, dep)}} else p = ${slow}; }`;
    }
    return `{ const val = ${dep(src.value)}(r); p = ${slow}; }`;
  }
  const slow = `${dep(PUT[format][type])}(d0, p, val)`;
  if (type === 'string') {
    const text = format === 'csv' ? `${dep(csvText)}(d0, p, val, 'string')` : `${dep(jsonText)}(d0, p, val)`;
    // args: '' is left out (written as nothing, the slow way).
    const plain = format === 'args' ? `typeof val === 'string' && val !== ''` : `typeof val === 'string'`;
    return `{ const val = ${dep(src.get)}(r); p = ${plain} ? ${text} : ${slow}; }`;
  }
  return `{ const val = ${dep(src.get)}(r); p = ${slow}; }`;
}

/**
 * The bytes of the cells of the keys of a `keyed` cell source, by key: the
 * last 64 keys in slots by a hash of the key (flag words and errors repeat
 * row after row), the cell made again for a key pushed out.
 */
class KeptCells {
  private readonly keys = new Float64Array(64).fill(NaN);
  private readonly cells: Uint8Array[] = new Array<Uint8Array>(64).fill(new Uint8Array(0));
  constructor(private readonly make: (k: number) => Uint8Array) {}

  of(k: number): Uint8Array {
    const i = (k ^ (k >>> 6) ^ (k >>> 12) ^ (k >>> 20)) & 63;
    if (this.keys[i] === k) return this.cells[i]!;
    const c = this.make(k);
    this.keys[i] = k;
    this.cells[i] = c;
    return c;
  }
}

/** The generated statement writing an unknown value's cell (a NaN or undefined number): nothing in CSV and args, `null` in JSON Lines. */
function emptyCode(format: RowFormat, dep: (v: unknown) => string): string {
  return format === 'jsonl' ? storesSource('null', dep, 'v', 'b') : '';
}

type RunWriter<R> = (w: TextBuffer, p: number, r: R) => number;

/**
 * The writers of a run of `byKind` columns (the first at index `first`):
 * one per kind that has any of their cells (kinds with the same cells share
 * one), an empty cell constant for a column its kind lacks; `other` for every
 * kind with none.
 */
function compileKinds<R>(run: readonly TableColumn<R>[], first: number, format: RowFormat): { table: RunWriter<R>[]; other: RunWriter<R> } {
  const empty = format === 'jsonl' ? 'null' : '';
  const ids = new Map<CellSource<R>, number>();
  const made = new Map<string, RunWriter<R>>();
  const writer = (srcs: readonly (CellSource<R> | undefined)[]): RunWriter<R> => {
    const key = srcs.map((s) => (s === undefined ? -1 : ids.get(s) ?? ids.set(s, ids.size).get(s)!)).join(' ');
    let f = made.get(key);
    if (f) return f;
    const g = new GeneratedCode();
    g.dep(undefined); // d0: the name the cells' code gives the output buffer, a parameter here
    const dep = (v: unknown): string => g.dep(v);
    const body = srcs.flatMap((s, k): CellLine[] => {
      const c = run[k]!;
      if (s === undefined) return format === 'args' ? [] : [{ text: lead(format, c, first + k) + empty }];
      return leadAndCell(format, c, first + k, cellCode(s, c.type, format, dep), dep);
    });
    f = g.compile<RunWriter<R>>(`return function cells(d0, p0, r) {\n${cellsCode(body, dep, 'p0')}\nreturn p;\n};`);
    made.set(key, f);
    return f;
  };
  const kinds = Math.max(...run.map((c) => c.byKind!.of.length));
  const other = writer(run.map(() => undefined));
  const table: RunWriter<R>[] = [];
  for (let k = 0; k < kinds; k++) {
    const srcs = run.map((c) => c.byKind!.of[k]);
    table.push(srcs.every((s) => s === undefined) ? other : writer(srcs));
  }
  return { table, other };
}

/** Writes a whole model table (findings, files, ops). */
export function writeModelTable(model: AnalysisModel, table: 'findings' | 'files' | 'ops', format: ExportFormat, sink: TextSink, clock: ExportClock): number {
  switch (table) {
    case 'findings': return writeAll(findingColumns(clock), model.findings, format, sink);
    case 'files': return writeAll(fileColumns(), model.files, format, sink);
    case 'ops': return writeAll(opColumns(), model.ops, format, sink);
  }
}

function writeAll<R>(cols: TableColumn<R>[], rows: readonly R[], format: ExportFormat, sink: TextSink): number {
  const w = new TableWriter(cols, format, sink);
  w.header();
  for (const r of rows) w.row(r);
  w.flush();
  return w.rows;
}
