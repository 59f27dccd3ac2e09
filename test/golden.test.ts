/**
 * Behaviour stays put: every bundled capture's dump, analyze, export and
 * report output hashes to what test/golden/outputs.json recorded. A change
 * meant to alter output re-records it (`node scripts/golden.mjs --write`), so
 * the diff of that file shows which outputs moved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './helpers/mount.js';

test('every fixture prints the golden dump, analyze, export and report output', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/golden.mjs'), '--check'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /golden: all \d+ outputs match/);
});
