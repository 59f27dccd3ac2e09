/**
 * The whole-message text writer of `dump` (report/dump-text-message.ts)
 * writes, for every message it takes, the bytes of the general way (walk,
 * then writeMessageLine); a message it turns away has had nothing written.
 * Checked on every message of every bundled capture, plain and verbose, with
 * and without the connection column, through output buffers small enough to
 * be handed on in the middle of a line, and on random bodies of every opcode
 * in both byte orders and several protocol minors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Direction, type CaptureMessage } from '../../src/capture/message.js';
import { pairCaptures } from '../../src/pairing/pair-captures.js';
import type { MessageKind } from '../../src/pairing/pairer.js';
import { MessageParts, walkReply, walkRequest } from '../../src/protocol/decode.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { ConnProtocol } from '../../src/protocol/version.js';
import { writeMessageLine, type DumpFormatOptions } from '../../src/report/dump-format.js';
import { writeWholeMessageText } from '../../src/report/dump-text-message.js';
import { TextBuffer } from '../../src/report/text-buffer.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Every capture in fixtures/ and fixtures/lab/ (pcapng and fusedump). */
function bundledCaptures(): string[] {
  const out: string[] = [];
  for (const dir of ['fixtures', join('fixtures', 'lab')]) {
    for (const f of readdirSync(join(ROOT, dir))) if (/\.(pcapng|fusedump)$/.test(f)) out.push(join(ROOT, dir, f));
  }
  return out.sort();
}

/** A text buffer of `size` bytes whose sink keeps what it is handed; `text()` is all of it. */
function sinkBuffer(size: number): { t: TextBuffer; text(): string } {
  const got: Buffer[] = [];
  const t = new TextBuffer(size, (b) => got.push(Buffer.from(b)));
  return { t, text: () => (t.flush(), Buffer.concat(got.splice(0)).toString('utf8')) };
}

/**
 * Writes message `m` both ways; returns whether the whole-message writer took
 * it. `fast` and `general` are emptied first; when the writer turns the
 * message away, nothing may have reached `fast`.
 */
function compare(fast: ReturnType<typeof sinkBuffer>, general: TextBuffer, m: CaptureMessage, kind: MessageKind, x: Exchange | undefined, p: ConnProtocol, index: number, opts: DumpFormatOptions, what: string): boolean {
  fast.text();
  const took = writeWholeMessageText(fast.t, index, m, kind, x, p, opts);
  const wrote = fast.text();
  if (!took) {
    assert.equal(wrote, '', `${what}: turned away after writing`);
    return false;
  }
  const P = new MessageParts();
  const d = m.dir === Direction.Outbound ? walkReply(m, x, p, P) : m.capLen < 40 ? undefined : walkRequest(m, p, x, P);
  assert.ok(d !== undefined, `${what}: taken, but the walk makes nothing of it`);
  const from = general.pos;
  writeMessageLine(general, m, kind, x, d, index, opts);
  assert.equal(wrote, general.takeFrom(from), what);
  return true;
}

test('every message of every bundled capture the whole-message writer takes is written as the walk writes it', () => {
  const files = bundledCaptures();
  assert.ok(files.length >= 20, `bundled captures found: ${files.length}`);
  let taken = 0;
  let all = 0;
  const general = new TextBuffer(1 << 12);
  // A buffer smaller than a line, one that is handed on now and then, and a roomy one; plain and verbose, with and without the conn column.
  const variants: [number, DumpFormatOptions][] = [[96, { hideConn: true }], [700, { hideConn: false, verbose: true }], [1 << 16, { hideConn: false, t0: 1000 }], [1 << 16, { hideConn: true, verbose: true }]];
  for (const [size, opts] of variants) {
    const fast = sinkBuffer(size);
    for (const file of files) {
      let index = 0;
      pairCaptures([file], {
        onMessage(kind, m, pairer) {
          index++;
          if (kind !== 'notify') {
            const x = m.dir === Direction.Outbound && kind === 'orphan-reply' ? undefined : pairer.last;
            all++;
            if (compare(fast, general, m, kind, x, pairer.protocol(m.conn), index, opts, `${file} message ${index} (buffer ${size}, ${JSON.stringify(opts)})`)) taken++;
          }
          if (kind === 'reply' || kind === 'no-reply-request') pairer.recycle(pairer.last!);
        },
      }, {});
    }
  }
  // Most messages of real captures are whole and plain: the writer must take them, not only agree when it does.
  assert.ok(taken > all / 2, `taken ${taken} of ${all}`);
});

/** A message of `body` after a header of `hdr` bytes whose length field says `len` and of which `cap` bytes were captured. */
function message(dir: Direction, le: boolean, words: number[], body: Uint8Array, len: number, cap: number): CaptureMessage {
  const hdr = dir === Direction.Outbound ? 16 : 40;
  const data = Buffer.alloc(3 + hdr + body.length);
  const put = (at: number, v: number, bytes: number): void => {
    for (let i = 0; i < bytes; i++) data[3 + at + (le ? i : bytes - 1 - i)] = (v / 2 ** (8 * i)) & 0xff;
  };
  put(0, len, 4);
  // in: opcode, unique, nodeid, uid, gid, pid, total_extlen; out: error, unique.
  const layout = dir === Direction.Outbound ? [[4, 4], [8, 8]] : [[4, 4], [8, 8], [16, 8], [24, 4], [28, 4], [32, 4], [36, 2]];
  layout.forEach(([at, n], i) => put(at!, words[i] ?? 0, n!));
  data.set(body, 3 + hdr);
  return {
    conn: 0, t: 1_000_000_123, tRest: 0, dir, dirGuessed: false, data, off: 3, capLen: Math.min(cap, hdr + body.length), origLen: len,
    le, pid: 12, tid: 13, failedErrno: 0, comment: undefined, fileOffset: 4096, blockNo: 7, input: 0,
  };
}

test('random bodies of every opcode, both byte orders, several minors, with INIT or without: the whole-message writer agrees with the walk', () => {
  const fast = sinkBuffer(200);
  const general = new TextBuffer(1 << 12);
  let taken = 0;
  fc.assert(fc.property(
    fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.constantFrom(7, 12, 23, 31, 45),
    fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.constantFrom(0, 0, 0, -2, -38), fc.integer({ min: -8, max: 8 }), fc.boolean(),
    fc.uint8Array({ minLength: 0, maxLength: 12 }).map((a) => Buffer.from(a).toString('latin1')), fc.boolean(), fc.boolean(),
    (reply, le, opcode, minor, body0, error, lenDelta, cut, name, negotiated, verbose) => {
      // Bodies with names in them now and then: NUL-terminated ASCII (or not) where the strings go.
      const body = Buffer.concat([Buffer.from(body0), Buffer.from(`${name}\0`, 'latin1')]);
      const dir = reply ? Direction.Outbound : Direction.Inbound;
      const hdr = reply ? 16 : 40;
      const len = Math.max(0, hdr + body.length + (lenDelta > 4 ? 0 : lenDelta));
      const m = message(dir, le, reply ? [error, 5] : [opcode, 5, 7, 0, 0, 99, 0], body, len, cut ? hdr + (body.length >> 1) : Infinity);
      const p = new ConnProtocol({ minor });
      // As after INIT: fields newer than the minor read as 0 (else, as without INIT, their bytes show).
      p.negotiated = negotiated;
      const x = new Exchange();
      x.opcode = opcode;
      x.size = body0.length & 1 ? 0 : 4096;
      if (compare(fast, general, m, reply ? 'reply' : 'request', x, p, 1, { hideConn: !verbose, verbose }, `${reply ? 'reply' : 'request'} ${opcode} ${le ? 'LE' : 'BE'} 7.${minor}${negotiated ? ' (INIT)' : ''} len ${len} ${m.data.toString('hex')}`)) taken++;
    },
  ), { numRuns: 4000 });
  assert.ok(taken > 100, `taken ${taken}`);
});
