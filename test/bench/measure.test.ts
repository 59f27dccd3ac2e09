/**
 * The analysis's parts that `bench:cost` counts (bench/stages.ts
 * PART_STAGES) read every message of a capture, as the stages they are
 * compared with do: a part that stopped early or lost messages would make
 * its difference to the next one mean nothing; `decode+pair+order` also
 * checks that it gave each completed exchange back to the pairer once. The
 * larger captures are several ordering windows long (events leave while the
 * capture is read); the smaller have notifications and INTERRUPTs, which
 * take the ordering's other ways out.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { join } from 'node:path';
import { countMessages } from '../../bench/recorder.js';
import { PART_STAGES, WINDOW_STAGES } from '../../bench/stages.js';
import { ORDER_WINDOW, ORDER_WINDOW_GROWTH, RELEASE_EVERY } from '../../src/pairing/order.js';
import { repoRoot } from '../helpers/mount.js';

const measure = join(repoRoot, 'dist', 'bench', 'measure.js');

interface Measured { messages: number; orderingPeak: number | null }

function measuredRun(stage: string, file: string, ...more: string[]): Measured {
  const r = spawnSync(process.execPath, [measure, stage, file, ...more], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${stage} ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Measured;
}

/**
 * The most events a window of `n` lets wait: it is checked every RELEASE_EVERY messages (each adds at most a
 * request or reply event and a problem), and doubles, up to ORDER_WINDOW_GROWTH times, after a message came late.
 */
const mostWaiting = (n: number): number => n * ORDER_WINDOW_GROWTH + 2 * RELEASE_EVERY;

for (const name of ['thirdparty-tup.pcapng', 'thirdparty-fuse-overlayfs.pcapng', 'thirdparty-bindfs-interrupt.pcapng', 'thirdparty-libfuse-notify-store-retrieve.pcapng']) {
  test(`bench parts read every message: ${name}`, () => {
    const file = join(repoRoot, 'fixtures', name);
    const messages = countMessages(file)!.messages;
    assert.ok(messages > 0, `${name}: no messages`);
    const whole = new Map<string, Measured>();
    for (const stage of ['decode+pair', ...PART_STAGES, 'analyze']) {
      whole.set(stage, measuredRun(stage, file));
      assert.equal(whole.get(stage)!.messages, messages, stage);
    }
    // A window of a few events: exchanges leave it (and go back to the pool) while the capture is read.
    for (const stage of WINDOW_STAGES) {
      const peak = whole.get(stage)!.orderingPeak;
      const small = measuredRun(stage, file, '--window', '16');
      assert.equal(small.messages, messages, `${stage} --window 16`);
      assert.ok(small.orderingPeak !== null && small.orderingPeak <= mostWaiting(16), `${stage} --window 16: ${small.orderingPeak} events waited at once`);
      // The captures several windows long: more waited without --window than a window of 16 lets.
      if (messages > 2 * ORDER_WINDOW) assert.ok(peak !== null && peak > mostWaiting(16), `${stage}: ${peak} events waited at once`);
    }
  });
}

test('measure.js --window is for the stages with an ordering window only, and a count of events', () => {
  const file = join(repoRoot, 'fixtures', 'thirdparty-tup.pcapng');
  for (const args of [['decode+pair', file, '--window', '16'], ['dump --json', file, '--window', '16'], ['analyze', file, '--window', '1.5'], ['decode+pair+order', file, '--window', 'x'], ['decode+pair+order', file, '--window', '-1'], ['decode+pair+order', file, '--windows', '16'], ['decode+pair+order', file, '--window', '16', 'more']]) {
    const r = spawnSync(process.execPath, [measure, ...args], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, /usage: measure\.js STAGE FILE/, args.join(' '));
  }
});

test('bench:cost takes --window for the stages with an ordering window only, before valgrind runs', () => {
  const cost = join(repoRoot, 'dist', 'bench', 'cost.js');
  const file = join(repoRoot, 'fixtures', 'thirdparty-tup.pcapng');
  for (const args of [['dump', file, '--window', '16'], ['decode+pair', file, '--window', '16'], ['analyze', file, '--window', 'x']]) {
    const r = spawnSync(process.execPath, [cost, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.ok(r.stderr.includes(`--window ${args[3]}: a count of events, for ${WINDOW_STAGES.join(', ')} only`), `${args.join(' ')}: ${r.stderr}`);
  }
});
