/**
 * The fusedump GlusterFS itself writes (`glusterfs --dump-fuse`, Debian's
 * 10.3), recorded by fixtures/gen/thirdparty-glusterfs.sh together with
 * `fusetrace record` on the same mount: both captures hold the same traffic.
 * The records are walked here byte by byte, apart from the reader, to show
 * what the real producer writes (capture-format.md §2); then `dump --json` of
 * the two captures is compared message by message.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { ROOT, runCli } from '../helpers/cli.js';

const FUSEDUMP = join(ROOT, 'fixtures', 'thirdparty-glusterfs.fusedump');
const PCAPNG = join(ROOT, 'fixtures', 'thirdparty-glusterfs.pcapng');
const skip = existsSync(FUSEDUMP) && existsSync(PCAPNG) ? false : 'fixtures/thirdparty-glusterfs.{fusedump,pcapng} are missing (fixtures/gen/thirdparty-glusterfs.sh)';

const FUSE_STATX = 52;

interface Record { dir: string; sec: bigint; nsec: number; signature: string; message: Buffer; offset: number }

/** The records of a GlusterFS fusedump (little-endian host), read without fusetrace's reader. */
function walk(buf: Buffer): Record[] {
  const out: Record[] = [];
  let p = 0;
  while (p < buf.length) {
    const dir = String.fromCharCode(buf[p]!);
    assert.ok(dir === 'R' || dir === 'W', `direction byte at ${p}`);
    assert.equal(buf.readUInt32LE(p + 1), 3, `item count at ${p + 1}`);
    assert.equal(buf.readUInt32LE(p + 5), 16, `timestamp item length at ${p + 5}`);
    const sec = buf.readBigUInt64LE(p + 9);
    const nsec = buf.readUInt32LE(p + 17);
    assert.equal(buf.readUInt32LE(p + 21), 12, `signature item length at ${p + 21}`);
    const signature = buf.subarray(p + 25, p + 33).toString('latin1');
    const len = buf.readUInt32LE(p + 33);
    assert.ok(p + 33 + len <= buf.length, `message at ${p + 33} fits in the file`);
    out.push({ dir, sec, nsec, signature, message: buf.subarray(p + 33, p + 33 + len), offset: p });
    p += 33 + len;
  }
  assert.equal(p, buf.length, 'the last record ends at the end of the file');
  return out;
}

interface Message { t: bigint; dir: string; kind: string; capLen: number; origLen: number; decoded: { type: string; opcode?: number; op: string; header: { unique: number; error?: number } } }

/** What `dump --json` prints of each message of `file`: one run per file, shared by the tests (which only read it). */
const messagesOf = new Map<string, Message[]>();
function messages(file: string): Message[] {
  let list = messagesOf.get(file);
  if (list) return list;
  const r = runCli(['dump', '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  list = r.stdout.trim().split('\n').filter((l) => l.startsWith('{"type":"message"')).map((l) => {
    const d = (JSON.parse(l) as { data: { dir: string; kind: string; cap_len: number; orig_len: number; decoded: Message['decoded'] } }).data;
    // t_ns is past 2^53: read it from the text, not from the parsed number.
    return { t: BigInt(/"t_ns":(\d+)/.exec(l)![1]!), dir: d.dir, kind: d.kind, capLen: d.cap_len, origLen: d.orig_len, decoded: d.decoded };
  });
  messagesOf.set(file, list);
  return list;
}

const key = (m: Message): string => `${m.dir} ${m.decoded.header.unique}`;

describe('GlusterFS 10.3 --dump-fuse, the real producer', { skip }, () => {
  it('writes version 2 records with no file header: R/W, 3 items (timestamp, "GLUSTER\\xF5", message); fusetrace reads each one as one whole message', () => {
    const recs = walk(readFileSync(FUSEDUMP));
    assert.ok(recs.every((r) => r.signature === 'GLUSTER\xF5'));
    assert.ok(recs.every((r) => r.nsec < 1_000_000_000));
    assert.equal(recs[0]!.offset, 0);
    assert.equal(recs[0]!.message.readUInt32LE(4), 26, 'the file starts with the INIT request');
    const dumped = messages(FUSEDUMP);
    assert.equal(dumped.length, recs.length);
    dumped.forEach((m, i) => {
      assert.equal(m.dir, recs[i]!.dir === 'R' ? 'in' : 'out');
      assert.equal(m.t, recs[i]!.sec * 1_000_000_000n + BigInt(recs[i]!.nsec), `record ${i} time`);
      assert.equal(m.capLen, recs[i]!.message.length);
      assert.equal(m.origLen, recs[i]!.message.length);
    });
    const r = runCli(['dump', FUSEDUMP]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /malformed messages: 0; rejected replies: 0/);
    assert.match(r.stdout, /protocol 7\.24 \(kernel 7\.45, daemon 7\.24\)/);
  });

  it('WRITE requests are written whole (header, fuse_write_in, payload) and READ replies with their payload', () => {
    const recs = walk(readFileSync(FUSEDUMP));
    const writes = recs.filter((r) => r.dir === 'R' && r.message.readUInt32LE(4) === 16);
    assert.ok(writes.length > 0);
    for (const w of writes) assert.equal(w.message.length, 80 + w.message.readUInt32LE(40 + 16), 'len = 80 + fuse_write_in.size');
    // The 6000-byte write of daemon_workload's `data`: all of it 'x'.
    const big = writes.find((w) => w.message.readUInt32LE(56) === 6000)!;
    assert.ok(big.message.subarray(80).every((b) => b === 0x78));
    const m = messages(FUSEDUMP);
    const reads = m.filter((x) => x.dir === 'out' && x.decoded.op === 'READ' && x.decoded.header.error === 0);
    assert.ok(reads.some((x) => x.origLen > 16 + 4096), 'a READ reply carries its data');
  });

  it('holds the same messages as fusetrace record on the same mount, but for the requests of opcodes GlusterFS does not know', () => {
    const pc = messages(PCAPNG);
    const fd = messages(FUSEDUMP);
    const byKey = new Map(fd.map((m) => [key(m), m]));
    // GlusterFS answers an opcode beyond its table ENOSYS without dumping the request:
    // the kernel's STATX is in the pcapng only, and its reply stands alone in the fusedump.
    const missing = pc.filter((m) => !byKey.has(key(m)));
    assert.deepEqual(missing.map((m) => [m.dir, m.decoded.opcode]), [['in', FUSE_STATX]]);
    const statx = missing[0]!;
    const alone = byKey.get(`out ${statx.decoded.header.unique}`)!;
    assert.equal(alone.kind, 'orphan-reply');
    assert.equal(alone.decoded.header.error, -38);
    assert.equal(fd.length, pc.length - 1);
    let compared = 0;
    for (const m of pc) {
      const o = byKey.get(key(m));
      if (!o || o === alone) continue;
      assert.deepEqual(o.decoded, m.decoded, key(m));
      assert.equal(o.origLen, m.origLen, key(m));
      assert.equal(o.capLen, m.capLen, `${key(m)}: snap length 0, nothing cut`);
      // Both writers read CLOCK_REALTIME; GlusterFS stamps a request when it dispatches it and a reply
      // after writing it to /dev/fuse, the recorder at the system call: measured 100 ns to 0.29 ms later,
      // 0.15 ms for the INIT request (an earlier recording: 118 ns to 0.17 ms, 7.2 ms for INIT).
      const dt = o.t - m.t;
      assert.ok(dt > 0n && dt < 10_000_000n, `${key(m)}: fusedump ${dt} ns after the pcapng`);
      compared++;
    }
    assert.equal(compared, pc.length - 2);
  });

  it('the lone ENOSYS reply is no orphan-reply warning: the signature names GlusterFS, which leaves such requests out', () => {
    const statx = messages(PCAPNG).find((m) => m.dir === 'in' && m.decoded.opcode === FUSE_STATX)!;
    const r = analyze({ files: [FUSEDUMP] });
    assert.equal(r.fatal, undefined);
    assert.equal(r.model.connections[0]!.recorder, 'GlusterFS --dump-fuse');
    assert.deepEqual(r.model.findings.map((f) => [f.kind, f.messageId, f.severity, f.uniques.map(String)]),
      [['orphan-reply', 'notWritten', 'info', [String(statx.decoded.header.unique)]]]);
    // The recorder's capture of the same mount holds the request: no finding at all.
    const recorded = analyze({ files: [PCAPNG] });
    assert.deepEqual(recorded.model.findings, []);
  });

  it('its late stamps make a reply overlap the next request: the peak in flight is 2 where the recorder saw 1, and the analysis says why', () => {
    const pc = messages(PCAPNG);
    const fd = messages(FUSEDUMP);
    const at = (ms: Message[], dir: string, op: string): Map<number, bigint> => new Map(ms.filter((m) => m.dir === dir && m.decoded.op === op).map((m) => [m.decoded.header.unique, m.t]));
    // A FLUSH answered before close(2) returned, the RELEASE the kernel sent after it.
    const overlapped = (ms: Message[]): number => {
      const flushed = at(ms, 'out', 'FLUSH');
      const released = [...at(ms, 'in', 'RELEASE')];
      return [...flushed].filter(([u, t]) => released.some(([v, r]) => v === u + 2 && r < t)).length;
    };
    assert.equal(overlapped(pc), 0);
    assert.ok(overlapped(fd) > 0, 'in the fusedump a FLUSH reply is stamped after the next RELEASE');
    const recorded = analyze({ files: [PCAPNG] }).model;
    const dumped = analyze({ files: [FUSEDUMP] }).model;
    assert.equal(recorded.connections[0]!.peakInflight, 1);
    assert.equal(dumped.connections[0]!.peakInflight, 2);
    assert.deepEqual(recorded.limitations, []);
    assert.equal(dumped.limitations.length, 1);
    assert.match(dumped.limitations[0]!.message, /written by GlusterFS's --dump-fuse, which stamps a request when a worker takes it and a reply after writing it/);
  });

  it('converted to pcapng it keeps its writer: the same findings and limitations', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fusetrace-gluster-')), 'converted.pcapng');
    try {
      const r = runCli(['convert', FUSEDUMP, '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      const dumped = analyze({ files: [FUSEDUMP] }).model;
      const converted = analyze({ files: [out] }).model;
      assert.equal(converted.connections[0]!.recorder, 'GlusterFS --dump-fuse');
      assert.deepEqual(converted.findings.map((f) => [f.kind, f.messageId, f.severity, f.uniques.map(String)]), dumped.findings.map((f) => [f.kind, f.messageId, f.severity, f.uniques.map(String)]));
      assert.deepEqual(converted.limitations.map((l) => l.message), dumped.limitations.map((l) => l.message));
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
});
