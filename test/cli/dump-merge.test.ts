/**
 * `dump` of several captures: merged by time as `analyze` merges them, each
 * capture in its own order; message numbers count the merged output, and
 * `--exchanges` numbers each exchange with its request's number in `dump`.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import fc from 'fast-check';
import { InputMerger } from '../../src/analysis/merge-inputs.js';
import { ROOT, runCli } from '../helpers/cli.js';

const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');

interface DumpLine { n: number; t: number; conn: number; rest: string }

function parse(stdout: string): DumpLine[] {
  const out: DumpLine[] = [];
  for (const l of stdout.split('\n')) {
    const m = /^ *(\d+) +(\d+\.\d+) +conn(\d+) +(.*)$/.exec(l);
    if (m) out.push({ n: Number(m[1]), t: Number(m[2]), conn: Number(m[3]), rest: m[4]! });
  }
  return out;
}

describe('dump of two captures', { skip: existsSync(A) && existsSync(B) ? false : 'stale-size-race fixtures missing' }, () => {
  const merged = runCli(['dump', A, B]);
  const lines = parse(merged.stdout);

  it('reads the cross-mount race in order: B truncates to 2 GiB before A writes at 3 and 3.5 GiB', () => {
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(lines.length, 64);
    const truncate = lines.findIndex((l) => l.conn === 1 && /-> SETATTR #22 .* size 2147483648/.test(l.rest));
    const writes = lines.map((l, i) => (l.conn === 0 && /-> WRITE #2[24] /.test(l.rest) ? i : -1)).filter((i) => i >= 0);
    assert.ok(truncate >= 0, 'B\'s truncate is there');
    assert.equal(writes.length, 2);
    assert.ok(writes.every((w) => w > truncate), `truncate at line ${truncate}, writes at ${writes.join(', ')}`);
  });

  it('numbers the merged output 1..N; each capture keeps its own order; a switch of capture never goes back in time', () => {
    assert.deepEqual(lines.map((l) => l.n), lines.map((_, i) => i + 1));
    for (const [conn, file] of [[0, A], [1, B]] as const) {
      const alone = runCli(['dump', file]).stdout.split('\n').filter((l) => /^ *\d+ +\d+\.\d+ +tid/.test(l)).map((l) => l.replace(/^ *\d+ +\d+\.\d+ +/, ''));
      assert.deepEqual(lines.filter((l) => l.conn === conn).map((l) => l.rest), alone, `conn${conn} in the order of ${file}`);
    }
    for (let i = 1; i < lines.length; i++) {
      if (lines[i]!.conn !== lines[i - 1]!.conn) assert.ok(lines[i]!.t >= lines[i - 1]!.t, `line ${i + 1} goes back in time at a switch of capture`);
    }
  });

  it('--exchanges: one line per exchange, in reply order, numbered with the request\'s number in dump', () => {
    const ex = runCli(['dump', '--exchanges', A, B]);
    assert.equal(ex.code, 0, ex.stderr);
    const xs = parse(ex.stdout);
    assert.equal(xs.length, 32);
    for (const x of xs) {
      const req = lines[x.n - 1]!;
      const op = /^tid \d+ +(\S+ #\d+)/.exec(x.rest)![1]!;
      assert.equal(req.conn, x.conn);
      assert.ok(req.rest.includes(`-> ${op} `), `exchange ${op} numbered ${x.n}: dump line ${x.n} is ${req.rest}`);
    }
    const truncate = xs.findIndex((x) => x.conn === 1 && /SETATTR #22 .* size 2147483648/.test(x.rest));
    const writes = xs.map((x, i) => (x.conn === 0 && /WRITE #2[24] /.test(x.rest) ? i : -1)).filter((i) => i >= 0);
    assert.ok(writes.length === 2 && writes.every((w) => w > truncate));
  });

  it('--json numbers messages in output order too', () => {
    const js = runCli(['dump', '--json', A, B]).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: { index: number; conn: number } });
    const msgs = js.filter((j) => j.type === 'message');
    assert.deepEqual(msgs.map((m) => m.data.index), msgs.map((_, i) => i + 1));
    assert.deepEqual(msgs.map((m) => m.data.conn), lines.map((l) => l.conn));
  });
});

test('InputMerger: every item once, each input in its order, never back in time at a switch of input', () => {
  const inputs = fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 30 }), { minLength: 1, maxLength: 4 });
  fc.assert(fc.property(inputs, fc.array(fc.nat(3), { maxLength: 200 }), (streams, steps) => {
    const out: Array<{ input: number; k: number; t: number }> = [];
    const m = new InputMerger<{ input: number; k: number; t: number }>(streams.length, (it) => out.push(it));
    const next = streams.map(() => 0);
    const done = (i: number): boolean => next[i]! >= streams[i]!.length;
    // Feed in an arbitrary interleaving of chunks, releasing after each as dump does.
    for (const s of steps) {
      const i = s % streams.length;
      for (let c = 0; c < 3 && !done(i); c++) {
        const k = next[i]!++;
        m.push(i, streams[i]![k]!, { input: i, k, t: streams[i]![k]! });
      }
      m.release((j) => !done(j));
    }
    for (let i = 0; i < streams.length; i++) {
      while (!done(i)) {
        const k = next[i]!++;
        m.push(i, streams[i]![k]!, { input: i, k, t: streams[i]![k]! });
      }
    }
    m.flush();
    assert.equal(out.length, streams.reduce((a, s) => a + s.length, 0));
    for (let i = 0; i < streams.length; i++) assert.deepEqual(out.filter((o) => o.input === i).map((o) => o.k), streams[i]!.map((_, k) => k));
    for (let j = 1; j < out.length; j++) {
      if (out[j]!.input !== out[j - 1]!.input) assert.ok(out[j]!.t >= out[j - 1]!.t, `item ${j} of input ${out[j]!.input} at ${out[j]!.t} after ${out[j - 1]!.t}`);
    }
  }), { numRuns: 300 });
});
