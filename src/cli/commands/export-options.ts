/**
 * What the export's runs share (export.ts for CSV and JSON Lines, and the
 * modules it loads for one format only: export-parquet.ts,
 * export-perfetto.ts): its flags and formats, and the bounds it lifts.
 */
import { FORMATS, type TableName } from '../../report/csv.js';
import type { AnalysisFlags } from './analyze.js';

/** Table formats (CSV, JSON Lines, Parquet), plus `perfetto`: the whole analysis as one trace (report/perfetto.ts). */
export const EXPORT_FORMATS = [...FORMATS, 'parquet', 'perfetto'] as const;
type ExportCliFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFlags extends AnalysisFlags {
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
export const everyRow = (table: TableName) => ({ fileRows: table === 'files', limits: { maxFindings: Infinity } });
