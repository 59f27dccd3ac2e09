/**
 * The pairing stage: replies matched per connection and unique, INTERRUPTs
 * linked to their target, no-reply requests, orphans and duplicates, and the
 * bound on what it keeps for INTERRUPTs that never get a reply.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cap, OP } from '../analysis/capture-builder.js';
import { pairCaptures } from '../../src/pairing/pair-captures.js';
import type { PairingProblem } from '../../src/pairing/pairer.js';
import type { Exchange } from '../../src/protocol/exchange.js';

function interruptBody(target: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(target));
  return b;
}

function run(cap: Cap): { exchanges: Exchange[]; problems: PairingProblem[]; run: ReturnType<typeof pairCaptures> } {
  const exchanges: Exchange[] = [];
  const problems: PairingProblem[] = [];
  const r = pairCaptures([cap.file()], { onExchange: (x) => exchanges.push(x), onProblem: (p) => problems.push(p) });
  assert.equal(r.fatal, undefined);
  return { exchanges, problems, run: r };
}

test('an interrupted request is marked, answered with EINTR, and its INTERRUPT is not unanswered', () => {
  const cap = new Cap();
  cap.init(0, 0);
  const u = cap.req(0, 1, OP.GETATTR, 5, Buffer.alloc(16));
  cap.req(0, 2, 36, 0, interruptBody(u), { unique: u + 1, pid: 0 });
  cap.rep(0, 3, u, -4);
  const { exchanges, problems, run: r } = run(cap);
  const x = exchanges.find((e) => e.unique === u)!;
  assert.equal(x.interrupts, 1);
  assert.equal(x.error, -4);
  assert.equal(x.tInterrupt - x.tReq, 1e6);
  assert.deepEqual(problems.map((p) => p.kind), []);
  assert.equal(r.unanswered.length, 0);
});

test('EAGAIN to an INTERRUPT pairs with it; the re-sent INTERRUPT counts again', () => {
  const cap = new Cap();
  cap.init(0, 0);
  const u = cap.req(0, 1, OP.GETATTR, 5, Buffer.alloc(16));
  cap.req(0, 2, 36, 0, interruptBody(u), { unique: u + 1, pid: 0 });
  cap.rep(0, 2.5, u + 1, -11);
  cap.req(0, 3, 36, 0, interruptBody(u), { unique: u + 1, pid: 0 });
  cap.rep(0, 4, u, -4);
  const { exchanges, problems } = run(cap);
  const intr = exchanges.filter((e) => e.opcode === 36);
  assert.equal(intr.length, 1, 'the EAGAIN reply pairs with the INTERRUPT');
  assert.equal(intr[0]!.error, -11);
  assert.equal(exchanges.find((e) => e.unique === u)!.interrupts, 2);
  assert.deepEqual(problems, []);
});

test('a reply to an INTERRUPT after its target was answered still pairs (the kernel refuses it, the capture keeps it)', () => {
  const cap = new Cap();
  cap.init(0, 0);
  const u = cap.req(0, 1, OP.GETATTR, 5, Buffer.alloc(16));
  cap.req(0, 2, 36, 0, interruptBody(u), { unique: u + 1, pid: 0 });
  cap.rep(0, 3, u, -4);
  cap.rep(0, 4, u + 1, -11, Buffer.alloc(0), { failedErrno: 2 });
  const { problems } = run(cap);
  assert.deepEqual(problems.map((p) => p.kind), ['reply-rejected']);
});

test('INTERRUPTs that never get a reply are not kept forever', () => {
  const cap = new Cap();
  cap.init(0, 0);
  const n = 6000;
  for (let i = 0; i < n; i++) {
    const u = cap.req(0, 1 + i * 0.01, OP.GETATTR, 5, Buffer.alloc(16));
    cap.req(0, 1.001 + i * 0.01, 36, 0, interruptBody(u), { unique: u + 1, pid: 0 });
    cap.rep(0, 1.002 + i * 0.01, u, -4);
  }
  const { run: r, problems } = run(cap);
  assert.deepEqual(problems, []);
  const tracked = r.pairer.interruptsTracked(0);
  assert.ok(tracked <= 4096, `${tracked} INTERRUPTs kept`);
  assert.ok(tracked > 0, 'recent ones are still kept for a late reply');
});

test('orphan replies, duplicate uniques and unanswered requests are reported', () => {
  const cap = new Cap();
  cap.rep(0, 0.5, 1000, 0);
  cap.init(0, 1);
  const u = cap.req(0, 2, OP.GETATTR, 5, Buffer.alloc(16));
  cap.req(0, 3, OP.GETATTR, 6, Buffer.alloc(16), { unique: u });
  cap.rep(0, 4, 2000, 0);
  cap.req(0, 5, OP.LOOKUP, 1, Buffer.from('x\0'));
  const { problems } = run(cap);
  assert.deepEqual(problems.map((p) => [p.kind, p.beforeFirstRequest ?? null]), [
    ['orphan-reply', true],
    ['duplicate-unique', null],
    ['orphan-reply', false],
    ['unanswered-request', null],
    ['unanswered-request', null],
  ]);
});
