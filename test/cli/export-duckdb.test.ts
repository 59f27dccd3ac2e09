/**
 * Every table of `fusetrace export`, in every format (CSV, JSON Lines, Parquet), loaded into
 * DuckDB as it is (automatic detection, no types given: what a user types
 * first), on the hostile-name capture and real fixtures. DuckDB must see
 * the documented columns and as many rows as the tool wrote; integer
 * columns must arrive as integers (READDIR's 2^63-1 offset once made the
 * JSON Lines `offset` a JSON column, and `max("offset")` over the WRITE rows
 * silently wrong); and DuckDB's aggregates must equal the tool's own:
 * per-opcode counts and errors from `analyze --json`, the largest WRITE and
 * READDIR offsets from `dump --exchanges --json`, bytes written per file,
 * findings by severity. The formats are rows of READERS: a new format is one
 * more row. Parquet also: its own column types (UBIGINT ids, TIMESTAMP_NS
 * times), the capture column, every cell as in JSON Lines, and -o required.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TABLES, tableColumns, type TableName } from '../../src/report/csv.js';
import { parquetKind } from '../../src/report/column-kinds.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { hostileCapture } from '../helpers/hostile-capture.js';
import { parseJsonExact } from '../helpers/json-exact.js';
import { Cap, OP } from '../analysis/capture-builder.js';

type Duck = typeof import('@duckdb/node-api');
let duck: Duck | undefined;
let whyNoDuck: string | undefined;
try {
  duck = await import('@duckdb/node-api');
} catch (e) {
  whyNoDuck = `@duckdb/node-api does not load (${(e as Error).message.split('\n')[0]}); npm ci installs it`;
}

const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-duckdb-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * How DuckDB reads each export format, as a user would first try it. Parquet
 * carries its own types: its times (TIMESTAMP_NS) are compared as the ns the
 * text formats hold, and its extra `capture` column is checked on its own below.
 */
const READERS: Record<string, (file: string, table: TableName) => string> = {
  csv: (f) => `read_csv('${f}')`,
  jsonl: (f) => `read_json('${f}')`,
  parquet: (f, table) => {
    const times = tableColumns(table).filter((c) => parquetKind(c) === 'timestamp').map((c) => `epoch_ns("${c.name}") AS "${c.name}"`);
    return `(SELECT * EXCLUDE (capture)${times.length ? ` REPLACE (${times.join(', ')})` : ''} FROM read_parquet('${f}'))`;
  },
};

const fixture = (name: string): string => join(ROOT, 'fixtures', name);
const CAPTURES: { name: string; files: string[] }[] = [
  { name: 'hostile names', files: [hostileCapture().file('hostile.pcapng')] },
  { name: 'stale-size race, two mounts', files: [fixture('stale-size-race-A.pcapng'), fixture('stale-size-race-B.pcapng')] },
  { name: 'smoke (ls, READDIR at 2^63-1)', files: [fixture('smoke.pcapng')] },
].filter((c) => c.files.every((f) => existsSync(f)));

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const NUMBER_TYPES = new Set([...INTEGER_TYPES, 'DOUBLE', 'FLOAT']);

type Row = Record<string, unknown>;

interface ToolFacts {
  model: {
    summary: { exchanges: number; findings: Record<string, number> };
    ops: { conn: number; name: string; count: number; errors: number }[];
    files: { conn: number; path: string; bytesWritten: number }[];
    filesOmitted: number;
    findings: unknown[];
  };
  /** Largest request offset per opcode name, as dump decodes it. */
  maxOffset: Map<string, bigint>;
}

const factsCache = new Map<string[], ToolFacts>();
function toolFacts(files: string[]): ToolFacts {
  let f = factsCache.get(files);
  if (!f) factsCache.set(files, (f = readToolFacts(files)));
  return f;
}

/** Each capture's tables are exported once per format (with the schema beside them) and shared by the tests. */
const exportCache = new Map<string, { file: string; schema: string; rows: number }>();
function exported(files: string[], table: TableName, format: string): { file: string; schema: string; rows: number } {
  const key = `${CAPTURES.findIndex((c) => c.files === files)}-${table}-${format}`;
  let e = exportCache.get(key);
  if (!e) {
    const file = join(tmp, `${key}.${format}`);
    // Parquet has its types inside; it is loaded into the table the JSON Lines schema declares.
    const schema = format === 'parquet' ? exported(files, table, 'jsonl').schema : join(tmp, `${key}.sql`);
    const r = runCli(['export', ...files, '--table', table, '--format', format, '-o', file, ...(format === 'parquet' ? [] : ['--schema', schema])]);
    assert.equal(r.code, 0, r.stderr);
    // Rows as the tool wrote them: JSON Lines has one line per row.
    const rows = format === 'jsonl' ? (readFileSync(file, 'utf8').match(/\n/g) ?? []).length : exported(files, table, 'jsonl').rows;
    exportCache.set(key, (e = { file, schema, rows }));
  }
  return e;
}

function readToolFacts(files: string[]): ToolFacts {
  const a = runCli(['analyze', '--json', ...files]);
  assert.equal(a.code, 0, a.stderr);
  const maxOffset = new Map<string, bigint>();
  const d = runCli(['dump', '--exchanges', '--json', ...files]);
  assert.equal(d.code, 0, d.stderr);
  for (const line of d.stdout.split('\n')) {
    if (!line) continue;
    const o = parseJsonExact<{ type: string; data: { op: string; request: { body?: Record<string, { offset?: number | bigint }> } | null } }>(line);
    if (o.type !== 'exchange') continue;
    for (const body of Object.values(o.data.request?.body ?? {})) {
      if (body && typeof body === 'object' && body.offset !== undefined) {
        const v = BigInt(body.offset);
        const prev = maxOffset.get(o.data.op);
        if (prev === undefined || v > prev) maxOffset.set(o.data.op, v);
      }
    }
  }
  return { model: parseJsonExact(a.stdout), maxOffset };
}

describe('exports load into DuckDB as they are', { skip: whyNoDuck ?? (CAPTURES.length === 0 ? 'no fixtures' : false) }, () => {
  let conn: import('@duckdb/node-api').DuckDBConnection;
  const q = async (sql: string): Promise<Row[]> => (await conn.runAndReadAll(sql)).getRowObjects() as Row[];
  const one = async (sql: string): Promise<unknown> => Object.values((await q(sql))[0]!)[0];
  before(async () => {
    conn = await (await duck!.DuckDBInstance.create(':memory:')).connect();
  });

  for (const cap of CAPTURES) {
    for (const [format, reader] of Object.entries(READERS)) {
      it(`${cap.name}: every table in ${format}, columns, types, rows and aggregates as the tool's`, async () => {
        const facts = toolFacts(cap.files);
        const m = facts.model;
        const loaded = new Map<TableName, string>();
        for (const table of TABLES) {
          const { file: out, schema: sql, rows: written } = exported(cap.files, table, format);
          const name = `${table}_${format}_${CAPTURES.indexOf(cap)}`;
          const cols = tableColumns(table);
          // With the schema: any table, empty or not, loads with its declared types.
          await q(readFileSync(sql, 'utf8').replace(`"${table}"`, `"${name}_typed"`));
          if (format === 'parquet') await q(`INSERT INTO "${name}_typed" SELECT * FROM ${reader(out, table)}`);
          else await q(`COPY "${name}_typed" FROM '${out}' (${format === 'csv' ? 'HEADER' : 'FORMAT json'})`);
          assert.equal(Number(await one(`SELECT count(*) FROM "${name}_typed"`)), written, `${table}: rows, loaded with --schema`);
          if (written === 0) continue; // nothing for automatic detection to see
          // As it is: automatic detection.
          await q(`CREATE TABLE ${name} AS SELECT * FROM ${reader(out, table)}`);
          loaded.set(table, name);
          const desc = await q(`DESCRIBE ${name}`);
          assert.deepEqual(desc.map((d) => d.column_name), cols.map((c) => c.name), `${table}: columns`);
          assert.equal(Number(await one(`SELECT count(*) FROM ${name}`)), written, `${table}: rows`);
          for (const [i, c] of cols.entries()) {
            const type = String(desc[i]!.column_type);
            if (Number(await one(`SELECT count("${c.name}") FROM ${name}`)) === 0) continue; // all unknown: no type to see
            if (c.type === 'integer') assert.ok(INTEGER_TYPES.has(type), `${table}.${c.name} is ${type}, not an integer`);
            if (c.type === 'number') assert.ok(NUMBER_TYPES.has(type), `${table}.${c.name} is ${type}, not a number`);
            if (c.type === 'string' && format === 'jsonl') assert.equal(type, 'VARCHAR', `${table}.${c.name}`);
            if (c.type !== 'string') {
              const same = await one(`SELECT count(*) FROM ${name} a POSITIONAL JOIN "${name}_typed" b WHERE a."${c.name}" IS DISTINCT FROM b."${c.name}"`);
              assert.equal(Number(same), 0, `${table}.${c.name}: the same values detected or declared`);
            }
          }
        }

        const requests = loaded.get('requests')!;
        assert.equal(Number(await one(`SELECT count(*) FROM ${requests}`)), m.summary.exchanges, 'requests: one row per exchange');
        const byOp = await q(`SELECT conn, op, count(*) AS n, count(*) FILTER (WHERE error <> 0) AS errors FROM ${requests} GROUP BY conn, op`);
        assert.deepEqual(
          byOp.map((r) => `${Number(r.conn)} ${String(r.op)} ${Number(r.n)} ${Number(r.errors)}`).sort(),
          m.ops.map((o) => `${o.conn} ${o.name} ${o.count} ${o.errors}`).sort(),
          'requests: counts and errors per opcode equal the ops of analyze',
        );
        for (const op of ['WRITE', 'READDIR', 'READ']) {
          const want = facts.maxOffset.get(op);
          const got = await one(`SELECT max("offset") FROM ${requests} WHERE op = '${op}'`);
          assert.equal(got === null ? undefined : BigInt(got as bigint), want, `requests: max(offset) of ${op}`);
        }

        const files = loaded.get('files');
        if (m.filesOmitted === 0 && files) {
          const got = await q(`SELECT conn, path, bytes_written FROM ${files}`);
          const unquote = (p: string): string => (format === 'csv' && /^'[=+\-@\t\r]/.test(p) ? p.slice(1) : p);
          assert.deepEqual(
            got.map((r) => `${Number(r.conn)} ${unquote(String(r.path))} ${Number(r.bytes_written)}`).sort(),
            m.files.map((f) => `${f.conn} ${f.path} ${f.bytesWritten}`).sort(),
            'files: paths and bytes written equal analyze',
          );
        }
        const findings = loaded.get('findings');
        const bySeverity = findings ? await q(`SELECT severity, count(*) AS n FROM ${findings} GROUP BY severity`) : [];
        for (const sev of ['error', 'warning', 'info']) {
          const got = bySeverity.find((r) => r.severity === sev);
          assert.equal(got ? Number(got.n) : 0, m.summary.findings[sev], `findings: ${sev}`);
        }
        const ops = loaded.get('ops')!;
        assert.equal(Number(await one(`SELECT sum("count") FROM ${ops}`)), m.summary.exchanges, 'ops: counts add up to the exchanges');
      });
    }
  }

  it('CSV, JSON Lines and Parquet give DuckDB the same numbers in every integer column', async () => {
    for (const cap of CAPTURES) {
      for (const table of TABLES) {
        const sums: string[] = [];
        for (const [format, reader] of Object.entries(READERS)) {
          const { file: out, rows } = exported(cap.files, table, format);
          if (rows === 0) continue; // empty: see above
          const ints = tableColumns(table).filter((c) => c.type === 'integer').map((c) => `count("${c.name}"), sum("${c.name}"::HUGEINT)`);
          sums.push(JSON.stringify(await q(`SELECT count(*), ${ints.join(', ')} FROM ${reader(out, table)}`), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
        }
        for (const other of sums.slice(1)) assert.equal(other, sums[0], `${cap.name}: ${table}`);
      }
    }
  });
});

describe('Parquet in DuckDB: its own types, the capture column, every cell as in JSON Lines', { skip: whyNoDuck ?? (CAPTURES.length < 2 ? 'no fixtures' : false) }, () => {
  const SQL_TYPE = { timestamp: 'TIMESTAMP_NS', uint64: 'UBIGINT', int64: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' } as const;
  const race = CAPTURES.find((c) => c.files.length === 2)!;
  let conn: import('@duckdb/node-api').DuckDBConnection;
  const q = async (sql: string): Promise<Row[]> => (await conn.runAndReadAll(sql)).getRowObjects() as Row[];
  before(async () => {
    conn = await (await duck!.DuckDBInstance.create(':memory:')).connect();
  });

  for (const table of TABLES) {
    it(`${table} of two captures`, async () => {
      const { file: pq } = exported(race.files, table, 'parquet');
      const cols = tableColumns(table);
      const desc = await q(`DESCRIBE SELECT * FROM read_parquet('${pq}')`);
      assert.deepEqual(desc.map((d) => d.column_name), [...cols.map((c) => c.name), 'capture']);
      cols.forEach((c, i) => assert.equal(desc[i]!.column_type, SQL_TYPE[parquetKind(c)], `${table}.${c.name}`));
      // Times back as exact ns, the rest as text, against the JSON Lines cells (parsed exactly).
      const select = cols.map((c) => (parquetKind(c) === 'timestamp' ? `epoch_ns("${c.name}")::VARCHAR` : `"${c.name}"::VARCHAR`) + ` AS "${c.name}"`).join(', ');
      const got = await q(`SELECT ${select}, capture FROM read_parquet('${pq}')`);
      const want = readFileSync(exported(race.files, table, 'jsonl').file, 'utf8').split('\n').filter((l) => l).map((l) => parseJsonExact<Row>(l));
      assert.equal(got.length, want.length, `${table}: rows`);
      for (let i = 0; i < want.length; i++) {
        for (const c of cols) {
          const w = want[i]![c.name];
          const g = got[i]![c.name];
          if (w === null || w === undefined) assert.equal(g, null, `${table} row ${i} ${c.name}`);
          else if (c.type === 'number') assert.equal(Number(g), Number(w), `${table} row ${i} ${c.name}`);
          else assert.equal(g, String(w), `${table} row ${i} ${c.name}`);
        }
      }
      const caps = new Set(got.map((r) => r.capture));
      for (const c of caps) assert.ok(race.files.includes(String(c)), `capture ${String(c)}`);
      if (table !== 'findings' && got.length > 0) assert.equal(caps.size, 2, `${table}: rows of both captures`);
    });
  }

  it('u64 values past 2^63 are exact: a file handle with its top bit set, a READ at such an offset', async () => {
    // Daemons hand out pointers and hash cookies as handles and offsets: the top bit may be set.
    const fh = 2n ** 64n - 3n;
    const offset = 2n ** 63n + 4096n;
    const c = new Cap(1);
    c.init(0, 0);
    const open = c.req(0, 1, OP.OPEN, 5, Buffer.alloc(8));
    const oo = Buffer.alloc(16);
    oo.writeBigUInt64LE(fh, 0);
    c.rep(0, 2, open, 0, oo);
    const ri = Buffer.alloc(40);
    ri.writeBigUInt64LE(fh, 0);
    ri.writeBigUInt64LE(offset, 8);
    ri.writeUInt32LE(4096, 16);
    const read = c.req(0, 3, OP.READ, 5, ri);
    c.rep(0, 4, read, 0, Buffer.alloc(0));
    const cap = c.file('u64.pcapng');
    const pq = join(tmp, 'u64.parquet');
    const r = runCli(['export', cap, '--table', 'requests', '--format', 'parquet', '-o', pq]);
    assert.equal(r.code, 0, r.stderr);
    const got = await q(`SELECT op, fh::VARCHAR AS fh, "offset"::VARCHAR AS "offset" FROM read_parquet('${pq}') WHERE op IN ('OPEN', 'READ') ORDER BY "unique"`);
    // Parquet's UINT_64 read back as UBIGINT: the same digits as JSON Lines (parsed exactly) writes.
    const jsonl = runCli(['export', cap, '--table', 'requests', '--format', 'jsonl']);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const rows = jsonl.stdout.split('\n').filter((l) => l).map((l) => parseJsonExact<Row>(l)).filter((x) => x.op === 'READ');
    assert.equal(String(rows[0]!.fh), fh.toString());
    assert.equal(String(rows[0]!.offset), offset.toString());
    assert.deepEqual(got.map((x) => [x.op, x.fh, x.offset]), [['OPEN', null, null], ['READ', fh.toString(), offset.toString()]]);
  });

  it('a time past 2262 (a damaged capture\'s) is null in Parquet, its digits in JSON Lines', async () => {
    // TIMESTAMP(NANOS) is a signed INT64: 2^63 ns after 1970 is in 2262.
    const c = new Cap(1);
    c.init(0, 0);
    const late = 2 ** 63 / 1e6; // ms after EPOCH: past 2^63 ns since 1970
    const g = c.req(0, late, OP.GETATTR, 1, Buffer.alloc(16));
    c.rep(0, late + 1, g, -2);
    const cap = c.file('late.pcapng');
    const pq = join(tmp, 'late.parquet');
    const r = runCli(['export', cap, '--table', 'requests', '--format', 'parquet', '-o', pq]);
    assert.equal(r.code, 0, r.stderr);
    const jsonl = runCli(['export', cap, '--table', 'requests', '--format', 'jsonl']);
    const row = jsonl.stdout.split('\n').filter((l) => l).map((l) => parseJsonExact<Row>(l)).find((x) => x.op === 'GETATTR')!;
    assert.ok(BigInt(row.req_ns as bigint) >= 2n ** 63n, `req_ns ${String(row.req_ns)}`);
    const got = await q(`SELECT op, req_ns, reply_ns, "unique"::VARCHAR AS u FROM read_parquet('${pq}') WHERE op = 'GETATTR'`);
    assert.deepEqual(got.map((x) => [x.op, x.req_ns, x.reply_ns, x.u]), [['GETATTR', null, null, String(row.unique)]]);
  });

  it('needs a file: without -o it is exit 2', () => {
    const r = runCli(['export', race.files[0]!, '--format', 'parquet']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parquet writes a file/);
  });
});
