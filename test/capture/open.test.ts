/**
 * createParser / readCapture / readCaptures: format detection by content,
 * several inputs merged by time (the input with the oldest latest message is
 * stepped first), shared connection numbers and epoch, errors carrying the
 * file name after what was read before them.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CaptureError } from '../../src/capture/errors.js';
import { fusedumpToBuffer } from '../../src/capture/fusedump-writer.js';
import { Timebase } from '../../src/capture/message.js';
import { createParser, readCapture } from '../../src/capture/open.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import { collector, pcapngBlocks, readFiles, reply, request, withTempDir } from './support.js';

const T0 = 1795561795892945704n;

test('createParser returns the reader of each format', () => {
  const ctx = { file: 'x', input: 0, timebase: new Timebase(), sink: collector().sink, options: {} };
  assert.equal(createParser('pcapng', ctx).format, 'pcapng');
  assert.equal(createParser('fusedump', ctx).format, 'fusedump');
});

test('readCaptures: pcapng and fusedump inputs, one time base, connections numbered in input order', () => {
  withTempDir((dir) => {
    const a = join(dir, 'a.pcapng');
    const b = join(dir, 'b.bin'); // a fusedump whatever its name
    writeFileSync(a, pcapngToBuffer((w) => {
      w.addInterface({ name: 'fuse:a' });
      w.packet({ iface: 0, ts: T0 + 100n, data: request(3, 2, 1, Buffer.alloc(16)), dir: 1 });
      w.packet({ iface: 0, ts: T0 + 200n, data: reply(2, 0), dir: 2 });
    }));
    writeFileSync(b, fusedumpToBuffer((w) => {
      w.record({ dir: 1, ts: T0 + 50n, data: request(3, 2, 1, Buffer.alloc(16)) });
      w.record({ dir: 2, ts: T0 + 150n, data: reply(2, 0) });
    }));
    const { got, error, timebase } = readFiles([a, b]);
    assert.equal(error, undefined);
    assert.deepEqual(got.conns.map((c) => [c.conn, c.input, c.format, c.file]), [[0, 0, 'pcapng', a], [1, 1, 'fusedump', b]]);
    assert.equal(timebase.epochNs, T0 + 100n, 'the first message read fixes the epoch');
    assert.deepEqual(got.msgs.map((m) => [m.input, m.conn, m.t]), [[0, 0, 0], [0, 0, 100], [1, 1, -50], [1, 1, 50]]);
  });
});

test('readCaptures steps the input whose latest message is oldest', () => {
  withTempDir((dir) => {
    // Input 0 is far ahead in time; input 1 has a big first chunk behind it.
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, pcapngToBuffer((w) => {
      w.addInterface({ name: 'fuse:a' });
      w.packet({ iface: 0, ts: T0 + 1_000_000n, data: reply(2, 0), dir: 2 });
    }));
    writeFileSync(b, pcapngToBuffer((w) => {
      w.addInterface({ name: 'fuse:b' });
      // More than one 4 MiB chunk of messages.
      const body = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 80; i++) w.packet({ iface: 0, ts: T0 + BigInt(i), data: Buffer.concat([reply(2 * i + 2, 0), body]), dir: 2 });
    }));
    const order: number[] = [];
    const r = readFiles([a, b]);
    assert.equal(r.error, undefined);
    for (const m of r.got.msgs) order.push(m.input);
    assert.equal(order.length, 81);
    assert.equal(order[0], 0);
    assert.ok(order.slice(1).every((i) => i === 1), 'input 1 stays behind input 0 until it is exhausted');
    // readCapture: one file.
    const { sink, got } = collector();
    const one = readCapture(b, sink);
    assert.equal(got.msgs.length, 80);
    assert.equal(one.inputs.length, 1);
    assert.ok(one.inputs[0]!.done);
  });
});

test('readCaptures: an error names its file; messages read before it were delivered; all inputs closed', () => {
  withTempDir((dir) => {
    const good = join(dir, 'good');
    const bad = join(dir, 'bad');
    writeFileSync(good, pcapngToBuffer((w) => {
      w.addInterface({ name: 'fuse' });
      w.packet({ iface: 0, ts: T0, data: reply(2, 0), dir: 2 });
    }));
    const b = pcapngToBuffer((w) => {
      w.addInterface({ name: 'fuse' });
      w.packet({ iface: 0, ts: T0, data: reply(2, 0), dir: 2 });
      w.packet({ iface: 0, ts: T0, data: reply(4, 0), dir: 2 });
    });
    const last = pcapngBlocks(b).at(-1)!;
    b.writeUInt32LE(0x7ffffffc, last.offset + 4);
    writeFileSync(bad, b);
    const { got, error } = readFiles([good, bad]);
    assert.ok(error instanceof CaptureError);
    assert.equal(error.file, bad);
    assert.equal(got.msgs.length, 2);
    const missing = readFiles([join(dir, 'nope')]);
    assert.ok(missing.error instanceof CaptureError);
    assert.match(missing.error.what, /cannot open: no such file or directory \(ENOENT\)/);
  });
});

test('records larger than the 4 MiB read chunk arrive whole (pcapng and fusedump)', () => {
  const big = request(16, 2, 1, Buffer.alloc(10 << 20, 0x5a));
  const small = reply(2, 0);
  withTempDir((dir) => {
    const p = join(dir, 'big.pcapng');
    writeFileSync(p, pcapngToBuffer((w) => {
      w.addInterface({ name: 'fuse' });
      w.packet({ iface: 0, ts: T0, data: small, dir: 2 });
      w.packet({ iface: 0, ts: T0 + 1n, data: big, dir: 1 });
      w.packet({ iface: 0, ts: T0 + 2n, data: small, dir: 2 });
    }));
    const f = join(dir, 'big.fusedump');
    writeFileSync(f, fusedumpToBuffer((w) => {
      w.record({ dir: 2, ts: T0, data: small });
      w.record({ dir: 1, ts: T0 + 1n, data: big });
      w.record({ dir: 2, ts: T0 + 2n, data: small });
    }));
    for (const file of [p, f]) {
      const { got, error } = readFiles([file]);
      assert.equal(error, undefined);
      assert.deepEqual(got.msgs.map((m) => [m.capLen, m.t]), [[16, 0], [big.length, 1], [16, 2]]);
      assert.equal(got.msgs[1]!.hex.length, big.length * 2);
      assert.ok(got.msgs[1]!.hex.endsWith('5a5a5a5a'));
      assert.deepEqual(got.notices, []);
    }
  });
});

test('standard input ("-") through a pipe', async () => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const openJs = fileURLToPath(new URL('../../src/capture/open.js', import.meta.url));
  const data = pcapngToBuffer((w) => {
    w.addInterface({ name: 'fuse:stdin' });
    for (let i = 0; i < 1000; i++) w.packet({ iface: 0, ts: T0 + BigInt(i), data: reply(2 * i + 2, 0, Buffer.alloc(100)), dir: 2 });
  });
  const script = `
    const { readCapture } = await import(${JSON.stringify(openJs)});
    let n = 0, name = '';
    readCapture('-', { onConnection(c) { name = c.name + ' ' + c.file; }, onMessage() { n++; }, onNotice(x) { console.log(x.kind); } });
    console.log(n, name);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: data, encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), '1000 fuse:stdin -');
});
