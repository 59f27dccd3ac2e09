/**
 * The strace converter on real strace output recorded here (Linux 6.18,
 * strace 6.1, libfuse 3.14 passthrough_ll receiving with splice), compared
 * with the LD_PRELOAD library's capture of the same session:
 *   test/record/strace-sample.txt           strace `straceArgs(4096, ...)` output (lines on
 *                                           other fds, e.g. the loader reading libraries, dropped)
 *   test/record/strace-sample.preload.pcapng  libftrec.so capture of the same daemon run
 * Workload: mkdir d; create d/f; pwrite 1000 B @0, 5000 B @10000, 70000 B @100000
 * (cache=never: one WRITE each); read back; readdir; rename; unlink; rmdir.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../../src/capture/open.js';
import {
  decodeHexString,
  describeUnparsed,
  parseFdToken,
  parseTimestamp,
  StraceConverter,
  straceArgs,
  type StraceMessage,
} from '../../src/record/strace-convert.js';
import { repoRoot } from '../helpers/mount.js';

const sampleDir = join(repoRoot, 'test', 'record');

function convert(text: string, snaplen = 4096): { msgs: StraceMessage[]; conv: StraceConverter; conns: number } {
  const msgs: StraceMessage[] = [];
  let conns = 0;
  const conv = new StraceConverter((m) => msgs.push({ ...m, data: Buffer.from(m.data) }), () => conns++, { snaplen });
  for (const line of text.split('\n')) conv.push(line);
  conv.end();
  return { msgs, conv, conns };
}

test('strace sample: every message of the LD_PRELOAD capture, in the same order per thread', () => {
  const { msgs, conv, conns } = convert(readFileSync(join(sampleDir, 'strace-sample.txt'), 'utf8'));
  assert.equal(conv.stats.unparsed, 0);
  assert.equal(conns, 1);
  const ref: { dir: number; origLen: number; data: Buffer; tid: number }[] = [];
  readCapture(join(sampleDir, 'strace-sample.preload.pcapng'), {
    onConnection() {},
    onNotice(n) {
      assert.fail(n.message);
    },
    onMessage(m) {
      ref.push({ dir: m.dir, origLen: m.origLen, data: Buffer.from(m.data.subarray(m.off, m.off + m.capLen)), tid: m.tid });
    },
  });
  assert.equal(msgs.length, ref.length);
  // Per thread the order is the syscall order in both captures.
  const byTid = <T extends { tid: number }>(xs: T[]): Map<number, T[]> => {
    const m = new Map<number, T[]>();
    for (const x of xs) m.set(x.tid, [...(m.get(x.tid) ?? []), x]);
    return m;
  };
  const a = byTid(msgs);
  const b = byTid(ref);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let snappedBySplice = 0;
  for (const [tid, list] of a) {
    const other = b.get(tid)!;
    assert.equal(list.length, other.length, `thread ${tid}`);
    list.forEach((m, i) => {
      const r = other[i]!;
      assert.equal(m.dir, r.dir);
      assert.equal(m.origLen, r.origLen);
      if (m.data.length < r.data.length) {
        // A WRITE whose payload went from libfuse's pipe to the backing file
        // with splice: strace saw only the 80-byte header libfuse read.
        assert.equal(m.data.length, 80);
        assert.equal(m.data.readUInt32LE(4), 16 /* WRITE */);
        snappedBySplice++;
      }
      assert.deepEqual(m.data, r.data.subarray(0, m.data.length));
    });
  }
  assert.equal(snappedBySplice, 2, 'the 5000 B and 70000 B writes were spliced');
  // The workload's writes, with their offsets and sizes.
  const writes = msgs.filter((m) => m.dir === 1 && m.data.readUInt32LE(4) === 16).map((m) => ({
    offset: Number(m.data.readBigUInt64LE(48)),
    size: m.data.readUInt32LE(56),
  }));
  assert.deepEqual(writes, [{ offset: 0, size: 1000 }, { offset: 10000, size: 5000 }, { offset: 100000, size: 70000 }]);
});

test('strace sample: snap length cuts what strace printed', () => {
  const { msgs } = convert(readFileSync(join(sampleDir, 'strace-sample.txt'), 'utf8'), 256);
  assert.ok(msgs.length > 0);
  for (const m of msgs) assert.ok(m.data.length <= 256 && m.data.length <= m.origLen);
  assert.ok(msgs.some((m) => m.origLen > 256));
});

test('unfinished/resumed calls are joined per thread; read time is its return', () => {
  const fuse = '4<\\x2f\\x64\\x65\\x76\\x2f\\x66\\x75\\x73\\x65<char 10:229>>';
  const req = Buffer.alloc(40);
  req.writeUInt32LE(40, 0);
  req.writeUInt32LE(3, 4); // GETATTR
  req.writeBigUInt64LE(6n, 8);
  const hex = (b: Buffer): string => [...b].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
  const rep = Buffer.alloc(16);
  rep.writeUInt32LE(16, 0);
  rep.writeInt32LE(-2, 4);
  rep.writeBigUInt64LE(6n, 8);
  const text = [
    `100 1.000000001 read(${fuse},  <unfinished ...>`,
    `101 1.500000000 read(${fuse},  <unfinished ...>`,
    `100 2.000000002 <... read resumed>"${hex(req)}", 1052672) = 40 <1.000001>`,
    `100 3.000000003 writev(${fuse}, [{iov_base="${hex(rep)}", iov_len=16}], 1) = -1 ENOENT (No such file or directory) <0.000010>`,
    `101 4.000000000 <... read resumed>0x7f, 1052672) = -1 ENODEV (No such device) <2.5>`,
  ].join('\n');
  const { msgs } = convert(text);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0]!.dir, 1);
  assert.equal(msgs[0]!.ts, 2_000_000_002n);
  assert.equal(msgs[0]!.tid, 100);
  assert.deepEqual(msgs[0]!.data, req);
  assert.equal(msgs[1]!.dir, 2);
  assert.equal(msgs[1]!.ts, 3_000_000_003n, 'a write is stamped at its entry');
  assert.equal(msgs[1]!.failedErrno, 2);
});

test('splice into a pipe is completed by the reads of that pipe; vmsplice+splice out', () => {
  const fuse = '5</dev/fuse>';
  const pipe = (fd: number): string => `${fd}<pipe:[777]>`;
  const hex = (b: Buffer): string => [...b].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
  const head = Buffer.alloc(80);
  head.writeUInt32LE(4176, 0);
  head.writeUInt32LE(16, 4);
  head.writeBigUInt64LE(8n, 8);
  const reply = Buffer.alloc(24);
  reply.writeUInt32LE(24, 0);
  reply.writeBigUInt64LE(8n, 8);
  reply.writeUInt32LE(4096, 16);
  const text = [
    `7 10.0 splice(${fuse}, NULL, ${pipe(9)}, NULL, 1052672, 0) = 4176 <0.1>`,
    `7 10.2 read(${pipe(8)}, "${hex(head)}", 80) = 80 <0.0001>`,
    `7 10.3 splice(${pipe(8)}, NULL, 6</tmp/x>, [0], 4096, SPLICE_F_MOVE) = 4096 <0.0001>`,
    `7 10.4 vmsplice(${pipe(9)}, [{iov_base="${hex(reply)}", iov_len=24}], 1, SPLICE_F_NONBLOCK) = 24 <0.0001>`,
    `7 10.5 splice(${pipe(8)}, NULL, ${fuse}, NULL, 24, SPLICE_F_MOVE) = 24 <0.0001>`,
  ].join('\n');
  const { msgs, conv } = convert(text);
  assert.equal(conv.stats.unparsed, 0);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0]!.dir, 1);
  assert.equal(msgs[0]!.origLen, 4176);
  assert.deepEqual(msgs[0]!.data, head);
  assert.equal(msgs[0]!.ts, 10_100_000_000n);
  assert.equal(msgs[1]!.dir, 2);
  assert.deepEqual(msgs[1]!.data, reply);
});

test('helpers: timestamps, strings, fd tokens, strace arguments', () => {
  assert.equal(parseTimestamp('1795562803.463717701'), 1795562803463717701n);
  assert.equal(parseTimestamp('12.5'), 12_500_000_000n);
  assert.deepEqual(decodeHexString('\\x00\\xff'), Buffer.from([0, 255]));
  assert.deepEqual(decodeHexString('ab\\n\\0\\177\\"'), Buffer.from([0x61, 0x62, 10, 0, 0x7f, 0x22]));
  const t = parseFdToken('4<\\x2f\\x64\\x65\\x76\\x2f\\x66\\x75\\x73\\x65<char 10:229>>, rest');
  assert.equal(t?.fd.num, 4);
  assert.equal(t?.fd.fuse, true);
  assert.equal(t?.rest, ', rest');
  assert.equal(parseFdToken('7<pipe:[42]>, x')?.fd.pipe, 42);
  assert.equal(parseFdToken('3</dev/fuse>')?.fd.fuse, true);
  assert.equal(parseFdToken('3</dev/null<char 1:3>>')?.fd.fuse, false);
  const args = straceArgs(0, '/tmp/x');
  assert.ok(args.includes('-yy') && args.includes('-xx') && args.includes('-f'));
  assert.equal(args[args.indexOf('-s') + 1], String(2 * 1048576), 'snaplen 0 prints whole messages');
});

test('a line that cannot be parsed is counted and named: its number and its text', () => {
  const good = '23115 1795563061.813386130 writev(4<\\x2f\\x64\\x65\\x76\\x2f\\x66\\x75\\x73\\x65<char 10:229>>, [{iov_base="\\x10\\x00\\x00\\x00\\xfe\\xff\\xff\\xff\\x04\\x00\\x00\\x00\\x00\\x00\\x00\\x00", iov_len=16}], 1) = 16 <0.003345>';
  const bad = '23115 1795563061.813386131 read(4<\\x2f\\x64\\x65\\x76\\x2f\\x66\\x75\\x73\\x65<char 10:229>>, "\\x10", 16) = what <0.1>';
  const { conv } = convert(['', good, bad, good, bad].join('\n'));
  assert.equal(conv.stats.unparsed, 2);
  assert.deepEqual(conv.stats.firstUnparsed, { line: 3, text: bad });
  const text = describeUnparsed(conv.stats, 'the trace');
  assert.ok(text?.startsWith('2 strace lines could not be parsed; the first is line 3 of the trace: "23115 1795563061.813386131 read('), text);
  assert.equal(describeUnparsed(convert(good).conv.stats, 'the trace'), undefined);
  const one = describeUnparsed(convert(bad).conv.stats, 'x.txt');
  assert.match(one ?? '', /^1 strace line could not be parsed; it is line 1 of x\.txt: /);
});
