/**
 * The generated Wireshark Lua dissector, run by Debian's tshark (Lua 5.2)
 * with `-X lua_script:` on every real fixture: for every message, the
 * header fields (opcode, unique, nodeid, error) and every field of every
 * struct `fusetrace dump --json` decodes (offset, size, fh, flags, attr ...)
 * have the same values in tshark's PDML. Also: the display filter of the
 * README, request/reply links with the latency, expert info, the body
 * description reader, and `--install`.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LAYOUTS_BY_NAME } from '../../src/protocol/layouts/index.js';
import { OPCODES } from '../../src/protocol/opcodes.js';
import { bodyTokens, fieldAbbrev } from '../../src/report/wireshark-lua.js';
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
    const m = new Map<string, string[]>();
    for (const f of pkt.matchAll(/<field name="(fuse\.[a-z0-9_.]+)"[^>]*? show="([^"]*)"/g)) {
      let v = f[2]!;
      if (/^0x[0-9a-f]+$/i.test(v)) v = BigInt(v).toString();
      const list = m.get(f[1]!) ?? [];
      list.push(v);
      m.set(f[1]!, list);
    }
    packets.push(m);
  }
  return packets;
}

interface Decoded { type: string; opcode?: number; header: Record<string, unknown>; body: Record<string, unknown> }

/** (field abbrev, value) of every scalar struct field the decoder printed, nested structs included. */
function structFields(layout: string, obj: Record<string, unknown>, out: [string, string][]): void {
  const l = LAYOUTS_BY_NAME.get(layout)!;
  for (const f of l.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null || f.pad) continue;
    if (typeof f.type === 'object' && 'kind' in f.type) structFields(f.type.name, v as Record<string, unknown>, out);
    else if (typeof f.type === 'string') out.push([fieldAbbrev(layout, f.name), String(v)]);
  }
}

describe('wireshark dissector', () => {
  it('reads the opcode rows\' body descriptions into tokens', () => {
    assert.deepEqual(bodyTokens('fuse_write_in + data'), [{ k: 'struct', l: 'fuse_write_in' }, { k: 'data' }]);
    assert.deepEqual(bodyTokens('fuse_mknod_in + name [+ext]'), [{ k: 'struct', l: 'fuse_mknod_in' }, { k: 'string', f: 'name' }]);
    assert.deepEqual(bodyTokens('fuse_rename_in + oldname + newname'), [{ k: 'struct', l: 'fuse_rename_in' }, { k: 'string', f: 'oldname' }, { k: 'string', f: 'newname' }]);
    assert.deepEqual(bodyTokens('fuse_getattr_in (7.9+; empty before)'), [{ k: 'struct', l: 'fuse_getattr_in', optional: true }]);
    assert.deepEqual(bodyTokens('fuse_batch_forget_in + fuse_forget_one[]'), [{ k: 'struct', l: 'fuse_batch_forget_in' }, { k: 'array', l: 'fuse_forget_one' }]);
    assert.deepEqual(bodyTokens('fuse_getxattr_out (size 0) or value'), [{ k: 'either', l: 'fuse_getxattr_out', or: { k: 'data' } }]);
    assert.equal(bodyTokens('fuse_direntplus records')[0]!.k, 'records');
    assert.deepEqual(bodyTokens(''), []);
    // Every struct an opcode row names is a declared layout (a typo would decode as bytes).
    for (const r of OPCODES) {
      for (const desc of [r.req, r.reply]) {
        for (const name of desc.match(/\b(?:fuse|cuse)_[a-z0-9_]+/g) ?? []) assert.ok(LAYOUTS_BY_NAME.has(name), `${r.name}: ${name}`);
      }
    }
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
        const dump = runCli(['dump', '--json', file]);
        assert.equal(dump.code, 0, dump.stderr);
        const msgs = dump.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as { type: string; data: { index: number; decoded?: Decoded } })
          .filter((o) => o.type === 'message').map((o) => o.data);
        const packets = pdmlFields(runTshark(['-X', `lua_script:${lua}`, '-r', file, '-T', 'pdml']));
        assert.equal(packets.length, msgs.length, 'one packet per message');
        let compared = 0;
        for (const m of msgs) {
          const p = packets[m.index - 1]!;
          const d = m.decoded!;
          const where = `${file.slice(ROOT.length)} message ${m.index} (${d.type} ${d.opcode ?? ''})`;
          const expect: [string, string][] = [['fuse.unique', String(d.header.unique)]];
          if (d.type === 'request') expect.push(['fuse.opcode', String(d.header.opcode)], ['fuse.nodeid', String(d.header.nodeid)]);
          else expect.push(['fuse.error', String(d.header.error)]);
          if (d.type === 'reply' && d.opcode !== undefined) expect.push(['fuse.opcode', String(d.opcode)]);
          for (const [k, v] of Object.entries(d.body)) {
            if (LAYOUTS_BY_NAME.has(k) && v && typeof v === 'object') structFields(k, v as Record<string, unknown>, expect);
          }
          for (const [name, value] of expect) {
            const got = p.get(name);
            assert.ok(got?.includes(value), `${where}: ${name} = ${value}, tshark shows ${JSON.stringify(got)}`);
            compared++;
          }
        }
        assert.ok(compared >= msgs.length * 3);
      });
    }

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
