/**
 * The generated whole-message writers of `dump --json`
 * (report/dump-json-message.ts) write, for every message they take, the
 * bytes of the general way (walk, then writeMessageJson); a message they
 * turn away has had nothing written. Checked on every message of every
 * bundled capture, through output buffers small enough to be handed on in
 * the middle of a line, and on random bodies of every opcode in both byte
 * orders and several protocol minors. The same for their `decoded` object
 * alone (an exchange's request and reply in dump --exchanges --json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partsJson, writeMessageJson } from '../../src/report/dump-json.js';
import { writeWholeDecodedJson, writeWholeMessageJson } from '../../src/report/dump-json-message.js';
import { TextBuffer } from '../../src/report/text-buffer.js';
import { agreesWithWalk, bundledCaptures, forEveryMessage, forRandomMessages, sinkBuffer, type WalkedMessage } from '../helpers/whole-message.js';

/** Message `w.m` by the generated writers and the general way (`agreesWithWalk`). */
function compare(fast: ReturnType<typeof sinkBuffer>, general: TextBuffer, w: WalkedMessage, what: string): boolean {
  const { m, kind, x, p, timebase, index } = w;
  return agreesWithWalk(fast, general, w, what, (t) => writeWholeMessageJson(t, index, m, kind, timebase, x, p), (t, d) => {
    writeMessageJson(t, index, m, kind, timebase, d);
    t.byte(10);
  });
}

test('every message of every bundled capture the generated writers take is written as the walk writes it', () => {
  const files = bundledCaptures();
  assert.ok(files.length >= 20, `bundled captures found: ${files.length}`);
  let taken = 0;
  let all = 0;
  const general = new TextBuffer(1 << 12);
  // A buffer smaller than a line, one that is handed on now and then, and a roomy one.
  for (const size of [96, 700, 1 << 16]) {
    const fast = sinkBuffer(size);
    forEveryMessage(files, (w) => {
      all++;
      if (compare(fast, general, w, `${w.what} (buffer ${size})`)) taken++;
    });
  }
  // Most messages of real captures are whole and plain: the writers must take them, not only agree when they do.
  assert.ok(taken > all / 2, `taken ${taken} of ${all}`);
});

test('random bodies of every opcode, both byte orders, several minors, with INIT or without: the generated writers agree with the walk', () => {
  const fast = sinkBuffer(200);
  const general = new TextBuffer(1 << 12);
  const taken = forRandomMessages(4000, (w) => compare(fast, general, w, w.what));
  assert.ok(taken > 100, `taken ${taken}`);
});

/** Message `w.m`'s decoded object by the generated part writers and the general way. */
function compareDecoded(fast: ReturnType<typeof sinkBuffer>, general: TextBuffer, w: WalkedMessage, what: string): boolean {
  const { m, x, p } = w;
  return agreesWithWalk(fast, general, w, what, (t) => writeWholeDecodedJson(t, m, x, p), (t, d) => t.str(d === undefined ? 'null' : partsJson(d)));
}

test('the decoded object alone: every message of every bundled capture and random bodies, as the walk writes it', () => {
  const general = new TextBuffer(1 << 12);
  let taken = 0;
  let all = 0;
  for (const size of [96, 1 << 16]) {
    const fast = sinkBuffer(size);
    forEveryMessage(bundledCaptures(), (w) => {
      all++;
      // The part writers take exactly the messages the line writers take.
      const line = compare(sinkBuffer(1 << 16), new TextBuffer(1 << 12), w, w.what);
      const part = compareDecoded(fast, general, w, `${w.what} (decoded, buffer ${size})`);
      assert.equal(part, line, `${w.what}: part and line writers take the same messages`);
      if (part) taken++;
    });
  }
  assert.ok(taken > all / 2, `taken ${taken} of ${all}`);
  const fast = sinkBuffer(200);
  assert.ok(forRandomMessages(4000, (w) => compareDecoded(fast, general, w, w.what)) > 100);
});
