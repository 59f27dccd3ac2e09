import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Exchange } from '../../src/protocol/exchange.js';
import { fuse_read_in, fuse_write_in } from '../../src/protocol/layouts/io.js';
import { fuse_setattr_in } from '../../src/protocol/layouts/attr.js';
import fc from 'fast-check';
import { TABLES, TableWriter, absNs, requestColumns, tableColumns, writeModelTable, type ExportClock } from '../../src/report/csv.js';
import { finding, model } from '../helpers/model-builder.js';
import { parseCsv } from '../helpers/csv-parse.js';
import { parseJsonExact } from '../helpers/json-exact.js';
import { createTableSql } from '../../src/report/sql-schema.js';

const clock: ExportClock = { epochNs: 1795561795892945704n };

function sink(): { got: string; write(s: string): void } {
  return { got: '', write(s: string) { this.got += s; } };
}

function write(): Exchange {
  const x = new Exchange();
  x.conn = 0; x.unique = 2n ** 60n; x.opcode = 16; x.nodeid = 5; x.path = '/dir, "quoted"\nname';
  x.pid = 100; x.tid = 101; x.tReq = 1_500_000; x.tReply = 1_750_500; x.replied = true; x.error = 0;
  x.fh = 7; x.offset = 3221225472; x.size = 1048576; x.flags = 0x8001; x.opFlags = 1; x.resultSize = 1048576;
  x.kernelSizeAtReq = 4294967296; x.daemonSizeAtReq = NaN; x.fileInflightAtReq = 1;
  return x;
}

describe('csv export', () => {
  it('derives the request argument columns from the layouts', () => {
    const names = requestColumns(clock).map((c) => c.name);
    const wanted = new Set([...fuse_write_in.fields, ...fuse_read_in.fields, ...fuse_setattr_in.fields].filter((f) => !f.pad).map((f) => f.name));
    for (const n of ['fh', 'offset', 'size', 'write_flags', 'read_flags', 'flags', 'valid']) {
      assert.ok(wanted.has(n), `${n} is a layout field`);
      assert.ok(names.includes(n), `${n} is a column`);
    }
    assert.ok(!names.includes('padding') && !names.includes('lock_owner'), 'pad and unextracted fields stay out');
    assert.deepEqual(names.slice(0, 5), ['conn', 'unique', 'opcode', 'op', 'nodeid']);
  });

  it('writes RFC 4180 CSV: header, CRLF, quoting; exact 64-bit and absolute times', () => {
    const s = sink();
    const w = new TableWriter(requestColumns(clock), 'csv', s);
    w.row(write());
    w.flush();
    const [header, row, end] = s.got.split('\r\n').length === 3 ? s.got.split('\r\n') : [s.got, '', ''];
    assert.equal(end, '');
    assert.ok(header!.startsWith('conn,unique,opcode,op,nodeid,path,pid,tid,'));
    const cols = header!.split(',');
    // the quoted path contains a comma, a quote and a newline (which does not end the record)
    assert.ok(s.got.includes('"/dir, ""quoted""\nname"'));
    const cells = parseCsv(s.got)[1]!;
    const get = (n: string) => cells[cols.indexOf(n)];
    assert.equal(get('unique'), '1152921504606846976');
    assert.equal(get('req_ns'), '1795561795894445704');
    assert.equal(get('reply_ns'), '1795561795894696204');
    assert.equal(get('req_ms'), '1.5');
    assert.equal(get('latency_us'), '250.5');
    assert.equal(get('write_flags'), 'FUSE_WRITE_CACHE');
    assert.equal(get('flags'), 'O_WRONLY|O_LARGEFILE');
    assert.equal(get('read_flags'), '');
    assert.equal(get('daemon_size'), '');
    assert.equal(get('kernel_size'), '4294967296');
    assert.equal(get('errno'), '');
    assert.equal(get('error'), '0');
    void row;
  });

  it('writes JSON Lines with every integer as an exact JSON number, also past 2^53', () => {
    const s = sink();
    const w = new TableWriter(requestColumns(clock), 'jsonl', s);
    const x = write();
    x.error = -2;
    w.row(x);
    w.flush();
    assert.match(s.got, /"unique":1152921504606846976,/);
    assert.match(s.got, /"req_ns":1795561795894445704,/);
    const o = parseJsonExact<Record<string, unknown>>(s.got.trim());
    assert.equal(o.unique, 1152921504606846976n);
    assert.equal(o.req_ns, 1795561795894445704n);
    assert.equal(o.offset, 3221225472);
    assert.equal(o.errno, 'ENOENT');
    assert.equal(o.daemon_size, null);
    assert.equal(Object.keys(o)[0], 'conn');
  });

  it('computes absolute ns exactly for any epoch and relative time', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 1_000_000_000n, max: 4_000_000_000_000_000_000n }),
      fc.integer({ min: -1e15, max: 1e15 }),
      (epoch, t) => absNs({ epochNs: epoch }, t) === (epoch + BigInt(t)).toString(),
    ));
  });

  it('writes a header row even without rows', () => {
    const s = sink();
    writeModelTable(model({ findings: [] }), 'findings', 'csv', s, clock);
    assert.equal(s.got, tableColumns('findings').map((c) => c.name).join(',') + '\r\n');
  });

  it('docs/export.md lists the columns of every table in order, with their types and what they hold', () => {
    const doc = readFileSync(new URL('../../../docs/export.md', import.meta.url), 'utf8');
    for (const t of TABLES) {
      const part = doc.split(`### \`${t}\``)[1]?.split('###')[0] ?? '';
      const documented = [...part.matchAll(/^\| \d+ \| `([a-z0-9_]+)` \| ([a-z]+) \| (.*) \|$/gm)].map((m) => [m[1], m[2], m[3]!.replaceAll('\\|', '|')]);
      assert.deepEqual(documented, tableColumns(t).map((c) => [c.name, c.type, c.doc]), `table ${t}`);
    }
  });

  it('writes findings with uniques and details', () => {
    const s = sink();
    writeModelTable(model({ findings: [finding('short-write', 'warning', { uniques: [3, 5] })] }), 'findings', 'jsonl', s, clock);
    const o = JSON.parse(s.got);
    assert.equal(o.uniques, '3 5');
    assert.equal(typeof o.t, 'number', 'absolute times are JSON numbers');
    assert.deepEqual(JSON.parse(o.details), { offset: 3221225472, size: 1048576 });
  });
});


describe('sql schema', () => {
  it('declares every column of every table in order, ids unsigned, text as VARCHAR', () => {
    for (const t of TABLES) {
      const sql = createTableSql(t);
      const cols = [...sql.matchAll(/^ {2}"([a-z0-9_]+)" ([A-Z]+),?$/gm)].map((m) => [m[1], m[2]]);
      assert.deepEqual(cols.map((c) => c[0]), tableColumns(t).map((c) => c.name), t);
      for (const [name, type] of cols) {
        const c = tableColumns(t).find((x) => x.name === name)!;
        if (c.type === 'string') assert.equal(type, 'VARCHAR', `${t}.${name}`);
        if (c.type === 'number') assert.equal(type, 'DOUBLE', `${t}.${name}`);
        if (['unique', 'nodeid', 'fh', 'offset'].includes(name!)) assert.equal(type, 'UBIGINT', `${t}.${name}`);
        if (name === 'req_ns' || name === 'conn' || name === 'error') assert.equal(type, 'BIGINT', `${t}.${name}`);
      }
    }
  });
});
