/**
 * Closing a capture whose recorder ended without closing it (SIGKILL, full
 * disk): trimmed to its last whole block, one closing ISB per interface with
 * the lost messages and why the capture ended. Captures built here with the
 * project's writer, cut and damaged on purpose.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCapture } from '../../src/capture/open.js';
import { pcapngToBuffer, type PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { closeCapture, mountpointsOf, scanCapture } from '../../src/record/close-capture.js';
import type { RecorderStatus } from '../../src/record/recorder-status.js';
import { haveCommand, isbComments, makeTempDir, type TempDir } from '../helpers/mount.js';

let dir: TempDir;
before(() => {
  dir = makeTempDir('close-capture');
});
after(() => dir.remove());

/** A reply header (fuse_out_header) padded to `size` bytes. */
function reply(unique: number, size = 16): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(size, 0);
  b.writeBigUInt64LE(BigInt(unique), 8);
  return b;
}

/** Builds a capture; `pad`: bytes of a block of an unknown type after the IDBs. Returns its size. */
function build(file: string, opts: { le?: boolean; messages: number; size?: number; ifaces?: number; isb?: boolean; pad?: number }): number {
  const buf = pcapngToBuffer((w: PcapngWriter) => {
    const n = opts.ifaces ?? 1;
    for (let i = 0; i < n; i++) w.addInterface({ name: `fuse:/mnt/x${i}`, description: `mountpoint=/mnt/x${i} daemon=d pid=1 fd=3 snaplen=0 recorder=test` });
    if (opts.pad) w.rawBlock(0x0bad, Buffer.alloc(opts.pad - 12));
    for (let k = 0; k < opts.messages; k++) w.packet({ iface: k % n, ts: 1_000_000_000n + BigInt(k), data: reply(2 * k + 2, opts.size), dir: 2 });
    if (opts.isb) for (let i = 0; i < n; i++) w.stats(i, { recv: opts.messages / n, drop: 0 });
  }, { le: opts.le ?? true });
  writeFileSync(file, buf);
  return buf.length;
}

function status(recv: number[], drop: number[] = recv.map(() => 0), writeErrno?: string): RecorderStatus {
  return { recv, drop, dropNoIface: 0, writeErrno };
}

/** What the project's reader sees: messages per connection, ISB recv/drop, notices. */
function read(file: string): { messages: number; stats: Array<{ recv?: number; drop?: number }>; notices: string[] } {
  const r = { messages: 0, stats: [] as Array<{ recv?: number; drop?: number }>, notices: [] as string[] };
  readCapture(file, {
    onConnection() {},
    onMessage() {
      r.messages++;
    },
    onNotice(n) {
      r.notices.push(n.message);
    },
    onStats(s) {
      r.stats.push({ recv: s.ifRecv, drop: s.ifDrop });
    },
  });
  return r;
}

test('a block cut short is removed; the closing ISB counts what the library recorded and the file lacks', () => {
  const f = join(dir.path, 'cut.pcapng');
  build(f, { messages: 10, size: 4096 });
  truncateSync(f, statSync(f).size - 1000); // the kill cut the last block
  const c = closeCapture(f, 'the daemon was killed by SIGKILL', status([12]));
  // An EPB: 28 bytes of header, the data, epb_flags (8), end of options (4), trailing length (4).
  assert.equal(c.trimmed, 28 + 4096 + 8 + 4 + 4 - 1000, 'what was left of the cut EPB goes');
  assert.equal(c.closed, true);
  assert.equal(c.lost, 3, '12 recorded, 9 in the file');
  const r = read(f);
  assert.equal(r.messages, 9);
  assert.deepEqual(r.stats, [{ recv: 9, drop: 3 }]);
  assert.deepEqual(r.notices, ['interface 0 (fuse:/mnt/x0): the recorder failed to record 3 messages']);
  const [comment] = isbComments(f);
  assert.match(comment ?? '', /^capture ended: the daemon was killed by SIGKILL; closed by fusetrace record; the last \d+ bytes, a block cut short, were removed; 3 messages lost$/);
  const again = closeCapture(f, 'x', status([12]));
  assert.equal(again.closed, false, 'a closed capture is left alone');
  assert.equal(read(f).stats.length, 1);
});

test('a capture the library closed is left as it is', () => {
  const f = join(dir.path, 'whole.pcapng');
  build(f, { messages: 6, ifaces: 2, isb: true });
  const before = readFileSync(f);
  const c = closeCapture(f, 'the daemon exited', status([3, 3]));
  assert.deepEqual({ trimmed: c.trimmed, closed: c.closed, lost: c.lost }, { trimmed: 0, closed: false, lost: 0 });
  assert.deepEqual(readFileSync(f), before);
  assert.deepEqual(c.mountpoints, ['/mnt/x0', '/mnt/x1']);
});

test('without the library status the loss is said to be uncounted; every interface gets its ISB; big-endian sections stay big-endian', () => {
  const f = join(dir.path, 'be.pcapng');
  build(f, { le: false, messages: 8, ifaces: 2 });
  const c = closeCapture(f, 'the daemon was killed by SIGKILL', undefined);
  assert.equal(c.closed, true);
  assert.equal(c.lostUnknown, true);
  assert.equal(c.trimmed, 0);
  const r = read(f);
  assert.equal(r.messages, 8);
  assert.deepEqual(r.stats, [{ recv: 4, drop: 0 }, { recv: 4, drop: 0 }]);
  assert.equal(scanCapture(f).isbDrops.size, 2);
});

test('a write error the library met is named; ISBs it wrote before the kill are replaced, not doubled', () => {
  const f = join(dir.path, 'enospc.pcapng');
  build(f, { messages: 4, isb: true });
  truncateSync(f, statSync(f).size - 7); // its ISB cut short
  const c = closeCapture(f, 'the daemon exited', status([4], [6], 'ENOSPC'));
  assert.equal(c.lost, 6);
  const r = read(f);
  assert.deepEqual(r.stats, [{ recv: 4, drop: 6 }]);
  assert.match(isbComments(f).join('|'), /writing the capture failed \(ENOSPC\): messages from then on were not recorded; 6 messages lost$/);
});

test('damage in the middle of a capture is reported and left alone', () => {
  const f = join(dir.path, 'damaged.pcapng');
  build(f, { messages: 5 });
  const b = readFileSync(f);
  const scan = scanCapture(f);
  const thirdEpb = scan.tail.filter((t) => t.type === 6)[2]!.at;
  b.writeUInt32LE(13, thirdEpb + 4); // an impossible block length
  writeFileSync(f, b);
  const c = closeCapture(f, 'x', status([5]));
  assert.equal(c.damagedAt, thirdEpb);
  assert.deepEqual(readFileSync(f), b);
});

test('mount points come from the library\'s if_description', () => {
  const f = join(dir.path, 'mnt.pcapng');
  writeFileSync(f, pcapngToBuffer((w) => {
    w.addInterface({ description: 'mountpoint=/mnt/with space daemon=d pid=1' });
    w.addInterface({ description: 'mountpoint=? daemon=d pid=1' });
    w.addInterface({ description: 'fd=3 recorder=strace' });
  }));
  assert.deepEqual(mountpointsOf(scanCapture(f)), ['/mnt/with space']);
});

test('a disk still full: the last messages make room for the closing ISBs and count as lost', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs');
  if (!haveCommand('mount')) return t.skip('no mount command');
  // 15 EPBs of exactly 4 KiB after headers padded to 4 KiB: a file of 16
  // pages on a tmpfs of 16 pages, which it fills to the last byte.
  const shape = { messages: 15, size: 4096 - 44 };
  const bare = build(join(dir.path, 'measure.pcapng'), shape);
  let pad = (4096 - (bare % 4096)) % 4096;
  if (pad > 0 && pad < 12) pad += 4096;
  const mnt = join(dir.path, 'small');
  spawnSync('mkdir', ['-p', mnt]);
  const total = bare + pad;
  assert.equal(total % 4096, 0);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${total}`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs: ${m.stderr}`);
  try {
    const f = join(mnt, 'full.pcapng');
    assert.equal(build(f, { ...shape, pad }), total);
    assert.throws(() => writeFileSync(join(mnt, 'more'), 'x'), /ENOSPC/, 'the disk is full');
    const c = closeCapture(f, 'the daemon exited', status([20], [0], 'ENOSPC'));
    assert.equal(c.closed, true, JSON.stringify(c));
    const r = read(f);
    assert.equal(r.messages, 14, 'one message gave its page to the ISB');
    assert.deepEqual(r.stats, [{ recv: 14, drop: 6 }]);
    assert.match(isbComments(f)[0] ?? '', /the disk was full: the last messages were removed to make room for these statistics; 6 messages lost$/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});
