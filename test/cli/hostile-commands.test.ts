/**
 * Hostile input through every command, not only `dump`: real captures with
 * bytes changed inside FUSE messages (headers, argument structs, sizes,
 * times), whole blocks duplicated or dropped, or cut short. Each command
 * ends with 0, 1 (check: a regression) or 2 and a message that names the
 * file, never an internal error or a stack trace. A fuzz run of this kind
 * found `export --format parquet` ending with an internal error on a u64
 * past 2^63 and on a time past 2262; FUSETRACE_PROPERTY_RUNS raises the
 * number of captures for a longer hunt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property-runs.js';
import { pcapngBlocks } from '../capture/support.js';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const FIXTURES = readdirSync(join(ROOT, 'fixtures')).filter((f) => f.endsWith('.pcapng')).sort();
const COMMANDS: ((cap: string) => string[])[] = [
  (cap) => ['analyze', '--json', cap],
  (cap) => ['report', cap, '-o', join(tmp, 'r.html')],
  (cap) => ['export', cap, '--table', 'requests', '--format', 'parquet', '-o', join(tmp, 'r.parquet')],
  (cap) => ['export', cap, '--table', 'sizes', '--format', 'jsonl', '-o', join(tmp, 's.jsonl')],
  (cap) => ['export', cap, '--format', 'perfetto', '-o', join(tmp, 't.json')],
  (cap) => ['check', cap, '--expect-clean', '--junit', join(tmp, 'j.xml')],
  (cap) => ['dump', '--exchanges', '--json', cap, '-o', join(tmp, 'd.json')],
  (cap) => ['convert', cap, '-o', join(tmp, 'c.fusedump'), '--pad-snapped'],
];

/** One way to damage a capture, given its enhanced packet blocks' data ranges. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), edits: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(0, 0xff, 0x7f, 0x80, 1, 0x41)), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constantFrom('dup' as const, 'drop' as const), block: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

function damaged(whole: Buffer, d: typeof damage extends fc.Arbitrary<infer T> ? T : never): Buffer {
  const epbs = pcapngBlocks(whole).filter((b) => b.type === 6);
  if (d.kind === 'cut') return whole.subarray(0, Math.floor(d.at * whole.length));
  if (d.kind === 'bytes') {
    const b = Buffer.from(whole);
    for (const [blk, pos, v] of d.edits) {
      // Inside the message: past the block's 28-byte head, within its data.
      const e = epbs[blk % epbs.length]!;
      const len = b.readUInt32LE(e.offset + 20);
      if (len > 0) b[e.offset + 28 + (pos % len)] = v;
    }
    return b;
  }
  const e = epbs[d.block % epbs.length]!;
  const block = whole.subarray(e.offset, e.offset + e.len);
  return d.kind === 'dup'
    ? Buffer.concat([whole.subarray(0, e.offset + e.len), block, whole.subarray(e.offset + e.len)])
    : Buffer.concat([whole.subarray(0, e.offset), whole.subarray(e.offset + e.len)]);
}

it('every command on damaged real captures: exit 0, 1 or 2 with a message, never an internal error', () => {
  const file = join(tmp, 'damaged.pcapng');
  fc.assert(
    fc.property(fc.nat(FIXTURES.length - 1), damage, fc.nat(COMMANDS.length - 1), (fx, d, cmd) => {
      writeFileSync(file, damaged(readFileSync(join(ROOT, 'fixtures', FIXTURES[fx]!)), d));
      const args = COMMANDS[cmd]!(file);
      const r = runCli(args);
      const what = `${args[0]} on ${FIXTURES[fx]} (${JSON.stringify(d)})`;
      assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `${what}: exit ${r.code}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, what);
      if (r.code === 2) assert.match(r.stderr, /fusetrace: error: /, what);
    }),
    { numRuns: propertyRuns(24), seed: 11 },
  );
});
