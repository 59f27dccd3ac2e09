/**
 * The tests' temp dirs (helpers/mount.ts makeTempDir) do not outlive the
 * test file's process, even when a test fails before its `remove()`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

test('a temp dir left by a failing test is removed as its process exits', () => {
  const helpers = join(import.meta.dirname, 'helpers', 'mount.js');
  const script = `const { makeTempDir } = await import(${JSON.stringify(helpers)});
const kept = makeTempDir('left-check'); kept.sub('src'); console.log(kept.path);
const gone = makeTempDir('left-check'); gone.remove();
throw new Error('an assertion failed before remove()');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'the script failed as a test would');
  assert.match(r.stderr, /an assertion failed before remove\(\)/);
  const path = r.stdout.trim();
  assert.match(path, /fusetrace-left-check-/);
  assert.equal(existsSync(path), false, `${path} was removed at exit`);
});
