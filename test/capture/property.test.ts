/**
 * Property-based tests (fast-check): random valid captures, randomly cut,
 * overwritten, inserted into or shortened, fed in random chunk sizes. The
 * readers never throw anything but CaptureError (nothing at all with
 * --resync), never stall (the driver checks `need` on every call and the
 * test has a time limit), and every message whose block lies wholly before
 * the first damaged byte is delivered unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property-runs.js';
import { fusedumpToBuffer } from '../../src/capture/fusedump-writer.js';
import type { CaptureFormat } from '../../src/capture/message.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { drive, pcapngBlocks, reply, request, type MsgSnap } from './support.js';

const T0 = 1795561795892945704n;
/** Runs per property; raise with FUSETRACE_PROPERTY_RUNS for a longer hunt. */
const RUNS = propertyRuns(600);

interface MsgSpec { inbound: boolean; size: number; dt: number; dir: boolean; snap: boolean; comment: boolean; fail: boolean }

const msgSpec: fc.Arbitrary<MsgSpec> = fc.record({
  inbound: fc.boolean(), size: fc.integer({ min: 0, max: 300 }), dt: fc.integer({ min: -1000, max: 100000 }),
  dir: fc.boolean(), snap: fc.boolean(), comment: fc.boolean(), fail: fc.boolean(),
});

function message(s: MsgSpec, i: number, le: boolean): Buffer {
  return s.inbound ? request(1 + (i % 50), 2 * i + 2, 1, Buffer.alloc(s.size, i), le) : reply(2 * i + 2, -(i % 40), Buffer.alloc(s.size, i), le);
}

interface Built { data: Buffer; msgEnds: number[] }

/** A pcapng capture and the end offset of each message's block. */
function buildPcapng(le: boolean, specs: MsgSpec[], twoSections: boolean): Built {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:p', snapLen: 128 });
    let ts = T0;
    specs.forEach((s, i) => {
      if (twoSections && i === Math.floor(specs.length / 2)) {
        w.section({ le: !le });
        w.addInterface({ name: 'fuse:q', tsresol: 6 });
      }
      ts += BigInt(s.dt);
      const m = message(s, i, twoSections && i >= Math.floor(specs.length / 2) ? !le : le);
      const cap = s.snap && m.length > 128 ? m.subarray(0, 128) : m;
      w.packet({
        iface: 0, ts, data: cap, origLen: m.length, dir: s.dir ? (s.inbound ? 1 : 2) : 0,
        pid: i, tid: i + 1, comment: s.comment ? `c${i}` : undefined, failedErrno: s.fail && !s.inbound ? 5 : undefined,
      });
    });
    w.stats(0, { start: T0, end: T0 + 1n, recv: specs.length, drop: 0 });
  }, { le });
  const msgEnds = pcapngBlocks(data).filter((b) => b.type === 6).map((b) => b.offset + b.len);
  return { data, msgEnds };
}

function buildFusedump(le: boolean, specs: MsgSpec[], signature: boolean): Built {
  const msgEnds: number[] = [];
  let end = 0;
  const data = fusedumpToBuffer((w) => {
    let ts = T0;
    specs.forEach((s, i) => {
      ts += BigInt(Math.abs(s.dt));
      w.record({ dir: s.inbound ? 1 : 2, ts, data: message(s, i, le) });
    });
  }, {
    le, signature,
  });
  // Record ends: walk the built records (each is marker, count, items).
  for (let p = 0; p < data.length;) {
    const n = le ? data.readUInt32LE(p + 1) : data.readUInt32BE(p + 1);
    let o = p + 5;
    for (let i = 0; i < n; i++) o += le ? data.readUInt32LE(o) : data.readUInt32BE(o);
    end = o;
    msgEnds.push(end);
    p = o;
  }
  return { data, msgEnds };
}

type Mutation =
  | { kind: 'cut'; at: number }
  | { kind: 'overwrite'; at: number; bytes: number[] }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'length'; at: number; value: number; aligned: boolean }
  | { kind: 'field'; record: number; delta: number; value: number; le: boolean };

const anyMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('length' as const), at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(0, 1, 4, 12, 16, 28, 0x7ffffffc, 0xffffffff, 64 << 20, (64 << 20) + 4, (64 << 20) - 1, (64 << 20) - 4, (64 << 20) - 20, (64 << 20) - 21),
      fc.nat(),
    ),
    aligned: fc.boolean(),
  }),
);

const lengthValue = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 12, 15, 16, 28, 32, 0x7ffffffc, 0xffffffff, 64 << 20, (64 << 20) + 1, (64 << 20) + 4,
    (64 << 20) - 1, (64 << 20) - 4, (64 << 20) - 20, (64 << 20) - 21, 0x0a0d0d0a, 0x1a2b3c4d, 0x4d3c2b1a),
  fc.integer({ min: 0, max: 4096 }),
);

/** Overwrites a word near the start of a record/block: where the lengths and counts are. */
const fieldMutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constant('field' as const), record: fc.nat(), delta: fc.integer({ min: 0, max: 28 }), value: lengthValue, le: fc.boolean(),
});

/** Applies a mutation; returns the damaged bytes and the offset of the first changed byte. */
function mutate(data: Buffer, m: Mutation, starts: number[] = [0]): { bad: Buffer; first: number } {
  if (m.kind === 'field') {
    const o = Math.min(starts[m.record % starts.length]! + m.delta, Math.max(0, data.length - 4));
    const bad = Buffer.from(data);
    if (bad.length >= 4) { if (m.le) bad.writeUInt32LE(m.value >>> 0, o); else bad.writeUInt32BE(m.value >>> 0, o); }
    let first = data.length;
    for (let i = o; i < Math.min(o + 4, data.length); i++) if (bad[i] !== data[i]) { first = i; break; }
    return { bad, first };
  }
  const at = data.length === 0 ? 0 : m.at % (data.length + 1);
  switch (m.kind) {
    case 'cut': return { bad: data.subarray(0, at), first: at };
    case 'overwrite': {
      const bad = Buffer.from(data);
      let first = data.length;
      m.bytes.forEach((v, i) => {
        if (at + i < bad.length && bad[at + i] !== v) { first = Math.min(first, at + i); bad[at + i] = v; }
      });
      return { bad, first };
    }
    case 'insert': return { bad: Buffer.concat([data.subarray(0, at), Buffer.from(m.bytes), data.subarray(at)]), first: at };
    case 'delete': return { bad: Buffer.concat([data.subarray(0, at), data.subarray(at + m.n)]), first: at };
    case 'length': {
      // Overwrite a word (pcapng lengths are 4-aligned, fusedump ones are not) in either byte order.
      const o = Math.min(m.aligned ? at & ~3 : at, Math.max(0, data.length - 4));
      const bad = Buffer.from(data);
      if (bad.length >= 4) { if (m.value & 1) bad.writeUInt32BE(m.value >>> 0, o); else bad.writeUInt32LE(m.value >>> 0, o); }
      let first = data.length;
      for (let i = o; i < Math.min(o + 4, data.length); i++) if (bad[i] !== data[i]) { first = i; break; }
      return { bad, first };
    }
  }
}

function checkPrefix(format: CaptureFormat, built: Built, m: Mutation, chunk: number | undefined, resync: boolean): void {
  const whole = drive(format, built.data);
  assert.equal(whole.error, undefined);
  const { bad, first } = mutate(built.data, m, [0, ...built.msgEnds]);
  const r = drive(format, bad, { chunk, resync }); // throws (fails) on anything but CaptureError
  if (resync) assert.equal(r.error, undefined, `--resync never stops: ${r.error?.message}`);
  const intact = built.msgEnds.filter((e) => e <= first).length;
  const want: MsgSnap[] = whole.got.msgs.slice(0, intact);
  assert.deepEqual(r.got.msgs.slice(0, intact), want);
  if (r.error) {
    assert.ok(r.error.offset >= 0 && r.error.offset <= bad.length, 'error offset inside the file');
    assert.ok(r.error.blockNo !== undefined);
  }
  for (const n of r.got.notices) assert.ok(n.offset >= 0 && n.offset <= bad.length, `notice offset ${n.offset}`);
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(anyMutation, fieldMutation);

const chunkArb = fc.option(fc.integer({ min: 1, max: 97 }), { nil: undefined });

test('pcapng: mutated and truncated captures never throw anything but CaptureError and keep the intact prefix', { timeout: 120_000 }, () => {
  fc.assert(fc.property(
    fc.boolean(), fc.array(msgSpec, { minLength: 1, maxLength: 12 }), fc.boolean(), mutation, chunkArb, fc.boolean(),
    (le, specs, two, m, chunk, resync) => {
      checkPrefix('pcapng', buildPcapng(le, specs, two), m, chunk, resync);
    },
  ), { numRuns: RUNS });
});

test('fusedump: mutated and truncated captures never throw anything but CaptureError and keep the intact prefix', { timeout: 120_000 }, () => {
  fc.assert(fc.property(
    fc.boolean(), fc.array(msgSpec, { minLength: 1, maxLength: 12 }), fc.boolean(), mutation, chunkArb, fc.boolean(),
    (le, specs, sig, m, chunk, resync) => {
      checkPrefix('fusedump', buildFusedump(le, specs, sig), m, chunk, resync);
    },
  ), { numRuns: RUNS });
});

test('random bytes after a valid header never throw anything but CaptureError', { timeout: 120_000 }, () => {
  const head = pcapngToBuffer((w) => { w.addInterface({ name: 'fuse' }); });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), chunkArb, fc.boolean(), fc.boolean(), (bytes, chunk, resync, dump) => {
    const r = dump
      ? drive('fusedump', Buffer.concat([Buffer.from('R'), Buffer.from(bytes)]), { chunk, resync })
      : drive('pcapng', Buffer.concat([head, Buffer.from(bytes)]), { chunk, resync });
    if (resync) assert.equal(r.error, undefined);
    // Bounded work: one parse call per chunk, and (checked in drive) never a stall.
    assert.ok(r.calls <= Math.ceil((head.length + bytes.length + 1) / (chunk ?? 1)) + 1);
  }), { numRuns: RUNS * 2 });
});
