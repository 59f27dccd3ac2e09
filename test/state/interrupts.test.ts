/**
 * INTERRUPTs whose target is not in flight wait in the state for a second
 * (the target's request may be stamped after them by another thread), at
 * most 4096 of them, whether or not a detector asks for the late ones: the
 * state stays bounded on a capture full of INTERRUPTs for answered requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Exchange } from '../../src/protocol/exchange.js';
import { Op } from '../../src/protocol/opcodes.js';
import { AnalysisState } from '../../src/state/state.js';

const state = (): AnalysisState => new AnalysisState({ correlate: false, timeline: false, writeback: () => undefined });

function interrupt(t: number, target: number): Exchange {
  const x = new Exchange();
  x.opcode = Op.INTERRUPT;
  x.tReq = t;
  x.unique = target + 1;
  x.target = target;
  return x;
}

function getattr(t: number, unique: number): Exchange {
  const x = new Exchange();
  x.opcode = Op.GETATTR;
  x.tReq = t;
  x.unique = unique;
  x.nodeid = 1;
  return x;
}

test('an INTERRUPT stamped before its target is counted on it when the request comes within a second', () => {
  const st = state();
  st.request(interrupt(1000, 2));
  const x = getattr(10_000, 2);
  st.request(x);
  assert.equal(x.interrupts, 1);
  assert.equal(x.tInterrupt, 1000);
  assert.deepEqual(st.lateInterrupts(true), []);
});

test('one whose target does not come within a second is late, and a request after that does not take it', () => {
  const st = state();
  const i = interrupt(1000, 2);
  st.request(i);
  assert.deepEqual(st.lateInterrupts(), [], 'still waiting');
  const x = getattr(1000 + 2e9, 2);
  st.request(x);
  assert.equal(x.interrupts, 0);
  assert.deepEqual(st.lateInterrupts(), [i]);
  assert.deepEqual(st.lateInterrupts(true), [], 'taken once');
});

test('at most 4096 wait and 4096 are kept late, with no one asking', () => {
  const st = state();
  for (let k = 0; k < 10_000; k++) st.request(interrupt(k * 1000, 2 * k + 2));
  const late = st.lateInterrupts(true);
  assert.equal(late.length, 4096);
  assert.equal(late.at(-1)!.target, 2 * 9_999 + 2, 'the newest are kept');
});
