import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BarRows, RecentBarRows } from '../../src/state/bar-rows.js';
import { FileState } from '../../src/state/files.js';
import type { ActivityBins } from '../../src/state/activity.js';
import { Exchange } from '../../src/protocol/exchange.js';
import type { Id } from '../../src/model/id64.js';

function exchange(unique: Id, tReq: number, more: Partial<Exchange> = {}): Exchange {
  const x = new Exchange();
  Object.assign(x, { conn: 1, unique, opcode: 16, tReq, tid: 7 }, more);
  return x;
}

/** Every field of row `i`, as the model builder reads them. */
function row(b: BarRows, i: number): unknown[] {
  return [b.conn(i), b.unique(i), b.opcode(i), b.tReq(i), b.replied(i), b.tReply(i), b.error(i), b.tid(i), b.offset(i), b.size(i), b.info(i)];
}

describe('bar rows', () => {
  it('give back every field of each exchange added, bigint uniques and hover info included', () => {
    const b = new BarRows();
    const big = 2n ** 63n + 5n;
    b.add(exchange(8, 1.5e15, { replied: true, tReply: 1.5e15 + 900, error: -2, offset: 4096, size: 512 }), null);
    b.add(exchange(big, 2e15, { replied: false }), 'O_TRUNC');
    b.add(exchange(10, 3e15, { replied: true, tReply: 3e15 + 1, error: 0 }), null);
    assert.equal(b.n, 3);
    assert.deepEqual(row(b, 0), [1, 8, 16, 1.5e15, true, 1.5e15 + 900, -2, 7, 4096, 512, null]);
    assert.deepEqual(row(b, 1), [1, big, 16, 2e15, false, NaN, 0, 7, NaN, NaN, 'O_TRUNC']);
    assert.deepEqual(row(b, 2), [1, 10, 16, 3e15, true, 3e15 + 1, 0, 7, NaN, NaN, null]);
  });

  it('find a recently dropped row by conn and unique (number or bigint), remove it, and copy rows between stores', () => {
    const b = new RecentBarRows(64);
    const big = 2n ** 60n;
    b.add(exchange(8, 100), null);
    b.add(exchange(big, 200), 'interrupted');
    b.add(exchange(9, 300), null);
    assert.equal(b.find(1, 9), 2);
    assert.equal(b.find(1, big), 1);
    assert.equal(b.find(2, 9), -1, 'another connection');
    assert.equal(b.find(1, 2n ** 60n + 1n), -1);
    const to = new BarRows();
    to.addRow(b, 1);
    b.remove(1);
    const left = new BarRows();
    for (let i = 0; i < b.n; i++) left.addRow(b, i);
    assert.deepEqual([left.n, left.tReq(0), left.tReq(1), left.info(1)], [2, 100, 300, null], 'later rows moved up with their refs');
    assert.deepEqual([to.n, to.unique(0), to.info(0), to.tReq(0)], [1, big, 'interrupted', 200]);
  });

  it('keep the last rows dropped in a ring, oldest first, through removals and wrap-arounds', () => {
    const cap = 8;
    const r = new RecentBarRows(cap);
    // What the ring must hold: the rows added, less those removed, the last `cap` of them.
    let model: { unique: Id; tReq: number; info: string | null }[] = [];
    const add = (u: number): void => {
      const unique: Id = u % 5 === 0 ? 2n ** 62n + BigInt(u) : u;
      const info = u % 3 === 0 ? `i${u}` : null;
      r.add(exchange(unique, u * 10), info);
      model.push({ unique, tReq: u * 10, info });
      if (model.length > cap) model.shift();
    };
    const check = (when: string): void => {
      const to = new BarRows();
      for (let i = 0; i < r.n; i++) to.addRow(r, i);
      assert.deepEqual(Array.from({ length: to.n }, (_, i) => ({ unique: to.unique(i), tReq: to.tReq(i), info: to.info(i) })), model, when);
      for (let i = 0; i < model.length; i++) assert.equal(r.find(1, model[i]!.unique), i, `${when}: find ${model[i]!.unique}`);
    };
    for (let u = 1; u <= 4; u++) add(u);
    check('not full');
    for (let u = 5; u <= 19; u++) add(u);
    check('wrapped');
    r.remove(2);
    model = model.filter((_, i) => i !== 2);
    check('a row removed from a wrapped ring');
    for (let u = 20; u <= 30; u++) add(u);
    check('filled and wrapped again');
    assert.equal(r.find(1, 21), -1, 'pushed out');
  });

  it('keep thousands of rows (past the plain array, in chunks) and find and copy any of them', () => {
    const b = new BarRows();
    for (let u = 0; u < 5000; u++) b.add(exchange(u, 1e15 + u * 10, { replied: u % 3 === 0, tReply: 1e15 + u * 10 + 7, offset: u }), u === 4321 ? 'interrupted' : null);
    assert.equal(b.n, 5000);
    for (let i = 0; i < 5000; i++) {
      if (b.unique(i) !== i || b.tReq(i) !== 1e15 + i * 10 || b.offset(i) !== i || b.replied(i) !== (i % 3 === 0)) assert.fail(`row ${i}: ${JSON.stringify(row(b, i))}`);
    }
    const to = new BarRows();
    to.addRow(b, 4321);
    assert.deepEqual(row(to, 0), row(b, 4321));
    assert.equal(to.info(0), 'interrupted');
  });
});

/** Read through a call: an earlier assertion narrowed `f.activity` to undefined. */
const activityOf = (f: FileState): ActivityBins | undefined => f.activity;

describe('a file\'s timeline bars', () => {
  it('keep, drop and rescue bars as before: kept rows, dropped ones counted, the last 64 dropped rescuable', () => {
    const f = new FileState(1, 5, '/a', undefined);
    for (let u = 1; u <= 3; u++) assert.equal(f.addBar(exchange(u, u * 10), null, true, true), true);
    assert.equal(f.barCount, 3);
    assert.equal(f.activity, undefined, 'the bars hold every exchange so far');
    for (let u = 4; u <= 100; u++) assert.equal(f.addBar(exchange(u, u * 10), null, false, true), false);
    assert.equal(f.addBar(exchange(101, 1010), null, false, false), false);
    assert.equal(f.barsDropped, 97, 'wanted ones only');
    assert.equal(activityOf(f)?.total, 101, 'the activity counts every exchange, the kept ones too');
    assert.equal(f.rescueBar(1, 36), false, 'older than the last 64 dropped');
    assert.equal(f.rescueBar(1, 37), true);
    assert.equal(f.rescueBar(1, 37), false, 'rescued once');
    assert.deepEqual([f.barCount, f.barsDropped, f.bars!.tReq(3)], [4, 96, 370]);
    assert.equal(f.dropBars(), 4);
    assert.deepEqual([f.barCount, f.barsDropped], [0, 100]);
  });
});
