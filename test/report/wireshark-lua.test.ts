/**
 * The generated Wireshark Lua dissector, run by Debian's tshark (Lua 5.2)
 * with `-X lua_script:` on every real fixture: for every message, the
 * header fields (opcode, unique, nodeid, error) and every field of every
 * struct `fusetrace dump --json` decodes (offset, size, fh, flags, attr ...)
 * have the same values in tshark's PDML. Also: the display filter of the
 * README, request/reply links with the latency, expert info, the body
 * description reader, and `--install`.
 */
import { asHost } from '../helpers/host-capture.js';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LAYOUTS_BY_NAME } from '../../src/protocol/layouts/index.js';
import { OPCODES, opcodeRow, type BodyPart } from '../../src/protocol/opcodes.js';
import { bodyTokens, fieldAbbrev, type BodyToken } from '../../src/report/wireshark-lua.js';
import { pcapngToBuffer } from '../../src/capture/pcapng-writer.js';
import type { StructLayout } from '../../src/protocol/layout.js';
import { sizeAt } from '../../src/protocol/layouts/index.js';
import { fuse_init_in, fuse_init_out } from '../../src/protocol/layouts/init.js';
import { NOTIFY_CODES, Op } from '../../src/protocol/opcodes.js';
import { parseJsonExact } from '../helpers/json-exact.js';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-wireshark-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const whyNoTshark = tshark.status === 0 ? undefined : 'tshark is missing; apt-get install tshark (listed in .ci/apt-packages.txt)';
const FIXTURES = readdirSync(join(ROOT, 'fixtures')).filter((f) => f.endsWith('.pcapng')).map((f) => join(ROOT, 'fixtures', f));

function runTshark(args: string[]): string {
  // HOME points at an empty folder: no personal plugin or preference of the machine interferes.
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, HOME: tmp } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Lua: Error|lua_script.*error/i, r.stderr);
  return r.stdout;
}

/** Per packet: field name -> every value shown (PDML `show`, hex made decimal). */
function pdmlFields(xml: string): Map<string, string[]>[] {
  const packets: Map<string, string[]>[] = [];
  for (const pkt of xml.split('<packet>').slice(1)) {
    // Wireshark lists a Custom Block (the recorder's queue samples, backing files) as a frame of its own: not a message.
    if (/<proto name="frame" showname="PCAPNG Custom Block/.test(pkt)) continue;
    const m = new Map<string, string[]>();
    for (const f of pkt.matchAll(/<field name="(fuse\.[a-z0-9_.]+)" showname="([^"]*)"[^>]*? show="([^"]*)"/g)) {
      let v = f[3]!;
      const labels = m.get(`${f[1]!}#label`) ?? [];
      labels.push(f[2]!);
      m.set(`${f[1]!}#label`, labels);
      if (/^0x[0-9a-f]+$/i.test(v)) v = BigInt(v).toString();
      const list = m.get(f[1]!) ?? [];
      list.push(v);
      m.set(f[1]!, list);
    }
    packets.push(m);
  }
  return packets;
}

interface Decoded { type: string; op?: string; opcode?: number; header: Record<string, unknown>; body: Record<string, unknown> }

/** (field abbrev, value) of every scalar struct field the decoder printed, nested structs included. */
function structFields(layout: string, obj: Record<string, unknown>, out: [string, string][]): void {
  const l = LAYOUTS_BY_NAME.get(layout)!;
  for (const f of l.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null || f.pad) continue;
    if (typeof f.type === 'object' && 'kind' in f.type) structFields(f.type.name, v as Record<string, unknown>, out);
    else if (typeof f.type === 'string') {
      out.push([fieldAbbrev(layout, f.name), String(v)]);
      // Flag words by name, as the decoder names them (access mode first, unknown bits in hex).
      const names = obj[`${f.name}_names`];
      if (f.flags && typeof names === 'string' && names !== '0') out.push([`${fieldAbbrev(layout, f.name)}#label`, `(${names})`]);
    }
  }
}

/**
 * Compares tshark's view of every message with `dump --json`: header fields
 * and every scalar field of every struct the decoder printed. Returns the
 * number of messages.
 */
function compareWithDump(file: string, lua: string, dumpArgs: string[] = [], tsharkArgs: string[] = []): number {
  const dump = runCli(['dump', '--json', ...dumpArgs, file]);
  assert.equal(dump.code, 0, dump.stderr);
  const msgs = dump.stdout.split('\n').filter((l) => l).map((l) => parseJsonExact<{ type: string; data: { index: number; decoded?: Decoded } }>(l))
    .filter((o) => o.type === 'message').map((o) => o.data);
  const packets = pdmlFields(runTshark(['-X', `lua_script:${lua}`, ...tsharkArgs, '-r', file, '-T', 'pdml']));
  assert.equal(packets.length, msgs.length, 'one packet per message');
  let compared = 0;
  for (const m of msgs) {
    const p = packets[m.index - 1]!;
    const d = m.decoded!;
    const where = `${basename(file)} message ${m.index} (${d.type} ${d.op ?? ''})`;
    const expect: [string, string][] = [['fuse.unique', String(d.header.unique)]];
    if (d.type === 'request') expect.push(['fuse.opcode', String(d.header.opcode)], ['fuse.nodeid', String(d.header.nodeid)]);
    else expect.push(['fuse.error', String(d.header.error)]);
    if (d.type === 'reply' && d.opcode !== undefined) expect.push(['fuse.opcode', String(d.opcode)]);
    for (const [k, v] of Object.entries(d.body)) {
      if (LAYOUTS_BY_NAME.has(k) && v && typeof v === 'object') structFields(k, v as Record<string, unknown>, expect);
    }
    for (const [name, value] of expect) {
      const got = p.get(name);
      // Wireshark cuts item labels at 240 characters (the INIT flag lists): a cut label must start the expected one.
      const labelOk = (l: string): boolean => {
        const shown = l.slice(l.indexOf(' (') + 1);
        return shown === value || (l.length >= 200 && value.startsWith(shown));
      };
      const ok = name.endsWith('#label') ? got?.some(labelOk) : got?.includes(value);
      assert.ok(ok, `${where}: ${name} = ${value}, tshark shows ${JSON.stringify(got)}`);
      compared++;
    }
  }
  assert.ok(compared >= msgs.length * 2);
  return msgs.length;
}

// --- a capture with every opcode and notification, built from the declarations --------------

/** A struct of `size` bytes (its compat size) with every field set to a small distinct value, little-endian. */
function filled(l: StructLayout, size: number, seq: { n: number }, set: Record<string, number> = {}): Buffer {
  const b = Buffer.alloc(size);
  for (const f of l.fields) {
    const t = f.type;
    const nested = typeof t === 'object' && 'kind' in t;
    // A nested struct may be cut by the compat size (fuse_attr in a 7.8 fuse_entry_out): fill its present part.
    if (f.offset >= size || (!nested && f.offset + f.size > size)) break;
    if (nested) filled(t, t.size, seq, set).copy(b, f.offset, 0, Math.min(t.size, size - f.offset));
    else if (typeof t === 'string') {
      const v = set[f.name] ?? (seq.n++ % 250) + 1;
      if (f.size === 8) b.writeBigUInt64LE(BigInt(v), f.offset);
      else if (f.size === 4) b.writeUInt32LE(v, f.offset);
      else if (f.size === 2) b.writeUInt16LE(v, f.offset);
      else b.writeUInt8(v, f.offset);
    }
  }
  return b;
}

/** A body as an opcode row describes it: every struct filled, one array entry, one directory record, short names. */
function bodyOf(desc: readonly BodyPart[], seq: { n: number }, set: Record<string, number>, minor = 45): Buffer {
  const parts: Buffer[] = [];
  for (const t of bodyTokens(desc)) {
    const l = (name: string): StructLayout => LAYOUTS_BY_NAME.get(name)!;
    switch (t.k) {
      case 'struct': case 'either': parts.push(filled(l(t.l), sizeAt(l(t.l), minor), seq, set)); break;
      case 'array': parts.push(filled(l(t.l), l(t.l).size, seq, set)); break;
      case 'records': {
        const rec = filled(l(t.l), l(t.l).size, seq, { ...set, namelen: 1 });
        parts.push(rec, Buffer.from('x'), Buffer.alloc(7));
        break;
      }
      case 'string': parts.push(Buffer.from(`${t.f}\0`)); break;
      case 'data': parts.push(Buffer.from('datadata')); break;
    }
  }
  return Buffer.concat(parts);
}

/** One request (and reply) per opcode and every notification, in the struct sizes of protocol 7.`minor`; INIT first unless `init` is false. */
function everyOpcodeCapture(minor = 45, init = true): Buffer {
  let ts = 1_700_000_000_000_000_000n;
  let unique = 2;
  const seq = { n: 0 };
  return pcapngToBuffer((w) => {
    const iface = w.addInterface({ name: 'fuse:every-opcode' });
    const req = (opcode: number, body: Buffer): number => {
      const h = Buffer.alloc(40);
      h.writeUInt32LE(40 + body.length, 0);
      h.writeUInt32LE(opcode, 4);
      h.writeBigUInt64LE(BigInt(unique), 8);
      h.writeBigUInt64LE(BigInt(1000 + unique), 16);
      h.writeUInt32LE(4242, 32);
      w.packet({ iface, ts: (ts += 1000n), data: Buffer.concat([h, body]), dir: 1 });
      unique += 2;
      return unique - 2;
    };
    const out = (u: number, error: number, body: Buffer): void => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(16 + body.length, 0);
      h.writeInt32LE(error, 4);
      h.writeBigUInt64LE(BigInt(u), 8);
      w.packet({ iface, ts: (ts += 1000n), data: Buffer.concat([h, body]), dir: 2 });
    };
    if (init) {
      const u = req(Op.INIT, filled(fuse_init_in, sizeAt(fuse_init_in, minor), seq, { major: 7, minor, flags: 0, flags2: 0 }));
      out(u, 0, filled(fuse_init_out, sizeAt(fuse_init_out, minor), seq, { major: 7, minor, flags: 0, flags2: 0 }));
    }
    for (const r of OPCODES) {
      if (r.code === Op.INIT || r.code === Op.CUSE_INIT) continue;
      // GETXATTR/LISTXATTR ask for the size (0), so the reply is fuse_getxattr_out.
      const set: Record<string, number> = r.code === Op.GETXATTR || r.code === Op.LISTXATTR ? { size: 0, count: 1 } : { count: 1 };
      const x = req(r.code, bodyOf(r.request, seq, set, minor));
      if (!r.noReply) out(x, 0, bodyOf(r.reply, seq, set, minor));
    }
    for (const n of NOTIFY_CODES) out(0, n.code, Buffer.alloc(0));
  });
}

describe('wireshark dissector', () => {
  it('reads the opcode rows\' body descriptions into tokens', () => {
    const req = (op: number): BodyToken[] => bodyTokens(opcodeRow(op)!.request);
    const rep = (op: number): BodyToken[] => bodyTokens(opcodeRow(op)!.reply);
    assert.deepEqual(req(Op.WRITE), [{ k: 'struct', l: 'fuse_write_in' }, { k: 'data' }]);
    assert.deepEqual(req(Op.MKNOD), [{ k: 'struct', l: 'fuse_mknod_in' }, { k: 'string', f: 'name' }]);
    assert.deepEqual(req(Op.RENAME), [{ k: 'struct', l: 'fuse_rename_in' }, { k: 'string', f: 'oldname' }, { k: 'string', f: 'newname' }]);
    assert.deepEqual(req(Op.GETATTR), [{ k: 'struct', l: 'fuse_getattr_in', optional: true }]);
    assert.deepEqual(req(Op.BATCH_FORGET), [{ k: 'struct', l: 'fuse_batch_forget_in' }, { k: 'array', l: 'fuse_forget_one' }]);
    assert.deepEqual(rep(Op.GETXATTR), [{ k: 'either', l: 'fuse_getxattr_out', or: { k: 'data' } }]);
    assert.deepEqual(req(Op.INIT), [{ k: 'struct', l: 'fuse_init_in', byLen: true }]);
    assert.deepEqual(rep(Op.READDIRPLUS), [{ k: 'records', l: 'fuse_direntplus', namelenAt: 128 + 16 }]);
    assert.deepEqual(rep(Op.RELEASE), []);
    assert.equal(fieldAbbrev('fuse_write_in', 'offset'), 'fuse.write.offset');
    assert.equal(fieldAbbrev('fuse_write_out', 'size'), 'fuse.write_out.size');
    assert.equal(fieldAbbrev('fuse_in_header', 'nodeid'), 'fuse.nodeid');
  });

  describe('in tshark', { skip: whyNoTshark ?? false }, () => {
    const lua = join(tmp, 'fuse.lua');
    it('is written by `fusetrace wireshark -o`', () => {
      const r = runCli(['wireshark', '-o', lua]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(readFileSync(lua, 'utf8'), /DissectorTable\.get\("wtap_encap"\)/);
    });

    for (const file of FIXTURES) {
      it(`agrees with dump --json on every message of ${file.slice(ROOT.length)}`, () => {
        const msgs = compareWithDump(file, lua);
        assert.ok(msgs > 0);
      });
    }

    it('decodes every opcode\'s request and reply structs as dump --json does (a capture built from the declarations)', () => {
      const file = join(tmp, 'every-opcode.pcapng');
      writeFileSync(file, everyOpcodeCapture());
      const n = compareWithDump(file, lua);
      assert.equal(n, 2 + (OPCODES.length - 2) * 2 - OPCODES.filter((r) => r.noReply).length + NOTIFY_CODES.length);
      // Every struct an opcode row names shows in that message's tree.
      const xml = runTshark(['-X', `lua_script:${lua}`, '-r', file, '-T', 'pdml']);
      const trees = xml.split('<packet>').slice(1).map((p) => new Set([...p.matchAll(/showname="((?:fuse|cuse)_[a-z0-9_]+)"/g)].map((m) => m[1]!)));
      let i = 2;
      for (const r of OPCODES) {
        if (r.code === Op.INIT || r.code === Op.CUSE_INIT) continue;
        for (const [desc, tree] of r.noReply ? [[r.request, trees[i]!] as const] : [[r.request, trees[i]!] as const, [r.reply, trees[i + 1]!] as const]) {
          for (const t of bodyTokens(desc)) if (t.k !== 'string' && t.k !== 'data') assert.ok(tree.has(t.l), `${r.name}: ${t.l} in ${[...tree].join(',')}`);
        }
        i += r.noReply ? 1 : 2;
      }
      assert.doesNotMatch(xml, /Lua Error|_ws\.lua\.error/);
    });

    it('uses the struct sizes of the minor INIT negotiated (7.8: 24-byte fuse_write_in, 80-byte fuse_attr ...)', () => {
      const file = join(tmp, 'every-opcode-7.8.pcapng');
      writeFileSync(file, everyOpcodeCapture(8));
      assert.ok(compareWithDump(file, lua) > OPCODES.length);
      const minors = runTshark(['-X', `lua_script:${lua}`, '-r', file, '-T', 'fields', '-e', 'fuse.minor']).trim().split('\n');
      assert.deepEqual([...new Set(minors.slice(2))], ['8']);
    });

    it('takes the minor from the fuse.minor preference for a capture that starts after INIT', () => {
      const file = join(tmp, 'every-opcode-7.8-no-init.pcapng');
      writeFileSync(file, everyOpcodeCapture(8, false));
      assert.ok(compareWithDump(file, lua, ['--proto', '7.8'], ['-o', 'fuse.minor:8']) > OPCODES.length);
    });

    it('names open(2) flags as the host the fuse.machine preference names (arm64, ppc64le copies of real captures)', () => {
      for (const [name, machine] of [['split-dio.pcapng', 'aarch64'], ['thirdparty-fuseiso9660.pcapng', 'ppc64le']] as const) {
        const copy = join(tmp, `${machine}-${name}`);
        assert.ok(asHost(join(ROOT, 'fixtures', name), copy, machine, true) > 0, 'flag words moved');
        assert.ok(compareWithDump(copy, lua, [], ['-o', `fuse.machine:${machine}`]) > 0);
        // Without the preference the moved bits are named as x86-64 numbers them, not as dump names them.
        assert.throws(() => compareWithDump(copy, lua), /open_flags|flags/);
      }
    });

    it('filters as the README says: WRITE replies slower than 0.1 s, with their request linked', () => {
      const split = join(ROOT, 'fixtures/split-dio.pcapng');
      const out = runTshark(['-X', `lua_script:${lua}`, '-r', split, '-2', '-Y', 'fuse.opcode == "WRITE" && fuse.latency > 0.1', '-T', 'fields', '-e', 'fuse.unique', '-e', 'fuse.request_in', '-e', 'fuse.latency']);
      const rows = out.trim().split('\n').map((l) => l.split('\t'));
      const exp = runCli(['export', split, '--table', 'requests', '--format', 'jsonl']);
      const slow = exp.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as { op: string; unique: number; latency_us: number | null })
        .filter((r) => r.op === 'WRITE' && r.latency_us !== null && r.latency_us > 100_000).map((r) => String(r.unique)).sort();
      assert.ok(slow.length > 0);
      assert.deepEqual(rows.map((r) => r[0]).sort(), slow);
      for (const r of rows) {
        assert.match(r[1]!, /^\d+$/, 'request frame linked');
        assert.ok(Number(r[2]) > 0.1);
      }
      // Two-pass: the request frames link forward to their replies.
      const reqs = runTshark(['-X', `lua_script:${lua}`, '-r', split, '-2', '-Y', 'fuse.type == "request" && fuse.opcode == "WRITE"', '-T', 'fields', '-e', 'fuse.response_in']);
      assert.ok(reqs.trim().split('\n').every((l) => /^\d+$/.test(l)));
    });

    it('marks error replies and cut messages with expert info', () => {
      const split = join(ROOT, 'fixtures/split-dio.pcapng');
      const errs = runTshark(['-X', `lua_script:${lua}`, '-r', split, '-Y', 'fuse.error != 0', '-T', 'fields', '-e', 'fuse.error', '-e', '_ws.expert.message']);
      assert.match(errs, /-38\t.*ENOSYS/);
      const cut = runTshark(['-X', `lua_script:${lua}`, '-r', split, '-Y', '_ws.expert && fuse.truncated', '-T', 'fields', '-e', 'frame.number']);
      assert.ok(cut.trim().length > 0, 'the snapped WRITEs carry the note');
    });

    it('notes a name the snap length cut, as dump does, where TvbRange:stringz raised "out of bounds" (a Lua error in the tree)', () => {
      const file = join(tmp, 'cut-name.pcapng');
      writeFileSync(file, pcapngToBuffer((w) => {
        const iface = w.addInterface({ name: 'fuse:cut-name' });
        const lookup = (unique: number, name: string, captured: number): void => {
          const h = Buffer.alloc(40);
          h.writeUInt32LE(40 + name.length + 1, 0);
          h.writeUInt32LE(Op.LOOKUP, 4);
          h.writeBigUInt64LE(BigInt(unique), 8);
          h.writeBigUInt64LE(1n, 16);
          const data = Buffer.concat([h, Buffer.from(`${name}\0`, 'latin1')]);
          w.packet({ iface, ts: 1_700_000_000_000_000_000n + BigInt(unique) * 1000n, data: data.subarray(0, 40 + captured), origLen: data.length, dir: 1 });
        };
        lookup(2, 'abcdef', 3);
        // A whole message beside it.
        lookup(4, 'xyz', 4);
        // A whole message whose name has no NUL: malformed, not cut.
        const h = Buffer.alloc(40);
        h.writeUInt32LE(43, 0);
        h.writeUInt32LE(Op.LOOKUP, 4);
        h.writeBigUInt64LE(6n, 8);
        h.writeBigUInt64LE(1n, 16);
        w.packet({ iface, ts: 1_700_000_000_000_006_000n, data: Buffer.concat([h, Buffer.from('pqr', 'latin1')]), dir: 1 });
      }));
      const rows = runTshark(['-X', `lua_script:${lua}`, '-r', file, '-T', 'fields', '-e', 'fuse.name', '-e', '_ws.expert.message']).trim().split('\n');
      assert.equal(rows.length, 3);
      // The cut name is a text item (a stringz field without its NUL raises in Wireshark), noted; the whole one a field.
      assert.match(rows[0]!, /name cut after 3 of its bytes/);
      assert.doesNotMatch(rows.join('\n'), /Lua Error/);
      assert.equal(rows[1], 'xyz\t', 'a whole name: its field, no note');
      assert.match(rows[2]!, /name is not NUL-terminated/);
      assert.match(runTshark(['-X', `lua_script:${lua}`, '-r', file, '-V']), /name: "abc"\n\s+\[Expert Info \(Note\/Undecoded\): name cut after 3 of its bytes\]/);
      const dump = runCli(['dump', file]);
      assert.match(dump.stdout, /LOOKUP #2 nodeid 1 "abc" \[truncated: name cut after 3 of its bytes\]/);
    });
  });

  it('--install writes into the personal Lua plugins folder', () => {
    const home = mkdtempSync(join(tmp, 'home-'));
    const r = runCli(['wireshark', '--install'], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    const file = join(home, '.local/lib/wireshark/plugins/fusetrace-fuse.lua');
    assert.ok(existsSync(file));
    assert.match(r.stderr, /fusetrace-fuse\.lua/);
    const both = runCli(['wireshark', '--install', '-o', join(tmp, 'x.lua')]);
    assert.equal(both.code, 2);
  });
});
