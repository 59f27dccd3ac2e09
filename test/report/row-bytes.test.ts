import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_NUMBER_TEXT, putFraction, putNineQuads, putNumber, putSafeQuads, putScaled, putScaledQuads, putSixQuads, putThreeQuads, putUint31Quads } from '../../src/report/row-bytes.js';
import { TEXT_BUFFER, TextBuffer } from '../../src/report/text-buffer.js';
import { TableWriter, absNs, compileArgs, csvCell, jsonlCell, requestColumns, type Cell, type ColumnType, type ExportClock, type TableColumn } from '../../src/report/csv.js';
import { jsonString, stringifyPlain } from '../../src/report/json.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { OPCODES } from '../../src/protocol/opcodes.js';

/** The text of a row as the string-level rules write it (numbers as String writes them): the byte writer must write exactly this. */
function csvRow<R>(cols: TableColumn<R>[], r: R): string {
  return cols.map((c) => {
    const v = c.get(r);
    return csvCell(v, c.type);
  }).join(',') + '\r\n';
}
function jsonlRow<R>(cols: TableColumn<R>[], r: R): string {
  return '{' + cols.map((c) => {
    const v = c.get(r);
    return `${JSON.stringify(c.name)}:${jsonlCell(v, c.type)}`;
  }).join(',') + '}\n';
}

/** A sink with its own output buffer, as `Output` has, checking each chunk handed on is whole UTF-8 on its own. */
function byteSink(): { chunks: Buffer[]; bytes(): Buffer; write(s: string): void; text: TextBuffer } {
  const chunks: Buffer[] = [];
  const text = new TextBuffer(TEXT_BUFFER, (b) => {
    assert.equal(Buffer.from(b.toString('utf8'), 'utf8').compare(b), 0, 'a chunk ends on a character boundary');
    chunks.push(Buffer.from(b));
  });
  return {
    chunks,
    bytes: () => Buffer.concat(chunks),
    write(s: string) { text.str(s); },
    text,
  };
}

/** The bytes are the UTF-8 of the text (as the string-level writer's output went through Buffer.write, lone surrogates as U+FFFD). */
function assertBytes(got: Buffer, text: string): void {
  const want = Buffer.from(text, 'utf8');
  if (got.compare(want) !== 0) assert.equal(got.toString('utf8'), want.toString('utf8'));
  assert.equal(got.compare(want), 0);
}

/**
 * The table writer writes `rows` in both formats exactly as the string-level
 * rules write their cells (`get`). Rows that reading changes (an exchange's
 * `path` joins its parts when read) come from a function, called anew for
 * each writer and for the text it must equal.
 */
function assertRowsAsCells<R>(cols: TableColumn<R>[], rows: readonly R[] | (() => readonly R[])): void {
  const fresh = (): readonly R[] => (typeof rows === 'function' ? rows() : rows);
  for (const format of ['csv', 'jsonl'] as const) {
    const s = byteSink();
    const w = new TableWriter(cols, format, s);
    for (const r of fresh()) w.row(r);
    w.flush();
    const header = format === 'csv' ? cols.map((c) => c.name).join(',') + '\r\n' : '';
    assertBytes(s.bytes(), header + fresh().map((r) => (format === 'csv' ? csvRow(cols, r) : jsonlRow(cols, r))).join(''));
  }
}

/**
 * The args object of a row as the Perfetto writer made it as text before
 * it had a byte writer: the cells that hold something (not null, not ''),
 * each by `stringifyPlain`, in column order.
 */
function argsText<R>(cols: TableColumn<R>[], r: R): string {
  const parts: string[] = [];
  for (const c of cols) {
    const v = c.get(r);
    if (v !== null && v !== '') parts.push(`${jsonString(c.name)}:${stringifyPlain(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** `compileArgs` writes each row's args as `argsText` does, byte for byte (a line each). */
function assertArgsAsCells<R>(cols: TableColumn<R>[], rows: () => readonly R[]): void {
  const s = byteSink();
  const args = compileArgs(cols, s.text);
  for (const r of rows()) {
    args(r);
    s.text.byte(10);
  }
  s.text.flush();
  assertBytes(s.bytes(), rows().map((r) => `${argsText(cols, r)}\n`).join(''));
}

const at = (b: Buffer, f: (b: Buffer, p: number) => number): string => b.toString('latin1', 3, f(b, 3));

/** Text that hits every rule: quotes, commas, CR, LF, formula starts, controls, non-ASCII, lone surrogates, JSON escapes. */
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', '+', '-', '@', '\t', '\\', '\u0000', '\u007f', '\u0085', '\u2028', '\u202e', 'é', '€', '😀', '\ud800', '\udc00', '1', ' ') }),
  fc.string({ unit: 'grapheme' }),
  fc.stringMatching(/^-?[0-9]{1,25}$/),
);
const numbers = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.nat({ max: 1e15 }).map((k) => k / 1e6),
  fc.nat({ max: 1e15 }).map((k) => k / 1e3),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 2 ** 64, 1e21, 5e-324, -2147483648, 2147483647, 999999999.999999),
);
const cell: fc.Arbitrary<Cell> = fc.oneof(hostile, numbers, fc.constant(null), fc.boolean());

/** Exchanges with every kind of cell the requests table has, for the row and args writers. */
const id = fc.oneof(fc.nat({ max: 2 ** 31 }), fc.maxSafeInteger(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), fc.constantFrom(0, 2 ** 30, 2 ** 31 - 1, 2 ** 32));
const n = fc.oneof(numbers, fc.nat());
const t = fc.oneof(fc.nat({ max: 2 ** 40 }).map((k) => k * 1000 + 1), fc.double({ min: -1e12, max: 1e18 }), fc.constantFrom(NaN, Infinity, 0));
const opcodes = [...OPCODES.map((o) => o.code), 0, 99, 4096, 2 ** 31];
const exchange = fc.record({
  conn: fc.nat({ max: 3 }), unique: id, opcode: fc.constantFrom(...opcodes), nodeid: id,
  // A request naming a child carries its directory's path and the name (`dirPath`, set after `path`, which clears it); `path` joins them.
  path: fc.option(hostile, { nil: undefined }), dirPath: fc.option(fc.oneof(hostile, fc.constantFrom('/', '/d', '?7', '=x', '')), { nil: undefined }),
  name: fc.option(hostile, { nil: undefined }), pid: fc.integer({ min: -1, max: 2 ** 31 }), tid: fc.integer({ min: -1, max: 70000 }), callerPid: fc.nat(),
  tReq: t, tReqRest: fc.constantFrom(0, 0, 7), replied: fc.boolean(), tReply: t, tReplyRest: fc.constantFrom(0, 0, -3), error: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fh: fc.option(id, { nil: undefined }), offset: n, offsetExact: fc.option(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), { nil: undefined }),
  size: n, sizeExact: fc.option(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), { nil: undefined }),
  flags: fc.integer(), opFlags: fc.oneof(fc.constant(0), fc.integer()), resultSize: n, kernelSizeAtReq: n, daemonSizeAtReq: n, fileInflightAtReq: fc.nat({ max: 100 }),
});

describe('row bytes', () => {
  it('writes numbers as String does', () => {
    const b = Buffer.alloc(64);
    fc.assert(fc.property(numbers, (v) => {
      assert.equal(at(b, (b, p) => putNumber(b, p, v)), String(v));
      assert.equal(at(b, (b, p) => putFraction(b, p, v)), String(v));
    }), { numRuns: 20000 });
  });

  it('writes digits four at a time as String and putScaled do, touching no byte outside the room of a cell', () => {
    const b = Buffer.alloc(64);
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    /** The text written at 3, after checking that no byte outside the cell's room (MAX_NUMBER_TEXT from 3) changed. */
    const quads = (f: (p: number) => number): string => {
      b.fill(0x7e);
      const q = f(3);
      assert.ok(b.subarray(0, 3).every((c) => c === 0x7e), 'nothing before');
      assert.ok(b.subarray(3 + MAX_NUMBER_TEXT).every((c) => c === 0x7e), 'nothing past the room');
      return q < 0 ? '-1' : b.toString('latin1', 3, q);
    };
    const pad9 = (x: number): string => String(x).padStart(9, '0');
    const scaled = (k: number, d: 3 | 6): string => {
      const q = putScaled(b, 3, k, d);
      return q < 0 ? '-1' : b.toString('latin1', 3, q);
    };
    fc.assert(fc.property(fc.oneof(fc.nat({ max: 2 ** 31 - 1 }), fc.constantFrom(0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999999, 100000000, 2 ** 31 - 1)), (x) => {
      assert.equal(quads((p) => putUint31Quads(v, p, x)), String(x));
    }), { numRuns: 20000 });
    fc.assert(fc.property(fc.nat({ max: 999999999 }), (x) => assert.equal(quads((p) => putNineQuads(v, p, x)), pad9(x))), { numRuns: 20000 });
    for (let x = 0; x < 1000; x++) assert.equal(quads((p) => putThreeQuads(v, p, x)), String(x).padStart(3, '0'));
    fc.assert(fc.property(fc.oneof(fc.nat({ max: 999999 }), fc.constantFrom(0, 9, 99, 9999, 10000, 99999, 100000, 999999)), (x) => {
      assert.equal(quads((p) => putSixQuads(v, p, x)), String(x).padStart(6, '0'));
    }), { numRuns: 20000 });
    fc.assert(fc.property(fc.oneof(fc.maxSafeInteger().filter((x) => x >= 0), fc.constantFrom(2 ** 31, 2 ** 32, 1e9, 1e15 - 1, 2 ** 53 - 1)), (x) => {
      assert.equal(quads((p) => putSafeQuads(v, p, x)), String(x));
    }), { numRuns: 20000 });
    const ks = fc.oneof(fc.nat({ max: 1e15 }), fc.nat({ max: 1e9 }), fc.constantFrom(0, 1, 10, 1000, 1e6, 1e15 - 1, 1e15, 2 ** 53, -1, -1e6));
    fc.assert(fc.property(ks, fc.constantFrom(3 as const, 6 as const), (k, d) => {
      const want = scaled(k, d);
      assert.equal(quads((p) => putScaledQuads(v, b, p, k, d)), want);
    }), { numRuns: 20000 });
  });

  it('writes every cell type in both formats as csvCell / jsonlCell do, byte for byte', () => {
    const types: ColumnType[] = ['integer', 'number', 'string'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...types), { minLength: 1, maxLength: 8 }), fc.array(fc.array(cell, { minLength: 8, maxLength: 8 }), { maxLength: 20 }), (ts, rows) => {
      const cols: TableColumn<Cell[]>[] = ts.map((type, i) => ({ name: `c${i}`, type, doc: '', get: (r) => r[i] ?? null }));
      assertRowsAsCells(cols, rows);
    }), { numRuns: 400 });
  });

  it('quotes and defuses text as csv-stringify does with formulas escaped and a bare CR or LF quoted (RFC 4180)', async (t) => {
    // Loaded by name at run time: a checkout whose node_modules predates this devDependency still builds.
    const name = 'csv-stringify/sync';
    const stringify = await import(name).then((m: { stringify: (rows: unknown[][], o: object) => string }) => m.stringify, () => undefined);
    if (!stringify) return t.skip('csv-stringify is not installed (npm ci installs it)');
    // csv-stringify quotes a field holding the record delimiter (CRLF) but not a bare CR or LF, which
    // readers take as a line end: quoted_match adds those. Its escape_formulas also defuses the
    // fullwidth ＝＋－＠, which docs/export.md does not: such starts are left out of the comparison.
    const fullwidthStart = /^[\uff1d\uff0b\uff0d\uff20]/;
    const cols: TableColumn<Cell[]>[] = [0, 1, 2].map((i) => ({ name: `c${i}`, type: 'string', doc: '', get: (r) => r[i] ?? null }));
    const text = hostile.filter((t) => !fullwidthStart.test(t));
    fc.assert(fc.property(fc.array(fc.array(text, { minLength: 3, maxLength: 3 }), { maxLength: 20 }), (rows) => {
      const s = byteSink();
      const w = new TableWriter(cols, 'csv', s);
      for (const r of rows) w.row(r);
      w.flush();
      assertBytes(s.bytes(), stringify([cols.map((c) => c.name), ...rows], { record_delimiter: 'windows', escape_formulas: true, quoted_match: /[\r\n]/ }));
    }), { numRuns: 2000 });
  });

  it('writes absolute times as absNs does, exact past 2^53', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.oneof(fc.integer({ min: -1e15, max: 1e15 }), fc.constant(NaN)), fc.integer({ min: -5, max: 5 }), (epoch, t, rest) => {
      const clock: ExportClock = { epochNs: epoch };
      const cols: TableColumn<number[]>[] = [{ name: 't', type: 'integer', doc: '', get: (r) => absNs(clock, r[0]!, r[1]!), absTime: { clock, t: (r) => r[0]!, rest: (r) => r[1]! } }];
      for (const format of ['csv', 'jsonl'] as const) {
        const s = byteSink();
        const w = new TableWriter(cols, format, s);
        w.row([t, rest]);
        w.flush();
        const v = absNs(clock, t, rest);
        assertBytes(s.bytes(), format === 'csv' ? `t\r\n${v ?? ''}\r\n` : `{"t":${v ?? 'null'}}\n`);
      }
    }), { numRuns: 3000 });
  });

  it('writes request rows (numbers from their values, times and paths from their parts, argument cells by opcode) as their Cells read through get', () => {
    // The requests writer reads number columns through `value`, ms and µs from
    // whole ns, a child's path from its parts, and writes the argument columns
    // by one function per opcode: none of them goes through `get`.
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.array(exchange, { maxLength: 30 }), (epoch, rows) => {
      const cols = requestColumns({ epochNs: epoch });
      assertRowsAsCells(cols, () => rows.map((r) => Object.assign(new Exchange(), r)));
    }), { numRuns: 1500 });
  });

  it('writes the Perfetto args of request rows (cells that hold something, ids past 2^53 as strings) as stringifyPlain writes their Cells', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.array(exchange, { maxLength: 30 }), (epoch, rows) => {
      const all = requestColumns({ epochNs: epoch });
      const fresh = (): Exchange[] => rows.map((r) => Object.assign(new Exchange(), r));
      // The trace's columns (report/perfetto.ts: no absolute times or ms), and every column (absolute times too).
      assertArgsAsCells(all.filter((c) => !/^(req|reply)_(ns|ms)$/.test(c.name)), fresh);
      assertArgsAsCells(all, fresh);
    }), { numRuns: 1000 });
  });

  it('takes back no args cell that handed the buffer on, whatever the position it ends at', () => {
    // A path of n characters past MAX_PLAIN is written as text: when it does not fit it goes after a
    // hand-on, from position 0, and ends at n + 2, which is where an empty cell whose lead began at
    // n - 6 (`,"path":` is 8 bytes) would have left it. The rows start at every position around that.
    const cols = requestColumns({ epochNs: 1n });
    const n = 70_000;
    const row = (): Exchange => Object.assign(new Exchange(), { conn: 0, unique: 1, opcode: 3, nodeid: 5, path: `/${'p'.repeat(n - 1)}`, tReq: 1000 });
    const before = Buffer.byteLength('{"conn":0,"unique":1,"opcode":3,"op":"GETATTR","nodeid":5');
    for (let k = n - 6 - before - 40; k <= n - 6 - before + 40; k++) {
      const s = byteSink();
      s.text.str('x'.repeat(k));
      compileArgs(cols, s.text)(row());
      s.text.flush();
      assertBytes(s.bytes(), 'x'.repeat(k) + argsText(cols, row()));
    }
    // And paths of lengths around the buffer's size, from rows one after another.
    const lengths = [1, 100, 4000, 65535, 65536, TEXT_BUFFER - 30, TEXT_BUFFER + 7, 2 * TEXT_BUFFER];
    assertArgsAsCells(cols, () => lengths.map((len, i) => Object.assign(new Exchange(), { conn: 0, unique: i, opcode: 3, nodeid: 5, path: `/${'p'.repeat(len)}`, tReq: 1000 })));
  });

  it('hands on whole buffers and cells longer than one', () => {
    const cols: TableColumn<Cell[]>[] = [
      { name: 'n', type: 'integer', doc: '', get: (r) => r[0] ?? null },
      { name: 's', type: 'string', doc: '', get: (r) => r[1] ?? null },
    ];
    const long = 'é,"x"'.repeat(TEXT_BUFFER / 2);
    const rows: Cell[][] = [];
    for (let i = 0; i < 30000; i++) rows.push([i, i % 997 === 0 ? long : `/dir/file-${i}`]);
    for (const format of ['csv', 'jsonl'] as const) {
      const s = byteSink();
      const w = new TableWriter(cols, format, s);
      for (const r of rows) w.row(r);
      w.flush();
      assert.ok(s.chunks.length > 10, 'several chunks');
      assertBytes(s.bytes(), (format === 'csv' ? 'n,s\r\n' : '') + rows.map((r) => (format === 'csv' ? csvRow(cols, r) : jsonlRow(cols, r))).join(''));
    }
  });

  it('keeps the row room of each table when two tables share one output buffer', () => {
    // The row room is the row's own: a narrow table made later must not shrink a wide one's.
    const wide: TableColumn<Cell[]>[] = Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, type: 'number' as const, doc: '', get: (r: Cell[]) => r[i] ?? null }));
    const narrow: TableColumn<Cell[]>[] = [{ name: 'n', type: 'integer', doc: '', get: (r) => r[0] ?? null }];
    const s = byteSink();
    const w = new TableWriter(wide, 'csv', s);
    const v = new TableWriter(narrow, 'csv', s);
    const rows: Cell[][] = [];
    for (let i = 0; i < 3000; i++) rows.push(Array.from({ length: 30 }, (_, j) => -1.2345678901234567e-300 * (i + j + 1)));
    for (const r of rows) w.row(r);
    w.flush();
    v.row([7]);
    v.flush();
    assertBytes(s.bytes(), wide.map((c) => c.name).join(',') + '\r\n' + rows.map((r) => csvRow(wide, r)).join('') + 'n\r\n7\r\n');
  });

  it('writes through a text-only sink the same text', () => {
    const cols: TableColumn<Cell[]>[] = [{ name: 's', type: 'string', doc: '', get: (r) => r[0] ?? null }];
    const parts: string[] = [];
    const w = new TableWriter(cols, 'csv', { write: (s: string) => parts.push(s) });
    w.row(['=1+1']);
    w.row(['a,b']);
    w.flush();
    assert.equal(parts.join(''), 's\r\n\'=1+1\r\n"a,b"\r\n');
  });
});
