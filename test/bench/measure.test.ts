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
import { PART_STAGES } from '../../bench/stages.js';
import { repoRoot } from '../helpers/mount.js';

const measure = join(repoRoot, 'dist', 'bench', 'measure.js');

function measured(stage: string, file: string): number {
  const r = spawnSync(process.execPath, [measure, stage, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${stage} ${file}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { messages: number }).messages;
}

for (const name of ['thirdparty-tup.pcapng', 'thirdparty-fuse-overlayfs.pcapng', 'thirdparty-bindfs-interrupt.pcapng', 'thirdparty-libfuse-notify-store-retrieve.pcapng']) {
  test(`bench parts read every message: ${name}`, () => {
    const file = join(repoRoot, 'fixtures', name);
    const messages = countMessages(file)!.messages;
    assert.ok(messages > 0, `${name}: no messages`);
    for (const stage of ['decode+pair', ...PART_STAGES, 'analyze']) assert.equal(measured(stage, file), messages, stage);
  });
}
