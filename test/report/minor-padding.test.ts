/**
 * Fields newer than the negotiated minor were padding then, and every
 * output reads them as 0 (fuse-protocol.md §4.1), whatever bytes a daemon
 * left there: fuse_attr.flags (7.32) in GETATTR/LOOKUP/READDIRPLUS replies,
 * fuse_open_out.backing_id (7.40), fuse_open_in.open_flags (7.33). The same
 * capture negotiated at 7.45 prints the bytes. Checked on `dump` (text, -v),
 * `dump --json` (the generated whole-message writers, and the walk, which a
 * packet comment sends the message to), `dump --exchanges --json` and the
 * requests export; and on a real GlusterFS capture (7.24) whose attr
 * padding holds stack bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Cap, OP, attr, openOut } from '../analysis/capture-builder.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { readCapture } from '../../src/capture/open.js';
import { Direction } from '../../src/capture/message.js';

/** fuse_attr.flags: FUSE_ATTR_SUBMOUNT and bits no kernel defines, as a stack leaves them. */
const JUNK_FLAGS = 0x7fd1;
/** fuse_open_out.backing_id junk (FOPEN_PASSTHROUGH is not set: the reply names no backing file). */
const JUNK_BACKING = 0x7fc0;
/** fuse_open_in.open_flags junk (FUSE_OPEN_KILL_SUIDGID and more). */
const JUNK_OPEN_FLAGS = 0x7f01;
const ATTR_FLAGS_AT = 84;

/** An attr whose padding-before-7.32 holds JUNK_FLAGS. */
function junkAttr(ino: number, size: number, mode?: number): Buffer {
  const a = attr({ ino, size, mode });
  a.writeUInt32LE(JUNK_FLAGS, ATTR_FLAGS_AT);
  return a;
}

/** A capture negotiated at 7.`minor` whose replies hold junk in the fields newer than 7.31. */
function junkCapture(minor: number): string {
  const c = new Cap();
  // INIT at `minor` both ways (the builder's INIT speaks 7.45).
  const inb = Buffer.alloc(64);
  inb.writeUInt32LE(7, 0);
  inb.writeUInt32LE(minor, 4);
  const u = c.req(0, 0, OP.INIT, 0, inb, { pid: 0 });
  const out = Buffer.alloc(64);
  out.writeUInt32LE(7, 0);
  out.writeUInt32LE(minor, 4);
  out.writeUInt32LE(1 << 20, 20);
  c.rep(0, 0.01, u, 0, out);
  // LOOKUP: fuse_entry_out (walked by the generated writers).
  const lk = c.req(0, 1, OP.LOOKUP, 1, Buffer.from('f\0'));
  const entry = Buffer.alloc(40);
  entry.writeBigUInt64LE(5n, 0);
  c.rep(0, 1.1, lk, 0, Buffer.concat([entry, junkAttr(5, 100)]));
  // GETATTR: fuse_attr_out, with a packet comment (the general walk).
  const ga = c.req(0, 2, OP.GETATTR, 5, Buffer.alloc(16));
  const ao = Buffer.alloc(16);
  ao.writeBigUInt64LE(1n, 0);
  c.rep(0, 2.1, ga, 0, Buffer.concat([ao, junkAttr(5, 100)]));
  c.comment('general walk');
  // OPEN: open_in.open_flags and open_out.backing_id.
  const oin = Buffer.alloc(8);
  oin.writeUInt32LE(2, 0);
  oin.writeUInt32LE(JUNK_OPEN_FLAGS, 4);
  const op = c.req(0, 3, OP.OPEN, 5, oin);
  c.rep(0, 3.1, op, 0, openOut(9, 0, JUNK_BACKING));
  // READDIRPLUS: a direntplus record's attr.
  const rin = Buffer.alloc(40);
  rin.writeUInt32LE(4096, 16);
  const rd = c.req(0, 4, 44, 1, rin);
  const head = Buffer.alloc(40);
  head.writeBigUInt64LE(5n, 0);
  const dirent = Buffer.alloc(24);
  dirent.writeBigUInt64LE(5n, 0);
  dirent.writeBigUInt64LE(1n, 8);
  dirent.writeUInt32LE(1, 16);
  dirent.writeUInt32LE(8, 20);
  c.rep(0, 4.1, rd, 0, Buffer.concat([head, junkAttr(5, 100), dirent, Buffer.from('f\0\0\0\0\0\0\0')]));
  return c.file(`junk-7.${minor}.pcapng`);
}

interface Line { type: string; data: { decoded?: { op: string; type: string; body: Record<string, unknown> } } }

function jsonLines(args: string[]): Line[] {
  const r = runCli(args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Line);
}

type Obj = Record<string, unknown>;

/** The attrs, open_out and open_in of a dump --json's messages. */
function fieldsOf(lines: Line[]): { attrs: Obj[]; openOut: Obj; openIn: Obj } {
  const attrs: Obj[] = [];
  let openOutS: Obj | undefined;
  let openInS: Obj | undefined;
  for (const l of lines) {
    const d = l.data.decoded;
    if (l.type !== 'message' || !d) continue;
    const b = d.body;
    for (const k of ['fuse_entry_out', 'fuse_attr_out']) if (b[k]) attrs.push((b[k] as Obj).attr as Obj);
    if (b.entries) for (const e of b.entries as Obj[]) attrs.push(((e as Obj).entry_out as Obj | undefined)?.attr as Obj ?? e.attr as Obj);
    if (b.fuse_open_out) openOutS = b.fuse_open_out as Obj;
    if (b.fuse_open_in) openInS = b.fuse_open_in as Obj;
  }
  return { attrs, openOut: openOutS!, openIn: openInS! };
}

describe('fields newer than the negotiated minor read as 0', () => {
  const old = junkCapture(24);
  const now = junkCapture(45);

  it('dump --json (generated writers and the walk): 0 at 7.24, the bytes at 7.45', () => {
    const a = fieldsOf(jsonLines(['dump', '--json', old]));
    assert.equal(a.attrs.length, 3, JSON.stringify(a.attrs));
    for (const x of a.attrs) {
      assert.equal(x.flags, 0);
      assert.equal(x.flags_names, '0');
      assert.equal(x.blksize, 4096, 'fields older than the minor keep their bytes');
    }
    assert.equal(a.openOut.backing_id, 0);
    assert.equal(a.openIn.open_flags, 0);
    assert.equal(a.openIn.open_flags_names, '0');
    const b = fieldsOf(jsonLines(['dump', '--json', now]));
    assert.equal(b.attrs.length, 3);
    for (const x of b.attrs) {
      assert.equal(x.flags, JUNK_FLAGS);
      assert.match(String(x.flags_names), /^FUSE_ATTR_SUBMOUNT\|0x7fd0$/);
    }
    assert.equal(b.openOut.backing_id, JUNK_BACKING);
    assert.equal(b.openIn.open_flags, JUNK_OPEN_FLAGS);
  });

  it('dump --exchanges --json: the same', () => {
    const r = runCli(['dump', '--exchanges', '--json', old]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /SUBMOUNT|"backing_id":32704|"open_flags":32513/);
    assert.match(r.stdout, /"flags":0,"flags_names":"0"/);
    const n = runCli(['dump', '--exchanges', '--json', now]);
    assert.match(n.stdout, /"flags":32721,"flags_names":"FUSE_ATTR_SUBMOUNT\|0x7fd0"/);
    assert.match(n.stdout, /"backing_id":32704/);
  });

  for (const v of [[], ['-v']]) {
    it(`dump${v.length > 0 ? ` ${v.join(' ')}` : ''} text: no flags at 7.24, the flags at 7.45`, () => {
      const r = runCli(['dump', ...v, old]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /SUBMOUNT|0x7fd0|32704|0x7f01/);
      const n = runCli(['dump', ...v, now]);
      assert.match(n.stdout, /SUBMOUNT\|0x7fd0/);
    });
  }

  it('export requests: an OPEN\'s open_flags are 0 at 7.24', () => {
    const rows = (f: string): Obj[] => {
      const r = runCli(['export', f, '--table', 'requests', '--format', 'jsonl']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Obj).filter((o) => o.op === 'OPEN');
    };
    const [o] = rows(old);
    const [n] = rows(now);
    assert.ok(o && n);
    // The column of the opcode's flags (open_flags for OPEN) names them at 7.45, is empty at 7.24.
    const differing = Object.keys(n).filter((k) => JSON.stringify(n[k]) !== JSON.stringify(o[k]) && k !== 'file');
    assert.ok(differing.length > 0, 'the junk shows at 7.45');
    for (const k of differing) assert.ok(o[k] === '' || o[k] === 0 || o[k] === null, `${k}: ${JSON.stringify(o[k])} at 7.24`);
  });

  it('a real GlusterFS 10.3 capture (7.24): the attr padding holds bytes, dump shows flags 0', () => {
    const file = join(ROOT, 'fixtures/thirdparty-glusterfs.fusedump');
    // The bytes: fuse_attr.flags of some GETATTR reply (a 16 + 104-byte fuse_attr_out message) is nonzero in the capture.
    let junk = 0;
    readCapture(file, {
      onConnection() {},
      onNotice() {},
      onMessage(m) {
        if (m.dir !== Direction.Outbound || m.capLen !== 16 + 104 || m.data.readInt32LE(m.off + 4) !== 0) return;
        if (m.data.readUInt32LE(m.off + 16 + 16 + ATTR_FLAGS_AT) !== 0) junk++;
      },
    });
    assert.ok(junk > 0, 'the capture has nonzero attr padding');
    const lines = jsonLines(['dump', '--json', file]);
    const init = lines.find((l) => l.data.decoded?.op === 'INIT' && l.data.decoded.type === 'reply');
    assert.equal((init!.data.decoded!.body as Obj).negotiated_minor, 24);
    const { attrs } = fieldsOf(lines);
    assert.ok(attrs.length >= junk);
    for (const a of attrs) assert.equal(a.flags, 0);
    const text = runCli(['dump', '-v', file]);
    assert.doesNotMatch(text.stdout, /FUSE_ATTR_|0x7f[0-9a-f]{2}\b(?! )/);
  });
});
