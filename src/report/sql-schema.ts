/**
 * `fusetrace export --schema FILE`: the table's columns as a SQL
 * `CREATE TABLE` (DuckDB types), written beside a CSV or JSON Lines export.
 * A CSV header cannot say a column's type, and an empty table has no rows to
 * guess it from (DuckDB then even reads a lone header line as a data row);
 * with the schema, `COPY t FROM 'file' (HEADER)` or `(FORMAT json)` loads any
 * export, empty or not, with the documented types, and u64 values past 2^63
 * (which DuckDB's CSV sniffer would turn into doubles) exactly.
 *
 * Types follow the columns' own (report/csv.ts) and the unsigned and time
 * columns of the Parquet export (report/parquet.ts); times are the exact
 * integers of ns since the Unix epoch that CSV and JSON Lines hold.
 */
import { tableColumns, type TableName } from './csv.js';
import { parquetKind, type ParquetKind } from './column-kinds.js';

const SQL_TYPE: Record<ParquetKind, string> = { timestamp: 'BIGINT', uint64: 'UBIGINT', int64: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' };

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** `CREATE TABLE requests ("conn" BIGINT, "unique" UBIGINT, ...);` */
export function createTableSql(table: TableName, name: string = table): string {
  const cols = tableColumns(table).map((c) => `  ${ident(c.name)} ${SQL_TYPE[parquetKind(c)]}`);
  return `CREATE TABLE ${ident(name)} (\n${cols.join(',\n')}\n);\n`;
}
