/**
 * Decode of the real captures in fixtures/lab against their `.truth.json`
 * (computed by an independent parser): the INIT exchange, every WRITE
 * request and its result, every OPEN/CREATE reply, every attribute size the
 * daemon reported; and zero malformed messages, zero unknown opcodes.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../../src/capture/open.js';
import type { Exchange } from '../../src/protocol/exchange.js';
import { Pairer } from '../../src/pairing/pairer.js';
import { decodeNotify, decodeReply, decodeRequest } from '../../src/protocol/decode.js';
import { Op, opcodeName, opcodeRow } from '../../src/protocol/opcodes.js';
import { Direction } from '../../src/capture/message.js';

const DIR = 'fixtures/lab';

interface Truth {
  init: { unique: number; kernel_major: number; kernel_minor: number; kernel_flags: number; kernel_flags2: number; daemon_major: number; daemon_minor: number; daemon_flags: number; max_write: number; max_pages?: number; max_background: number; negotiated: string }[];
  writes: { count: number; list: { unique: number; nodeid: number; fh: number; offset: number; size: number; write_flags: number; reply_error: number | null; written: number | null }[] };
  open_replies: { count: number; list: { op: string; unique: number; nodeid: number; fh: number; open_flags: number }[] };
  attr_sizes: { count: number; truncated: boolean; list: { op: string; unique: number; nodeid: number; size: number }[] };
  malformed: { count: number };
}

const cases = existsSync(DIR)
  ? readdirSync(DIR).filter((f) => f.endsWith('.truth.json')).map((t) => {
    const base = t.replace(/\.truth\.json$/, '');
    const cap = [base, `${base}.pcapng`].map((c) => join(DIR, c)).find((c) => existsSync(c) && !c.endsWith('.json'));
    return { truth: join(DIR, t), cap };
  }).filter((c): c is { truth: string; cap: string } => c.cap !== undefined)
  : [];

for (const c of cases) {
  test(`real capture ${c.cap}: decode matches ${c.truth}`, (t) => {
    const truth = JSON.parse(readFileSync(c.truth, 'utf8')) as Truth;
    const done: Exchange[] = [];
    const problems: string[] = [];
    let unknown = 0;
    let decoded = 0;
    const pr = new Pairer({
      onExchange: (x) => { done.push(x); },
      onProblem: (p) => { if (p.kind === 'malformed-message') problems.push(p.message); },
    });
    readCapture(c.cap, {
      onConnection: (ci) => pr.onConnection(ci),
      onMessage: (m) => {
        const kind = pr.message(m);
        const p = pr.protocol(m.conn);
        // Full decode of every message must not throw and must not find problems either.
        const d = kind === 'notify' ? decodeNotify(m, p) : m.dir === Direction.Inbound ? decodeRequest(m, p, pr.last) : decodeReply(m, pr.last, p);
        JSON.stringify(d);
        if (d.problem) problems.push(`decode ${d.op}: ${d.problem}`);
        if (d.type === 'request' && !opcodeRow(d.opcode ?? -1)) unknown++;
        decoded++;
      },
      onNotice: () => {},
    });
    assert.deepEqual(problems, [], 'no malformed messages');
    assert.equal(unknown, 0, 'no unknown opcodes');

    // INIT exchange.
    const p = pr.protocol(0);
    const ti = truth.init[0]!;
    assert.equal(p.initUnique, ti.unique);
    assert.equal(p.kernelMajor, ti.kernel_major);
    assert.equal(p.kernelMinor, ti.kernel_minor);
    assert.equal(p.offeredLo, ti.kernel_flags);
    assert.equal(p.offeredHi, ti.kernel_flags2);
    assert.equal(p.daemonMajor, ti.daemon_major);
    assert.equal(p.daemonMinor, ti.daemon_minor);
    assert.equal(p.flagsLo, ti.daemon_flags);
    assert.equal(p.maxWrite, ti.max_write);
    if (ti.max_pages !== undefined) assert.equal(p.maxPagesRaw, ti.max_pages);
    assert.equal(p.maxBackground, ti.max_background === 0 ? 12 : ti.max_background);
    assert.equal(`7.${p.minor}`, ti.negotiated);
    assert.equal(p.source, 'init');

    // WRITE requests and their results.
    const writes = done.filter((x) => x.opcode === Op.WRITE).sort((a, b) => Number(a.unique) - Number(b.unique));
    assert.equal(writes.length, truth.writes.count);
    const tw = [...truth.writes.list].sort((a, b) => a.unique - b.unique);
    writes.forEach((x, i) => {
      const w = tw[i]!;
      assert.deepEqual(
        { unique: x.unique, nodeid: x.nodeid, fh: x.fh, offset: x.offset, size: x.size, write_flags: x.opFlags, reply_error: x.error, written: x.resultSize },
        { unique: w.unique, nodeid: w.nodeid, fh: w.fh, offset: w.offset, size: w.size, write_flags: w.write_flags, reply_error: w.reply_error, written: w.written },
      );
    });

    // OPEN/CREATE replies.
    const opens = done.filter((x) => (x.opcode === Op.OPEN || x.opcode === Op.CREATE) && x.error === 0).sort((a, b) => Number(a.unique) - Number(b.unique));
    assert.equal(opens.length, truth.open_replies.count);
    const to = [...truth.open_replies.list].sort((a, b) => a.unique - b.unique);
    opens.forEach((x, i) => {
      const o = to[i]!;
      assert.deepEqual({ op: opcodeName(x.opcode), unique: x.unique, nodeid: x.opcode === Op.CREATE ? x.resultNodeid : x.nodeid, fh: x.resultFh, open_flags: x.openFlags }, { op: o.op, unique: o.unique, nodeid: o.nodeid, fh: o.fh, open_flags: o.open_flags });
    });

    // Attribute sizes reported by the daemon (entry and attr replies).
    const byUnique = new Map(truth.attr_sizes.list.map((a) => [a.unique, a]));
    let matched = 0;
    for (const x of done) {
      const a = byUnique.get(Number(x.unique));
      if (!a) continue;
      assert.equal(opcodeName(x.opcode), a.op);
      assert.equal(x.attrSize, a.size, `${a.op} #${a.unique} attr.size`);
      matched++;
    }
    assert.equal(matched, truth.attr_sizes.list.length);
    t.diagnostic(`${decoded} messages decoded; negotiated 7.${p.minor}; ${writes.length} WRITEs, ${opens.length} OPEN/CREATE replies, ${matched} attr sizes match`);
  });
}
