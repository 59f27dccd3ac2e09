/**
 * The peak of requests in flight is a fact of time, not of block order:
 * dump's summary counts it in time order (InflightPeak), and on every bundled
 * capture it equals both the independent reader's sweep over the exchanges'
 * times and the analysis's peak. Counted in block order it was higher on
 * several real captures (blocks of different threads come out of time order).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InflightPeak } from '../../src/pairing/inflight-peak.js';
import { analyze } from '../../src/analysis/analyze.js';
import { runCli } from '../helpers/cli.js';
import { maxInFlight, Op, pairExchanges, readPcapng, repoRoot } from '../helpers/mount.js';

/** Requests that never get a reply of their own are never in flight (FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY). */
const NO_REPLY = new Set<number>([Op.FORGET, Op.BATCH_FORGET, Op.INTERRUPT, 41]);

describe('dump: peak in flight on the bundled captures', () => {
  const dir = join(repoRoot, 'fixtures');
  const captures = readdirSync(dir).filter((n) => n.endsWith('.pcapng'));
  for (const name of captures) {
    it(name, () => {
      const file = join(dir, name);
      const r = runCli(['dump', '--json', '--exchanges', file]);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { data: { connections: { conn: number; peak_inflight: number }[] } };
      const dumped = summary.data.connections.map((c) => c.peak_inflight).sort();
      // The independent reader: every exchange that expects a reply, swept by time, per interface
      // across the file's sections (thirdparty-tup holds one section per `tup upd`, each with its interface 0).
      const byIface = new Map<number, ReturnType<typeof pairExchanges>['exchanges']>();
      for (const e of pairExchanges(readPcapng(file)).exchanges) {
        if (NO_REPLY.has(e.opcode)) continue;
        byIface.set(e.conn, [...(byIface.get(e.conn) ?? []), e]);
      }
      const swept = [...byIface.values()].map(maxInFlight);
      while (swept.length < dumped.length) swept.push(0);
      assert.deepEqual(dumped, swept.sort());
      const analyzed = analyze({ files: [file] }).model.connections.map((c) => c.peakInflight).sort();
      assert.deepEqual(dumped, analyzed);
    });
  }
});

describe('InflightPeak', () => {
  /** The exact peak: every event sorted by time, replies first at equal times, a reply stamped no later than its request just after it. */
  function exact(xs: { t: number; reply: number | undefined }[]): number {
    const ev: [number, number, number][] = [];
    xs.forEach((x, i) => {
      ev.push([x.t, 1, i]);
      if (x.reply !== undefined) ev.push(x.reply > x.t ? [x.reply, 0, i] : [x.t, 2, i]);
    });
    ev.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    let level = 0;
    let peak = 0;
    for (const [, rank] of ev) {
      level += rank === 1 ? 1 : -1;
      if (level > peak) peak = level;
    }
    return peak;
  }

  it('counts in time order whatever the block order, within its window', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ t: fc.integer({ min: 0, max: 200 }), len: fc.option(fc.integer({ min: -3, max: 40 })), late: fc.integer({ min: 0, max: 6 }) }), { maxLength: 120 }),
      fc.integer({ min: 32, max: 64 }),
      (specs, window) => {
        const xs = specs.map((s) => ({ t: s.t, reply: s.len === null ? undefined : s.t + s.len }));
        // Block order: each message at its time plus a small delay (a thread writing its block late); a reply after its request.
        const blocks: { at: number; seq: number; i: number; reply: boolean }[] = [];
        specs.forEach((s, i) => {
          blocks.push({ at: s.t + s.late, seq: 2 * i, i, reply: false });
          const x = xs[i]!;
          if (x.reply !== undefined) blocks.push({ at: Math.max(x.reply, x.t) + s.late, seq: 2 * i + 1, i, reply: true });
        });
        blocks.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const seen = new Set<number>();
        const p = new InflightPeak(window);
        for (const b of blocks) {
          const x = xs[b.i]!;
          if (!b.reply) {
            seen.add(b.i);
            p.request(0, x.t);
          } else if (seen.has(b.i)) {
            p.reply(0, x.t, x.reply!);
          } else {
            // The reply's block came first: it is written once its request's block is.
            return;
          }
        }
        p.end();
        assert.equal(p.peak(0), exact(xs));
      },
    ), { numRuns: 400 });
  });

  it('a window wider than the default: its ring is sized from it, and the peak stays exact', () => {
    // A typed array drops a store past its end without a word: a ring too small for its window would lose events.
    fc.assert(fc.property(fc.integer({ min: 4097, max: 9000 }), fc.integer({ min: 1, max: 2 ** 31 }), (window, seed) => {
      let r = seed;
      const rand = (n: number): number => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) % n);
      // Requests 1 ns apart that stay in flight for up to 3,000 ns, most of them, and some blocks written late.
      const xs = Array.from({ length: 3 * window }, (_, i) => ({ t: i, reply: rand(8) === 0 ? undefined : i + rand(3000) }));
      const events: { at: number; i: number; reply: boolean }[] = [];
      xs.forEach((x, i) => {
        const late = rand(4) === 0 ? rand(window / 8) : 0;
        events.push({ at: x.t + late, i, reply: false });
        if (x.reply !== undefined) events.push({ at: x.reply + late + 1, i, reply: true });
      });
      events.sort((a, b) => a.at - b.at || a.i - b.i || Number(a.reply) - Number(b.reply));
      const p = new InflightPeak(window);
      for (const e of events) {
        const x = xs[e.i]!;
        if (e.reply) p.reply(0, x.t, x.reply!);
        else p.request(0, x.t);
      }
      p.end();
      assert.equal(p.peak(0), exact(xs));
    }), { numRuns: 8 });
  });

  it('keeps connections apart', () => {
    const p = new InflightPeak();
    p.request(0, 1);
    p.request(1, 2);
    p.request(1, 3);
    p.reply(0, 1, 5);
    p.reply(1, 2, 4);
    p.end();
    assert.deepEqual([p.peak(0), p.peak(1), p.peak(2)], [1, 2, 0]);
  });
});
