/**
 * The storage kind of each table column (docs/export.md): what the Parquet
 * writer (parquet.ts) stores it as and the SQL schema (sql-schema.ts) types
 * it as. Its own module: a CSV or JSON Lines export (which can write the
 * schema) does not load the Parquet writer and its library.
 */
import type { TableColumn } from './csv.js';

const UNSIGNED = new Set(['unique', 'nodeid', 'fh', 'ino', 'offset', 'size', 'length']);
const isTime = (name: string): boolean => name === 't' || name.endsWith('_ns');

export type ParquetKind = 'timestamp' | 'uint64' | 'int64' | 'double' | 'string';

/** How a table column is stored (docs/export.md lists the same rule). */
export function parquetKind(c: { name: string; type: TableColumn<never>['type'] }): ParquetKind {
  if (c.type === 'integer') return isTime(c.name) ? 'timestamp' : UNSIGNED.has(c.name) ? 'uint64' : 'int64';
  if (c.type === 'number') return 'double';
  return 'string';
}
