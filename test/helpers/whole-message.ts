/**
 * What the tests of the whole-message writers of dump (report/dump-json-message.ts,
 * report/dump-text-message.ts) feed them and the general way alike: every
 * message of every bundled capture, paired as dump pairs it, and random
 * bodies of every opcode in both byte orders and several protocol minors.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Direction, Timebase, type CaptureMessage } from '../../src/capture/message.js';
import { pairCaptures } from '../../src/pairing/pair-captures.js';
import type { MessageKind } from '../../src/pairing/pairer.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { MessageParts, walkReply, walkRequest } from '../../src/protocol/decode.js';
import { ConnProtocol } from '../../src/protocol/version.js';
import { TextBuffer } from '../../src/report/text-buffer.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Every capture in fixtures/ and fixtures/lab/ (pcapng and fusedump). */
export function bundledCaptures(): string[] {
  const out: string[] = [];
  for (const dir of ['fixtures', join('fixtures', 'lab')]) {
    for (const f of readdirSync(join(ROOT, dir))) if (/\.(pcapng|fusedump)$/.test(f)) out.push(join(ROOT, dir, f));
  }
  return out.sort();
}

/** A text buffer of `size` bytes whose sink keeps what it is handed; `text()` is all of it. */
export function sinkBuffer(size: number): { t: TextBuffer; text(): string } {
  const got: Buffer[] = [];
  const t = new TextBuffer(size, (b) => got.push(Buffer.from(b)));
  return { t, text: () => (t.flush(), Buffer.concat(got.splice(0)).toString('utf8')) };
}

/** One message as dump walks it: its kind, the exchange it is walked with (none for an orphan reply), its connection's protocol. */
export interface WalkedMessage {
  kind: MessageKind;
  m: CaptureMessage;
  x: Exchange | undefined;
  p: ConnProtocol;
  /** Its number in its capture (1-based). */
  index: number;
  timebase: Timebase;
  what: string;
}

/** Calls `visit` for every message but notifications of every capture in `files`, in block order, paired. */
export function forEveryMessage(files: string[], visit: (w: WalkedMessage) => void): void {
  for (const file of files) {
    let index = 0;
    const timebase = new Timebase();
    pairCaptures([file], {
      onMessage(kind, m, pairer) {
        index++;
        if (kind !== 'notify') {
          const x = m.dir === Direction.Outbound && kind === 'orphan-reply' ? undefined : pairer.last;
          visit({ kind, m, x, p: pairer.protocol(m.conn), index, timebase, what: `${file} message ${index}` });
        }
        if (kind === 'reply' || kind === 'no-reply-request') pairer.recycle(pairer.last!);
      },
    }, { timebase });
  }
}

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

/**
 * Calls `check` with `numRuns` random messages: a request or reply of any
 * opcode below 61, with a random body (a NUL-terminated name after it now
 * and then), length and snap, in either byte order, at minor 7, 12, 23, 31
 * or 45 with or without INIT; `flag` is a random boolean for the caller's
 * own use. Returns how many `check` said it took.
 */
export function forRandomMessages(numRuns: number, check: (w: WalkedMessage, flag: boolean) => boolean): number {
  const timebase = new Timebase();
  timebase.epochNs = 1_790_000_000_000_000_000n;
  let taken = 0;
  fc.assert(fc.property(
    fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.constantFrom(7, 12, 23, 31, 45),
    fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.constantFrom(0, 0, 0, -2, -38), fc.integer({ min: -8, max: 8 }), fc.boolean(),
    fc.uint8Array({ minLength: 0, maxLength: 12 }).map((a) => Buffer.from(a).toString('latin1')), fc.boolean(), fc.boolean(),
    (reply, le, opcode, minor, body0, error, lenDelta, cut, name, negotiated, flag) => {
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
      const what = `${reply ? 'reply' : 'request'} ${opcode} ${le ? 'LE' : 'BE'} 7.${minor}${negotiated ? ' (INIT)' : ''} len ${len} ${m.data.toString('hex')}`;
      if (check({ kind: reply ? 'reply' : 'request', m, x, p, index: 1, timebase, what }, flag)) taken++;
    },
  ), { numRuns });
  return taken;
}

/**
 * Writes message `w.m` with a whole-message writer (`whole`, into `fast`)
 * and the general way (`walked`, given the walk of it, into `general`);
 * returns whether the whole-message writer took it. Asserts that both wrote
 * the same bytes, and that a message turned away had nothing written.
 */
export function agreesWithWalk(
  fast: ReturnType<typeof sinkBuffer>, general: TextBuffer, w: WalkedMessage, what: string,
  whole: (t: TextBuffer) => boolean, walked: (t: TextBuffer, d: MessageParts | undefined) => void,
): boolean {
  const { m, x, p } = w;
  fast.text();
  const took = whole(fast.t);
  const wrote = fast.text();
  if (!took) {
    assert.equal(wrote, '', `${what}: turned away after writing`);
    return false;
  }
  const P = new MessageParts();
  const d = m.dir === Direction.Outbound ? walkReply(m, x, p, P) : m.capLen < 40 ? undefined : walkRequest(m, p, x, P);
  const from = general.pos;
  walked(general, d);
  assert.equal(wrote, general.takeFrom(from), what);
  return true;
}
