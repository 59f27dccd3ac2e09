/**
 * The whole-message text writer of `dump` (report/dump-text-message.ts)
 * writes, for every message it takes, the bytes of the general way (walk,
 * then writeMessageLine); a message it turns away has had nothing written.
 * Checked on every message of every bundled capture, plain and verbose, with
 * and without the connection column, through output buffers small enough to
 * be handed on in the middle of a line, and on random bodies of every opcode
 * in both byte orders and several protocol minors. The same for the parts of
 * a `dump --exchanges` line it writes: a request's text, and what follows it
 * for a reply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchangeRequestText, writeExchangeResult, writeMessageLine, type DumpFormatOptions } from '../../src/report/dump-format.js';
import { writeWholeExchangeResult, writeWholeMessageText, writeWholeRequestText } from '../../src/report/dump-text-message.js';
import { Direction } from '../../src/capture/message.js';
import { TextBuffer } from '../../src/report/text-buffer.js';
import { agreesWithWalk, bundledCaptures, forEveryMessage, forRandomMessages, sinkBuffer, type WalkedMessage } from '../helpers/whole-message.js';

/** Message `w.m` by the whole-message writer and the general way (`agreesWithWalk`). */
function compare(fast: ReturnType<typeof sinkBuffer>, general: TextBuffer, w: WalkedMessage, opts: DumpFormatOptions, what: string): boolean {
  const { m, kind, x, p, index } = w;
  return agreesWithWalk(fast, general, w, what, (t) => writeWholeMessageText(t, index, m, kind, x, p, opts), (t, d) => {
    assert.ok(d !== undefined, `${what}: taken, but the walk makes nothing of it`);
    writeMessageLine(t, m, kind, x, d, index, opts);
  });
}

test('every message of every bundled capture the whole-message writer takes is written as the walk writes it', () => {
  const files = bundledCaptures();
  assert.ok(files.length >= 20, `bundled captures found: ${files.length}`);
  let taken = 0;
  let all = 0;
  const general = new TextBuffer(1 << 12);
  // A buffer smaller than a line, one that is handed on now and then, and roomy ones; plain and verbose, with and without the conn column.
  const variants: [number, DumpFormatOptions][] = [[96, { hideConn: true }], [700, { hideConn: false, verbose: true }], [1 << 16, { hideConn: false, t0: 1000 }], [1 << 16, { hideConn: true, verbose: true }]];
  for (const [size, opts] of variants) {
    const fast = sinkBuffer(size);
    forEveryMessage(files, (w) => {
      all++;
      if (compare(fast, general, w, opts, `${w.what} (buffer ${size}, ${JSON.stringify(opts)})`)) taken++;
    });
  }
  // Most messages of real captures are whole and plain: the writer must take them, not only agree when it does.
  assert.ok(taken > all / 2, `taken ${taken} of ${all}`);
});

test('random bodies of every opcode, both byte orders, several minors, with INIT or without, plain and verbose: the whole-message writer agrees with the walk', () => {
  const fast = sinkBuffer(200);
  const general = new TextBuffer(1 << 12);
  const taken = forRandomMessages(4000, (w, verbose) => compare(fast, general, w, { hideConn: !verbose, verbose }, w.what));
  assert.ok(taken > 100, `taken ${taken}`);
});

/** The `dump --exchanges` part of message `w.m` by the whole-message writer and from its walk: a request's text, or a reply's ` => ` and all after it. */
function compareExchangePart(fast: ReturnType<typeof sinkBuffer>, general: TextBuffer, w: WalkedMessage, verbose: boolean, what: string): boolean {
  const { m, x, p } = w;
  if (x === undefined) return false;
  if (m.dir === Direction.Outbound) {
    return agreesWithWalk(fast, general, w, what, (t) => writeWholeExchangeResult(t, m, x, p, verbose), (t, d) => writeExchangeResult(t, x, d, verbose));
  }
  return agreesWithWalk(fast, general, w, what, (t) => writeWholeRequestText(t, m, x, p, verbose), (t, d) => {
    assert.ok(d !== undefined, `${what}: taken, but the walk makes nothing of it`);
    t.str(exchangeRequestText(d, verbose));
  });
}

test('dump --exchanges: every request and reply of every bundled capture the writer takes has the parts of its line the walk gives it', () => {
  const general = new TextBuffer(1 << 12);
  let taken = 0;
  let all = 0;
  for (const [size, verbose] of [[96, false], [1 << 16, true]] as const) {
    const fast = sinkBuffer(size);
    forEveryMessage(bundledCaptures(), (w) => {
      all++;
      if (compareExchangePart(fast, general, w, verbose, `${w.what} (buffer ${size}${verbose ? ', verbose' : ''})`)) taken++;
    });
  }
  assert.ok(taken > all / 2, `taken ${taken} of ${all}`);
});

test('dump --exchanges: random bodies of every opcode, plain and verbose: the request and reply parts agree with the walk', () => {
  const fast = sinkBuffer(200);
  const general = new TextBuffer(1 << 12);
  const taken = forRandomMessages(4000, (w, verbose) => compareExchangePart(fast, general, w, verbose, w.what));
  assert.ok(taken > 100, `taken ${taken}`);
});
