/**
 * fusedump (capture-format.md §2): version 2 in both byte orders, with and
 * without the strace-fusedump signature and other metadata items, version 1,
 * both versions mixed record by record, and damaged records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fusedumpToBuffer } from '../../src/capture/fusedump-writer.js';
import type { FusedumpParser } from '../../src/capture/fusedump-reader.js';
import { Direction } from '../../src/capture/message.js';
import { drive, readBytes, reply, request } from './support.js';

const T0 = 1795561797365660505n;

function sample(le: boolean, o: { signature?: boolean; version?: 1 | 2 } = {}): Buffer {
  return fusedumpToBuffer((w) => {
    w.record({ dir: 1, ts: T0, data: request(26, 2, 0, Buffer.alloc(64), le) });
    w.record({ dir: 2, ts: T0 + 1500n, data: reply(2, 0, Buffer.alloc(64), le) });
    w.record({ dir: 1, ts: T0 + 1_000_000_000n, data: request(1, 4, 1, Buffer.from('file\0'), le) });
    w.record({ dir: 2, ts: T0 + 999_999_999n, data: reply(4, -2, Buffer.alloc(0), le) });
  }, { le, ...o });
}

for (const le of [true, false]) {
  for (const signature of [false, true]) {
    test(`version 2, ${le ? 'little' : 'big'}-endian, ${signature ? 'with' : 'without'} signature item`, () => {
      const data = sample(le, { signature });
      const { got, error, parser, timebase } = drive('fusedump', data, { file: 'dir/run.fusedump' });
      assert.equal(error, undefined);
      assert.deepEqual(got.notices, []);
      assert.equal(got.conns.length, 1);
      assert.deepEqual([got.conns[0]!.format, got.conns[0]!.name, got.conns[0]!.le, got.conns[0]!.conn], ['fusedump', 'run.fusedump', le, 0]);
      assert.equal(got.conns[0]!.recorder, signature ? 'strace-fusedump' : undefined, 'the signature item names the writer');
      assert.deepEqual(got.msgs.map((m) => [m.dir, m.t, m.le, m.capLen, m.origLen, m.blockNo]), [
        [Direction.Inbound, 0, le, 104, 104, 0],
        [Direction.Outbound, 1500, le, 80, 80, 1],
        [Direction.Inbound, 1_000_000_000, le, 45, 45, 2],
        [Direction.Outbound, 999_999_999, le, 16, 16, 3],
      ]);
      assert.equal(got.msgs[2]!.hex, request(1, 4, 1, Buffer.from('file\0'), le).toString('hex'));
      assert.equal(timebase.absolute(0), T0.toString());
      assert.ok(got.msgs.every((m) => m.pid === -1 && m.tid === -1 && m.failedErrno === 0 && !m.dirGuessed));
      assert.equal((parser as FusedumpParser).versions, 4);
      const per = signature ? 1 + 4 + 16 + 9 : 1 + 4 + 16;
      assert.deepEqual(got.msgs.map((m) => m.fileOffset), [0, per + 104, 2 * per + 184, 3 * per + 229]);
    });
  }
  test(`version 1, ${le ? 'little' : 'big'}-endian: messages without timestamps`, () => {
    const { got, error, parser } = drive('fusedump', sample(le, { version: 1 }));
    assert.equal(error, undefined);
    assert.deepEqual(got.msgs.map((m) => [m.dir, m.t, m.capLen, m.fileOffset]),
      [[1, 0, 104, 0], [2, 0, 80, 105], [1, 0, 45, 186], [2, 0, 16, 232]]);
    assert.equal((parser as FusedumpParser).versions, 2);
  });
}

test('version 1 and 2 records mixed: told apart per record', () => {
  const v2 = sample(true);
  const v1 = sample(true, { version: 1 });
  const data = Buffer.concat([v2.subarray(0, 21 + 104), v1.subarray(105, 186), v2.subarray(21 + 104)]);
  const { got, error, parser } = drive('fusedump', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => [m.dir, m.t, m.capLen]),
    [[1, 0, 104], [2, 0, 80], [2, 1500, 80], [1, 1_000_000_000, 45], [2, 999_999_999, 16]]);
  assert.equal((parser as FusedumpParser).versions, 6);
});

test('metadata items between timestamp and message are skipped; single-item record has no timestamp', () => {
  const msg = reply(2, 0);
  const rec = Buffer.alloc(1 + 4 + 16 + 12 + 4 + msg.length);
  rec[0] = 0x57;
  rec.writeUInt32LE(4, 1);
  rec.writeUInt32LE(16, 5);
  rec.writeBigUInt64LE(T0 / 1_000_000_000n, 9);
  rec.writeUInt32LE(Number(T0 % 1_000_000_000n), 17);
  rec.writeUInt32LE(12, 21); // opaque item of 12 bytes
  rec.write('GLUSTERF', 25);
  rec.writeUInt32LE(4, 33); // empty opaque item
  msg.copy(rec, 37);
  const single = Buffer.concat([Buffer.from([0x52, 1, 0, 0, 0]), request(3, 4, 1, Buffer.alloc(16))]);
  const { got, error } = drive('fusedump', Buffer.concat([rec, single]));
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => [m.dir, m.t, m.capLen, m.fileOffset]), [[2, 0, 16, 0], [1, 0, 56, 53]]);
  assert.equal(got.msgs[0]!.hex, msg.toString('hex'));
});

test('damaged records: CaptureError with record number and offset', () => {
  const good = sample(true);
  const second = 21 + 104;
  const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
    ['bad marker', (b) => { b[second] = 0x58; }, /record marker 0x58/],
    ['zero items', (b) => { b.writeUInt32LE(0, second + 1); }, /0 items/],
    ['timestamp item length', (b) => { b.writeUInt32LE(20, second + 5); }, /timestamp\) length 20, expected 16/],
    ['item length < 4', (b) => { b.writeUInt32LE(3, second + 5); }, /length 3 < 4/],
    ['message item < 16', (b) => { b.writeUInt32LE(12, second + 21); }, /message item length 12 < 16/],
    ['huge item', (b) => { b.writeUInt32LE(0x7ffffffc, second + 21); }, /past the limit/],
    ['huge v1 message', (b) => { b.writeUInt32LE(0x7ffffffc, second + 1); }, /version 1 message length 2147483644 > limit/],
    ['v1 message at the limit', (b) => { b.writeUInt32LE(64 << 20, second + 1); }, /version 1 message length 67108864 > limit 67108863/],
    ['item just past the limit', (b) => { b.writeUInt32LE((64 << 20) - 20, second + 21); }, /takes the record past the limit/],
    ['items up to the limit', (b) => { b.writeUInt32LE(3, second + 1); b.writeUInt32LE((64 << 20) - 21, second + 21); }, /item 1 of 3: length 67108843 takes the record past the limit/],
  ];
  for (const [name, mutate, re] of cases) {
    const b = Buffer.from(good);
    mutate(b);
    for (const chunk of [undefined, 1, 5]) {
      const { got, error } = drive('fusedump', b, { chunk });
      assert.ok(error, `${name}: CaptureError expected`);
      assert.equal(error.offset, second, name);
      assert.equal(error.blockNo, 1, name);
      assert.match(error.what, re, name);
      assert.match(error.hint!, /--resync/);
      assert.equal(got.msgs.length, 1, `${name}: the record before the damage is delivered`);
    }
  }
});

test('--resync skips a damaged record to the next plausible one', () => {
  const b = Buffer.from(sample(true, { signature: true }));
  const second = 30 + 104;
  b[second] = 0x00;
  const { got, error } = drive('fusedump', b, { resync: true });
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => m.t), [0, 1_000_000_000, 999_999_999]);
  assert.deepEqual(got.notices.map((n) => [n.kind, n.offset, n.blockNo]), [['skipped-block', second, 1]]);
  assert.match(got.notices[0]!.message, /skipped 110 bytes/);
});

test('cut at every byte: records before the cut delivered, then a truncated notice at the cut record', () => {
  const data = sample(true, { signature: true });
  const starts = [0, 134, 244, 319, 365];
  for (let n = 0; n <= data.length; n++) {
    for (const chunk of [undefined, 3]) {
      const { got, error } = drive('fusedump', data.subarray(0, n), { chunk });
      assert.equal(error, undefined, `cut at ${n}`);
      const whole = starts.filter((s, i) => i > 0 && s <= n).length;
      assert.equal(got.msgs.length, whole, `cut at ${n}`);
      const cut = starts[whole]!;
      if (n > cut) {
        assert.deepEqual(got.notices.map((x) => [x.kind, x.offset, x.blockNo]), [['truncated', cut, whole]], `cut at ${n}`);
      } else {
        assert.deepEqual(got.notices, [], `cut at ${n}`);
      }
    }
  }
});

test('read from a file through CaptureInput, detected by content', () => {
  const { got, error } = readBytes(sample(false));
  assert.equal(error, undefined);
  assert.equal(got.msgs.length, 4);
  assert.equal(got.conns[0]!.format, 'fusedump');
});

test('the writer is named from the first record even when it arrives a byte at a time', () => {
  const data = sample(true, { signature: true });
  const { got, error } = drive('fusedump', data, { chunk: 1 });
  assert.equal(error, undefined);
  assert.equal(got.conns.length, 1);
  assert.equal(got.conns[0]!.recorder, 'strace-fusedump');
  assert.equal(got.msgs.length, 4);
});
