/**
 * `fusetrace export` end to end, through the CLI as a child process: rows
 * agree with `dump --exchanges` for every exchange of the real fixtures, CSV
 * and JSON Lines agree, stdout carries only the table, filters apply, and
 * LibreOffice opens the CSV with the right rows, columns and numbers.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tableColumns } from '../../src/report/csv.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { parseCsv, readZipMember } from '../helpers/csv-parse.js';
import { parseJsonExact } from '../helpers/json-exact.js';
import { Cap } from '../analysis/capture-builder.js';

/** The first worksheet inside an .xlsx (a zip member name, not a file path). */
const SHEET1 = ['xl', 'worksheets', 'sheet1.xml'].join('/');

const LAB = join(ROOT, 'fixtures/lab');
const labCaptures = existsSync(LAB) ? readdirSync(LAB).filter((f) => f.endsWith('.pcapng')).map((f) => join(LAB, f)) : [];
const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');
const haveRace = existsSync(A) && existsSync(B);
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-export-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Row = Record<string, string | number | bigint | null>;
const jsonl = (text: string): Row[] => text.split('\n').filter((l) => l !== '').map((l) => parseJsonExact<Row>(l));

interface DumpExchange {
  conn: number; unique: number | string; opcode: number; op: string; nodeid: number | string; pid: number; tid: number; caller_pid: number;
  req_ns: string; reply_ns: string | null; latency_us: number | null; error: number | null; error_name: string | null;
  request: { body?: Record<string, unknown> };
  reply?: { body?: Record<string, unknown> } | null;
}

function dumpExchanges(file: string): DumpExchange[] {
  const r = runCli(['dump', '--exchanges', '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => parseJsonExact<{ type: string; data: DumpExchange }>(l))
    .filter((o) => o.type === 'exchange').map((o) => o.data);
}

/** Column name -> the layout fields it holds (`fuse_write_in.fh`), from the column docs. */
const argumentFields = new Map<string, Set<string>>(
  tableColumns('requests').map((c) => [c.name, new Set([...c.doc.matchAll(/(fuse_[a-z_]+)\.([a-z_]+)/g)].map((m) => `${m[1]}.${m[2]}`))]),
);

describe('export --table requests', { skip: labCaptures.length === 0 ? 'fixtures/lab has no pcapng captures' : false }, () => {
  for (const file of labCaptures) {
    it(`agrees with dump --exchanges for every exchange of ${file.slice(ROOT.length)}`, (t) => {
      const r = runCli(['export', file, '--table', 'requests', '--format', 'jsonl']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const rows = jsonl(r.stdout);
      const dump = dumpExchanges(file);
      assert.ok(dump.length > 0);
      const key = (conn: unknown, unique: unknown, req: unknown): string => `${conn}:${unique}:${req}`;
      const byKey = new Map(rows.map((x) => [key(x.conn, x.unique, x.req_ns), x]));
      assert.equal(byKey.size, rows.length, 'one row per exchange');
      assert.equal(rows.length, dump.length, 'as many rows as dump has exchanges');
      let compared = 0;
      for (const d of dump) {
        const k = key(d.conn, d.unique, d.req_ns);
        const x = byKey.get(k);
        assert.ok(x, `exchange ${k} (${d.op}) is exported`);
        const ctx = `${d.op} unique ${d.unique}`;
        for (const f of ['conn', 'unique', 'opcode', 'op', 'nodeid', 'pid', 'tid', 'caller_pid', 'req_ns'] as const) {
          assert.equal(String(x[f]), String(d[f]), `${ctx}: ${f}`);
        }
        const replied = d.reply_ns !== null && d.reply_ns !== undefined;
        assert.equal(x.reply_ns, replied ? d.reply_ns : null, `${ctx}: reply_ns`);
        if (replied) {
          assert.equal(x.latency_us, d.latency_us, `${ctx}: latency_us`);
          assert.equal(x.error, d.error, `${ctx}: error`);
          assert.equal(x.errno ?? 'OK', d.error === 0 ? 'OK' : String(d.error_name).replace(/^-/, ''), `${ctx}: errno`);
        }
        // Argument columns: the request body fields dump decoded with the same layouts.
        const body = d.request.body ?? {};
        for (const [layout, fields] of Object.entries(body)) {
          if (!layout.startsWith('fuse_') || typeof fields !== 'object' || fields === null) continue;
          const dec = fields as Record<string, unknown>;
          for (const [col, holds] of argumentFields) {
            const field = [...holds].find((h) => h.startsWith(`${layout}.`))?.slice(layout.length + 1);
            if (!field || !(field in dec)) continue;
            if (layout === 'fuse_setattr_in' && (field === 'fh' || field === 'size')) {
              // Meaningful only with FATTR_FH / FATTR_SIZE in `valid`.
              const valid = String(dec.valid_names ?? '');
              if (!valid.includes(field === 'fh' ? 'FATTR_FH' : 'FATTR_SIZE')) continue;
            }
            const names = dec[`${field}_names`];
            if (names !== undefined) {
              const want = names === '0' && col !== 'flags' ? '' : names;
              assert.equal(x[col], want, `${ctx}: ${col} (${layout}.${field})`);
            } else {
              assert.equal(String(x[col]), String(dec[field]), `${ctx}: ${col} (${layout}.${field})`);
            }
            compared++;
          }
        }
        const wout = (d.reply?.body as Record<string, { size?: number }> | undefined)?.fuse_write_out;
        if (d.op === 'WRITE' && wout) assert.equal(x.result_size, wout.size, `${ctx}: result_size`);
      }
      assert.ok(compared > 0, 'some argument columns were compared');
    });
  }

  it('writes the same cells as CSV (header first, RFC 4180) and only the table on stdout', () => {
    const file = labCaptures[0]!;
    const csv = runCli(['export', file]);
    const js = runCli(['export', file, '--format', 'jsonl']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stderr, '');
    assert.ok(csv.stdout.endsWith('\r\n'));
    const table = parseCsv(csv.stdout);
    const names = tableColumns('requests').map((c) => c.name);
    assert.deepEqual(table[0], names);
    const rows = jsonl(js.stdout);
    assert.equal(table.length - 1, rows.length);
    rows.forEach((r, i) => {
      assert.deepEqual(table[i + 1], names.map((n) => (r[n] === null ? '' : String(r[n]))), `row ${i + 1}`);
    });
    const out = join(tmp, 'req.csv');
    assert.equal(runCli(['export', file, '-o', out]).stdout, '');
    assert.equal(readFileSync(out, 'utf8'), csv.stdout);
    assert.equal(runCli(['export', file, '-o', '-']).stdout, csv.stdout);
  });
});

describe('export filters and tables', { skip: haveRace ? false : 'fixtures/stale-size-race-A/B.pcapng missing' }, () => {
  it('applies --conn and --until to request rows', () => {
    const all = jsonl(runCli(['export', A, B, '--format', 'jsonl']).stdout);
    assert.deepEqual([...new Set(all.map((r) => r.conn))].sort(), [0, 1]);
    const one = jsonl(runCli(['export', A, B, '--format', 'jsonl', '--conn', '1']).stdout);
    assert.ok(one.length > 0 && one.every((r) => r.conn === 1));
    assert.equal(one.length, all.filter((r) => r.conn === 1).length);
    const early = jsonl(runCli(['export', A, B, '--format', 'jsonl', '--until', '0.6s']).stdout);
    assert.ok(early.length > 0 && early.length < all.length);
    assert.ok(early.every((r) => (r.req_ms as number) <= 600));
  });

  it('exports size events, findings, files and ops with their documented columns', () => {
    for (const t of ['sizes', 'findings', 'files', 'ops'] as const) {
      const r = runCli(['export', A, B, '--table', t]);
      assert.equal(r.code, 0, r.stderr);
      const table = parseCsv(r.stdout);
      assert.deepEqual(table[0], tableColumns(t).map((c) => c.name), t);
      assert.ok(table.length > 1, `${t} has rows`);
      assert.ok(table.every((row) => row.length === table[0]!.length), `${t}: every row has every column`);
    }
    const sizes = jsonl(runCli(['export', A, B, '--table', 'sizes', '--format', 'jsonl']).stdout);
    assert.ok(sizes.some((e) => e.event === 'truncate' && e.conn === 1 && e.daemon_size === 2147483648));
    assert.ok(sizes.some((e) => e.event === 'write' && e.conn === 0 && e.kernel_size === 4294967296));
    const findings = jsonl(runCli(['export', A, B, '--table', 'findings', '--format', 'jsonl']).stdout);
    assert.ok(findings.some((f) => f.kind === 'parallel-write-beyond-size' && f.severity === 'error'));
  });

  it('exits 2 with the error on stderr for unreadable input, stdout keeping only the table', () => {
    const r = runCli(['export', join(tmp, 'missing.pcapng')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fusetrace: error: .*missing\.pcapng.*cannot open/);
    assert.deepEqual(parseCsv(r.stdout), [tableColumns('requests').map((c) => c.name)]);
    const bad = runCli(['export', A, '--table', 'nope']);
    assert.equal(bad.code, 2);
  });
});

function soffice(): string | undefined {
  for (const bin of ['soffice', 'libreoffice']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return bin;
  }
  return undefined;
}
const office = soffice();

describe('CSV round trip through LibreOffice', { skip: office ? false : 'LibreOffice (Debian libreoffice-calc) is not installed' }, () => {
  it('opens the tables with the right rows and columns, numbers as numbers', { timeout: 300_000 }, () => {
    const dir = mkdtempSync(join(tmp, 'lo-'));
    const inputs: [string, string[]][] = [['requests', [labCaptures[0] ?? A]]];
    if (haveRace) inputs.push(['findings', [A, B]], ['sizes', [A, B]]);
    const csvs: string[] = [];
    for (const [table, files] of inputs) {
      const r = runCli(['export', ...files, '--table', table, '-o', join(dir, `${table}.csv`)]);
      assert.equal(r.code, 0, r.stderr);
      csvs.push(join(dir, `${table}.csv`));
    }
    const profile = `-env:UserInstallation=file://${join(dir, 'profile')}`;
    const lo = (args: string[]): void => {
      const r = spawnSync(office!, [profile, '--headless', ...args], { encoding: 'utf8', timeout: 240_000 });
      assert.equal(r.status, 0, `${office} ${args.join(' ')}: ${r.stderr}`);
    };
    // Comma separated, double quotes, UTF-8 (76), from line 1.
    lo(['--infilter=CSV:44,34,76,1', '--convert-to', 'xlsx', '--outdir', join(dir, 'xlsx'), ...csvs]);
    const xlsx = inputs.map(([t]) => join(dir, 'xlsx', `${t}.xlsx`));
    lo(['--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1', '--outdir', join(dir, 'back'), ...xlsx]);
    inputs.forEach(([table], i) => {
      const orig = parseCsv(readFileSync(csvs[i]!, 'utf8'));
      const back = parseCsv(readFileSync(join(dir, 'back', `${table}.csv`), 'utf8'));
      assert.equal(back.length, orig.length, `${table}: rows`);
      const cols = tableColumns(table as 'requests');
      for (let r = 0; r < orig.length; r++) {
        assert.equal(back[r]!.length, orig[r]!.length, `${table} row ${r}: columns`);
        for (let c = 0; c < cols.length; c++) {
          const a = orig[r]![c]!;
          const b = back[r]![c]!;
          if (r > 0 && cols[c]!.type !== 'string' && a !== '') {
            // Numbers: the same value; 19-digit epoch ns keep a double's 15 significant digits.
            const rel = Math.abs(Number(b) - Number(a)) / Math.max(1, Math.abs(Number(a)));
            assert.ok(rel < 1e-13, `${table} row ${r} ${cols[c]!.name}: ${a} came back as ${b}`);
          } else {
            assert.equal(b, a, `${table} row ${r} ${cols[c]!.name}`);
          }
        }
      }
      // In the workbook, numeric columns hold numbers and text columns shared strings.
      const sheet = readZipMember(readFileSync(xlsx[i]!), SHEET1)!.toString('utf8');
      const cells = [...sheet.matchAll(/<c r="([A-Z]+)(\d+)"[^>]*?(?: t="(\w+)")?[^>]*?>/g)];
      let numbers = 0;
      for (const [, colRef, rowRef, type] of cells) {
        if (rowRef === '1') continue;
        const ci = colRef!.split('').reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
        const col = cols[ci]!;
        if (col.type === 'string') continue;
        assert.ok(type === undefined || type === 'n', `${table} ${colRef}${rowRef} (${col.name}) is a number, not t="${type}"`);
        numbers++;
      }
      assert.ok(numbers > 0, `${table}: numeric cells found`);
    });
    writeFileSync(join(dir, 'done'), '');
  });
});

describe('every file', () => {
  // 2,500 files looked up, 2,450 of them forgotten again: more than analyze lists (100 busiest)
  // and more than it keeps of forgotten files (2,200), so both of its bounds are crossed.
  const N = 2500;
  const c = new Cap(1);
  c.init(0, 0);
  for (let i = 0; i < N; i++) {
    c.lookup(0, 1 + i * 0.01, 1, `f${i}`, 10 + i, { ino: 1000 + i, size: i });
    if (i >= 50) c.forget(0, 1 + i * 0.01 + 0.005, 10 + i, 1);
  }
  const file = c.file('many-files.pcapng');
  const all = N + 1; // and the root

  it('export --table files has one row per file, in CSV and JSON Lines', () => {
    const csv = runCli(['export', file, '--table', 'files']);
    assert.equal(csv.code, 0, csv.stderr);
    const rows = parseCsv(csv.stdout).slice(1);
    assert.equal(rows.length, all);
    const paths = new Set(rows.map((r) => r[3]));
    for (let i = 0; i < N; i++) assert.ok(paths.has(`/f${i}`), `/f${i}`);
    assert.equal(jsonl(runCli(['export', file, '--table', 'files', '--format', 'jsonl']).stdout).length, all);
  });

  it('analyze --json says how many files it leaves out, and the text report where to get them', () => {
    const doc = JSON.parse(runCli(['analyze', '--json', file]).stdout) as { files: unknown[]; filesOmitted: number };
    assert.ok(doc.files.length <= 100, `${doc.files.length} files listed`);
    assert.equal(doc.files.length + doc.filesOmitted, all);
    const text = runCli(['analyze', file]).stdout;
    assert.match(text, new RegExp(`and ${all - 5} more files \\(\`fusetrace export --table files\` lists every file\\)`));
  });
});
