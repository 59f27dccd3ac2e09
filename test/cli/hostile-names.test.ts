/**
 * Names, comments and interface names of a capture are untrusted: on a valid
 * capture made of hostile ones (test/helpers/hostile-capture.ts), every
 * output keeps them as data. Text shows control characters as visible
 * escapes (no line can be forged), CSV keeps each name in one cell of one row
 * and defuses formula starts, JSON Lines and JSON parse back to the exact
 * names with nothing raw that acts on a terminal, HTML escapes them.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { TABLES, tableColumns } from '../../src/report/csv.js';
import { renderCheckText } from '../../src/report/baseline.js';
import { palette } from '../../src/report/format.js';
import { renderText } from '../../src/report/text.js';
import { CONTROL_CHARS, escapeControls } from '../../src/report/untrusted-text.js';
import { runCli } from '../helpers/cli.js';
import { parseCsv } from '../helpers/csv-parse.js';
import { HOSTILE_IFNAME, HOSTILE_MACHINE, HOSTILE_NAMES, hostileCapture } from '../helpers/hostile-capture.js';
import { parseJsonExact } from '../helpers/json-exact.js';
import { FILES_PID } from '../../src/report/perfetto.js';

const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cap = hostileCapture().file('hostile.pcapng');
const PATHS = HOSTILE_NAMES.map((n) => `/${n}`);

/** Characters that act on a terminal, other than the line feeds that end lines (and, with colour, our own SGR). */
function assertInert(text: string, what: string, opts: { sgr?: boolean; crlf?: boolean } = {}): void {
  let t = opts.sgr ? text.replace(/\u001b\[[0-9;]*m/g, '') : text;
  t = opts.crlf ? t.replace(/\r\n/g, '') : t;
  const bad = [...t.replace(/\n/g, '').matchAll(CONTROL_CHARS)].map((m) => `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}`);
  assert.deepEqual(bad, [], `${what}: raw control characters`);
}

/** No line of a text output may look like a finding the capture does not have. */
function assertNoForgedLine(text: string, what: string): void {
  assert.ok(!/^\s*ERROR\s+parallel-write-beyond-size/m.test(text), `${what}: a name forged a finding line`);
  assert.ok(!/^=1\+1/m.test(text), `${what}: a name started a line`);
}

describe('hostile names in text outputs', () => {
  it('analyze shows them escaped, on a pipe and with colour', () => {
    const r = runCli(['analyze', cap]);
    assert.equal(r.code, 0, r.stderr);
    assertInert(r.stdout, 'analyze');
    assertNoForgedLine(r.stdout, 'analyze');
    assert.ok(r.stdout.includes(escapeControls(HOSTILE_IFNAME)), 'the interface name, escaped');
    assert.ok(r.stdout.includes('fuse\\e[2J\\n=evil\\u202e'), 'escapes are readable');
    assert.ok(r.stdout.includes(`recorded on ${escapeControls(HOSTILE_MACHINE)}`), 'the machine (shb_hardware), escaped');
    assert.ok(r.stdout.includes('/\\e]0;pwned\\x07title'), 'the path of a finding, escaped');
    const colored = renderText(analyze({ files: [cap] }).model, { color: true });
    assert.ok(colored.includes('\u001b[1m'), 'coloured');
    assertInert(colored, 'analyze with colour', { sgr: true });
    assertNoForgedLine(colored.replace(/\u001b\[[0-9;]*m/g, ''), 'analyze with colour');
  });

  it('check prints the findings on hostile paths escaped', () => {
    const r = runCli(['check', cap, '--expect-clean', '--fail-on', 'warning']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL/);
    assertInert(r.stdout, 'check');
    assertNoForgedLine(r.stdout, 'check');
    assert.ok(r.stdout.includes(escapeControls(PATHS[0]!)));
    const js = runCli(['check', cap, '--expect-clean', '--fail-on', 'warning', '--json']);
    const report = JSON.parse(js.stdout);
    assert.ok(renderCheckText(report, palette(true)).includes('\\e]0;pwned'), 'in-process with colour too');
    assertInert(renderCheckText(report, palette(true)), 'check with colour', { sgr: true });
  });

  it('dump and dump --exchanges show names and the interface name escaped', () => {
    for (const args of [[], ['--exchanges'], ['--verbose']]) {
      const r = runCli(['dump', ...args, cap]);
      assert.equal(r.code, 0, r.stderr);
      assertInert(r.stdout, `dump ${args.join(' ')}`);
      assertNoForgedLine(r.stdout, `dump ${args.join(' ')}`);
      assert.match(r.stdout, /conn0 fuse\\e\[2J\\n=evil\\u202e \(/, 'if_name in the connection summary');
    }
  });
});

describe('hostile names in machine outputs', () => {
  const jsonlOf = (table: string): Record<string, unknown>[] => {
    const r = runCli(['export', cap, '--table', table, '--format', 'jsonl']);
    assert.equal(r.code, 0, r.stderr);
    assertInert(r.stdout, `${table} JSON Lines`);
    return r.stdout.split('\n').filter((l) => l !== '').map((l) => parseJsonExact<Record<string, unknown>>(l));
  };

  it('JSON Lines keeps every name exact and every line one row', () => {
    const paths = new Set(jsonlOf('requests').map((r) => r.path));
    for (const p of PATHS) assert.ok(paths.has(p), `requests has ${JSON.stringify(p)}`);
    const files = jsonlOf('files').map((r) => r.path);
    assert.deepEqual(files.filter((p) => p !== '/').sort(), [...PATHS].sort());
  });

  it('CSV keeps each name in one cell of one row and defuses formula starts, in every table', () => {
    for (const table of TABLES) {
      const r = runCli(['export', cap, '--table', table]);
      assert.equal(r.code, 0, r.stderr);
      const rows = parseCsv(r.stdout);
      const cols = tableColumns(table);
      assert.deepEqual(rows[0], cols.map((c) => c.name));
      assert.ok(rows.every((row) => row.length === cols.length), `${table}: every row has every column`);
      const js = jsonlOf(table);
      assert.equal(rows.length - 1, js.length, `${table}: as many CSV rows as JSON Lines`);
      rows.slice(1).forEach((row, i) => {
        cols.forEach((c, k) => {
          const cell = row[k]!;
          const exact = js[i]![c.name];
          if (c.type !== 'string' || typeof exact !== 'string') return;
          if (/^[=+\-@\t\r]/.test(exact)) assert.equal(cell, `'${exact}`, `${table} ${c.name}: a formula start gets an apostrophe`);
          else assert.equal(cell, exact, `${table} ${c.name}`);
        });
        assert.ok(!/^[=+\-@]/.test(row[0]!), `${table}: no row starts with a formula`);
      });
      // Every record ends with CRLF; a CR or LF inside a name only appears inside quotes.
      const unquoted = r.stdout.replace(/"(?:[^"]|"")*"/g, '');
      assert.equal(unquoted.split('\r\n').length - 1, rows.length, `${table}: only record ends outside quotes`);
      assert.ok(!/[\r\n](?<!\r\n)/.test(unquoted.replace(/\r\n/g, '')), `${table}: no bare CR or LF outside quotes`);
    }
  });

  it('analyze --json parses back to the exact names with nothing raw', () => {
    const r = runCli(['analyze', '--json', cap]);
    assert.equal(r.code, 0, r.stderr);
    assertInert(r.stdout, 'analyze --json');
    const doc = parseJsonExact<{ files: { path: string }[]; connections: { name: string }[]; findings: { path: string }[] }>(r.stdout);
    assert.deepEqual(doc.files.map((f) => f.path).filter((p) => p !== '/').sort(), [...PATHS].sort());
    assert.equal(doc.connections[0]!.name, HOSTILE_IFNAME);
    assert.ok(doc.findings.some((f) => f.path === PATHS[0]));
    const dump = runCli(['dump', '--json', cap]);
    assertInert(dump.stdout, 'dump --json');
    assert.ok(dump.stdout.split('\n').filter((l) => l).every((l) => parseJsonExact(l) !== undefined));
  });

  it('the Perfetto trace parses back to the exact names with nothing raw', () => {
    const out = join(tmp, 't.json');
    const r = runCli(['export', cap, '--format', 'perfetto', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(out, 'utf8');
    assertInert(text, 'export --format perfetto');
    const trace = parseJsonExact<{ traceEvents: { ph: string; pid: number; name: string; args?: { name?: string; path?: string } }[] }>(text);
    // Each hostile file has a track named after its exact path, and requests whose args carry it.
    const tracks = new Set(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === FILES_PID).map((e) => e.args!.name));
    const paths = new Set(trace.traceEvents.filter((e) => e.ph === 'b' && e.pid !== FILES_PID).map((e) => e.args!.path));
    for (const p of PATHS) {
      assert.ok(tracks.has(p), `a track named ${JSON.stringify(p)}`);
      assert.ok(paths.has(p), `a request on ${JSON.stringify(p)}`);
    }
  });

  it('the HTML report escapes them', () => {
    const out = join(tmp, 'r.html');
    const r = runCli(['report', cap, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(out, 'utf8');
    assert.ok(!html.includes('<img src=x onerror'), 'no markup from a name');
    assert.ok(!html.includes('</script><script>alert(1)'), 'no script from a name');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;') || html.includes('\\u003cimg src=x onerror=alert(1)\\u003e'), 'the name is there, escaped');
  });
});
