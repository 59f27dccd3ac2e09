/**
 * Any timestamp a capture field can hold (pcapng if_tsresol of either base,
 * a signed 64-bit if_tsoffset, 64-bit raw timestamps; fusedump 64-bit
 * seconds) gives an answer or an input error, never an internal error, and
 * times stay exact to the ns end to end: reader (t + tRest), analysis and
 * its text/JSON reports, convert to either format and back.
 * Property-based (fast-check), plus the cases that used to fail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property-runs.js';
import { analyze } from '../../src/analysis/analyze.js';
import { CaptureError } from '../../src/capture/errors.js';
import { fusedumpToBuffer } from '../../src/capture/fusedump-writer.js';
import { readCapture } from '../../src/capture/open.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { convertCapture } from '../../src/record/convert.js';
import { formatAbsoluteNs } from '../../src/model/format.js';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { reply, request } from './support.js';

const RUNS = propertyRuns(150);
const dir = mkdtempSync(join(tmpdir(), 'fusetrace-timestamps-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const U64 = (1n << 64n) - 1n;

/** Absolute ns of a raw pcapng timestamp, computed here independently of the reader (pcapng §4.2 if_tsresol, §4.2 if_tsoffset). */
function pcapngNs(ts: bigint, tsresol: number, tsoffset: bigint): bigint {
  const exp = BigInt(tsresol & 0x7f);
  let ns: bigint;
  if (tsresol & 0x80) ns = (ts * 1_000_000_000n) >> exp;
  else if (exp <= 9n) ns = ts * 10n ** (9n - exp);
  else ns = ts / 10n ** (exp - 9n);
  return ns + tsoffset * 1_000_000_000n;
}

/** Exact absolute ns of every message of a capture, as the readers report them. */
function readTimes(file: string): bigint[] {
  const out: bigint[] = [];
  const r = readCapture(file, { onConnection() {}, onNotice() {}, onMessage(m) { out.push(BigInt(m.t) + BigInt(m.tRest)); } });
  return out.map((t) => t + r.timebase.epochNs!);
}

/** Messages in pairs: GETATTR request + reply, so pairing, latency and files all see them. */
function messagesFor(n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(i % 2 === 0 ? request(3, 2 + i, 1, Buffer.alloc(16)) : reply(1 + i, 0, Buffer.alloc(104)));
  return out;
}

/** What every capture must survive: analysis with both reports, and convert to both formats, exact or an input error. */
function checkEverywhere(file: string, expected: bigint[], connections = 1): void {
  assert.deepEqual(readTimes(file), expected, 'the reader is exact');
  const r = analyze({ files: [file] });
  assert.equal(r.fatal, undefined);
  assert.equal(r.model.summary.messages, expected.length);
  assert.ok(renderText(r.model, { color: false }).includes('Time span'));
  JSON.parse(renderJson(r.model));
  // A fusedump holds one connection (convert --split is tested elsewhere).
  for (const to of connections === 1 ? ['pcapng', 'fusedump'] as const : ['pcapng'] as const) {
    const out = join(dir, `out${fileNo++}.${to}`);
    const fits = expected.every((t) => t >= 0n && t <= U64);
    try {
      convertCapture({ input: file, output: out, to });
    } catch (e) {
      assert.ok(e instanceof CaptureError, `convert to ${to}: ${String(e)}`);
      assert.match(e.message, /holds 1970 to 2554 in ns/);
      assert.equal(fits, false, `convert to ${to} refused times that fit: ${e.message}`);
      continue;
    }
    assert.ok(fits, `convert to ${to} accepted a time outside 1970..2554`);
    assert.deepEqual(readTimes(out), expected, `convert to ${to} keeps every time to the ns`);
  }
}

function writeCapture(data: Buffer, ext: string): string {
  const f = join(dir, `cap${fileNo++}.${ext}`);
  writeFileSync(f, data);
  return f;
}

function pcapngCapture(ifaces: Array<{ tsresol: number; tsoffset: bigint }>, stamps: Array<{ iface: number; ts: bigint }>): { file: string; expected: bigint[] } {
  const msgs = messagesFor(stamps.length);
  const data = pcapngToBuffer((w) => {
    for (const i of ifaces) w.addInterface({ name: 'fuse:t', tsresol: i.tsresol, tsoffset: i.tsoffset });
    stamps.forEach((s, k) => w.packet({ iface: s.iface, ts: s.ts, data: msgs[k]!, dir: k % 2 === 0 ? 1 : 2 }));
  });
  const expected = stamps.map((s) => pcapngNs(s.ts, ifaces[s.iface]!.tsresol, ifaces[s.iface]!.tsoffset));
  return { file: writeCapture(data, 'pcapng'), expected };
}

function fusedumpCapture(stamps: bigint[]): { file: string; expected: bigint[] } {
  const msgs = messagesFor(stamps.length);
  const data = fusedumpToBuffer((w) => stamps.forEach((ts, k) => w.record({ dir: k % 2 === 0 ? 1 : 2, ts, data: msgs[k]! })));
  return { file: writeCapture(data, 'fusedump'), expected: stamps };
}

test('formatAbsoluteNs: ISO 8601 with ns on both sides of 1970, @ns beyond year ±275760', () => {
  assert.equal(formatAbsoluteNs(1_790_000_000_123_456_789n), '2026-09-21T14:13:20.123456789Z');
  assert.equal(formatAbsoluteNs(0n), '1970-01-01T00:00:00.000000000Z');
  assert.equal(formatAbsoluteNs(-1n), '1969-12-31T23:59:59.999999999Z');
  assert.equal(formatAbsoluteNs(-1_500_000_000n), '1969-12-31T23:59:58.500000000Z');
  assert.equal(formatAbsoluteNs(8_640_000_000_000_000_000_000n), '+275760-09-13T00:00:00.000000000Z');
  assert.equal(formatAbsoluteNs(8_640_000_000_000_000_000_001n), '+275760-09-13T00:00:00.000000001Z');
  assert.equal(formatAbsoluteNs(8_640_000_000_001_000_000_000n), '@8640000000001000000000');
  assert.equal(formatAbsoluteNs(-(2n ** 63n) * 1_000_000_000n), `@${-(2n ** 63n) * 1_000_000_000n}`);
});

test('the cases that were internal errors or shifted times', () => {
  // if_tsresol 0 (seconds) with large seconds; if_tsoffset ±2^63; a span of 200 days at ns.
  for (const c of [
    pcapngCapture([{ tsresol: 0, tsoffset: 0n }], [{ iface: 0, ts: 10n ** 13n }, { iface: 0, ts: 10n ** 13n + 1n }]),
    pcapngCapture([{ tsresol: 9, tsoffset: 2n ** 63n - 1n }], [{ iface: 0, ts: 5n }, { iface: 0, ts: 6n }]),
    pcapngCapture([{ tsresol: 9, tsoffset: -(2n ** 63n) }], [{ iface: 0, ts: 5n }, { iface: 0, ts: 6n }]),
    pcapngCapture([{ tsresol: 9, tsoffset: -10n }], [{ iface: 0, ts: 3n }, { iface: 0, ts: 4n }]),
    pcapngCapture([{ tsresol: 9, tsoffset: 0n }], [{ iface: 0, ts: 1_790_000_000_000_000_001n }, { iface: 0, ts: 1_790_000_000_000_000_001n + 200n * 86_400_000_000_000n + 7n }]),
    fusedumpCapture([8_640_000_000_000n * 1_000_000_000n + 3n, 8_640_000_000_000n * 1_000_000_000n + 4n]),
    fusedumpCapture([1_790_000_000_000_000_001n, 1_790_000_000_000_000_001n + 200n * 86_400_000_000_000n + 7n]),
  ]) {
    checkEverywhere(c.file, c.expected);
  }
});

test('text report of a capture past year 275760 names its times as @ns instead of failing', () => {
  const c = pcapngCapture([{ tsresol: 0, tsoffset: 0n }], [{ iface: 0, ts: 10n ** 13n }, { iface: 0, ts: 10n ** 13n + 1n }]);
  const text = renderText(analyze({ files: [c.file] }).model, { color: false });
  assert.match(text, /@10000000000000000000000 \.\. @10000000000001000000000/);
});

test('property: any pcapng if_tsresol, if_tsoffset and timestamps', () => {
  const iface = fc.record({
    tsresol: fc.oneof(fc.constant(9), fc.constant(6), fc.constant(0), fc.integer({ min: 0, max: 255 })),
    tsoffset: fc.oneof(fc.constant(0n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -3_000_000_000n, max: 3_000_000_000n })),
  });
  const ts = fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_900_000_000_000_000_000n }), fc.bigInt({ min: 0n, max: 2n ** 40n }));
  fc.assert(fc.property(fc.array(iface, { minLength: 1, maxLength: 2 }), fc.array(fc.record({ iface: fc.nat(1), ts }), { minLength: 1, maxLength: 6 }), (ifaces, stamps) => {
    const c = pcapngCapture(ifaces, stamps.map((s) => ({ iface: s.iface % ifaces.length, ts: s.ts })));
    checkEverywhere(c.file, c.expected, ifaces.length);
  }), { numRuns: RUNS });
});

test('property: any fusedump seconds (64 bits) and ns', () => {
  const stamp = fc.tuple(fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 1_600_000_000n, max: 2_000_000_000n }), fc.bigInt({ min: 8_000_000_000_000n, max: 9_000_000_000_000n })), fc.bigInt({ min: 0n, max: 999_999_999n }))
    .map(([s, ns]) => s * 1_000_000_000n + ns);
  fc.assert(fc.property(fc.array(stamp, { minLength: 1, maxLength: 6 }), (stamps) => {
    const c = fusedumpCapture(stamps);
    checkEverywhere(c.file, c.expected);
  }), { numRuns: RUNS });
});

test('CLI: analyze prints, convert to fusedump exits 2 naming the message, on a time before 1970', async () => {
  const { runCli } = await import('../helpers/cli.js');
  const c = pcapngCapture([{ tsresol: 9, tsoffset: -(2n ** 62n) }], [{ iface: 0, ts: 5n }, { iface: 0, ts: 6n }]);
  const a = runCli(['analyze', c.file]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, new RegExp(`Time span\\n  @${c.expected[0]} \\.\\. @${c.expected[1]}`));
  const r = runCli(['convert', c.file, '-o', join(dir, 'neg.fusedump')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^fusetrace: error: .*cap\d+\.pcapng: block #2 at byte \d+ \(0x[0-9a-f]+\): message time @-\d+ \(-\d+ ns since 1970\) is before 1970; fusedump as written by convert holds 1970 to 2554 in ns\n {2}hint: /);
  assert.doesNotMatch(r.stderr, /internal error/);
});

test('CLI: request and reply times of export and dump --exchanges stay exact over a 200-day capture', async () => {
  const { runCli } = await import('../helpers/cli.js');
  const t0 = 1_790_000_000_000_000_001n;
  const c = pcapngCapture([{ tsresol: 9, tsoffset: 0n }], [{ iface: 0, ts: t0 }, { iface: 0, ts: t0 + 200n * 86_400_000_000_000n + 7n }]);
  const csv = runCli(['export', '--table', 'requests', c.file]);
  assert.equal(csv.code, 0, csv.stderr);
  const [head, row] = csv.stdout.trim().split('\n').map((l) => l.split(','));
  assert.equal(row![head!.indexOf('req_ns')], String(c.expected[0]));
  assert.equal(row![head!.indexOf('reply_ns')], String(c.expected[1]), 'a double would give ...009');
  const ex = runCli(['dump', '--exchanges', '--json', c.file]);
  assert.match(ex.stdout, new RegExp(`"req_ns":${c.expected[0]},"reply_ns":${c.expected[1]},`));
  const msgs = runCli(['dump', '--json', c.file]).stdout.trim().split('\n').filter((l) => l.includes('"type":"message"'));
  assert.deepEqual(msgs.map((l) => /"t_ns":(\d+)/.exec(l)![1]), c.expected.map(String));
});
