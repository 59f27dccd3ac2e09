/**
 * `fusetrace export --format parquet`: the tables of docs/export.md as
 * Parquet files, written in row groups as rows arrive (memory bounded by one
 * row group). The columns are the tables' own (report/csv.ts), typed:
 *
 * - integers: INT64; ids and u64 protocol values (unique, nodeid, fh, ino,
 *   offset, size, length) as unsigned INT64 (UINT_64), exact past 2^63;
 * - absolute times (`*_ns`, `t`): INT64 TIMESTAMP(NANOS) holding UTC, exact
 *   (DuckDB: TIMESTAMP_NS);
 * - numbers (ms, µs): DOUBLE; text: STRING; unknown cells: null, and so
 *   is a value its type cannot hold (a damaged capture's time past 2262:
 *   CSV and JSON Lines keep its digits).
 *
 * A last column `capture` names the capture file each row comes from, so a
 * fleet of captures goes into one file (rows of the whole-analysis tables
 * `ops` and `files` are per connection, and a connection is one capture's).
 *
 * Writer: hyparquet-writer (pure JavaScript, no native build, a few hundred
 * KB; snappy built in; incremental row groups through ParquetWriter).
 */
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { Cell, TableColumn } from './csv.js';
import { parquetKind, type ParquetKind } from './column-kinds.js';

/** Rows per row group: the memory bound of a streamed table. */
const ROW_GROUP = 16_384;

function schemaElement(name: string, kind: ParquetKind): SchemaElement {
  const base = { name, repetition_type: 'OPTIONAL' as const };
  switch (kind) {
    // Not "adjusted to UTC": readers such as DuckDB turn that kind into a µs TIMESTAMPTZ and drop the ns.
    case 'timestamp': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } };
    // Integers by converted type only: DuckDB 1.5 rejects hyparquet-writer's INTEGER logical type.
    case 'uint64': return { ...base, type: 'INT64', converted_type: 'UINT_64' };
    case 'int64': return { ...base, type: 'INT64', converted_type: 'INT_64' };
    case 'double': return { ...base, type: 'DOUBLE' };
    case 'string': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
  }
}

const U64_END = 1n << 64n;
const I64_END = 1n << 63n;

/** A cell as the column's stored value; a 64-bit integer stays exact (a decimal string or a bigint in, a bigint out). */
function stored(v: Cell | bigint, kind: ParquetKind): unknown {
  if (v === null || v === '') return kind === 'string' ? (v === '' ? '' : null) : null;
  switch (kind) {
    case 'timestamp': case 'int64': case 'uint64': {
      let b: bigint;
      if (typeof v === 'bigint') b = v;
      else if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) return null;
        b = BigInt(v);
      } else if (typeof v === 'string' && /^-?\d+$/.test(v)) b = BigInt(v);
      else return null;
      // UINT_64 as its unsigned value: the writer checks it against 0..2^64-1 and stores INT64's bits itself.
      if (kind === 'uint64') return b >= 0n && b < U64_END ? b : null;
      // A signed INT64 (and a TIMESTAMP, ns since 1970) ends at 2^63-1: a damaged capture's time past 2262 has no Parquet value.
      return b >= -I64_END && b < I64_END ? b : null;
    }
    case 'double': return typeof v === 'number' ? v : Number(v);
    case 'string': return typeof v === 'string' ? v : String(v);
  }
}

/** Writes one table to a Parquet file, a row group at a time. */
export class ParquetTableWriter<R> {
  rows = 0;
  private readonly kinds: ParquetKind[];
  private readonly data: unknown[][];
  private readonly captures: (string | null)[] = [];
  private readonly writer: ParquetWriter;

  constructor(
    private readonly columns: readonly TableColumn<R>[],
    file: string,
    private readonly capture: (r: R) => string | null,
    createdBy: string,
  ) {
    this.kinds = columns.map((c) => parquetKind(c));
    this.data = columns.map(() => []);
    const schema: SchemaElement[] = [
      { name: 'root', num_children: columns.length + 1 },
      ...columns.map((c, i) => schemaElement(c.name, this.kinds[i]!)),
      schemaElement('capture', 'string'),
    ];
    this.writer = new ParquetWriter({ writer: fileWriter(file), schema, createdBy });
  }

  row(r: R): void {
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) this.data[i]!.push(stored(cols[i]!.get(r), this.kinds[i]!));
    this.captures.push(this.capture(r));
    this.rows++;
    if (this.captures.length >= ROW_GROUP) this.flush();
  }

  private flush(): void {
    if (this.captures.length === 0) return;
    const columnData = this.columns.map((c, i) => ({ name: c.name, data: this.data[i]! as never[] }));
    columnData.push({ name: 'capture', data: this.captures as never[] });
    void this.writer.write({ columnData, rowGroupSize: ROW_GROUP });
    for (const d of this.data) d.length = 0;
    this.captures.length = 0;
  }

  /** Writes what is left and the footer. */
  finish(): void {
    this.flush();
    this.writer.finish();
  }
}
