/**
 * Names that are not UTF-8, in a real capture of a daemon nobody here wrote
 * (fuse-convmvfs mirroring UTF-8 names as ISO-8859-1,
 * fixtures/gen/thirdparty-fuse-convmvfs-latin1.sh): `üa` and `ýa` are the
 * bytes fc 61 and fd 61 on the wire. Decoded with U+FFFD for the byte that
 * is not UTF-8, both were one name, and the UNLINK of fc 61 marked the file
 * of fd 61 deleted, which the capture disproves.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { renderText } from '../../src/report/text.js';
import { runCli } from '../helpers/cli.js';
import { pairExchanges, readPcapng } from '../helpers/mount.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CAP = join(ROOT, 'fixtures', 'thirdparty-fuse-convmvfs-latin1.pcapng');
const LOOKUP = 1;
const UNLINK = 10;

describe('fuse-convmvfs, Latin-1 names on the wire', { skip: existsSync(CAP) ? false : 'fixtures/thirdparty-fuse-convmvfs-latin1.pcapng is missing' }, () => {
  it('holds LOOKUPs of fc 61 (nodeid 2, 3 bytes) and fd 61 (nodeid 3, empty), and the UNLINK of fc 61', () => {
    // The independent reader: each request's name bytes after the 40-byte header, and the entry's nodeid.
    const xs = pairExchanges(readPcapng(CAP)).exchanges;
    const nameOf = (x: (typeof xs)[number]): string => x.req.subarray(40, x.req.indexOf(0, 40)).toString('hex');
    const lookups = xs.filter((x) => x.opcode === LOOKUP && x.reply && x.replyError === 0).map((x) => [nameOf(x), Number(x.reply!.readBigUInt64LE(16))]);
    assert.deepEqual(lookups.filter(([n]) => n === 'fc61' || n === 'fd61'), [['fc61', 2], ['fd61', 3]]);
    assert.deepEqual(xs.filter((x) => x.opcode === UNLINK).map((x) => [nameOf(x), x.replyError]), [['fc61', 0]]);
  });

  it('deletes the file of fc 61 and keeps fd 61; the text shows the bytes', () => {
    const r = analyze({ files: [CAP] });
    assert.equal(r.fatal, undefined);
    const paths = Object.fromEntries(r.model.files.map((f) => [Number(f.nodeid), f.path]));
    assert.equal(paths[2], '/\udcfca (deleted)');
    assert.equal(paths[3], '/\udcfda');
    assert.deepEqual(r.model.findings, []);
    const text = renderText(r.model);
    assert.match(text, /\/\\xfca \(deleted\)/);
    assert.match(text, /\/\\xfda /);
  });
});

describe('dump shows a name byte that is not UTF-8 as analyze does', () => {
  it('the real capture: text "\\xfca" and "\\xfda" apart, JSON \\udcfca and \\udcfda', { skip: existsSync(CAP) ? false : 'fixtures/thirdparty-fuse-convmvfs-latin1.pcapng is missing' }, () => {
    for (const args of [['dump'], ['dump', '--exchanges']]) {
      const r = runCli([...args, CAP]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /LOOKUP #16 nodeid 1 pid \d+ "\\xfca"/);
      assert.match(r.stdout, /LOOKUP #18 nodeid 1 pid \d+ "\\xfda"/);
      assert.match(r.stdout, /entries "\\xfca" "\." "\\xfda" "\.\."/);
      assert.doesNotMatch(r.stdout, /\ufffd/);
    }
    const j = runCli(['dump', '--json', CAP]);
    assert.equal(j.code, 0, j.stderr);
    const names = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: { decoded?: { op?: string; body?: { name?: string } } } })
      .filter((l) => l.type === 'message' && l.data.decoded?.op === 'LOOKUP').map((l) => l.data.decoded!.body!.name);
    assert.ok(names.includes('\udcfca') && names.includes('\udcfda'), JSON.stringify(names));
  });

  it('keeps a backslash a backslash: the name "\\udcfc" spelled out is not the byte fc', () => {
    // LOOKUPs (nodeid 1) of: the six characters \udcfc; the byte fc then a backslash; "a" NUL-terminated.
    const names = [Buffer.from('\\udcfc', 'latin1'), Buffer.from([0xfc, 0x5c]), Buffer.from('a')];
    const parts: Buffer[] = [];
    const w = new PcapngWriter((b) => parts.push(b), { le: true });
    w.addInterface({ name: 'fuse:names', snapLen: 0 });
    names.forEach((n, i) => {
      const req = Buffer.alloc(40 + n.length + 1);
      req.writeUInt32LE(req.length, 0);
      req.writeUInt32LE(LOOKUP, 4);
      req.writeBigUInt64LE(BigInt(2 + 2 * i), 8);
      req.writeBigUInt64LE(1n, 16);
      n.copy(req, 40);
      w.packet({ iface: 0, ts: BigInt(1000 + 10 * i), data: req, dir: 1, pid: 1, tid: 1 });
    });
    const dir = mkdtempSync(join(tmpdir(), 'fusetrace-names-'));
    try {
      const cap = join(dir, 'names.pcapng');
      writeFileSync(cap, Buffer.concat(parts));
      const r = runCli(['dump', cap]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, / "\\\\udcfc"\n/);
      assert.match(r.stdout, / "\\xfc\\\\"\n/);
      assert.match(r.stdout, / "a"\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('a NOTIFY_DELETE of a name that is not UTF-8 deletes the file the LOOKUP of those bytes found', () => {
  // LOOKUP of fc 61 in the root, answered nodeid 2; then the daemon's NOTIFY_DELETE (parent 1, child 2, fc 61).
  const name = Buffer.from([0xfc, 0x61]);
  const parts: Buffer[] = [];
  const w = new PcapngWriter((b) => parts.push(b), { le: true });
  w.addInterface({ name: 'fuse:names', snapLen: 0 });
  const req = Buffer.alloc(40 + name.length + 1);
  req.writeUInt32LE(req.length, 0);
  req.writeUInt32LE(LOOKUP, 4);
  req.writeBigUInt64LE(2n, 8);
  req.writeBigUInt64LE(1n, 16);
  name.copy(req, 40);
  w.packet({ iface: 0, ts: 1000n, data: req, dir: 1, pid: 1, tid: 1 });
  const reply = Buffer.alloc(16 + 128); // fuse_out_header + fuse_entry_out
  reply.writeUInt32LE(reply.length, 0);
  reply.writeBigUInt64LE(2n, 8);
  reply.writeBigUInt64LE(2n, 16); // nodeid
  reply.writeBigUInt64LE(2n, 56); // attr.ino
  reply.writeUInt32LE(0o100644, 16 + 40 + 60); // attr.mode
  w.packet({ iface: 0, ts: 2000n, data: reply, dir: 2, pid: 1, tid: 1 });
  const del = Buffer.alloc(16 + 24 + name.length + 1);
  del.writeUInt32LE(del.length, 0);
  del.writeInt32LE(6, 4); // FUSE_NOTIFY_DELETE
  del.writeBigUInt64LE(1n, 16);
  del.writeBigUInt64LE(2n, 24);
  del.writeUInt32LE(name.length, 32);
  name.copy(del, 40);
  w.packet({ iface: 0, ts: 3000n, data: del, dir: 2, pid: 1, tid: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-names-'));
  try {
    const cap = join(dir, 'notify-delete.pcapng');
    writeFileSync(cap, Buffer.concat(parts));
    const r = analyze({ files: [cap] });
    assert.equal(r.fatal, undefined);
    assert.equal(r.model.files.find((f) => Number(f.nodeid) === 2)?.path, '/\udcfca (deleted)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
