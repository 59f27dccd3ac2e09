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
