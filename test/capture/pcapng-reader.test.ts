/**
 * Hand-built pcapng captures for what real traffic rarely shows: big-endian
 * sections, several sections and interfaces, non-FUSE interfaces, other
 * timestamp resolutions and offsets, SPB and OPB, unknown blocks and options,
 * failed writes, snapped messages, messages without a direction, ISBs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '../../src/capture/message.js';
import { pcapngToBuffer, type PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { drive, reply, request } from './support.js';

const T0 = 1795561795892945704n;

/** A GETATTR exchange on `iface` at T0 + dt (ns). */
function exchange(w: PcapngWriter, iface: number, unique: number, dt: bigint, le = true): void {
  w.packet({ iface, ts: T0 + dt, data: request(3, unique, 1, Buffer.alloc(16), le), dir: 1, pid: 100, tid: 101 });
  w.packet({ iface, ts: T0 + dt + 5000n, data: reply(unique, 0, Buffer.alloc(104), le), dir: 2, pid: 100, tid: 102 });
}

test('little-endian basic capture: fields of every message', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:/mnt/a', description: 'mountpoint=/mnt/a', snapLen: 4096 });
    exchange(w, 0, 2, 0n);
  }, { os: 'Linux 6.18', hardware: 'aarch64', userappl: 'test 1', comment: 'hello' });
  const { got, error, timebase } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.notices, []);
  assert.equal(got.conns.length, 1);
  const c = got.conns[0]!;
  assert.equal(c.name, 'fuse:/mnt/a');
  assert.equal(c.label, '/mnt/a');
  assert.equal(c.description, 'mountpoint=/mnt/a');
  assert.equal(c.snapLen, 4096);
  assert.equal(c.linkType, 147);
  assert.equal(c.os, 'Linux 6.18');
  assert.equal(c.hardware, 'aarch64');
  assert.equal(c.recorder, 'test 1');
  assert.equal(c.format, 'pcapng');
  assert.equal(c.le, true);
  const [a, b] = got.msgs;
  assert.equal(a!.dir, Direction.Inbound);
  assert.equal(a!.dirGuessed, false);
  assert.equal(a!.capLen, 56);
  assert.equal(a!.origLen, 56);
  assert.equal(a!.pid, 100);
  assert.equal(a!.tid, 101);
  assert.equal(a!.t, 0);
  assert.equal(a!.failedErrno, 0);
  assert.equal(a!.comment, undefined);
  assert.equal(a!.hex, request(3, 2, 1, Buffer.alloc(16)).toString('hex'));
  assert.equal(b!.dir, Direction.Outbound);
  assert.equal(b!.t, 5000);
  assert.equal(b!.tid, 102);
  assert.equal(timebase.absolute(a!.t), T0.toString());
  assert.equal(a!.blockNo, 2);
  assert.equal(b!.blockNo, 3);
});

test('big-endian section: byte order, timestamps and options read in big-endian', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:be' });
    exchange(w, 0, 2, 0n, false);
    w.packet({ iface: 0, ts: T0 + 9000n, data: reply(4, -2, Buffer.alloc(0), false), dir: 2, failedErrno: 2, pid: 7, tid: 8 });
    w.stats(0, { start: T0, end: T0 + 9000n, recv: 3, drop: 0 });
  }, { le: false });
  const { got, error, timebase } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.equal(got.conns[0]!.le, false);
  assert.deepEqual(got.msgs.map((m) => [m.dir, m.t, m.le, m.pid, m.tid]),
    [[1, 0, false, 100, 101], [2, 5000, false, 100, 102], [2, 9000, false, 7, 8]]);
  assert.equal(got.msgs[0]!.hex, request(3, 2, 1, Buffer.alloc(16), false).toString('hex'));
  assert.equal(got.msgs[2]!.failedErrno, 2);
  assert.equal(got.msgs[2]!.comment, 'errno=2');
  assert.equal(got.stats.length, 1);
  assert.equal(timebase.absolute(got.stats[0]!.endT!), (T0 + 9000n).toString());
  assert.equal(got.stats[0]!.ifRecv, 3);
  assert.equal(got.stats[0]!.ifDrop, 0);
});

test('several sections and interfaces: ids restart per section, each FUSE interface a new connection', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:a' });
    w.addInterface({ name: 'fuse:b' });
    exchange(w, 1, 2, 0n);
    exchange(w, 0, 2, 10n);
    w.section({ le: false, os: 'other', hardware: 'ppc64' });
    w.addInterface({ name: 'fuse:c' });
    exchange(w, 0, 6, 20n, false);
    w.section({ le: true });
    w.addInterface({ name: 'eth0', linkType: 1 });
    w.addInterface({ name: 'fuse:d' });
    exchange(w, 1, 8, 30n);
  });
  const { got, error, parser } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.conns.map((c) => [c.conn, c.name, c.section, c.ifaceId, c.le]),
    [[0, 'fuse:a', 0, 0, true], [1, 'fuse:b', 0, 1, true], [2, 'fuse:c', 1, 0, false], [3, 'fuse:d', 2, 1, true]]);
  assert.equal(got.conns[2]!.os, 'other');
  // Each section says its own machine, or none (the third does not inherit the second's).
  assert.deepEqual(got.conns.map((c) => c.hardware), [undefined, undefined, 'ppc64', undefined]);
  assert.deepEqual(got.msgs.map((m) => m.conn), [1, 1, 0, 0, 2, 2, 3, 3]);
  assert.deepEqual(got.msgs.map((m) => m.t), [0, 5000, 10, 5010, 20, 5020, 30, 5030]);
  assert.equal((parser as unknown as { sections: number }).sections, 3);
  assert.deepEqual(got.notices.map((n) => n.kind), ['skipped-interface']);
});

test('non-FUSE interfaces are skipped with a notice, unless the link type is accepted', () => {
  const build = (): Buffer => pcapngToBuffer((w) => {
    w.addInterface({ name: 'eth0', linkType: 1 });
    w.addInterface({ name: 'usb0', linkType: 147 });
    w.addInterface({ name: 'fuse' });
    exchange(w, 0, 2, 0n);
    exchange(w, 1, 2, 0n);
    exchange(w, 2, 2, 0n);
  });
  const { got, error } = drive('pcapng', build());
  assert.equal(error, undefined);
  assert.deepEqual(got.conns.map((c) => c.name), ['fuse']);
  assert.equal(got.conns[0]!.label, undefined);
  assert.equal(got.msgs.length, 2);
  assert.deepEqual(got.notices.map((n) => [n.kind, n.blockNo]), [['skipped-interface', 1], ['skipped-interface', 2]]);
  assert.match(got.notices[0]!.message, /eth0.*LinkType 1\b.*--linktype 1/);
  assert.match(got.notices[1]!.message, /usb0.*LinkType 147/);

  const accepted = drive('pcapng', build(), { linkType: 1 });
  assert.deepEqual(accepted.got.conns.map((c) => [c.name, c.linkType]), [['eth0', 1], ['fuse', 147]]);
  assert.equal(accepted.got.msgs.length, 4);
});

test('if_tsresol 10^-6, 10^-3, 10^-10 and 2^-20, if_tsoffset', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:ns' });
    w.addInterface({ name: 'fuse:us', tsresol: 6 });
    w.addInterface({ name: 'fuse:bin', tsresol: 0x80 | 20 });
    w.addInterface({ name: 'fuse:off', tsresol: 6, tsoffset: 1000n });
    w.addInterface({ name: 'fuse:ms', tsresol: 3 });
    w.addInterface({ name: 'fuse:100ps', tsresol: 10 });
    const m = (): Buffer => reply(2, 0);
    w.packet({ iface: 0, ts: 1_700_000_000_000_000_000n, data: m(), dir: 2 });
    w.packet({ iface: 1, ts: 1_700_000_000_000_001n, data: m(), dir: 2 }); // +1 us
    w.packet({ iface: 2, ts: 1_700_000_000n * 1048576n + 524288n, data: m(), dir: 2 }); // +0.5 s
    w.packet({ iface: 3, ts: 1_699_999_000_000_000n, data: m(), dir: 2 }); // -1000 s + 1000 s offset
    w.packet({ iface: 4, ts: 1_700_000_000_002n, data: m(), dir: 2 }); // +2 ms
    w.packet({ iface: 5, ts: 17_000_000_000_000_000_030n, data: m(), dir: 2 }); // +3 ns
  });
  const { got, error, timebase } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => m.t), [0, 1000, 500_000_000, 0, 2_000_000, 3]);
  assert.equal(timebase.absolute(0), '1700000000000000000');
});

test('SPB: interface 0, no timestamp (previous time), direction guessed; snap length applies', () => {
  const spb = (msg: Buffer): Buffer => {
    const b = Buffer.alloc(4 + msg.length);
    b.writeUInt32LE(msg.length, 0);
    msg.copy(b, 4);
    return b;
  };
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse', snapLen: 64 });
    w.packet({ iface: 0, ts: T0 + 7n, data: reply(0, 2, Buffer.alloc(16)), dir: 2 });
    w.rawBlock(3, spb(request(1, 4, 1, Buffer.from('name\0'))));
    w.rawBlock(3, spb(reply(4, -2)));
    w.rawBlock(3, spb(request(16, 6, 2, Buffer.alloc(100))));
  });
  const { got, error } = drive('pcapng', data);
  assert.equal(error, undefined);
  const spbs = got.msgs.slice(1);
  assert.deepEqual(spbs.map((m) => [m.dir, m.dirGuessed, m.t, m.capLen, m.origLen, m.pid]),
    [[1, true, 0, 45, 45, -1], [2, true, 0, 16, 16, -1], [1, true, 0, 64, 140, -1]]);
  assert.deepEqual(got.notices.map((n) => n.kind), ['direction-guessed']);
});

test('EPB without direction: requests, replies and notifications classified from content', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse' });
    const pk = (d: Buffer): void => w.packet({ iface: 0, ts: T0, data: d });
    pk(request(26, 2, 0, Buffer.alloc(64)));     // INIT
    pk(reply(2, 0, Buffer.alloc(64)));             // its reply
    pk(reply(4, -38));                             // ENOSYS
    pk(reply(0, 2, Buffer.alloc(16)));             // NOTIFY_INVAL_INODE
    pk(request(36, 5, 0, Buffer.alloc(8)));        // INTERRUPT
    pk(request(999, 8, 1, Buffer.alloc(8)));       // unknown opcode: cannot tell
    pk(Buffer.alloc(8));                           // too short
  });
  const { got, error } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => m.dir), [1, 2, 2, 2, 1, 0, 0]);
  assert.ok(got.msgs.every((m) => m.dirGuessed));
  assert.equal(got.notices.filter((n) => n.kind === 'direction-guessed').length, 1);
});

test('OPB (obsolete packet block) is read like an EPB', () => {
  const msg = reply(2, 0, Buffer.alloc(8));
  const body = Buffer.alloc(20 + msg.length + 12);
  body.writeUInt16LE(0, 0); // interface
  body.writeUInt16LE(0, 2); // drops
  body.writeUInt32LE(Number(T0 >> 32n), 4);
  body.writeUInt32LE(Number(T0 & 0xffffffffn), 8);
  body.writeUInt32LE(msg.length, 12);
  body.writeUInt32LE(msg.length, 16);
  msg.copy(body, 20);
  body.writeUInt16LE(2, 20 + msg.length); // pack_flags
  body.writeUInt16LE(4, 22 + msg.length);
  body.writeUInt32LE(2, 24 + msg.length); // outbound
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse' });
    w.rawBlock(2, body);
  });
  const { got, error, timebase } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.equal(got.msgs.length, 1);
  assert.equal(got.msgs[0]!.dir, 2);
  assert.equal(got.msgs[0]!.dirGuessed, false);
  assert.equal(got.msgs[0]!.hex, msg.toString('hex'));
  assert.equal(timebase.absolute(got.msgs[0]!.t), T0.toString());
});

test('unknown block types and unknown options are skipped', () => {
  const data = pcapngToBuffer((w) => {
    w.rawBlock(0x12345678, Buffer.from('not a block we know'));
    w.addInterface({ name: 'fuse', options: [[0x7777, Buffer.from('x')], [2988, Buffer.alloc(7)]] });
    w.rawBlock(4, Buffer.alloc(4)); // NRB with only the end record
    w.rawBlock(0x40000bad, Buffer.alloc(12)); // custom block
    w.packet({ iface: 0, ts: T0, data: reply(2, 0), dir: 2, options: [[0x4242, Buffer.from('abc')], [3, Buffer.alloc(8)]], comment: 'hi' });
    w.rawBlock(0xa, Buffer.alloc(16)); // DSB
  });
  const { got, error, parser } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.notices, []);
  assert.equal(got.msgs.length, 1);
  assert.equal(got.msgs[0]!.comment, 'hi');
  assert.equal(got.msgs[0]!.dir, 2);
  assert.equal((parser as unknown as { blockNo: number }).blockNo, 7);
});

test('EPB options in any order: the ids before the flags, flags without ids, a later option overriding', () => {
  const word = (...v: number[]): Buffer => {
    const b = Buffer.alloc(4 * v.length);
    v.forEach((x, i) => b.writeUInt32LE(x, 4 * i));
    return b;
  };
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse' });
    // The recorders' layout (flags, then ids), then the same options in other orders and combinations.
    w.packet({ iface: 0, ts: T0, data: reply(2, 0), dir: 2, pid: 10, tid: 11 });
    w.packet({ iface: 0, ts: T0, data: reply(4, 0), options: [[8, word(20, 21)], [2, word(2)]] });
    w.packet({ iface: 0, ts: T0, data: reply(6, 0), options: [[2, word(2 | 0x10000)], [1, Buffer.from('errno=5')], [8, word(30, 31)]] });
    w.packet({ iface: 0, ts: T0, data: reply(8, 0), dir: 1, pid: 40, tid: 41, options: [[2, word(2)], [8, word(50, 51)]] });
    w.packet({ iface: 0, ts: T0, data: reply(10, 0), options: [[2, word(2)], [8, Buffer.alloc(4)]] });
  });
  const { got, error } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => [m.dir, m.pid, m.tid, m.failedErrno]),
    [[2, 10, 11, 0], [2, 20, 21, 0], [2, 30, 31, 5], [2, 50, 51, 0], [2, -1, -1, 0]]);
});

test('failed write: epb_flags bit 16 with and without errno comment', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse' });
    w.packet({ iface: 0, ts: T0, data: reply(4, 0), dir: 2, failedErrno: 2 });
    w.packet({ iface: 0, ts: T0, data: reply(6, 0), dir: 2, failedErrno: -1 });
    w.packet({ iface: 0, ts: T0, data: reply(8, 0), dir: 2, comment: 'errno=5' }); // comment alone is no failure
  });
  const { got, error } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.msgs.map((m) => [m.failedErrno, m.comment]), [[2, 'errno=2'], [-1, undefined], [0, 'errno=5']]);
});

test('snapped messages: capLen < origLen, data cut, padding and options still found', () => {
  const write = request(16, 2, 5, Buffer.alloc(40 + 4096, 0xab));
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse', snapLen: 255 });
    w.packet({ iface: 0, ts: T0, data: write.subarray(0, 255), origLen: write.length, dir: 1, pid: 3, tid: 4 });
  });
  const { got, error } = drive('pcapng', data);
  assert.equal(error, undefined);
  const m = got.msgs[0]!;
  assert.equal(m.capLen, 255);
  assert.equal(m.origLen, write.length);
  assert.equal(m.hex, write.subarray(0, 255).toString('hex'));
  assert.equal(m.tid, 4);
});

test('ISB: start/end times, received and dropped counts; drops are reported', () => {
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse' });
    exchange(w, 0, 2, 0n);
    w.stats(0, { start: T0 - 10n, end: T0 + 10n, recv: 5, drop: 3 });
  });
  const { got, error } = drive('pcapng', data);
  assert.equal(error, undefined);
  assert.deepEqual(got.stats, [{ conn: 0, startT: -10, endT: 10, ifRecv: 5, ifDrop: 3 }]);
  assert.deepEqual(got.notices.map((n) => n.kind), ['drops']);
  assert.match(got.notices[0]!.message, /3 messages/);
});

test('two inputs share the time base and connection numbers', async () => {
  const { Timebase } = await import('../../src/capture/message.js');
  const { createParser } = await import('../../src/capture/open.js');
  const tb = new Timebase();
  const a = pcapngToBuffer((w) => { w.addInterface({ name: 'fuse:a' }); exchange(w, 0, 2, 100n); });
  const b = pcapngToBuffer((w) => { w.addInterface({ name: 'fuse:b' }); exchange(w, 0, 2, 0n); });
  const seen: Array<[number, number, number]> = [];
  const sink = { onConnection: () => {}, onNotice: () => {}, onMessage: (m: { input: number; conn: number; t: number }) => { seen.push([m.input, m.conn, m.t]); } };
  const pa = createParser('pcapng', { file: 'a', input: 0, timebase: tb, sink, options: {} });
  const pb = createParser('pcapng', { file: 'b', input: 1, timebase: tb, sink, options: {} });
  pa.parse(a, 0, a.length, 0);
  pb.parse(b, 0, b.length, 0);
  assert.deepEqual(seen, [[0, 0, 0], [0, 0, 5000], [1, 1, -100], [1, 1, 4900]]);
  assert.equal(pa.lastT, 5000);
  assert.equal(pb.lastT, 4900);
});
