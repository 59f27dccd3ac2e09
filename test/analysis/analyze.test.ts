import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { parseFilters } from '../../src/analysis/filters.js';
import type { Exchange } from '../../src/protocol/exchange.js';
import type { SizeEvent } from '../../src/model/size-event.js';
import { Cap, copyExchange, EPOCH, findingsOf, FOPEN_DIRECT_IO, INIT, ms, O_DIRECT, O_RDWR, OP, openedFile } from './capture-builder.js';

const KiB = 1024;

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s), Buffer.from([0])]);
}

test('the model: schema first, connections with the INIT facts, per-opcode latency, summary', () => {
  const c = new Cap(1);
  c.init(0, 0, INIT.ASYNC_DIO | INIT.PARALLEL_DIROPS, 128 * KiB);
  c.lookup(0, 1, 1, 'a', 10, { ino: 5, size: 100 }, 1.5);
  const g = c.getattrReq(0, 2, 10);
  c.rep(0, 2.25, g, -2);
  const r = c.analyze();
  const m = r.model;
  assert.equal(Object.keys(m)[0], 'schema');
  assert.equal(m.schema, 'fusetrace.analysis/1');
  assert.equal(m.epochNs, EPOCH.toString());
  assert.equal(m.connections.length, 1);
  const conn = m.connections[0]!;
  assert.equal(conn.protocol.negotiated, '7.45');
  assert.equal(conn.protocol.source, 'init');
  assert.equal(conn.protocol.maxWrite, 128 * KiB);
  assert.equal(conn.notable.asyncDio, true);
  assert.equal(conn.notable.parallelDirops, true);
  assert.equal(conn.notable.writebackCache, false);
  const lookup = m.ops.find((o) => o.name === 'LOOKUP')!;
  assert.equal(lookup.count, 1);
  assert.equal(lookup.latencyUs!.max, 500);
  const getattr = m.ops.find((o) => o.name === 'GETATTR')!;
  assert.deepEqual([getattr.errors, getattr.errnos], [1, [{ errno: 2, name: 'ENOENT', count: 1 }]]);
  assert.equal(getattr.latencyUs!.p50, 250);
  assert.deepEqual(m.summary.findings, { error: 0, warning: 0, info: 0 });
  assert.equal(m.summary.requests, 3);
  assert.equal(m.span.durationNs, ms(2.25));
  assert.ok(m.limitations.every((l) => l.kind !== 'after-init'));
});

test('a capture starting after INIT says so', () => {
  const c = new Cap(1);
  const g = c.getattrReq(0, 1, 1);
  c.attrReply(0, 2, g, { ino: 1, size: 4096 });
  const m = c.analyze().model;
  assert.equal(m.connections[0]!.protocol.source, 'assumed');
  assert.ok(m.limitations.some((l) => l.kind === 'after-init' && l.conn === 0));
});

test('paths: rebuilt from LOOKUP, MKDIR, CREATE and RENAME; unknown nodes are ?<nodeid>', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const mk = Buffer.alloc(8);
  const u = c.req(0, 1, OP.MKDIR, 1, Buffer.concat([mk, cstr('d')]));
  c.rep(0, 1.1, u, 0, entry(20, 5, 4096));
  c.create(0, 2, 20, 'f', 30, 1, { ino: 6, size: 0 });
  const rn = Buffer.alloc(8);
  rn.writeBigUInt64LE(1n, 0);
  const r1 = c.req(0, 3, OP.RENAME, 20, Buffer.concat([rn, cstr('f'), cstr('g')]));
  c.rep(0, 3.1, r1);
  const w = c.writeReq(0, 4, 30, 1, 0, 10, { pid: 1 });
  c.writeReply(0, 4.1, w, 10);
  const g = c.getattrReq(0, 5, 99);
  c.attrReply(0, 5.1, g, { ino: 9, size: 1 });
  const rows: Exchange[] = [];
  const r = analyze({ files: [c.file()], hooks: { onExchange: (x) => rows.push(copyExchange(x)) } });
  const paths = new Map(r.model.files.map((f) => [f.nodeid, f.path]));
  assert.equal(paths.get(20), '/d');
  assert.equal(paths.get(30), '/g');
  assert.equal(paths.get(99), '?99');
  assert.equal(rows.find((x) => x.opcode === OP.CREATE)!.path, '/d/f');
  assert.equal(rows.find((x) => x.opcode === OP.WRITE)!.path, '/g');
});

function entry(nodeid: number, ino: number, size: number): Buffer {
  const b = Buffer.alloc(128);
  b.writeBigUInt64LE(BigInt(nodeid), 0);
  b.writeBigUInt64LE(BigInt(ino), 40);
  b.writeBigUInt64LE(BigInt(size), 48);
  return b;
}

test('hooks: exchanges in time order with path and size views at request time; size events', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  c.open(0, 2, 10, 1, 1);
  const w1 = c.writeReq(0, 10, 10, 1, 100, 50, { pid: 1, tid: 101 });
  const w2 = c.writeReq(0, 11, 10, 1, 150, 50, { pid: 2, tid: 102 });
  c.writeReply(0, 13, w2, 50, 0, { tid: 102 }); // block order: w2's reply first
  c.writeReply(0, 12, w1, 50, 0, { tid: 101 });
  const t = c.truncateReq(0, 14, 10, 20);
  c.attrReply(0, 15, t, { ino: 5, size: 20 });
  const rows: Exchange[] = [];
  const sizes: SizeEvent[] = [];
  analyze({ files: [c.file()], hooks: { onExchange: (x) => rows.push(copyExchange(x)), onSizeEvent: (e) => sizes.push(e) } });
  const times = rows.map((x) => (Number.isNaN(x.tReply) ? x.tReq : x.tReply));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  const x1 = rows.find((x) => x.unique === w1)!;
  const x2 = rows.find((x) => x.unique === w2)!;
  assert.deepEqual([x1.path, x1.daemonSizeAtReq, x1.kernelSizeAtReq, x1.fileInflightAtReq], ['/f', 100, 100, 0]);
  assert.deepEqual([x2.daemonSizeAtReq, x2.fileInflightAtReq], [100, 1]);
  assert.deepEqual(sizes.map((e) => [e.event, e.value, e.daemonSize]), [
    ['report', 100, 100], ['write', 150, 150], ['write', 200, 200], ['truncate', 20, 20],
  ]);
});

test('FORGET taking the lookup count to zero drops the file state but keeps its summary', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  c.lookup(0, 2, 1, 'f', 10, { ino: 5, size: 100 });
  const g = c.getattrReq(0, 3, 10);
  c.attrReply(0, 4, g, { ino: 5, size: 100 });
  c.forget(0, 5, 10, 1);
  const r1 = c.analyze();
  assert.equal(r1.model.tables!.filesRetired, 0);
  c.forget(0, 6, 10, 1);
  const r2 = c.analyze();
  assert.equal(r2.model.tables!.filesRetired, 1);
  const f = r2.model.files.find((x) => x.nodeid === 10)!;
  assert.equal(f.path, '/f');
  assert.equal(f.exchanges, 1);
  // The nodeid reused for a new inode after the forget starts from nothing.
  c.lookup(0, 7, 1, 'h', 10, { ino: 8, size: 7 });
  const r3 = c.analyze();
  const files = r3.model.files.filter((x) => x.nodeid === 10).map((x) => [x.path, x.reportedSize]);
  assert.deepEqual(files.sort(), [['/f', 100], ['/h', 7]]);
});

test('concurrency views: levels over time, queue depth, threads', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 0 });
  const a = c.getattrReq(0, 10, 10, { tid: 1 });
  const b = c.getattrReq(0, 12, 10, { tid: 2 });
  c.attrReply(0, 14, a, { ino: 5, size: 0 });
  c.attrReply(0, 20, b, { ino: 5, size: 0 });
  const m = c.analyze().model;
  const f = m.files.find((x) => x.path === '/f')!;
  assert.equal(f.maxConcurrent, 2);
  assert.deepEqual(f.concurrencyShare, { '1': 0.8, '2': 0.2 }); // 1: [10,12) and [14,20), 2: [12,14)
  assert.equal(m.connections[0]!.peakInflight, 2);
  assert.ok(m.connections[0]!.threads >= 2);
  assert.ok(m.connections[0]!.inflight.some(([, d]) => d === 2));
});

test('timeline bars: bounded, and bars of exchanges in findings are kept', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 0 });
  for (let i = 0; i < 50; i++) {
    const g = c.getattrReq(0, 2 + i, 10);
    c.attrReply(0, 2.5 + i, g, { ino: 5, size: 0 });
  }
  const w = c.writeReq(0, 100, 10, 1, 0, 100, { pid: 1 });
  c.writeReply(0, 101, w, 10); // short write
  const r = analyze({ files: [c.file()], timeline: true, limits: { maxBars: 10 } });
  const f = r.model.files.find((x) => x.path === '/f')!;
  assert.ok(f.timeline.length <= 12);
  assert.equal(f.timelineTruncated, true);
  assert.ok(f.timeline.some((b) => b.unique === w), 'the short write keeps its bar');
  assert.equal(findingsOf(r, 'short-write').length, 1);
  const r2 = analyze({ files: [c.file()] });
  assert.equal(r2.model.files.find((x) => x.path === '/f')!.timeline.length, 0);
});

test('filters restrict the output, never the reconstruction', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'a', 10, { ino: 5, size: 0 });
  c.lookup(0, 1, 1, 'b', 11, { ino: 6, size: 0 });
  const wa = c.writeReq(0, 10, 10, 1, 0, 100, { pid: 1 });
  c.writeReply(0, 11, wa, 10);
  const wb = c.writeReq(0, 2000, 11, 1, 0, 100, { pid: 1 });
  c.writeReply(0, 2001, wb, 10);
  const file = c.file();
  const all = analyze({ files: [file] });
  assert.equal(findingsOf(all, 'short-write').length, 2);
  const onlyB = analyze({ files: [file], filters: parseFilters({ file: ['/b'] }) });
  assert.deepEqual(onlyB.model.findings.map((f) => f.uniques[0]), [wb]);
  assert.deepEqual(onlyB.model.files.map((f) => f.path), ['/b']);
  assert.deepEqual(onlyB.model.findingsOmitted, { 'short-write': 1 });
  assert.deepEqual(onlyB.model.filters.files, ['/b']);
  const byNode = analyze({ files: [file], filters: parseFilters({ file: ['10'] }) });
  assert.deepEqual(byNode.model.findings.map((f) => f.uniques[0]), [wa]);
  const early = analyze({ files: [file], filters: parseFilters({ until: '1s' }) });
  assert.deepEqual(early.model.findings.map((f) => f.uniques[0]), [wa]);
  assert.equal(early.model.filters.until, 1e9);
  const late = analyze({ files: [file], filters: parseFilters({ since: `@${EPOCH + 1_500_000_000n}` }) });
  assert.deepEqual(late.model.findings.map((f) => f.uniques[0]), [wb]);
  const iso = new Date(Number(EPOCH / 1_000_000n) + 1500).toISOString();
  assert.deepEqual(analyze({ files: [file], filters: parseFilters({ since: iso }) }).model.findings.map((f) => f.uniques[0]), [wb]);
  assert.equal(analyze({ files: [file], filters: parseFilters({ minSeverity: 'error' }) }).model.findings.length, 0);
  assert.equal(analyze({ files: [file], filters: parseFilters({ detectors: 'interrupted' }) }).model.findings.length, 0);
  assert.equal(analyze({ files: [file], filters: parseFilters({ conn: ['1'] }) }).model.findings.length, 0);
  // The reconstruction saw everything: sizes of /b were tracked even when filtered out.
  assert.equal(onlyB.model.files[0]!.daemonSize, 10);
});

test('parseFilters: clear errors naming the value and the expected form', () => {
  const cases: [Parameters<typeof parseFilters>[0], RegExp][] = [
    [{ since: 'soon' }, /--since soon: not a time/],
    [{ until: '5 parsecs' }, /--until 5 parsecs/],
    [{ file: ['data/x'] }, /--file data\/x/],
    [{ conn: ['a'] }, /--conn a: not a connection number/],
    [{ minSeverity: 'fatal' }, /--min-severity fatal/],
    [{ detectors: 'parallel-write-beyond-size,nope' }, /unknown detector nope/],
    [{ since: '3s', until: '1s' }, /--since 3s is after --until 1s/],
  ];
  for (const [cli, re] of cases) {
    assert.throws(() => parseFilters(cli), (e: Error) => e.name === 'UsageError' && re.test(e.message) && (e as { hint?: string }).hint !== undefined, JSON.stringify(cli));
  }
  const f = parseFilters({ since: '300ms', until: '2.5s', minSeverity: 'warn', file: ['/a/', '0x10'] });
  assert.deepEqual([f.since, f.until, f.minSeverity, f.paths, f.nodeids], [
    { kind: 'relative', ns: 300e6, text: '300ms' }, { kind: 'relative', ns: 2.5e9, text: '2.5s' }, 'warning', ['/a'], [16],
  ]);
});

test('damaged input: the model holds what was read before, and fatal says where', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  const g = c.getattrReq(0, 2, 10);
  c.attrReply(0, 3, g, { ino: 5, size: 100 });
  const path = c.file();
  const buf = readFileSync(path);
  // Break the length of the last block (and its trailing copy) to an impossible value.
  const lastLen = buf.readUInt32LE(buf.length - 4);
  const start = buf.length - lastLen;
  buf.writeUInt32LE(7, start + 4);
  writeFileSync(path, buf);
  const r = analyze({ files: [path] });
  assert.ok(r.fatal, 'fatal set');
  assert.equal(r.fatal.name, 'CaptureError');
  assert.ok(r.model.summary.requests >= 3);
  assert.equal(r.model.files.find((f) => f.path === '/f')!.reportedSize, 100);
});

test('two captures merged by time: connections numbered in input order, times on one clock', () => {
  const c = new Cap(2);
  c.init(0, 5);
  c.init(1, 0);
  c.lookup(1, 1, 1, 'x', 10, { ino: 5, size: 1 });
  c.lookup(0, 6, 1, 'x', 20, { ino: 5, size: 1 });
  const r = analyze({ files: c.files() });
  assert.deepEqual(r.model.connections.map((x) => [x.conn, x.input]), [[0, 0], [1, 1]]);
  const f0 = r.model.files.find((f) => f.conn === 0 && f.path === '/x')!;
  assert.deepEqual(f0.correlated, [{ conn: 1, nodeid: 10 }]);
  assert.ok(r.model.span.durationNs >= ms(6));
});

test('kernel size views: NOTIFY_STORE raises it, INVAL_INODE makes it unknown until the next report, writeback cache owns it', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  const store = Buffer.alloc(24 + 50);
  store.writeBigUInt64LE(10n, 0);
  store.writeBigUInt64LE(200n, 8);
  store.writeUInt32LE(50, 16);
  c.notify(0, 2, 4, store);
  const sizes: SizeEvent[] = [];
  analyze({ files: [c.file()], hooks: { onSizeEvent: (e) => sizes.push(e) } });
  assert.deepEqual(sizes.map((e) => [e.event, e.kernelSize, e.daemonSize]), [['report', 100, 100], ['store', 250, 100]]);
  c.invalInode(0, 3, 10);
  const g = c.getattrReq(0, 4, 10);
  c.attrReply(0, 5, g, { ino: 5, size: 300 });
  const r = c.analyze();
  const f = r.model.files.find((x) => x.path === '/f')!;
  assert.deepEqual(f.sizeHistory.map((e) => [e.event, e.kernelSize]), [['report', 100], ['store', 250], ['inval', null], ['report', 300]]);

  const w = new Cap(1);
  w.init(0, 0, INIT.WRITEBACK_CACHE);
  w.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  const g2 = w.getattrReq(0, 2, 10);
  w.attrReply(0, 3, g2, { ino: 5, size: 7 }); // the kernel keeps its own size
  const fw = w.analyze().model.files.find((x) => x.path === '/f')!;
  assert.deepEqual([fw.kernelSize['0'], fw.reportedSize], [100, 7]);
});

test('kernel size view: a short page-cache READ shrinks it (fuse_short_read); direct, writeback and raced READs do not', () => {
  /** Kernel sizes of /f after: LOOKUP (size 10000), OPEN, then `body` on that handle. */
  const after = (o: { fopen?: number; initFlags?: number }, body: (c: Cap, fh: number) => void): { events: [string, number | null][]; kernel: number | null | undefined } => {
    const c = openedFile({ size: 10000, ...o });
    body(c, 1);
    const f = c.analyze().model.files.find((x) => x.path === '/f')!;
    return { events: f.sizeHistory.map((e) => [e.event, e.kernelSize]), kernel: f.kernelSize['0'] };
  };
  // What the kernel did here (6.18, two scenariofs mounts, integration test):
  // cached 10000, a READ of 12288 at 0 answered with 5000 bytes -> 5000.
  const short = after({}, (c, fh) => c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 12288), 5000));
  assert.deepEqual(short.events, [['report', 10000], ['short-read', 5000]]);
  assert.equal(short.kernel, 5000);
  // A full READ, or a short one ending past the cached size, changes nothing.
  assert.equal(after({}, (c, fh) => c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 4096), 4096)).kernel, 10000);
  assert.equal(after({}, (c, fh) => c.readReply(0, 4, c.readReq(0, 3, 10, fh, 8192, 4096), 3000)).kernel, 10000);
  // Direct reads: FOPEN_DIRECT_IO handle, or the file opened O_DIRECT.
  assert.equal(after({ fopen: FOPEN_DIRECT_IO }, (c, fh) => c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 12288), 5000)).kernel, 10000);
  assert.equal(after({}, (c, fh) => c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 12288, { flags: O_RDWR | O_DIRECT }), 5000)).kernel, 10000);
  // A direct-I/O handle whose flags the handle table dropped at its bound (a second one is open) is not taken for a page-cache one.
  const dropped = openedFile({ size: 10000, fopen: FOPEN_DIRECT_IO });
  dropped.open(0, 2.5, 10, 2, FOPEN_DIRECT_IO);
  dropped.readReply(0, 4, dropped.readReq(0, 3, 10, 1, 0, 12288), 5000);
  assert.equal(dropped.analyze({ limits: { maxHandles: 1 } }).model.files.find((x) => x.path === '/f')!.kernelSize['0'], 10000);
  // The same from an arm64 host, whose kernel puts O_DIRECT in bit 16 (x86-64's O_DIRECTORY) and O_DIRECTORY in
  // bit 14 (x86-64's O_DIRECT): the capture names its machine, and the read is direct only with its own O_DIRECT.
  const arm64 = (flags: number): number | null | undefined => after({}, (c, fh) => {
    c.machine = 'aarch64';
    c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 12288, { flags }), 5000);
  }).kernel;
  assert.equal(arm64(O_RDWR | 0o200000), 10000);
  assert.equal(arm64(O_RDWR | O_DIRECT), 5000);
  // Writeback cache: a short read is a hole.
  assert.equal(after({ initFlags: INIT.WRITEBACK_CACHE }, (c, fh) => c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 12288), 5000)).kernel, 10000);
  // An attribute reply applied while the READ was out (attr_version moved): ignored.
  const raced = after({}, (c, fh) => {
    const r = c.readReq(0, 3, 10, fh, 0, 12288);
    c.attrReply(0, 3.5, c.getattrReq(0, 3.2, 10), { ino: 5, size: 9000 });
    c.readReply(0, 4, r, 5000);
  });
  assert.deepEqual(raced.events, [['report', 10000], ['report', 9000]]);
  // A WRITE in flight meanwhile (its size may be unstable): ignored.
  assert.equal(after({}, (c, fh) => {
    const w = c.writeReq(0, 2.5, 10, fh, 20000, 100, { flags: O_RDWR });
    c.readReply(0, 4, c.readReq(0, 3, 10, fh, 0, 12288), 5000);
    c.writeReply(0, 5, w, 100);
  }).kernel, 20100);
  // Without the connection's INIT the capture may have missed the OPEN of a
  // direct-I/O handle: no change. With it, a handle not seen has no FOPEN flag.
  const noInit = new Cap(1);
  noInit.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 10000 });
  noInit.readReply(0, 4, noInit.readReq(0, 3, 10, 99, 0, 12288), 5000);
  assert.equal(noInit.analyze().model.files.find((x) => x.path === '/f')!.kernelSize['0'], 10000);
  assert.equal(after({}, (c) => c.readReply(0, 4, c.readReq(0, 3, 10, 99, 0, 12288), 5000)).kernel, 5000);
});

test('kernel size view: one fh answered for several opens (libfuse 2 high-level gives fh 0 to all, as owfs does) keeps each open\'s FOPEN_DIRECT_IO until its own RELEASE', () => {
  /** /a (node 10) and /b (node 11), 12 bytes each, opened with fh 0 and these FOPEN flags; then `body`; the kernel sizes of both. */
  const sizes = (fa: number, fb: number, body: (c: Cap) => void): [number | null | undefined, number | null | undefined] => {
    const c = new Cap(1);
    c.init(0, 0);
    c.lookup(0, 1, 1, 'a', 10, { ino: 5, size: 12 });
    c.lookup(0, 1.2, 1, 'b', 11, { ino: 6, size: 12 });
    c.open(0, 2, 10, 0, fa);
    c.open(0, 2.2, 11, 0, fb);
    body(c);
    const files = c.analyze().model.files;
    return [files.find((x) => x.path === '/a')!.kernelSize['0'], files.find((x) => x.path === '/b')!.kernelSize['0']];
  };
  const release = (c: Cap, ms: number, node: number): void => c.rep(0, ms + 0.05, c.fhReq(0, ms, OP.RELEASE, node, 0));
  // As in owfs's capture: /a's RELEASE, then a READ of /b through the same fh 0 answered short: a direct read.
  assert.deepEqual(sizes(FOPEN_DIRECT_IO, FOPEN_DIRECT_IO, (c) => {
    release(c, 3, 10);
    c.readReply(0, 4.05, c.readReq(0, 4, 11, 0, 0, 131072), 7);
  }), [12, 12]);
  // Two opens of one file with fh 0: the first one's RELEASE leaves the second.
  assert.deepEqual(sizes(FOPEN_DIRECT_IO, FOPEN_DIRECT_IO, (c) => {
    c.open(0, 2.5, 10, 0, FOPEN_DIRECT_IO);
    release(c, 3, 10);
    c.readReply(0, 4.05, c.readReq(0, 4, 10, 0, 0, 131072), 7);
  }), [12, 12]);
  // The last open gone, the fh is unknown again: flags 0, a page-cache read.
  assert.deepEqual(sizes(FOPEN_DIRECT_IO, 0, (c) => {
    release(c, 3, 10);
    c.readReply(0, 4.05, c.readReq(0, 4, 10, 0, 0, 131072), 7);
  }), [7, 12]);
  // fh 0 direct for /a and cached for /b: each read as its own open says.
  assert.deepEqual(sizes(FOPEN_DIRECT_IO, 0, (c) => {
    c.readReply(0, 4.05, c.readReq(0, 4, 10, 0, 0, 131072), 7);
    c.readReply(0, 5.05, c.readReq(0, 5, 11, 0, 0, 131072), 5);
  }), [12, 5]);
  assert.deepEqual(sizes(0, FOPEN_DIRECT_IO, (c) => {
    c.readReply(0, 4.05, c.readReq(0, 4, 10, 0, 0, 131072), 7);
    c.readReply(0, 5.05, c.readReq(0, 5, 11, 0, 0, 131072), 5);
  }), [7, 12]);
});

test('kernel size view: an attribute reply overtaken by a later-sent one is dropped, as the kernel does (attr_version)', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 10000 });
  const older = c.getattrReq(0, 2, 10);
  const newer = c.getattrReq(0, 3, 10);
  c.attrReply(0, 4, newer, { ino: 5, size: 5000 });
  c.attrReply(0, 5, older, { ino: 5, size: 10000 }); // sent before the one applied at 4 ms
  const later = c.getattrReq(0, 6, 10);
  c.attrReply(0, 7, later, { ino: 5, size: 6000 }); // sent after: applies
  const f = c.analyze().model.files.find((x) => x.path === '/f')!;
  assert.deepEqual(f.sizeHistory.map((e) => [e.event, e.value, e.kernelSize]), [['report', 10000, 10000], ['report', 5000, 5000], ['report', 10000, 5000], ['report', 6000, 6000]]);
});

test('READDIRPLUS entries name files and report their sizes; a passthrough open is a limitation', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const rd = Buffer.alloc(40);
  rd.writeUInt32LE(4096, 16);
  const u = c.req(0, 1, 44, 1, rd);
  const name = Buffer.from('x.bin');
  const ent = Buffer.alloc((152 + name.length + 7) & ~7);
  ent.writeBigUInt64LE(42n, 0); // entry_out.nodeid
  ent.writeBigUInt64LE(1n, 24); // attr_valid
  ent.writeBigUInt64LE(9n, 40); // attr.ino
  ent.writeBigUInt64LE(12345n, 48); // attr.size
  ent.writeBigUInt64LE(9n, 128); // dirent.ino
  ent.writeUInt32LE(name.length, 144);
  name.copy(ent, 152);
  c.rep(0, 2, u, 0, ent);
  c.open(0, 3, 42, 7, 1 << 7);
  const m = c.analyze().model;
  const f = m.files.find((x) => x.nodeid === 42)!;
  assert.deepEqual([f.path, f.reportedSize, f.ino], ['/x.bin', 12345, 9]);
  assert.ok(m.limitations.some((l) => l.kind === 'passthrough'));
  assert.deepEqual(f.openFlags, ['FOPEN_PASSTHROUGH']);
});
