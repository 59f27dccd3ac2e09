/**
 * Gzip-compressed captures are read directly (recognised by 1f 8b, never by
 * name), decompressed on the way in: the same analysis and dump as the
 * decompressed bytes, from a file or standard input, multi-member files
 * whole; damage, a cut, a bad CRC-32 or length and stray bytes give a
 * CaptureError naming the compressed file's offset (or the decompressed
 * data's, for damage the capture readers find) after everything decoded
 * before it was delivered; a decompression bomb is read in bounded memory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CaptureError } from '../../src/capture/errors.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { fusetraceBin, makeTempDir, repoRoot } from '../helpers/mount.js';
import { pcapngBlocks, readBytes, readFiles, reply, request, withTempDir, type Collected } from './support.js';

const fixture = (name: string): string => join(repoRoot, 'fixtures', name);
const smoke = readFileSync(fixture('smoke.pcapng'));
const smokeGz = gzipSync(smoke);
const T0 = 1795561795892945704n;

function cli(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [fusetraceBin, ...args], { input, encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The error of a run that must fail: a CaptureError whose offset counts in `space`. */
function captureError(e: unknown, space: CaptureError['space'], what: RegExp): CaptureError {
  assert.ok(e instanceof CaptureError, `expected a CaptureError, got ${String(e)}`);
  assert.equal(e.space, space, e.message);
  assert.match(e.what, what);
  assert.match(e.message, space === 'compressed' ? / of the compressed file: / : / of the decompressed data: /);
  return e;
}

/** Messages as the plain capture gives them, minus `input` (the same in every read here). */
function plainMessages(data: Buffer): Collected['msgs'] {
  const r = readBytes(data);
  assert.equal(r.error, undefined);
  return r.got.msgs;
}

test('analyze --json of fixtures/manyfiles.pcapng.gz is that of its decompressed bytes, but for the file name and `compression`', () => {
  const dir = makeTempDir('gzip');
  try {
    const plain = join(dir.path, 'manyfiles.pcapng');
    const raw = gunzipSync(readFileSync(fixture('manyfiles.pcapng.gz')));
    writeFileSync(plain, raw);
    const gz = cli(['analyze', '--json', fixture('manyfiles.pcapng.gz')]);
    const pl = cli(['analyze', '--json', plain]);
    assert.equal(gz.status, 0, gz.stderr);
    assert.equal(pl.status, 0, pl.stderr);
    const a = JSON.parse(gz.stdout) as { inputs: Record<string, unknown>[]; connections: Record<string, unknown>[] };
    const b = JSON.parse(pl.stdout) as typeof a;
    assert.equal(a.inputs[0]!.compression, 'gzip');
    assert.equal(a.inputs[0]!.bytes, raw.length, 'bytes: the decompressed data read');
    assert.equal(a.inputs[0]!.messages, 460687);
    delete a.inputs[0]!.compression;
    const name = (s: string): string => s.split(fixture('manyfiles.pcapng.gz')).join('CAPTURE').split(plain).join('CAPTURE');
    assert.equal(name(JSON.stringify(a)), name(JSON.stringify(b)));
  } finally {
    dir.remove();
  }
});

test('dump of a gzipped capture (pcapng and fusedump, file and standard input) is the dump of the plain one', () => {
  withTempDir((dir) => {
    for (const [name, args] of [['smoke.pcapng', []], ['thirdparty-glusterfs.fusedump', []], ['smoke.pcapng', ['--json']], ['smoke.pcapng', ['--exchanges', '-v']]] as const) {
      const raw = readFileSync(fixture(name));
      // The fixture's own name (a fusedump's connection is named after its file): gzip is known by its bytes.
      const gzFile = join(dir, name);
      writeFileSync(gzFile, gzipSync(raw));
      const plain = cli(['dump', ...args, fixture(name)]);
      assert.equal(plain.status, 0, plain.stderr);
      // The capture's name is in the summary: "(FILE)" in text, "file":"FILE" in JSON.
      const norm = (out: string, file: string): string =>
        out.split(`(${file})`).join('(CAPTURE)').split(`"file":${JSON.stringify(file)}`).join('"file":"CAPTURE"');
      const expected = norm(plain.stdout, fixture(name));
      assert.ok(expected.includes('CAPTURE') && expected.length > 10000);
      const fromFile = cli(['dump', ...args, gzFile]);
      assert.equal(fromFile.status, 0, fromFile.stderr);
      assert.equal(norm(fromFile.stdout, gzFile), expected, `${name} ${args.join(' ')}`);
      if (name.endsWith('.fusedump')) continue;
      const fromStdin = cli(['dump', ...args, '-'], readFileSync(gzFile));
      assert.equal(fromStdin.status, 0, fromStdin.stderr);
      assert.equal(norm(fromStdin.stdout, '-'), expected, `${name} ${args.join(' ')} from -`);
    }
  });
});

test('convert reads a gzipped capture, from a file and from standard input', () => {
  withTempDir((dir) => {
    const gzFile = join(dir, 'in.gz');
    writeFileSync(gzFile, smokeGz);
    const plainOut = join(dir, 'plain.fusedump');
    assert.equal(cli(['convert', fixture('smoke.pcapng'), '--pad-snapped', '-o', plainOut]).status, 0);
    const fromGz = join(dir, 'gz.fusedump');
    const r = cli(['convert', gzFile, '--pad-snapped', '-o', fromGz]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(fromGz), readFileSync(plainOut));
    const fromStdin = join(dir, 'stdin.fusedump');
    assert.equal(cli(['convert', '-', '--pad-snapped', '-o', fromStdin], smokeGz).status, 0);
    assert.deepEqual(readFileSync(fromStdin), readFileSync(plainOut));
  });
});

test('multi-member files (as `cat a.gz b.gz` makes them) are read whole, members split anywhere', () => {
  const full = plainMessages(smoke);
  for (const cut of [1, 4, 1000, 65536, 200001, smoke.length - 3]) {
    const twoMembers = Buffer.concat([gzipSync(smoke.subarray(0, cut)), gzipSync(smoke.subarray(cut))]);
    const r = readBytes(twoMembers);
    assert.equal(r.error, undefined, `split at ${cut}: ${String(r.error)}`);
    assert.deepEqual(r.got.msgs, full, `split at ${cut}`);
  }
  // Many small members, one empty.
  const pieces: Buffer[] = [gzipSync(Buffer.alloc(0))];
  for (let at = 0; at < smoke.length; at += 7777) pieces.push(gzipSync(smoke.subarray(at, at + 7777)));
  const r = readBytes(Buffer.concat(pieces));
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.got.msgs, full);
  // Two whole captures: two pcapng sections, two connections.
  const two = readBytes(Buffer.concat([smokeGz, smokeGz]));
  assert.equal(two.error, undefined);
  assert.equal(two.got.msgs.length, 2 * full.length);
  assert.equal(two.got.conns.length, 2);
});

test('a cut .gz: what was decoded before the cut is delivered, then a CaptureError at the compressed file\'s end', () => {
  const full = plainMessages(smoke);
  const n = smokeGz.length;
  let sawSome = 0;
  // (One byte, 1f, is not known as gzip: an unknown format.)
  for (const cut of [2, 5, 9, 10, 11, 100, 4000, 8192, 8193, Math.floor(n / 2), n - 100, n - 9, n - 8, n - 7, n - 4, n - 1]) {
    const r = readBytes(smokeGz.subarray(0, cut));
    const e = captureError(r.error, 'compressed', /cut short/);
    // Cut where the trailer should begin, the last 8 bytes read are named (they may be a damaged trailer).
    if (cut >= 10) assert.equal(e.offset, cut === n - 8 ? cut - 8 : cut, `cut at ${cut}: the offset is where the file ends`);
    assert.deepEqual(r.got.msgs, full.slice(0, r.got.msgs.length), `cut at ${cut}: a prefix of the messages`);
    if (cut >= n - 8) assert.equal(r.got.msgs.length, full.length, `cut at ${cut} (in the trailer): every message`);
    if (r.got.msgs.length > 0) sawSome++;
  }
  assert.ok(sawSome >= 6, 'cuts after the first pieces deliver messages');
  // Through the command: exit 2, the clear message, no stack trace, the messages before the cut analyzed.
  withTempDir((dir) => {
    const f = join(dir, 'cut.pcapng.gz');
    writeFileSync(f, smokeGz.subarray(0, n - 3000));
    const r = cli(['analyze', '--json', f]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /fusetrace: error: .*cut\.pcapng\.gz: at byte \d+ \(0x[0-9a-f]+\) of the compressed file: the file ends inside the compressed data of gzip member 1/);
    assert.match(r.stderr, /hint: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const model = JSON.parse(r.stdout) as { inputs: { messages: number }[]; limitations: { kind: string; message: string }[] };
    assert.ok(model.inputs[0]!.messages > full.length / 2, `${model.inputs[0]!.messages} messages analyzed`);
    assert.ok(model.limitations.some((l) => l.kind === 'cut' && / of the compressed file/.test(l.message)));
  });
});

test('damaged deflate data, a bad CRC-32, a bad length, stray bytes after the end: each named, at the compressed file\'s offset', () => {
  const n = smokeGz.length;
  const full = plainMessages(smoke);
  const damaged = (at: number, value: (b: number) => number): Buffer => {
    const b = Buffer.from(smokeGz);
    b[at] = value(b[at]!);
    return b;
  };
  // gzipSync writes a 10-byte header; BTYPE 11 (reserved) in the first block's header.
  const badBlock = readBytes(damaged(10, (b) => b | 0x06));
  const e1 = captureError(badBlock.error, 'compressed', /damaged deflate data in gzip member 1: invalid block type/);
  assert.equal(e1.offset, 0);
  const crc = readBytes(damaged(n - 8, (b) => b ^ 0x01));
  const e2 = captureError(crc.error, 'compressed', /gzip member 1: its trailer gives CRC-32 [0-9a-f]{8}, its decompressed data has [0-9a-f]{8}/);
  assert.equal(e2.offset, n - 8);
  assert.deepEqual(crc.got.msgs, full, 'everything decoded is delivered before the CRC error');
  const len = readBytes(damaged(n - 4, (b) => b ^ 0x01));
  captureError(len.error, 'compressed', new RegExp(`a length of ${(smoke.length ^ 1) >>> 0} bytes \\(mod 2\\^32\\), ${smoke.length} were decompressed`));
  // A member that is not the last: its trailer is checked when the next begins.
  const first = damaged(n - 6, (b) => b ^ 0x80);
  const inner = readBytes(Buffer.concat([first, smokeGz]));
  const e3 = captureError(inner.error, 'compressed', /gzip member 1: its trailer gives CRC-32/);
  assert.equal(e3.offset, n - 8);
  for (const tail of [Buffer.from('junk'), Buffer.from('x'), Buffer.alloc(512)]) {
    const r = readBytes(Buffer.concat([smokeGz, tail]));
    const e = captureError(r.error, 'compressed', /after the end of gzip member 1 \(its CRC-32 and length are right\), bytes that are not a gzip member/);
    assert.equal(e.offset, n);
    assert.deepEqual(r.got.msgs, full);
  }
  const header = readBytes(Buffer.concat([smokeGz, smokeGz.subarray(0, 6)]));
  captureError(header.error, 'compressed', /another member's header begins and the file ends inside it/);
  const method = readBytes(damaged(2, () => 7));
  captureError(method.error, 'compressed', /compression method 7, expected 8 \(deflate\)/);
});

test('damage the capture readers find inside the decompressed data names the decompressed data\'s offset', () => {
  const cut = readBytes(gzipSync(smoke.subarray(0, 100000)));
  assert.equal(cut.error, undefined);
  assert.equal(cut.got.notices.length, 1);
  assert.match(cut.got.notices[0]!.message, /capture cut in block #\d+ at byte 0x[0-9a-f]+ of the decompressed data/);
  // A block length far too large, in a block somewhere in the middle.
  const block = pcapngBlocks(smoke).find((x) => x.offset > 100000)!;
  const b = Buffer.from(smoke);
  b.writeUInt32LE(0x7ffffff0, block.offset + 4);
  const bad = readBytes(gzipSync(b));
  const e = captureError(bad.error, 'decompressed', /length/);
  assert.equal(e.offset, block.offset, 'the damaged block\'s offset in the decompressed data');
  assert.match(e.message, /block #\d+ at byte \d+ \(0x[0-9a-f]+\) of the decompressed data: /);
  const text = readBytes(gzipSync(Buffer.from('hello, this is not a capture\n')));
  captureError(text.error, 'decompressed', /unknown capture format/);
  captureError(readBytes(gzipSync(Buffer.alloc(0))).error, 'decompressed', /the decompressed data is empty/);
  captureError(readBytes(gzipSync(smokeGz)).error, 'decompressed', /the decompressed data is gzip-compressed again/);
});

/** The last block of a capture pcapngToBuffer wrote with one packet (after its SHB and IDB): the packet's EPB. */
function epbOf(capture: Buffer): Buffer {
  const len = capture.readUInt32LE(capture.length - 4);
  return capture.subarray(capture.length - len);
}

test('a decompression bomb is read in bounded memory: 200 MB of packets from under 1 MB, every message delivered', () => {
  const one = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:bomb', snapLen: 0 });
    w.packet({ iface: 0, ts: T0, data: request(3, 2, 1, Buffer.alloc(16)), dir: 1 });
  });
  const epb = epbOf(one);
  const copies = Math.floor((200 << 20) / epb.length);
  const body = Buffer.alloc(epb.length * copies);
  for (let i = 0; i < copies; i++) epb.copy(body, i * epb.length);
  const bomb = gzipSync(Buffer.concat([one.subarray(0, one.length - epb.length), body]), { level: 9 });
  assert.ok(bomb.length < 1 << 20, `${bomb.length} compressed bytes`);
  withTempDir((dir) => {
    const f = join(dir, 'bomb.gz');
    writeFileSync(f, bomb);
    // In a process of its own, so that the test's own buffers do not count; RSS sampled as the
    // messages come (getrusage's peak would count the parent's, which a forked child inherits on Linux).
    const open = join(repoRoot, 'dist', 'src', 'capture', 'open.js');
    const script = `const { readCaptures } = await import(${JSON.stringify(open)});
let n = 0;
const before = process.memoryUsage.rss();
let peak = before;
const onMessage = () => { if ((++n & 4095) === 0) peak = Math.max(peak, process.memoryUsage.rss()); };
readCaptures([${JSON.stringify(f)}], { onConnection() {}, onMessage, onNotice() {} });
console.log(JSON.stringify({ n, grew: peak - before }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { n: number; grew: number };
    assert.equal(got.n, copies);
    assert.ok(got.grew < 96 << 20, `peak RSS grew by ${(got.grew / 1048576).toFixed(0)} MiB reading ${copies * epb.length} decompressed bytes`);
    // A bomb of zeros is no capture: refused at its first bytes.
    writeFileSync(f, gzipSync(Buffer.alloc(200 << 20), { level: 9 }));
    const zeros = cli(['analyze', f]);
    assert.equal(zeros.status, 2);
    assert.match(zeros.stderr, /at byte 0 \(0x0\) of the decompressed data: unknown capture format/);
  });
});

test('random cuts and corruptions of a gzipped capture: only CaptureError, and a cut delivers a prefix of the messages', () => {
  const small = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:prop', snapLen: 0 });
    for (let i = 0; i < 300; i++) {
      w.packet({ iface: 0, ts: T0 + BigInt(i * 1000), data: request(1 + (i % 40), 2 * i + 2, 1, Buffer.alloc(i % 97, i)), dir: 1 });
      w.packet({ iface: 0, ts: T0 + BigInt(i * 1000 + 500), data: reply(2 * i + 2, -(i % 30), Buffer.alloc(i % 53, i)), dir: 2 });
    }
  });
  const first = gzipSync(small.subarray(0, 20000));
  const gz = Buffer.concat([first, gzipSync(small.subarray(20000))]);
  const full = plainMessages(small);
  // Cut at the end of the first member, the file is a whole gzip file of the capture's first 20,000 bytes: what
  // those bytes read as plain (here they end between two blocks, so no error at all), not damage.
  const atMemberEnd = readBytes(small.subarray(0, 20000));
  withTempDir((dir) => {
    const f = join(dir, 'p.gz');
    const readGz = (b: Buffer): { got: Collected; error: unknown } => {
      writeFileSync(f, b);
      return readFiles([f]);
    };
    const whole = readGz(first);
    assert.equal(atMemberEnd.error, undefined, 'the first 20,000 bytes end between two blocks');
    assert.equal(whole.error, undefined);
    assert.deepEqual(whole.got.msgs, atMemberEnd.got.msgs);
    fc.assert(fc.property(fc.integer({ min: 0, max: gz.length - 1 }).filter((cut) => cut !== first.length), (cut) => {
      const r = readGz(gz.subarray(0, cut));
      assert.ok(r.error instanceof CaptureError, `cut at ${cut}: ${String(r.error)}`);
      assert.deepEqual(r.got.msgs, full.slice(0, r.got.msgs.length));
    }), { numRuns: 150 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: gz.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = Buffer.from(gz);
      for (const [at, v] of edits) b[at] = v;
      const r = readGz(b);
      if (r.error !== undefined) assert.ok(r.error instanceof CaptureError, `${JSON.stringify(edits)}: ${String(r.error)}`);
    }), { numRuns: 300 });
  });
});
