/**
 * Long runs show a progress line on stderr when it is a terminal (run under
 * script(1) for a pseudo-terminal), and never when it is not, so machine
 * output and logs stay clean. `dump -o` reads a 49 MiB real capture.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fusetraceBin, haveCommand, makeTempDir, repoRoot } from '../helpers/mount.js';

const skip = haveCommand('script') ? false : 'script(1) is missing (Debian: bsdutils)';

test('dump -o and analyze show reading progress on a terminal, none on a pipe', { skip }, (t) => {
  const dir = makeTempDir('progress');
  t.after(() => dir.remove());
  const cap = join(dir.path, 'manyfiles.pcapng');
  writeFileSync(cap, gunzipSync(readFileSync(join(repoRoot, 'fixtures', 'manyfiles.pcapng.gz'))));
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  for (const args of [['dump', cap, '-o', join(dir.path, 'out.txt')], ['analyze', '--json', cap]]) {
    const cmd = [process.execPath, fusetraceBin, ...args].map(quote).join(' ');
    // script's typescript goes to /dev/null; what the command wrote to the terminal comes on stdout.
    const tty = spawnSync('script', ['-qec', args[0] === 'analyze' ? `${cmd} >/dev/null` : cmd, '/dev/null'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(tty.status, 0, tty.stderr);
    assert.match(tty.stdout, /reading: \d+ MiB of 49 MiB \(\d+%\)/, `${args[0]}: a progress line on the terminal`);
    const piped = spawnSync(process.execPath, [fusetraceBin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /reading:/, `${args[0]}: no progress when stderr is not a terminal`);
  }
});
