/**
 * The head of a `dump --json` message line (report/dump-json.ts
 * writeMessageHead) writes `t_ns` as `Timebase.absolute` gives it, also
 * when it reuses the seconds' digits of the previous time it wrote: within
 * one second, across seconds, before the epoch, with a `tRest`, and when
 * heads of two timebases with different epochs alternate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Direction, Timebase, type CaptureMessage } from '../../src/capture/message.js';
import { writeMessageHead } from '../../src/report/dump-json.js';
import { TextBuffer } from '../../src/report/text-buffer.js';

function message(t: number, tRest: number): CaptureMessage {
  return { conn: 0, t, tRest, dir: Direction.Inbound, dirGuessed: false, pid: 1, tid: 2, fileOffset: 3, blockNo: 4, capLen: 40, origLen: 40, failedErrno: 0 } as unknown as CaptureMessage;
}

function tNs(t: TextBuffer, tb: Timebase, m: CaptureMessage): string {
  const from = t.pos;
  writeMessageHead(t, 1, m, 'request', tb);
  const line = t.takeFrom(from);
  return /"t_ns":(\d+)/.exec(line)![1]!;
}

test('t_ns of the dump --json head is the exact absolute time, whatever the previous head wrote', () => {
  const a = new Timebase();
  a.fix(1_795_561_795_123_456_789n);
  const b = new Timebase();
  b.fix(1_700_000_000_999_999_999n);
  const t = new TextBuffer(1 << 12);
  const cases: [number, number][] = [[0, 0], [1, 0], [876_543_210, 0], [876_543_211, 0], [1e9, 0], [5e9 + 7, 0], [-1, 0], [-123_456_789, 0], [2e9, 3], [2e9, 0]];
  for (const [rel, rest] of cases) {
    for (const tb of [a, b, a]) assert.equal(tNs(t, tb, message(rel, rest)), tb.absolute(rel, rest), `t=${rel} rest=${rest}`);
  }
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -4e9, max: 4e12 }), fc.constantFrom(0, 0, 0, 1, 999)), { minLength: 1, maxLength: 40 }), (xs) => {
      for (const [first, rel, rest] of xs) {
        const tb = first ? a : b;
        assert.equal(tNs(t, tb, message(rel, rest)), tb.absolute(rel, rest));
      }
    }),
  );
});
