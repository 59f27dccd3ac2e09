/**
 * `export --format parquet` read back by DuckDB (the @duckdb/node-api dev
 * dependency): every table of two captures in one file each, typed columns
 * (UBIGINT ids, TIMESTAMP_NS times, DOUBLE ms/µs), a capture column, every
 * cell equal to the JSON Lines export's, exact 64-bit values (READDIR's
 * 2^63-1 offset), and DuckDB's aggregates over the requests equal to the
 * tool's own per-opcode counts, errors and largest latencies. DuckDB also
 * loads the CSV and JSON Lines exports of the same table, with the same
 * aggregates, so the three formats are checked alike.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TABLES, tableColumns } from '../../src/report/csv.js';
import { parquetKind } from '../../src/report/parquet.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { parseJsonExact } from '../helpers/json-exact.js';

const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');
const SMOKE = join(ROOT, 'fixtures/smoke.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-parquet-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Duck = typeof import('@duckdb/node-api');
let duck: Duck | undefined;
let whyNoDuck: string | undefined;
try {
  duck = await import('@duckdb/node-api');
} catch (e) {
  whyNoDuck = `@duckdb/node-api does not load (${(e as Error).message.split('\n')[0]}); npm ci installs it`;
}

type Row = Record<string, unknown>;
const SQL_TYPE = { timestamp: 'TIMESTAMP_NS', uint64: 'UBIGINT', int64: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' } as const;

function exportTo(files: string[], table: string, format: string): string {
  const out = join(tmp, `${table}-${files.length}.${format}`);
  const r = runCli(['export', ...files, '--table', table, '--format', format, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

function jsonlRows(files: string[], table: string): Row[] {
  const r = runCli(['export', ...files, '--table', table, '--format', 'jsonl']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l).map((l) => parseJsonExact<Row>(l));
}

describe('export --format parquet, read by DuckDB', { skip: whyNoDuck ?? false }, () => {
  let conn: import('@duckdb/node-api').DuckDBConnection;
  const q = async (sql: string): Promise<Row[]> => (await conn.runAndReadAll(sql)).getRowObjects() as Row[];
  before(async () => {
    const db = await duck!.DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });

  for (const table of TABLES) {
    it(`${table}: typed columns, a capture column, every cell as in JSON Lines`, async () => {
      const files = [A, B];
      const pq = exportTo(files, table, 'parquet');
      const cols = tableColumns(table);
      const desc = await q(`DESCRIBE SELECT * FROM read_parquet('${pq}')`);
      assert.deepEqual(desc.map((d) => d.column_name), [...cols.map((c) => c.name), 'capture']);
      cols.forEach((c, i) => assert.equal(desc[i]!.column_type, SQL_TYPE[parquetKind(c)], `${table}.${c.name}`));
      // Times back as exact ns integers, everything else as text, to compare with JSON Lines cells.
      const select = cols.map((c) => (parquetKind(c) === 'timestamp' ? `epoch_ns("${c.name}")::VARCHAR` : `"${c.name}"::VARCHAR`) + ` AS "${c.name}"`).join(', ');
      const got = await q(`SELECT ${select}, capture FROM read_parquet('${pq}')`);
      const want = jsonlRows(files, table);
      assert.equal(got.length, want.length, `${table}: rows`);
      for (let i = 0; i < want.length; i++) {
        for (const c of cols) {
          const w = want[i]![c.name];
          const g = got[i]![c.name];
          if (w === null || w === undefined) assert.ok(g === null || (c.type === 'string' && g === ''), `${table} row ${i} ${c.name}: ${String(g)} for null`);
          else if (c.type === 'number') assert.equal(Number(g), Number(w), `${table} row ${i} ${c.name}`);
          else assert.equal(g, String(w), `${table} row ${i} ${c.name}`);
        }
      }
      if (got.length > 0) {
        const caps = new Set(got.map((r) => r.capture));
        for (const c of caps) assert.ok(c === A || c === B, `capture ${String(c)}`);
        if (table === 'requests' || table === 'sizes' || table === 'files' || table === 'ops') assert.equal(caps.size, 2, `${table}: rows of both captures`);
      }
    });
  }

  it('requests: DuckDB\'s per-opcode counts, errors and largest latency equal the tool\'s, in Parquet, CSV and JSON Lines', async () => {
    const files = [SMOKE];
    const pq = exportTo(files, 'requests', 'parquet');
    const csv = exportTo(files, 'requests', 'csv');
    const jl = join(tmp, 'requests-smoke.jsonl');
    writeFileSync(jl, runCli(['export', ...files, '--table', 'requests', '--format', 'jsonl']).stdout);
    const model = JSON.parse(runCli(['analyze', '--json', ...files]).stdout) as { ops: { conn: number; name: string; count: number; errors: number; latencyUs?: { max: number } }[] };
    // analyze --json gives latencies in µs to 2 decimals; the tables keep the ns.
    const want = model.ops.map((o) => `${o.conn} ${o.name} ${o.count} ${o.errors} ${o.latencyUs?.max ?? ''}`).sort();
    for (const [what, from] of [['parquet', `read_parquet('${pq}')`], ['csv', `read_csv('${csv}', header = true)`], ['jsonl', `read_json('${jl}', format = 'newline_delimited')`]] as const) {
      const rows = await q(`SELECT conn, op, count(*) AS n, count(*) FILTER (WHERE error <> 0) AS errors, max(latency_us) AS max_us FROM ${from} GROUP BY conn, op`);
      const got = rows.map((r) => `${Number(r.conn)} ${String(r.op)} ${Number(r.n)} ${Number(r.errors)} ${r.max_us === null ? '' : Math.round(Number(r.max_us) * 100) / 100}`).sort();
      assert.deepEqual(got, want, what);
    }
    // 64-bit exactness: READDIR's end-of-directory cookie 2^63-1 as an offset.
    const big = await q(`SELECT count(*) AS n FROM read_parquet('${pq}') WHERE "offset" = 9223372036854775807::UBIGINT`);
    assert.ok(Number(big[0]!.n) > 0);
    const ts = await q(`SELECT min(req_ns) AS t FROM read_parquet('${pq}')`);
    assert.ok(String(ts[0]!.t).length > 0);
  });

  it('needs a file: -o - or no -o is exit 2', () => {
    const r = runCli(['export', SMOKE, '--format', 'parquet']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parquet writes a file/);
  });
});
