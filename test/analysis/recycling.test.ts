/**
 * The analysis reuses the record of a completed exchange for a later request
 * (Pairer.recycle, called by analyze once an exchange's last event is done).
 * With `poisonRecycled` a given-back exchange is poisoned instead, so that any
 * later read throws: every bundled capture must then analyze to the same
 * model, and the detector tests (test/detectors/detector-tester.ts) run that
 * way too.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { Exchange, resetExchange } from '../../src/protocol/exchange.js';
import { poisonRecord } from '../../src/protocol/recycle.js';
import { Op } from '../../src/protocol/opcodes.js';
import { Pairer } from '../../src/pairing/pairer.js';
import { RELEASE_EVERY } from '../../src/pairing/order.js';
import { renderJson } from '../../src/report/json.js';
import { AnalysisState } from '../../src/state/state.js';
import { Track } from '../../src/state/files.js';
import { Cap, OP } from './capture-builder.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

test('resetExchange gives every field the default of a new Exchange, the rare records included', () => {
  const x = new Exchange();
  x.conn = 3;
  x.unique = 2n ** 60n;
  x.opcode = Op.RENAME;
  x.tReq = 123.5;
  x.offset = 4096;
  x.name = 'a';
  x.name2 = 'b';
  x.resultNodeid = 7;
  x.replied = true;
  x.path = '/a';
  x.error = -5;
  x.held = true;
  resetExchange(x);
  assert.deepEqual({ ...x }, { ...new Exchange() });
  assert.equal(x.name2, undefined);
  assert.equal(x.resultNodeid, undefined);
  assert.ok(Number.isNaN(x.attrSize));
});

test('a poisoned record throws on every read and write, accessors included', () => {
  const x = new Exchange();
  poisonRecord(x);
  assert.throws(() => x.tReq, /recycled record read/);
  assert.throws(() => x.resultNodeid, /recycled record read/);
  assert.throws(() => x.latency, /recycled record read/);
  assert.throws(() => { x.path = '/x'; }, /recycled record written/);
});

test('Pairer.recycle leaves held exchanges and INTERRUPTs alone', () => {
  const p = new Pairer({}, { poisonRecycled: true });
  const held = new Exchange();
  held.held = true;
  const intr = new Exchange();
  intr.opcode = Op.INTERRUPT;
  const done = new Exchange();
  p.recycle(held);
  p.recycle(intr);
  p.recycle(done);
  assert.equal(held.tReq, 0);
  assert.equal(intr.opcode, Op.INTERRUPT);
  assert.throws(() => done.tReq, /recycled record read/);
});

test('an exchange reused after one whose reply carried attributes reads none from a reply without them', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  // Four messages a pair: the analysis releases (and reuses) exchanges every RELEASE_EVERY messages while reading.
  const pairs = RELEASE_EVERY;
  let ms = 2;
  for (let i = 0; i < pairs; i++) {
    const g = c.getattrReq(0, ms, 10);
    c.attrReply(0, ms + 0.01, g, { ino: 5, size: 100 + i });
    const fl = c.fhReq(0, ms + 0.02, OP.FLUSH, 10, 1);
    c.rep(0, ms + 0.03, fl);
    ms += 0.1;
  }
  const seen: { op: number; size: number; ino: unknown }[] = [];
  const records = new Set<Exchange>();
  // A small window: exchanges leave it soon after they come.
  const res = analyze({
    files: [c.file()], limits: { maxWaiting: 2 },
    hooks: { onExchange: (x) => { records.add(x); seen.push({ op: x.opcode, size: x.attrSize, ino: x.attrIno }); } },
  });
  assert.equal(res.fatal, undefined);
  // Without reuse there is nothing to test: most FLUSHes must have had a record a GETATTR had before.
  assert.ok(records.size < pairs, `${records.size} records for ${2 * pairs + 2} exchanges`);
  const flushes = seen.filter((s) => s.op === OP.FLUSH);
  const getattrs = seen.filter((s) => s.op === OP.GETATTR);
  assert.equal(flushes.length, pairs);
  assert.equal(getattrs.length, pairs);
  for (const f of flushes) {
    assert.ok(Number.isNaN(f.size), `FLUSH reads attr.size ${f.size}`);
    assert.equal(f.ino, undefined);
  }
  assert.deepEqual(getattrs.map((g) => g.size), Array.from({ length: pairs }, (_, i) => 100 + i));
});

test('AnalysisState.recycle leaves the tracks of held exchanges alone', () => {
  const st = new AnalysisState({ correlate: false, timeline: false, writeback: () => undefined, poisonRecycled: true });
  const heldX = new Exchange();
  heldX.held = true;
  const kept = new Track(heldX, undefined);
  const done = new Track(new Exchange(), undefined);
  st.recycle(kept);
  st.recycle(done);
  assert.equal(kept.x, heldX);
  assert.throws(() => done.x, /recycled record read/);
});

test('a consumer that keeps an exchange past hooks.onExchange reads a recycled record (caught when poisoned)', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  const g = c.getattrReq(0, 2, 10);
  c.attrReply(0, 3, g, { ino: 5, size: 100 });
  const kept: Exchange[] = [];
  analyze({ files: [c.file()], poisonRecycled: true, hooks: { onExchange: (x) => kept.push(x) } });
  assert.ok(kept.length >= 2);
  assert.throws(() => kept.find((x) => x.opcode === OP.GETATTR), /recycled record read/);
});

/** Every capture in fixtures/ and fixtures/lab/ (pcapng and fusedump). */
function bundledCaptures(): string[] {
  const out: string[] = [];
  for (const dir of ['fixtures', join('fixtures', 'lab')]) {
    for (const f of readdirSync(join(ROOT, dir))) if (/\.(pcapng|fusedump)$/.test(f)) out.push(join(ROOT, dir, f));
  }
  return out.sort();
}

test('every bundled capture analyzes to the same model when recycled exchanges are poisoned', () => {
  const files = bundledCaptures();
  assert.ok(files.length >= 20, `bundled captures found: ${files.length}`);
  // The two-mount races are read together too (their findings need both mounts).
  const runs = [...files.map((f) => [f]), ...files.filter((f) => f.endsWith('-A.pcapng')).map((a) => [a, a.replace(/-A\.pcapng$/, '-B.pcapng')])];
  for (const inputs of runs) {
    const normal = analyze({ files: inputs, timeline: true });
    const poisoned = analyze({ files: inputs, timeline: true, poisonRecycled: true });
    assert.equal(renderJson(poisoned.model), renderJson(normal.model), inputs.join(' + '));
  }
});
