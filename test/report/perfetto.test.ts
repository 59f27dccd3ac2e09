/**
 * `export --format perfetto` against the Trace Event Format specification
 * (JSON object form; phases b/e async with id2, i instant, s/f flow, C
 * counter, M metadata): structure, b/e pairing by (pid, cat, name, id),
 * flows that start and finish, µs timestamps that keep the ns, and the same
 * requests, times and findings as the tool's own tables. No offline viewer
 * runs here: Debian's chromium disables chrome://tracing, and the perfetto
 * Python package downloads its trace processor on first use.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { FILES_PID, PerfettoWriter, putUsTs, usTs } from '../../src/report/perfetto.js';
import { stringifyPlain } from '../../src/report/json.js';
import { TEXT_BUFFER, TextBuffer } from '../../src/report/text-buffer.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { Cap, OP } from '../analysis/capture-builder.js';

const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');
const SPLIT = join(ROOT, 'fixtures/split-dio.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-perfetto-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Ev {
  ph: string; name: string; cat?: string; pid: number; tid?: number; ts?: number; id?: number; bp?: string; s?: string;
  id2?: { local: string }; args?: Record<string, unknown>;
}
interface Trace { traceEvents: Ev[]; displayTimeUnit: string; otherData: Record<string, unknown> }

const PHASES = new Set(['b', 'e', 'i', 's', 'f', 'C', 'M']);

function exportTrace(files: string[], extra: string[] = []): { trace: Trace; text: string; stderr: string } {
  const out = join(tmp, `t${Math.random().toString(36).slice(2)}.json`);
  const r = runCli(['export', ...files, '--format', 'perfetto', '-o', out, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  return { trace: JSON.parse(text) as Trace, text, stderr: r.stderr };
}

/** The checks every trace must pass, whatever it holds. */
function checkSpec(t: Trace): void {
  assert.ok(Array.isArray(t.traceEvents));
  assert.equal(t.displayTimeUnit, 'ns');
  const named = new Set<number>();
  for (const e of t.traceEvents) if (e.ph === 'M' && e.name === 'process_name') named.add(e.pid);
  const open = new Map<string, number>();
  const flows = new Map<number, { s?: number; f?: number }>();
  for (const e of t.traceEvents) {
    assert.ok(PHASES.has(e.ph), `phase ${e.ph}`);
    assert.equal(typeof e.name, 'string');
    assert.ok(Number.isInteger(e.pid), 'pid');
    assert.ok(named.has(e.pid), `pid ${e.pid} has a process_name`);
    if (e.ph === 'M') continue;
    assert.equal(typeof e.ts, 'number', `${e.ph} ${e.name}: ts`);
    if (e.ph === 'b' || e.ph === 'e') {
      assert.equal(e.cat, 'fuse');
      assert.match(e.id2!.local, /^0x[0-9a-f]+$/);
      assert.equal(e.id, undefined, 'async events use id2, not id');
    }
    if (e.ph === 'C') for (const v of Object.values(e.args!)) assert.equal(typeof v, 'number');
    if (e.ph === 's' || e.ph === 'f') {
      const fl = flows.get(e.id!) ?? {};
      assert.equal(fl[e.ph], undefined, `flow ${e.id}: one ${e.ph}`);
      fl[e.ph] = e.ts;
      flows.set(e.id!, fl);
      if (e.ph === 'f') assert.equal(e.bp, 'e');
    }
  }
  // b/e pairing: viewers sort by ts, so pair after sorting (b before e at equal ts).
  const be = t.traceEvents.filter((e) => e.ph === 'b' || e.ph === 'e')
    .sort((x, y) => x.ts! - y.ts! || (x.ph === 'b' ? -1 : 1) - (y.ph === 'b' ? -1 : 1));
  for (const e of be) {
    const k = `${e.pid}/${e.cat}/${e.name}/${e.id2!.local}`;
    const n = open.get(k) ?? 0;
    if (e.ph === 'b') open.set(k, n + 1);
    else {
      assert.ok(n > 0, `e without b: ${k}`);
      open.set(k, n - 1);
    }
  }
  for (const [k, n] of open) assert.equal(n, 0, `b without e: ${k}`);
  for (const [id, fl] of flows) {
    assert.ok(fl.s !== undefined && fl.f !== undefined, `flow ${id} has s and f`);
    assert.ok(fl.s <= fl.f, `flow ${id} goes forward in time`);
  }
}

describe('export --format perfetto', () => {
  it('formats µs with the ns as 3 decimals, exactly', () => {
    assert.equal(usTs(0), '0.000');
    assert.equal(usTs(1), '0.001');
    assert.equal(usTs(123_456_789), '123456.789');
    assert.equal(usTs(-1500), '-1.500');
    assert.equal(usTs(9_007_199_254_740), '9007199254.740');
  });

  it('writes times as bytes as usTs writes them', () => {
    const b = Buffer.alloc(64);
    const check = (t: number): void => {
      const end = putUsTs(b, 3, t);
      assert.equal(b.toString('latin1', 3, end), usTs(t), `t = ${t}`);
    };
    for (const t of [0, -0, 0.4, -0.4, 0.5, -0.5, 1, -1, 999, 1000, 1001, -999, -1000, -1001, 1e9, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, 1e300, NaN, Infinity, -Infinity]) check(t);
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeInteger(), fc.double(), fc.nat({ max: 1e12 }).map((k) => k + 0.5)), (t) => check(t)), { numRuns: 20000 });
  });

  it('two connections racing: spec-valid, requests and findings agree with the tool\'s own tables', () => {
    const { trace, text } = exportTrace([A, B]);
    checkSpec(trace);
    // ts literals carry 3 decimals (ns) in the file itself.
    assert.match(text, /"ts":\d+\.\d{3},/);
    const req = runCli(['export', A, B, '--table', 'requests', '--format', 'jsonl']);
    assert.equal(req.code, 0, req.stderr);
    const rows = req.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, number | string | null>);
    const begins = trace.traceEvents.filter((e) => e.ph === 'b' && e.pid !== FILES_PID);
    assert.equal(begins.length, rows.length, 'one async slice per exchange');
    const byKey = new Map(begins.map((e) => [`${e.pid - 1}:${e.args!.unique}`, e]));
    for (const r of rows) {
      const e = byKey.get(`${r.conn}:${r.unique}`);
      assert.ok(e, `request ${r.conn}:${r.unique}`);
      assert.equal(e.name, r.op);
      assert.equal(e.id2!.local, `0x${Number(r.unique).toString(16)}`);
      assert.ok(Math.abs(e.ts! - Number(r.req_ms) * 1000) < 0.0005, `ts of ${r.unique}`);
      // Its args are the row's cells that hold something, times aside (ts has them), in the table's order.
      const cells = Object.entries(r).filter(([k, v]) => v !== null && v !== '' && !['req_ns', 'reply_ns', 'req_ms', 'reply_ms'].includes(k));
      assert.deepEqual(Object.entries(e.args!), cells, `args of ${r.unique}`);
    }
    const rowOf = new Map(rows.map((r) => [`${r.conn}:${r.unique}`, r]));
    // Each slice's end: nothing, or that the request was never answered.
    const ends = trace.traceEvents.filter((e) => e.ph === 'e');
    assert.equal(ends.length, trace.traceEvents.filter((e) => e.ph === 'b').length);
    for (const e of ends) assert.ok(JSON.stringify(e.args) === '{}' || JSON.stringify(e.args) === '{"unanswered":true}', JSON.stringify(e.args));
    // The by-file process repeats the requests that have a file, named after its path.
    const fileBegins = trace.traceEvents.filter((e) => e.ph === 'b' && e.pid === FILES_PID);
    assert.ok(fileBegins.length > 0);
    for (const e of fileBegins) {
      const twin = byKey.get(`${e.args!.conn}:${e.args!.unique}`)!;
      assert.equal(e.name, twin.args!.path);
      assert.equal(e.ts, twin.ts);
      assert.equal(e.id2!.local, twin.id2!.local);
      const r = rowOf.get(`${e.args!.conn}:${e.args!.unique}`)!;
      assert.deepEqual(e.args, { op: r.op, conn: r.conn, unique: r.unique, ...(r.error !== null ? { error: r.error } : {}) });
    }
    const threadNames = new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === FILES_PID).map((e) => [e.tid, e.args!.name]));
    for (const e of fileBegins) assert.ok(String(threadNames.get(e.tid)).startsWith(e.name), 'one track per file, named after it');
    // Findings: one instant each, a flow from every request it names.
    const analysis = JSON.parse(runCli(['analyze', '--json', A, B]).stdout) as { findings: { kind: string; uniques: unknown[]; t: number }[] };
    const instants = trace.traceEvents.filter((e) => e.ph === 'i');
    assert.ok(analysis.findings.length > 0);
    assert.deepEqual(instants.map((e) => e.name).sort(), analysis.findings.map((f) => f.kind).sort());
    const flowStarts = trace.traceEvents.filter((e) => e.ph === 's');
    assert.equal(flowStarts.length, analysis.findings.reduce((n, f) => n + f.uniques.length, 0));
    // Counters: in-flight depth per connection, both size views per file.
    const counters = trace.traceEvents.filter((e) => e.ph === 'C');
    assert.deepEqual([...new Set(counters.filter((e) => e.name === 'in flight').map((e) => e.pid))].sort(), [1, 2]);
    const sizes = counters.filter((e) => e.pid === FILES_PID);
    assert.ok(sizes.some((e) => 'kernel' in e.args! && 'daemon' in e.args));
    assert.equal(trace.otherData.eventsDropped, 0);
    assert.match(String(trace.otherData.epochNs), /^\d{19}$/);
  });

  it('a finding raised while its requests are in flight gets its flows when they complete', () => {
    // Real captures whose detectors judge requests before their replies (tested: the flows wait, then resolve).
    for (const name of ['thirdparty-xmount.pcapng', 'thirdparty-s3backer.pcapng']) {
      const file = join(ROOT, 'fixtures', name);
      const { trace } = exportTrace([file]);
      checkSpec(trace);
      const analysis = JSON.parse(runCli(['analyze', '--json', file]).stdout) as { findings: { uniques: unknown[] }[] };
      const named = analysis.findings.reduce((n, f) => n + f.uniques.length, 0);
      assert.ok(named > 0, name);
      assert.equal(trace.otherData.flowsWithoutRequest, 0, name);
      assert.equal(trace.traceEvents.filter((e) => e.ph === 's').length, named, `${name}: a flow per request named`);
      // Every flow has an end on the start of a request's slice on the by-file process.
      const starts = new Set(trace.traceEvents.filter((e) => e.ph === 'b' && e.pid === FILES_PID).map((e) => `${e.tid}@${e.ts}`));
      const onSlice = new Set(trace.traceEvents.filter((e) => (e.ph === 's' || e.ph === 'f') && starts.has(`${e.tid}@${e.ts}`)).map((e) => e.id));
      for (const e of trace.traceEvents) if (e.ph === 's') assert.ok(onSlice.has(e.id), `${name}: flow ${e.id} reaches its request's slice`);
    }
  });

  it('--max-events bounds the trace and keeps every slice whole', () => {
    const full = exportTrace([SPLIT]).trace;
    const all = full.traceEvents.filter((e) => e.ph !== 'M').length;
    const max = Math.floor(all / 3);
    const { trace, stderr } = exportTrace([SPLIT], ['--max-events', String(max)]);
    checkSpec(trace);
    assert.ok(trace.traceEvents.filter((e) => e.ph !== 'M').length <= max);
    assert.ok(Number(trace.otherData.eventsDropped) > 0);
    assert.match(stderr, /events left out/);
  });

  it('filters apply: --file keeps only that file\'s requests', () => {
    const { trace } = exportTrace([SPLIT], ['--file', '/file']);
    checkSpec(trace);
    const begins = trace.traceEvents.filter((e) => e.ph === 'b' && e.pid !== FILES_PID);
    assert.ok(begins.length > 0);
    for (const e of begins) assert.equal(e.args!.path, '/file');
  });

  it('writes size counters as bytes as the event objects read (any path, connection, sizes known or not)', () => {
    const got: string[] = [];
    // A sink with its own buffer, as the CLI's output has: the writer writes into it, the test flushes it.
    const text = new TextBuffer(TEXT_BUFFER, (b) => got.push(b.toString('utf8')));
    const pw = new PerfettoWriter({ write: (s) => text.str(s), text }, { epochNs: 1n }, { maxEvents: 0 });
    const want: string[] = [];
    const paths = ['/a', '/d\u202e"q\\\n', '/\ud800x', '/é €'];
    const sizes = [0, -0, 1, 2 ** 53 - 1, 1.5, NaN, Infinity, null];
    let t = 0;
    for (const path of paths) {
      for (const conn of [0, 2]) {
        for (const kernelSize of sizes) {
          for (const daemonSize of [4096, null, NaN]) {
            t += 1234.5;
            pw.sizeEvent({ t, conn, nodeid: 5, path, event: 'write', unique: 7, value: 1, kernelSize, daemonSize, reportedSize: null });
            const args: Record<string, number> = {};
            if (kernelSize !== null) args.kernel = kernelSize;
            if (daemonSize !== null) args.daemon = daemonSize;
            if (kernelSize === null && daemonSize === null) continue;
            const name = conn === 0 ? `${path} size` : `${path} (conn ${conn}) size`;
            want.push(`{"ts":${usTs(t)},${stringifyPlain({ ph: 'C', cat: 'fuse', name, pid: FILES_PID, args }).slice(1)}`);
          }
        }
      }
    }
    text.flush();
    const counters = got.join('').split(',\n').filter((e) => e.includes('"ph":"C"'));
    assert.deepEqual(counters, want);
  });

  it('keeps a unique past 2^53 exact: its hex id, and a string in the args', () => {
    const c = new Cap();
    c.init(0, 0);
    const big = 2 ** 60 + 2 ** 10;
    c.req(0, 1, OP.GETATTR, 1, Buffer.alloc(16), { unique: big });
    c.attrReply(0, 1.5, big, { size: 10 });
    const { trace, text } = exportTrace([c.file()]);
    checkSpec(trace);
    const digits = (2n ** 60n + 2n ** 10n).toString();
    const slices = trace.traceEvents.filter((e) => (e.ph === 'b' || e.ph === 'e') && e.name !== 'INIT');
    // b and e on the connection's track and on the root's.
    assert.equal(slices.length, 4);
    for (const e of slices) assert.equal(e.id2!.local, '0x1000000000000400');
    for (const e of slices.filter((e) => e.ph === 'b')) assert.equal(e.args!.unique, digits);
    // As JSON strings in the text itself, not numbers a reader would round.
    assert.equal(text.split(`"unique":"${digits}"`).length - 1, 2);
  });

  it('rejects a bad --max-events with exit 2', () => {
    const r = runCli(['export', SPLIT, '--format', 'perfetto', '--max-events', 'lots']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-events lots/);
  });
});
