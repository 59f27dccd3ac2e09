/**
 * Block order is not time order (capture-format.md): each daemon thread's
 * blocks reach the capture in its own order. What the analysis says must
 * not depend on it. Property (fast-check): a random conversation on two
 * mounts of the same files (two connections, correlated by inode: lookups,
 * creates, opens with and without parallel direct writes, writes short and
 * failed, reads short, truncates, fallocates, renames, unlinks, links,
 * forgets, interrupts, unanswered requests, INVAL_INODE notifications), its
 * blocks once in time order and once displaced by up to 48 places (a reply
 * still after its own request, as a recorder writes them), gives the same
 * findings, files, size histories and per-opcode tables, and no message
 * applied late; so does each mount's blocks in a capture of its own, the
 * two merged by time. And the findings name only requests the capture holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { propertyRuns, propertySeed } from '../helpers/property-runs.js';
import { analyze } from '../../src/analysis/analyze.js';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { renderHtml } from '../../src/report/html.js';
import { attrOut, Cap, entryOut, FATTR_SIZE, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, INIT, O_DIRECT, O_RDWR, O_TRUNC, OP, openOut } from './capture-builder.js';

const RUNS = propertyRuns(60);
const NODES = [10, 11, 12, 13];
const NAMES = ['a', 'b', 'c', 'd'];
const KINDS = ['lookup', 'create', 'getattr', 'open', 'write', 'write', 'write', 'read', 'truncate', 'fallocate', 'rename', 'unlink', 'link', 'forget', 'flush', 'release', 'interrupt', 'inval'] as const;

interface OpSpec {
  kind: (typeof KINDS)[number];
  /** Which of two mounts of the same files (two connections). */
  conn: number;
  node: number;
  node2: number;
  name: number;
  name2: number;
  block: number;
  blocks: number;
  /** 0 plain, 1 direct I/O, 2 parallel direct writes (OPEN/CREATE). */
  fopen: number;
  err: boolean;
  noReply: boolean;
  short: boolean;
  gapUs: number;
  latUs: number;
  tid: number;
  size: number;
}

const opSpec: fc.Arbitrary<OpSpec> = fc.record({
  kind: fc.constantFrom(...KINDS),
  conn: fc.nat(1),
  node: fc.nat(NODES.length - 1),
  node2: fc.nat(NODES.length - 1),
  name: fc.nat(NAMES.length - 1),
  name2: fc.nat(NAMES.length - 1),
  block: fc.nat(5),
  blocks: fc.integer({ min: 1, max: 3 }),
  fopen: fc.nat(2),
  err: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  noReply: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  short: fc.boolean(),
  gapUs: fc.integer({ min: 0, max: 400 }),
  latUs: fc.integer({ min: 1, max: 3000 }),
  tid: fc.integer({ min: 1, max: 4 }),
  size: fc.integer({ min: 0, max: 6 }),
});

const u64 = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
const BLK = 4096;

/** One block of the capture, with the time and unique it is written with. */
interface Pkt {
  conn: number;
  ns: number;
  req: boolean;
  unique: number;
  opcode: number;
  nodeid: number;
  body: Buffer;
  error: number;
  tid: number;
  /** A notification (reply direction, unique 0, code in error). */
  notify?: boolean;
  /** Bytes of the message past the captured ones (a WRITE's data, snapped). */
  snapped?: number;
}

/** The conversation's blocks in time order (every time distinct: ties would be ordered by block order). */
function conversation(initFlags: number, ops: OpSpec[]): Pkt[] {
  const pkts: Pkt[] = [];
  let t = 0;
  const uniques = [2, 2];
  let k = 0;
  const at = (us: number): number => us * 1000 + (k++ % 997);
  const exchange = (o: OpSpec, opcode: number, nodeid: number, body: Buffer, reply: Buffer | null, error = 0, origin = t): number => {
    const u = uniques[o.conn]!;
    uniques[o.conn] = u + 2;
    pkts.push({ conn: o.conn, ns: at(origin), req: true, unique: u, opcode, nodeid, body, error: 0, tid: o.tid });
    if (reply !== null) pkts.push({ conn: o.conn, ns: at(origin + o.latUs), req: false, unique: u, opcode, nodeid, body: error ? Buffer.alloc(0) : reply, error, tid: (o.tid % 4) + 1 });
    return u;
  };
  const init = Buffer.alloc(64);
  init.writeUInt32LE(7, 0);
  init.writeUInt32LE(45, 4);
  init.writeUInt32LE(0x7fffffff, 12);
  const initOut = Buffer.alloc(64);
  initOut.writeUInt32LE(7, 0);
  initOut.writeUInt32LE(45, 4);
  initOut.writeUInt32LE(initFlags, 12);
  initOut.writeUInt32LE(1 << 20, 20);
  const first: OpSpec = { kind: 'lookup', conn: 0, node: 0, node2: 0, name: 0, name2: 0, block: 0, blocks: 1, fopen: 0, err: false, noReply: false, short: false, gapUs: 0, latUs: 5, tid: 1, size: 0 };
  // Both mounts look the files up: the same inode numbers, so the analysis correlates them.
  for (const conn of [0, 1]) {
    const o = { ...first, conn };
    exchange(o, OP.INIT, 0, init, initOut);
    NODES.forEach((n, i) => {
      t += 10;
      exchange(o, OP.LOOKUP, 1, cstr(NAMES[i]!), entryOut(n, { ino: 100 + i, size: 0 }));
    });
  }
  const sizes = NODES.map(() => 0);
  const lastUnique: number[][] = [[], []];
  for (const o of ops) {
    t += o.gapUs + 1;
    const n = NODES[o.node]!;
    const fh = o.node + 1;
    const err = o.err ? -5 : 0;
    const reply = (b: Buffer): Buffer | null => (o.noReply ? null : b);
    const off = o.block * BLK;
    const len = o.blocks * BLK;
    let u = 0;
    switch (o.kind) {
      case 'lookup':
        u = exchange(o, OP.LOOKUP, 1, cstr(NAMES[o.name]!), reply(entryOut(NODES[o.name]!, { ino: 100 + o.name, size: sizes[o.name]! })), o.err ? -2 : 0);
        break;
      case 'create': {
        const b = Buffer.alloc(16);
        b.writeUInt32LE(O_RDWR | 0o100 | (o.short ? O_TRUNC : 0), 0);
        const fopen = [0, FOPEN_DIRECT_IO, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES][o.fopen]!;
        u = exchange(o, OP.CREATE, 1, Buffer.concat([b, cstr(NAMES[o.name]!)]),
          reply(Buffer.concat([entryOut(NODES[o.name]!, { ino: 100 + o.name, size: 0 }), openOut(o.name + 1, fopen)])), err);
        break;
      }
      case 'getattr':
        u = exchange(o, OP.GETATTR, n, Buffer.alloc(16), reply(attrOut({ ino: 100 + o.node, size: o.short ? Math.max(0, sizes[o.node]! - BLK) : sizes[o.node]! })), err);
        break;
      case 'open': {
        const b = Buffer.alloc(8);
        b.writeUInt32LE(O_RDWR | (o.fopen > 0 ? O_DIRECT : 0) | (o.short && o.err ? O_TRUNC : 0), 0);
        const fopen = [0, FOPEN_DIRECT_IO, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES][o.fopen]!;
        u = exchange(o, OP.OPEN, n, b, reply(openOut(fh, fopen)), err);
        break;
      }
      case 'write': {
        const b = Buffer.alloc(40);
        b.writeBigUInt64LE(BigInt(fh), 0);
        b.writeBigUInt64LE(BigInt(off), 8);
        b.writeUInt32LE(len, 16);
        b.writeUInt32LE(O_RDWR | O_DIRECT, 32);
        const w = Buffer.alloc(8);
        const written = o.short ? len - BLK / 2 : len;
        w.writeUInt32LE(written, 0);
        if (!o.err && !o.noReply) sizes[o.node] = Math.max(sizes[o.node]!, off + written);
        u = exchange(o, OP.WRITE, n, b, reply(w), err);
        pkts[pkts.length - (o.noReply ? 1 : 2)]!.snapped = len;
        break;
      }
      case 'read': {
        const b = Buffer.alloc(40);
        b.writeBigUInt64LE(BigInt(fh), 0);
        b.writeBigUInt64LE(BigInt(off), 8);
        b.writeUInt32LE(len, 16);
        b.writeUInt32LE(O_RDWR, 32);
        const got = Math.max(0, Math.min(len, sizes[o.node]! - off));
        u = exchange(o, OP.READ, n, b, reply(Buffer.alloc(Math.min(got, 256), 0x61)), err);
        break;
      }
      case 'truncate': {
        const b = Buffer.alloc(88);
        b.writeUInt32LE(FATTR_SIZE, 0);
        b.writeBigUInt64LE(BigInt(o.size * 1000), 16);
        if (!o.err && !o.noReply) sizes[o.node] = o.size * 1000;
        u = exchange(o, OP.SETATTR, n, b, reply(attrOut({ ino: 100 + o.node, size: o.size * 1000 })), err);
        break;
      }
      case 'fallocate': {
        const b = Buffer.alloc(32);
        b.writeBigUInt64LE(BigInt(fh), 0);
        b.writeBigUInt64LE(BigInt(off), 8);
        b.writeBigUInt64LE(BigInt(len), 16);
        b.writeUInt32LE(o.short ? 1 : 0, 24); // FALLOC_FL_KEEP_SIZE or none
        if (!o.err && !o.noReply && !o.short) sizes[o.node] = Math.max(sizes[o.node]!, off + len);
        u = exchange(o, 43 /* FALLOCATE */, n, b, reply(Buffer.alloc(0)), err);
        break;
      }
      case 'rename':
        u = exchange(o, OP.RENAME, 1, Buffer.concat([u64(1), cstr(NAMES[o.name]!), cstr(NAMES[o.name2]!)]), reply(Buffer.alloc(0)), o.err ? -2 : 0);
        break;
      case 'unlink':
        u = exchange(o, 10 /* UNLINK */, 1, cstr(NAMES[o.name]!), reply(Buffer.alloc(0)), o.err ? -2 : 0);
        break;
      case 'link':
        u = exchange(o, 13 /* LINK */, 1, Buffer.concat([u64(n), cstr(`${NAMES[o.name2]!}l`)]), reply(entryOut(n, { ino: 100 + o.node, size: sizes[o.node]! })), err);
        break;
      case 'forget':
        pkts.push({ conn: o.conn, ns: at(t), req: true, unique: uniques[o.conn]!, opcode: OP.FORGET, nodeid: n, body: u64(1 + o.size), error: 0, tid: o.tid });
        uniques[o.conn]! += 2;
        break;
      case 'flush': case 'release': {
        const b = Buffer.alloc(24);
        b.writeBigUInt64LE(BigInt(fh), 0);
        u = exchange(o, o.kind === 'flush' ? OP.FLUSH : OP.RELEASE, n, b, reply(Buffer.alloc(0)), err);
        break;
      }
      case 'interrupt': {
        const mine = lastUnique[o.conn]!;
        const target = mine.length ? mine[mine.length - 1 - (o.size % mine.length)]! : 2;
        pkts.push({ conn: o.conn, ns: at(t), req: true, unique: target | 1, opcode: OP.INTERRUPT, nodeid: 0, body: u64(target), error: 0, tid: o.tid });
        break;
      }
      case 'inval': {
        const b = Buffer.alloc(24);
        b.writeBigUInt64LE(BigInt(n), 0);
        pkts.push({ conn: o.conn, ns: at(t), req: false, unique: 0, opcode: 0, nodeid: 0, body: b, error: 2, tid: o.tid, notify: true });
        break;
      }
    }
    if (u) lastUnique[o.conn]!.push(u);
  }
  return pkts.sort((a, b) => a.ns - b.ns);
}

/** The blocks displaced by up to `reach` places (`jitter` per block), each reply kept after its own request, the first block first. */
function displaced(pkts: Pkt[], jitter: number[], reach: number): Pkt[] {
  // The INIT request stays first: relative times count from the first block (docs/analysis-json.md), and a recorder writes it first.
  const keyed = pkts.map((p, i) => ({ p, key: i === 0 ? -1 : i + (jitter[i % jitter.length]! % (reach + 1)) }));
  keyed.sort((a, b) => a.key - b.key);
  const out: Pkt[] = [];
  const seen = new Set<string>();
  const waiting = new Map<string, Pkt[]>();
  for (const { p } of keyed) {
    const id = `${p.conn}:${p.unique}`;
    if (!p.req && !p.notify && !seen.has(id)) {
      const w = waiting.get(id) ?? [];
      w.push(p);
      waiting.set(id, w);
      continue;
    }
    out.push(p);
    if (p.req) {
      seen.add(id);
      const w = waiting.get(id);
      if (w) {
        out.push(...w);
        waiting.delete(id);
      }
    }
  }
  for (const w of waiting.values()) out.push(...w);
  return out;
}

function capture(pkts: Pkt[]): Cap {
  const c = new Cap(2);
  for (const p of pkts) {
    const ms = p.ns / 1e6;
    if (p.notify) c.notify(p.conn, ms, p.error, p.body);
    else if (p.req) c.req(p.conn, ms, p.opcode, p.nodeid, p.body, { unique: p.unique, tid: p.tid, pid: p.opcode === OP.FORGET || p.opcode === OP.INTERRUPT ? 0 : 1000, origExtra: p.snapped });
    else c.rep(p.conn, ms, p.unique, p.error, p.body, { tid: p.tid });
  }
  return c;
}

/** What the analysis says, without what is about blocks (offsets, block numbers, the window's peak). */
function said(c: Cap, split = false): Record<string, unknown> {
  const r = split ? analyze({ files: c.files() }) : c.analyze();
  assert.equal(r.fatal, undefined);
  const m = r.model;
  // Every report renders.
  const json = JSON.parse(renderJson(m)) as Record<string, unknown>;
  renderHtml(m);
  renderText(m);
  const tables = json.tables as Record<string, unknown>;
  assert.equal(tables.releasedLate, 0, 'no message applied late');
  delete tables.orderingWindow;
  delete json.inputs;
  // Findings from pairing problems say where their block is: which capture, where in it.
  for (const f of json.findings as { details: Record<string, unknown> }[]) {
    delete f.details.offset;
    delete f.details.blockNo;
    delete f.details.input;
  }
  // Where each connection came from (one capture or one per mount) and its interface's name.
  for (const conn of json.connections as Record<string, unknown>[]) for (const k of ['file', 'input', 'name', 'label']) delete conn[k];
  return json;
}

/** The connections a finding's details name: `conn` of nested records, `otherConns`. */
function connsIn(v: unknown, out: number[] = []): number[] {
  if (typeof v !== 'object' || v === null) return out;
  const o = v as Record<string, unknown>;
  if (typeof o.conn === 'number') out.push(o.conn);
  if (Array.isArray(o.otherConns)) out.push(...(o.otherConns as number[]));
  for (const x of Object.values(o)) connsIn(x, out);
  return out;
}

/** Where two JSON values differ (paths and both sides), for a failure's message. */
function differences(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (JSON.stringify(a) === JSON.stringify(b) || out.length >= 20) return out;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    out.push(`${path}: ${JSON.stringify(a)} (blocks displaced) vs ${JSON.stringify(b)} (time order)`);
    return out;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) differences(ao[k], bo[k], `${path}.${k}`, out);
  return out;
}

test('block order does not change what the analysis says: findings, files, sizes, tables', () => {
  const kindsSeen = new Set<string>();
  const run = fc.check(
    fc.property(
      fc.constantFrom(0, INIT.ASYNC_DIO, INIT.PARALLEL_DIROPS | INIT.ASYNC_DIO, INIT.WRITEBACK_CACHE),
      fc.array(opSpec, { minLength: 1, maxLength: 60 }),
      fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }),
      (flags, ops, jitter) => {
        const pkts = conversation(flags, ops);
        const inOrder = said(capture(pkts));
        const moved = said(capture(displaced(pkts, jitter, 48)));
        assert.deepEqual(moved, inOrder, differences(moved, inOrder).join('\n'));
        // One capture per mount, merged by time, is the same conversation.
        const split = said(capture(displaced(pkts, jitter, 48)), true);
        assert.deepEqual(split, inOrder, differences(split, inOrder).join('\n'));
        // The findings name requests of the capture.
        for (const f of inOrder.findings as { kind: string }[]) kindsSeen.add(f.kind);
        const requests = new Set(pkts.filter((p) => p.req).map((p) => `${p.conn}:${p.unique}`));
        // A finding about requests of both mounts names the other connection in its details ({conn, unique}, otherConns).
        for (const f of inOrder.findings as { kind: string; conn: number; uniques: (number | string)[]; details: unknown }[]) {
          const conns = [f.conn, ...connsIn(f.details)];
          for (const u of f.uniques) assert.ok(conns.some((c) => requests.has(`${c}:${u}`)), `${f.kind} names unique ${u}, not a request of conn ${conns.join('/')}`);
        }
      },
    ),
    { numRuns: RUNS, seed: propertySeed(7) },
  );
  // The shrunk case and the assertion's own message (fc.assert would show the case only).
  if (run.failed) assert.fail(`${JSON.stringify(run.counterexample)}\n${(run.errorInstance as Error | undefined)?.message ?? ''}`);
  // Not vacuous: the conversations made the findings this is about.
  for (const k of ['parallel-write-beyond-size', 'overlapping-parallel-writes', 'write-truncate-race', 'interrupted', 'unanswered-request', 'short-write']) {
    assert.ok(kindsSeen.has(k), `no conversation made a ${k} finding (seen: ${[...kindsSeen].join(', ')})`);
  }
});
