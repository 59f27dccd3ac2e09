/**
 * The real captures in fixtures/lab against their `.truth.json`, computed by
 * an independent parser: everything a capture reader can know (messages per
 * direction, inbound opcodes, notifications, first/last timestamps as exact
 * ns, inversions, blocks, sections, interfaces, ISB, snapped messages, failed
 * writes, no problems).
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { notifyName, opcodeName } from '../../src/protocol/opcodes.js';
import type { FusedumpParser } from '../../src/capture/fusedump-reader.js';
import type { PcapngParser } from '../../src/capture/pcapng-reader.js';
import { drive, readFiles } from './support.js';

const lab = fileURLToPath(new URL('../../../fixtures/lab/', import.meta.url));

const cases: Array<[string, string]> = [
  ['smoke.pcapng', 'smoke.truth.json'],
  ['thirdparty-bindfs.pcapng', 'thirdparty-bindfs.truth.json'],
  ['thirdparty-fuse-overlayfs.pcapng', 'thirdparty-fuse-overlayfs.truth.json'],
  ['smoke.fusedump', 'smoke.fusedump.truth.json'],
];

/** Exact integer values of `key` in the raw JSON text (JSON.parse would round ns above 2^53). */
function exactInts(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`"${key}":\\s*(-?\\d+)`, 'g'))].map((m) => m[1]!);
}

interface Truth {
  format: 'pcapng' | 'fusedump';
  file_size: number;
  bytes_parsed: number;
  blocks: number;
  sections?: Array<{ byte_order: string; shb_os?: string; shb_userappl?: string }>;
  interfaces: Array<{ index: number; name: string; linktype: number | null; snaplen: number; is_fuse: boolean }>;
  isb: Array<{ iface: number; ifrecv: number; ifdrop: number }>;
  problems: unknown[];
  messages: number;
  file_order_timestamp_inversions: number;
  snapped_messages: number;
  direction_guessed: number;
  failed_writes: unknown[];
  fusedump_versions?: number[];
  counts: { in: Record<string, number>; out: Record<string, number> };
}

for (const [capture, truthFile] of cases) {
  test(`${capture} agrees with ${truthFile}`, () => {
    const text = readFileSync(lab + truthFile, 'utf8');
    const truth = JSON.parse(text) as Truth;
    const data = readFileSync(lab + capture);
    assert.equal(data.length, truth.file_size);

    const { got, error, parser, timebase } = drive(truth.format, data, { file: capture });
    assert.equal(error, undefined);
    assert.deepEqual(got.notices, [], 'no notices: the capture is whole');
    assert.equal(truth.problems.length, 0);

    // Messages and directions.
    assert.equal(got.msgs.length, truth.messages);
    const inbound = got.msgs.filter((m) => m.dir === 1);
    const outbound = got.msgs.filter((m) => m.dir === 2);
    const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
    assert.equal(inbound.length, sum(truth.counts.in));
    assert.equal(outbound.length, sum(truth.counts.out));
    assert.equal(got.msgs.filter((m) => m.dirGuessed).length, truth.direction_guessed);
    assert.equal(got.msgs.filter((m) => m.capLen < m.origLen).length, truth.snapped_messages);
    assert.equal(got.msgs.filter((m) => m.failedErrno !== 0).length, truth.failed_writes.length);

    // Inbound opcodes and outbound notifications, from the headers.
    const ops: Record<string, number> = {};
    for (const m of inbound) {
      const op = opcodeName(Buffer.from(m.hex.slice(8, 16), 'hex').readUInt32LE(0));
      ops[op] = (ops[op] ?? 0) + 1;
    }
    assert.deepEqual(ops, truth.counts.in);
    const notes: Record<string, number> = {};
    for (const m of outbound) {
      const h = Buffer.from(m.hex.slice(0, 32), 'hex');
      if (h.readBigUInt64LE(8) === 0n) {
        const k = `NOTIFY_${notifyName(h.readInt32LE(4))}`;
        notes[k] = (notes[k] ?? 0) + 1;
      }
    }
    const truthNotes = Object.fromEntries(Object.entries(truth.counts.out).filter(([k]) => k.startsWith('NOTIFY_')));
    assert.deepEqual(notes, truthNotes);

    // Timestamps: first/last are the extremes, exact to the ns; inversions against the running maximum.
    let min = Infinity;
    let max = -Infinity;
    let inversions = 0;
    for (const m of got.msgs) {
      if (m.t < max) inversions++;
      min = Math.min(min, m.t);
      max = Math.max(max, m.t);
    }
    assert.equal(timebase.absolute(min), exactInts(text, 'first_ts_ns')[0]);
    assert.equal(timebase.absolute(max), exactInts(text, 'last_ts_ns')[0]);
    assert.equal(inversions, truth.file_order_timestamp_inversions);

    // Blocks and bytes.
    assert.equal((parser as PcapngParser | FusedumpParser).blockNo, truth.blocks);
    assert.equal(truth.bytes_parsed, data.length);
    assert.ok(got.msgs.every((m) => m.le === true), 'recorded on x86-64: little-endian');

    if (truth.format === 'pcapng') {
      const p = parser as PcapngParser;
      assert.equal(p.sections, truth.sections!.length);
      const fuseIfaces = truth.interfaces.filter((i) => i.is_fuse);
      assert.deepEqual(got.conns.map((c) => c.name), fuseIfaces.map((i) => i.name));
      assert.deepEqual(got.conns.map((c) => c.snapLen), fuseIfaces.map((i) => i.snaplen));
      assert.deepEqual(got.conns.map((c) => c.linkType), fuseIfaces.map((i) => i.linktype));
      assert.deepEqual(got.conns.map((c) => c.os), truth.sections!.map((s) => s.shb_os));
      assert.deepEqual(got.conns.map((c) => c.recorder), truth.sections!.map((s) => s.shb_userappl));
      // ISB
      assert.equal(got.stats.length, truth.isb.length);
      const starts = exactInts(text, 'starttime');
      const ends = exactInts(text, 'endtime');
      got.stats.forEach((s, i) => {
        assert.equal(s.conn, got.conns[truth.isb[i]!.iface]!.conn);
        assert.equal(timebase.absolute(s.startT!), starts[i]);
        assert.equal(timebase.absolute(s.endT!), ends[i]);
        assert.equal(s.ifRecv, truth.isb[i]!.ifrecv);
        assert.equal(s.ifDrop, truth.isb[i]!.ifdrop);
      });
    } else {
      const p = parser as FusedumpParser;
      assert.equal(got.conns.length, 1);
      assert.equal(got.conns[0]!.format, 'fusedump');
      assert.deepEqual(truth.fusedump_versions, [2]);
      assert.equal(p.versions, 4, 'version 2 records only');
    }

    // The same through CaptureInput (4 MiB chunks from the file) gives the same messages.
    const viaFile = readFiles([lab + capture]);
    assert.equal(viaFile.error, undefined);
    assert.equal(viaFile.got.msgs.length, got.msgs.length);
    assert.deepEqual(viaFile.got.msgs.map((m) => m.fileOffset), got.msgs.map((m) => m.fileOffset));
    assert.equal(statSync(lab + capture).size, truth.file_size);
  });
}

test('re-feeding smoke.pcapng in odd chunk sizes gives identical messages', () => {
  const data = readFileSync(lab + 'smoke.pcapng');
  const whole = drive('pcapng', data);
  for (const chunk of [4093, 65537, 1 << 20]) {
    const r = drive('pcapng', data, { chunk });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.got.msgs, whole.got.msgs, `chunk ${chunk}`);
    assert.deepEqual(r.got.stats, whole.got.stats);
  }
});

test('re-feeding smoke.fusedump in odd chunk sizes gives identical messages', () => {
  const data = readFileSync(lab + 'smoke.fusedump');
  const whole = drive('fusedump', data);
  for (const chunk of [4093, 65537]) {
    const r = drive('fusedump', data, { chunk });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.got.msgs, whole.got.msgs, `chunk ${chunk}`);
  }
});

test('the first messages of smoke.pcapng are the INIT exchange', () => {
  const { got } = drive('pcapng', readFileSync(lab + 'smoke.pcapng'));
  const [req, rep] = got.msgs;
  const rq = Buffer.from(req!.hex, 'hex');
  const rp = Buffer.from(rep!.hex, 'hex');
  assert.equal(req!.dir, 1);
  assert.equal(rq.readUInt32LE(4), 26, 'FUSE_INIT');
  assert.equal(rq.readUInt32LE(40), 7, 'major 7');
  assert.equal(rq.readUInt32LE(44), 45, 'kernel minor 45');
  assert.equal(rep!.dir, 2);
  assert.equal(rp.readBigUInt64LE(8), rq.readBigUInt64LE(8), 'same unique');
  assert.equal(rp.readUInt32LE(20), 31, 'daemon minor 31');
  assert.ok(req!.pid > 0 && req!.tid > 0, 'epb_processid_threadid present');
});
