import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EventHeap } from '../../src/pairing/order.js';
import { Exchange } from '../../src/protocol/exchange.js';

function req(t: number): Exchange {
  const x = new Exchange();
  x.tReq = t;
  return x;
}

test('the ordering stage releases events in (time, arrival) order whatever the arrival order', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), fc.array(fc.nat(20)), (times, pops) => {
    const h = new EventHeap();
    const out: number[] = [];
    let k = 0;
    for (const t of times) {
      h.request(req(t));
      // Interleave some pops: what leaves is never after what is still waiting.
      for (let i = 0; i < (pops[k++ % Math.max(1, pops.length)] ?? 0) % 3 && h.size > 0; i++) out.push(h.pop()!.t);
    }
    const rest: number[] = [];
    while (h.size > 0) rest.push(h.pop()!.t);
    assert.deepEqual(rest, [...rest].sort((a, b) => a - b));
    assert.equal(out.length + rest.length, times.length);
    assert.equal(h.pop(), undefined);
  }));
});

test('equal times: a reply leaves before another request, never before its own request', () => {
  const h = new EventHeap();
  const a = req(10);
  a.tReply = 20;
  const b = req(20);
  const z = req(30);
  z.tReply = 30; // zero latency
  h.request(a);
  h.request(b);
  h.reply(a);
  h.reply(z);
  h.request(z);
  const order = [];
  while (h.size > 0) {
    const e = h.pop()!;
    order.push(`${e.kind === 0 ? 'req' : 'rep'}@${e.t}${e.x === z ? 'z' : ''}`);
  }
  assert.deepEqual(order, ['req@10', 'rep@20', 'req@20', 'req@30z', 'rep@30z']);
});

test('more events waiting than the run first holds: it grows, wrapped or not, and each event keeps its exchange', () => {
  // The window grows on captures whose threads lag (analyze.ts: up to ORDER_WINDOW_GROWTH times), past the run's first 4,096.
  fc.assert(fc.property(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 4097, max: 12000 }), fc.nat(1000), (popFirst, total, seed) => {
    const h = new EventHeap();
    const pushed = new Set<Exchange>();
    const out: { t: number; x: Exchange }[] = [];
    const take = (): void => {
      const e = h.pop()!;
      out.push({ t: e.t, x: e.x! });
    };
    let r = seed;
    for (let i = 0; i < total; i++) {
      // Mostly in time order; now and then a straggler from before the run's tail (to the heap).
      r = (r * 1103515245 + 12345) % 2147483648;
      const x = req(r % 97 === 0 && i > 10 ? i - 1 - (r % 10) : i);
      pushed.add(x);
      h.request(x);
      // Pops among the first pushes move the run's head, so that the run is wrapped when it grows.
      if (i < popFirst && i % 2 === 1) take();
    }
    const early = out.length;
    while (h.size > 0) take();
    assert.equal(out.length, total);
    for (const o of out) {
      assert.equal(o.x.tReq, o.t, 'an event keeps its own exchange');
      assert.ok(pushed.delete(o.x), 'each exchange leaves once');
    }
    const rest = out.slice(early).map((o) => o.t);
    assert.deepEqual(rest, [...rest].sort((a, b) => a - b));
  }), { numRuns: 30 });
});
