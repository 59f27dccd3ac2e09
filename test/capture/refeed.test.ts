/**
 * Re-feed: the same capture handed to the parser in chunks of 1, 2, 3 and 7
 * bytes gives exactly the messages, connections, notices and statistics of
 * one whole-buffer parse. Covers every block kind the reader knows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fusedumpToBuffer } from '../../src/capture/fusedump-writer.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { drive, reply, request } from './support.js';

const T0 = 1795561795892945704n;

function mixedPcapng(): Buffer {
  return pcapngToBuffer((w) => {
    w.rawBlock(0x0bad, Buffer.from('custom'));
    w.addInterface({ name: 'fuse:a', snapLen: 100 });
    w.addInterface({ name: 'eth0', linkType: 1 });
    w.packet({ iface: 0, ts: T0, data: request(26, 2, 0, Buffer.alloc(64)), dir: 1, pid: 5, tid: 6, comment: 'first' });
    w.packet({ iface: 1, ts: T0, data: Buffer.alloc(60, 1) });
    w.packet({ iface: 0, ts: T0 + 3n, data: reply(2, 0, Buffer.alloc(200)).subarray(0, 100), origLen: 216, dir: 2 });
    w.packet({ iface: 0, ts: T0 + 2n, data: reply(0, 2, Buffer.alloc(16)) });
    w.packet({ iface: 0, ts: T0 + 9n, data: reply(8, 0), dir: 2, failedErrno: 2 });
    const spb = Buffer.alloc(4 + 56);
    spb.writeUInt32LE(56, 0);
    request(3, 10, 1, Buffer.alloc(16)).copy(spb, 4);
    w.rawBlock(3, spb);
    w.stats(0, { start: T0, end: T0 + 9n, recv: 5, drop: 1 });
    w.section({ le: false, os: 'be' });
    w.addInterface({ name: 'fuse:b', tsresol: 6, tsoffset: 2n });
    w.packet({ iface: 0, ts: 1795561795892945n, data: request(15, 12, 4, Buffer.alloc(40), false), dir: 1, pid: 1, tid: 1 });
    w.packet({ iface: 0, ts: 1795561795892946n, data: reply(12, -5, Buffer.alloc(0), false), dir: 2 });
    w.rawBlock(0x99, Buffer.alloc(3));
    w.stats(0, { end: 1795561795892946n, drop: 0 });
  }, { comment: 'mixed', userappl: 'refeed' });
}

function mixedFusedump(le: boolean): Buffer {
  const v2 = fusedumpToBuffer((w) => {
    w.record({ dir: 1, ts: T0, data: request(26, 2, 0, Buffer.alloc(64), le) });
    w.record({ dir: 2, ts: T0 + 7n, data: reply(2, 0, Buffer.alloc(64), le) });
  }, { le, signature: true });
  const v1 = fusedumpToBuffer((w) => {
    w.record({ dir: 1, ts: 0n, data: request(3, 4, 1, Buffer.alloc(16), le) });
  }, { le, version: 1 });
  const v2b = fusedumpToBuffer((w) => {
    w.record({ dir: 2, ts: T0 + 1_000_000_007n, data: reply(4, 0, Buffer.alloc(104), le) });
  }, { le });
  return Buffer.concat([v2, v1, v2b, v2.subarray(0, 17)]); // ends with a cut record
}

test('pcapng: chunks of 1, 2, 3 and 7 bytes give identical results', () => {
  const data = mixedPcapng();
  const whole = drive('pcapng', data);
  assert.equal(whole.error, undefined);
  assert.equal(whole.got.msgs.length, 7);
  assert.equal(whole.got.conns.length, 2);
  assert.equal(whole.got.stats.length, 2);
  assert.deepEqual(whole.got.notices.map((n) => n.kind), ['skipped-interface', 'direction-guessed', 'drops']);
  assert.deepEqual(whole.got.msgs.slice(0, 5).map((m) => m.t), [0, 3, 2, 9, 9]);
  for (const chunk of [1, 2, 3, 7]) {
    const r = drive('pcapng', data, { chunk });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.got, whole.got, `chunk ${chunk}`);
  }
});

test('pcapng with tsoffset: microsecond timestamps plus offset', () => {
  const { got, timebase } = drive('pcapng', mixedPcapng());
  assert.equal(timebase.absolute(got.msgs[5]!.t), (1795561795892945n * 1000n + 2_000_000_000n).toString());
  assert.equal(got.msgs[6]!.t - got.msgs[5]!.t, 1000);
});

for (const le of [true, false]) {
  test(`fusedump ${le ? 'LE' : 'BE'}: chunks of 1, 2, 3 and 7 bytes give identical results`, () => {
    const data = mixedFusedump(le);
    const whole = drive('fusedump', data);
    assert.equal(whole.error, undefined);
    assert.deepEqual(whole.got.msgs.map((m) => [m.dir, m.t]), [[1, 0], [2, 7], [1, 7], [2, 1_000_000_007]]);
    assert.deepEqual(whole.got.notices.map((n) => n.kind), ['truncated']);
    for (const chunk of [1, 2, 3, 7]) {
      const r = drive('fusedump', data, { chunk });
      assert.equal(r.error, undefined);
      assert.deepEqual(r.got, whole.got, `chunk ${chunk}`);
    }
  });
}
