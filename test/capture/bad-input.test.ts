/**
 * Bad input (capture-format.md §3): empty and wrong-format files, captures cut
 * at every byte, each impossible block length, a hostile huge length (refused
 * before any allocation), content damage, and --resync.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CaptureError } from '../../src/capture/errors.js';
import { CaptureInput, MAX_RECORD } from '../../src/capture/input.js';
import { Timebase } from '../../src/capture/message.js';
import { createParser } from '../../src/capture/open.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { collector, drive, pcapngBlocks, readBytes, reply, request, withTempDir } from './support.js';

const T0 = 1795561795892945704n;

/** A small capture: SHB, IDB, 6 EPBs (one snapped, one with a comment), an ISB. */
function small(le = true): Buffer {
  return pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:small', snapLen: 64 });
    w.packet({ iface: 0, ts: T0, data: request(26, 2, 0, Buffer.alloc(64), le), dir: 1, pid: 1, tid: 2 });
    w.packet({ iface: 0, ts: T0 + 10n, data: reply(2, 0, Buffer.alloc(64), le).subarray(0, 64), origLen: 80, dir: 2, pid: 1, tid: 2 });
    w.packet({ iface: 0, ts: T0 + 20n, data: request(1, 4, 1, Buffer.from('abc\0'), le), dir: 1 });
    w.packet({ iface: 0, ts: T0 + 15n, data: reply(4, -2, Buffer.alloc(0), le), dir: 2, comment: 'late' });
    w.packet({ iface: 0, ts: T0 + 30n, data: request(3, 6, 1, Buffer.alloc(16), le), dir: 1 });
    w.packet({ iface: 0, ts: T0 + 40n, data: reply(6, 0, Buffer.alloc(8), le), dir: 2, failedErrno: 2 });
    w.stats(0, { start: T0, end: T0 + 40n, recv: 6, drop: 0 });
  }, { le, os: 'Linux', userappl: 'small' });
}

function expectCaptureError(e: unknown, re: RegExp): CaptureError {
  assert.ok(e instanceof CaptureError, `expected a CaptureError, got ${String(e)}`);
  assert.match(e.what, re);
  return e;
}

test('empty file', () => {
  const { got, error } = readBytes(Buffer.alloc(0));
  const e = expectCaptureError(error, /empty/);
  assert.equal(e.offset, 0);
  assert.equal(got.msgs.length, 0);
});

test('wrong formats: classic pcap, random bytes, text files', () => {
  const pcap = Buffer.alloc(24);
  pcap.writeUInt32LE(0xa1b2c3d4, 0);
  expectCaptureError(readBytes(pcap).error, /classic pcap/);
  const pcapBE = Buffer.alloc(24);
  pcapBE.writeUInt32BE(0xa1b2c3d4, 0);
  expectCaptureError(readBytes(pcapBE).error, /classic pcap/);
  let seed = 12345;
  const random = Buffer.from(Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff));
  random[0] = 0x17;
  expectCaptureError(readBytes(random).error, /unknown capture format/);
  expectCaptureError(readBytes(Buffer.from('hello world\nthis is text\n')).error, /unknown capture format/);
  // Text that happens to start like a fusedump record ('R', 'W'): refused at the first record.
  for (const text of ['README: capture notes\n', 'Wireshark would not open this either\n', 'W']) {
    const { error } = readBytes(Buffer.from(text));
    if (error !== undefined) expectCaptureError(error, /limit|record|marker/);
  }
  const { error: wError, got } = readBytes(Buffer.from('W'));
  assert.equal(wError, undefined);
  assert.deepEqual(got.notices.map((n) => n.kind), ['truncated']);
  // Compressed captures: gzip is decompressed on the way in (here: a header cut short; the rest in
  // gzip.test.ts); the others are named, with the command that reads them.
  const gz = expectCaptureError(readBytes(Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4])).error, /ends inside the header of gzip member 1/);
  assert.equal(gz.space, 'compressed');
  for (const [magic, name, cmd] of [[[0x28, 0xb5, 0x2f, 0xfd], 'zstd', 'zstd -dc'], [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz', 'xz -dc'],
    [[0x42, 0x5a, 0x68], 'bzip2', 'bzip2 -dc'], [[0x04, 0x22, 0x4d, 0x18], 'lz4', 'lz4 -dc']] as const) {
    const e = expectCaptureError(readBytes(Buffer.from([...magic, 1, 2, 3, 4])).error, new RegExp(`this is a ${name}-compressed file`));
    assert.match(e.hint ?? '', new RegExp(`${cmd} .*\\| fusetrace <command> -`));
  }
  // A file shorter than the pcapng magic.
  assert.ok(readBytes(Buffer.from([0x0a, 0x0d, 0x0d])).error instanceof CaptureError);
});

test('cut at every byte: blocks before the cut delivered, a truncated notice at the cut block, nothing else thrown', () => {
  for (const le of [true, false]) {
    const data = small(le);
    const blocks = pcapngBlocks(data);
    const full = drive('pcapng', data).got;
    assert.equal(full.msgs.length, 6);
    for (let n = 0; n <= data.length; n++) {
      const whole = blocks.filter((b) => b.offset + b.len <= n);
      const cutAt = whole.length ? whole[whole.length - 1]!.offset + whole[whole.length - 1]!.len : 0;
      const msgs = whole.filter((b) => b.type === 6).length;
      for (const chunk of [undefined, 7]) {
        const r = drive('pcapng', data.subarray(0, n), { chunk });
        assert.equal(r.error, undefined, `cut at ${n}`);
        assert.deepEqual(r.got.msgs, full.msgs.slice(0, msgs), `cut at ${n}`);
        if (n > cutAt) {
          assert.deepEqual(r.got.notices.map((x) => [x.kind, x.offset, x.blockNo]), [['truncated', cutAt, whole.length]], `cut at ${n}`);
        } else {
          assert.deepEqual(r.got.notices, [], `cut at ${n}`);
        }
      }
    }
  }
});

test('cut at every byte, read from files: only CaptureError ever thrown', () => {
  const data = small();
  const blocks = pcapngBlocks(data);
  withTempDir((dir) => {
    for (let n = 0; n <= data.length; n++) {
      const f = join(dir, `cut${n}`);
      writeFileSync(f, data.subarray(0, n));
      const { sink, got } = collector();
      const input = new CaptureInput(f, { file: f, input: 0, timebase: new Timebase(), sink, options: {} }, createParser);
      try {
        input.readAll();
        assert.ok(n >= 4, `cut at ${n}: a 0-3 byte file is not a capture`);
        const boundary = blocks.some((b) => b.offset + b.len === n);
        assert.equal(got.notices.filter((x) => x.kind === 'truncated').length, boundary ? 0 : 1, `cut at ${n}`);
      } catch (e) {
        assert.ok(e instanceof CaptureError, `cut at ${n}: ${String(e)}`);
        assert.ok(n < 4, `cut at ${n}: ${String(e)}`);
      }
    }
  });
});

/** Byte offset of the k-th EPB of `small()`. */
function epbAt(data: Buffer, k: number): { offset: number; len: number; blockNo: number } {
  const blocks = pcapngBlocks(data);
  const epbs = blocks.map((b, i) => ({ ...b, blockNo: i })).filter((b) => b.type === 6);
  return epbs[k]!;
}

const lengthRules: Array<[string, (len: number) => number, RegExp, boolean]> = [
  ['smaller than the fixed part', () => 28, /EPB length 28 < its fixed part \(32 bytes\)/, false],
  ['zero', () => 0, /length 0 < its fixed part/, false],
  ['not a multiple of 4', (len) => len + 1, /is not a multiple of 4/, false],
  ['different from the trailing copy', (len) => len + 4, /differs from its trailing copy/, false],
  ['larger than 64 MiB', () => MAX_RECORD + 4, /> limit 67108864/, false],
  ['hostile 0x7ffffffc', () => 0x7ffffffc, /length 2147483644 > limit 67108864/, false],
];

test('impossible block lengths: CaptureError naming block and offset, with a --resync hint', () => {
  for (const le of [true, false]) {
    const data = small(le);
    const k = 2;
    const epb = epbAt(data, k);
    for (const [name, bad, re] of lengthRules) {
      const b = Buffer.from(data);
      const v = bad(epb.len) >>> 0;
      if (le) b.writeUInt32LE(v, epb.offset + 4); else b.writeUInt32BE(v, epb.offset + 4);
      for (const chunk of [undefined, 1, 2, 3, 7]) {
        const r = drive('pcapng', b, { chunk });
        const e = expectCaptureError(r.error, re);
        assert.equal(e.offset, epb.offset, name);
        assert.equal(e.blockNo, epb.blockNo, name);
        assert.match(e.hint!, /--resync continues from the next valid block/);
        assert.match(e.message, new RegExp(`block #${epb.blockNo} at byte ${epb.offset} \\(0x${epb.offset.toString(16)}\\)`));
        assert.equal(r.got.msgs.length, k, `${name}: messages before the damage delivered`);
      }
    }
  }
});

test('a hostile length is refused before any allocation or read beyond the buffer', () => {
  const data = small();
  const epb = epbAt(data, 0);
  const b = Buffer.from(data.subarray(0, epb.offset + 8)); // header of the EPB only
  b.writeUInt32LE(0x7ffffffc, epb.offset + 4);
  // Driven directly: the error comes from the 8 header bytes alone; `need` never asked for the length.
  const parser = createParser('pcapng', { file: 't', input: 0, timebase: new Timebase(), sink: collector().sink, options: {} });
  const q = parser.parse(b, 0, epb.offset, 0);
  assert.equal(q, epb.offset);
  assert.equal(parser.need, 8);
  assert.throws(() => parser.parse(b, q, b.length, 0), /2147483644 > limit/);
  // Through CaptureInput: the buffer never grows past its 4 MiB chunk.
  withTempDir((dir) => {
    const f = join(dir, 'hostile');
    const whole = Buffer.concat([b, Buffer.alloc(64)]);
    writeFileSync(f, whole);
    const input = new CaptureInput(f, { file: f, input: 0, timebase: new Timebase(), sink: collector().sink, options: {} }, createParser);
    assert.throws(() => input.readAll(), (e) => e instanceof CaptureError && /limit/.test(e.what));
    assert.ok((input as unknown as { buf: Buffer }).buf.length <= 4 << 20);
  });
  // A 60 MiB length (under the limit) at the end of a small file is a cut capture; the parser asks
  // for at most twice the bytes present (64 KiB at least), so the input never allocates 60 MiB.
  const c = Buffer.from(data);
  c.writeUInt32LE(60 << 20, epb.offset + 4);
  const r = drive('pcapng', c, { chunk: 5 });
  assert.equal(r.error, undefined);
  assert.deepEqual(r.got.notices.map((n) => [n.kind, n.offset]), [['truncated', epb.offset]]);
  assert.ok(r.parser.need <= 65536);
  withTempDir((dir) => {
    const f = join(dir, 'plausible');
    writeFileSync(f, c);
    const { sink, got } = collector();
    const input = new CaptureInput(f, { file: f, input: 0, timebase: new Timebase(), sink, options: {} }, createParser);
    input.readAll();
    assert.deepEqual(got.notices.map((n) => [n.kind, n.offset]), [['truncated', epb.offset]]);
    assert.ok((input as unknown as { buf: Buffer }).buf.length <= 4 << 20, 'no buffer sized from the length field');
  });
});

test('other damage: section header, interface ids, captured length, block before any section', () => {
  const data = small();
  const blocks = pcapngBlocks(data);
  const idb = blocks[1]!;
  const epb = epbAt(data, 1);
  const cases: Array<[string, (b: Buffer) => void, number, number, RegExp]> = [
    ['byte-order magic', (b) => b.writeUInt32LE(0x11223344, 8), 0, 0, /byte-order magic 0x11223344/],
    ['SHB version', (b) => b.writeUInt16LE(2, 12), 0, 0, /version 2\.0/],
    ['SHB too short', (b) => { b.writeUInt32LE(24, 4); }, 0, 0, /SHB length 24 < its fixed part/],
    ['IDB too short', (b) => { b.writeUInt32LE(16, idb.offset + 4); }, idb.offset, 1, /IDB length 16 < its fixed part/],
    ['EPB interface', (b) => b.writeUInt32LE(3, epb.offset + 8), epb.offset, epb.blockNo, /EPB for interface 3, but the section declares 1/],
    ['EPB captured length', (b) => b.writeUInt32LE(epb.len, epb.offset + 20), epb.offset, epb.blockNo, /captured length \d+ exceeds its block/],
  ];
  for (const [name, mutate, offset, blockNo, re] of cases) {
    const b = Buffer.from(data);
    mutate(b);
    const r = drive('pcapng', b);
    const e = expectCaptureError(r.error, re);
    assert.equal(e.offset, offset, name);
    assert.equal(e.blockNo, blockNo, name);
  }
  const headless = data.subarray(idb.offset);
  expectCaptureError(drive('pcapng', headless).error, /IDB before the first section header block/);
});

test('--resync: skips a block with an impossible length and goes on', () => {
  const data = small();
  const full = drive('pcapng', data).got.msgs;
  const k = 2;
  const epb = epbAt(data, k);
  for (const [name, bad] of lengthRules) {
    const b = Buffer.from(data);
    b.writeUInt32LE(bad(epb.len) >>> 0, epb.offset + 4);
    for (const chunk of [undefined, 1, 3, 7]) {
      const r = drive('pcapng', b, { resync: true, chunk });
      assert.equal(r.error, undefined, name);
      assert.deepEqual(r.got.msgs.map((m) => m.hex), full.filter((_, i) => i !== k).map((m) => m.hex), name);
      assert.deepEqual(r.got.notices.map((n) => [n.kind, n.offset, n.blockNo]), [['skipped-block', epb.offset, epb.blockNo]], name);
      assert.match(r.got.notices[0]!.message, new RegExp(`skipped ${epb.len} bytes to the next valid block at byte 0x${(epb.offset + epb.len).toString(16)}`), name);
    }
  }
});

test('--resync: content damage skips just that block; garbage between blocks is stepped over', () => {
  const data = small();
  const epb = epbAt(data, 1);
  const b = Buffer.from(data);
  b.writeUInt32LE(9, epb.offset + 8); // interface 9
  const r = drive('pcapng', b, { resync: true });
  assert.equal(r.error, undefined);
  assert.equal(r.got.msgs.length, 5);
  assert.deepEqual(r.got.notices.map((n) => [n.kind, n.offset]), [['skipped-block', epb.offset]]);
  assert.match(r.got.notices[0]!.message, /block skipped/);

  const garbage = Buffer.alloc(36, 0xa5);
  const g = Buffer.concat([data.subarray(0, epb.offset), garbage, data.subarray(epb.offset)]);
  const plain = drive('pcapng', g);
  assert.ok(plain.error instanceof CaptureError);
  assert.equal(plain.error.offset, epb.offset);
  const rs = drive('pcapng', g, { resync: true, chunk: 5 });
  assert.equal(rs.error, undefined);
  assert.equal(rs.got.msgs.length, 6);
  assert.match(rs.got.notices[0]!.message, /skipped 36 bytes/);
});

test('--resync: a plausible length running past the end is checked for valid blocks after it', () => {
  const data = small();
  const epb = epbAt(data, 3);
  const b = Buffer.from(data);
  b.writeUInt32LE(1 << 20, epb.offset + 4);
  const plain = drive('pcapng', b);
  assert.equal(plain.error, undefined);
  assert.equal(plain.got.msgs.length, 3);
  assert.deepEqual(plain.got.notices.map((n) => [n.kind, n.offset]), [['truncated', epb.offset]]);
  const rs = drive('pcapng', b, { resync: true, chunk: 11 });
  assert.equal(rs.got.msgs.length, 5);
  assert.equal(rs.got.stats.length, 1);
  assert.deepEqual(rs.got.notices.map((n) => [n.kind, n.offset]), [['skipped-block', epb.offset]]);
  // A really cut capture stays a truncation with --resync.
  const cut = drive('pcapng', data.subarray(0, epb.offset + 20), { resync: true });
  assert.deepEqual(cut.got.notices.map((n) => [n.kind, n.offset]), [['truncated', epb.offset]]);
  // Damage with nothing valid after it.
  const tail = Buffer.from(data.subarray(0, epb.offset + epb.len));
  tail.writeUInt32LE(13, epb.offset + 4);
  const end = drive('pcapng', tail, { resync: true });
  assert.equal(end.error, undefined);
  assert.deepEqual(end.got.notices.map((n) => n.kind), ['skipped-block']);
  assert.match(end.got.notices[0]!.message, /no valid block follows/);
});
