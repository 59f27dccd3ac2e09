/**
 * `fusetrace convert`: fusedump <-> pcapng on the real lab captures
 * (fixtures/lab) and on small hand-built captures for the refusals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../src/capture/errors.js';
import { readCapture } from '../../src/capture/open.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { convertCapture, targetFormat } from '../../src/record/convert.js';
import { fusetraceBin, makeTempDir, repoRoot } from '../helpers/mount.js';

const lab = join(repoRoot, 'fixtures', 'lab');
const dir = makeTempDir('convert');
after(() => dir.remove());

interface Msg {
  conn: number;
  dir: number;
  t: string;
  data: string;
  origLen: number;
}

function messages(file: string): Msg[] {
  const out: Msg[] = [];
  const res = readCapture(file, {
    onConnection() {},
    onNotice(n) {
      assert.fail(`${file}: ${n.message}`);
    },
    onMessage(m) {
      out.push({ conn: m.conn, dir: m.dir, t: String(m.t), data: m.data.subarray(m.off, m.off + m.capLen).toString('hex'), origLen: m.origLen });
    },
  });
  // Absolute times, so that two files compare.
  for (const m of out) m.t = res.timebase.absolute(Number(m.t));
  return out;
}

function fuseMsg(len: number, unique: bigint, out = false): Buffer {
  const b = Buffer.alloc(len, 0xab);
  b.writeUInt32LE(len, 0);
  if (out) b.writeInt32LE(0, 4);
  else b.writeUInt32LE(3, 4);
  b.writeBigUInt64LE(unique, 8);
  return b;
}

test('fusedump -> pcapng -> fusedump is byte-identical (lab smoke.fusedump)', (t) => {
  const src = join(lab, 'smoke.fusedump');
  if (!existsSync(src)) return t.skip(`${src} is missing`);
  const p = join(dir.path, 'smoke.pcapng');
  const r1 = convertCapture({ input: src, output: p });
  assert.equal(r1.from, 'fusedump');
  assert.equal(r1.to, 'pcapng');
  assert.equal(r1.connections, 1);
  const back = join(dir.path, 'smoke.fusedump');
  const r2 = convertCapture({ input: p, output: back });
  assert.equal(r2.messages, r1.messages);
  assert.deepEqual(readFileSync(back), readFileSync(src));
  assert.deepEqual(messages(p), messages(src), 'same messages, directions and times');
});

test('pcapng (whole messages) -> fusedump keeps every message and its time (lab smoke.pcapng)', (t) => {
  const src = join(lab, 'smoke.pcapng');
  if (!existsSync(src)) return t.skip(`${src} is missing`);
  const f = join(dir.path, 'lab.fusedump');
  const r = convertCapture({ input: src, output: f });
  assert.equal(r.to, 'fusedump');
  assert.equal(r.padded, 0);
  const a = messages(src);
  const b = messages(f);
  assert.equal(b.length, a.length);
  assert.deepEqual(b, a);
});

test('several connections: refused for fusedump, or split one file per connection', () => {
  const cap = pcapngToBuffer((w) => {
    const a = w.addInterface({ name: 'fuse:/mnt/a' });
    const b = w.addInterface({ name: 'fuse:/mnt/b' });
    w.packet({ iface: a, ts: 1000n, data: fuseMsg(40, 2n), dir: 1 });
    w.packet({ iface: b, ts: 1001n, data: fuseMsg(40, 2n), dir: 1 });
    w.packet({ iface: a, ts: 1002n, data: fuseMsg(16, 2n, true), dir: 2, failedErrno: 2 });
  });
  const src = join(dir.path, 'two.pcapng');
  writeFileSync(src, cap);
  assert.throws(() => convertCapture({ input: src, output: join(dir.path, 'two.fusedump') }), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /2 FUSE connections \(fuse:\/mnt\/a, fuse:\/mnt\/b\)/);
    assert.match(e.hint ?? '', /--split/);
    return true;
  });
  const r = convertCapture({ input: src, output: join(dir.path, 'two.fusedump'), split: true });
  assert.deepEqual(r.outputs, [join(dir.path, 'two.0.fusedump'), join(dir.path, 'two.1.fusedump')]);
  assert.equal(r.failedAsPlain, 1);
  assert.equal(messages(r.outputs[0]!).length, 2);
  assert.equal(messages(r.outputs[1]!).length, 1);
});

test('snapped messages: refused for fusedump, or zero-filled to their length', () => {
  const full = fuseMsg(5000, 4n);
  const cap = pcapngToBuffer((w) => {
    const a = w.addInterface({ name: 'fuse', snapLen: 256 });
    w.packet({ iface: a, ts: 5n, data: full.subarray(0, 256), origLen: 5000, dir: 1 });
  });
  const src = join(dir.path, 'snap.pcapng');
  writeFileSync(src, cap);
  assert.throws(() => convertCapture({ input: src, output: join(dir.path, 'snap.fusedump') }), /cut by the snap length/);
  const out = join(dir.path, 'snap.fusedump');
  const r = convertCapture({ input: src, output: out, padSnapped: true });
  assert.equal(r.padded, 1);
  const m = messages(out);
  assert.equal(m.length, 1);
  assert.equal(m[0]!.origLen, 5000);
  assert.equal(m[0]!.data.slice(0, 512), full.subarray(0, 256).toString('hex'));
  assert.equal(m[0]!.data.slice(512), '00'.repeat(5000 - 256));
});

test('pcapng from an arm64 host -> fusedump: a notice that the machine, which numbers open(2) flags, is lost; none from x86-64', () => {
  const cap = (hardware: string): string => {
    const src = join(dir.path, `${hardware}.pcapng`);
    writeFileSync(src, pcapngToBuffer((w) => {
      const a = w.addInterface({ name: 'fuse:/mnt/a' });
      w.packet({ iface: a, ts: 1000n, data: fuseMsg(40, 2n), dir: 1 });
    }, { hardware }));
    return src;
  };
  const arm = convertCapture({ input: cap('aarch64'), output: join(dir.path, 'arm.fusedump') });
  assert.equal(arm.notices.length, 1);
  assert.match(arm.notices[0]!, /^fuse:\/mnt\/a was recorded on aarch64, which numbers open\(2\) flags otherwise than x86-64; a fusedump cannot say so/);
  assert.match(convertCapture({ input: cap('mips64'), output: join(dir.path, 'mips.fusedump') }).notices[0] ?? '', /recorded on mips64/);
  assert.deepEqual(convertCapture({ input: cap('x86_64'), output: join(dir.path, 'x86.fusedump') }).notices, []);
  // To pcapng the machine goes along.
  const back = join(dir.path, 'arm-again.pcapng');
  convertCapture({ input: cap('aarch64'), output: back, to: 'pcapng' });
  const machines: (string | undefined)[] = [];
  readCapture(back, { onConnection: (c) => machines.push(c.hardware), onMessage() {}, onNotice() {} });
  assert.deepEqual(machines, ['aarch64']);
});

test('output format from the name, --to, else the other format', () => {
  assert.equal(targetFormat('x.pcapng', 'fusedump'), 'pcapng');
  assert.equal(targetFormat('x.fusedump', 'pcapng'), 'fusedump');
  assert.equal(targetFormat('x.bin', 'pcapng'), 'fusedump');
  assert.equal(targetFormat('x.bin', 'fusedump'), 'pcapng');
  assert.equal(targetFormat('x.fusedump', 'pcapng', 'pcapng'), 'pcapng');
});

test('CLI: fusetrace convert exits 0, or 2 with a hint when it refuses', (t) => {
  if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) return t.skip('the CLI is not built');
  const src = join(lab, 'smoke.fusedump');
  if (!existsSync(src)) return t.skip(`${src} is missing`);
  const ok = spawnSync(process.execPath, [fusetraceBin, 'convert', src, '-o', join(dir.path, 'cli.pcapng')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /-> .*cli\.pcapng \(pcapng\): \d+ messages on 1 connection/);
  const bad = spawnSync(process.execPath, [fusetraceBin, 'convert', join(dir.path, 'snap.pcapng'), '-o', join(dir.path, 'cli.fusedump')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /hint: .*--pad-snapped/);
});
