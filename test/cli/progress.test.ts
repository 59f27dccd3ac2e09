/**
 * Long runs show a progress line on stderr when it is a terminal (run under
 * script(1) for a pseudo-terminal), and never when it is not, so machine
 * output and logs stay clean. Each command reads a 49 MiB real capture; `check`
 * and `baseline` read theirs through the same analysis options as `analyze`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fusetraceBin, haveCommand, makeTempDir, repoRoot } from '../helpers/mount.js';

const skip = haveCommand('script') ? false : 'script(1) is missing (Debian: bsdutils)';

test('dump -o, analyze, export -o, report -o and convert show reading progress on a terminal, none on a pipe', { skip }, (t) => {
  const dir = makeTempDir('progress');
  t.after(() => dir.remove());
  const cap = join(dir.path, 'manyfiles.pcapng');
  writeFileSync(cap, gunzipSync(readFileSync(join(repoRoot, 'fixtures', 'manyfiles.pcapng.gz'))));
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const commands = [
    ['dump', cap, '-o', join(dir.path, 'out.txt')],
    ['analyze', '--json', cap],
    ['export', '--table', 'requests', cap, '-o', join(dir.path, 'requests.csv')],
    ['report', cap, '-o', join(dir.path, 'report.html')],
    ['convert', cap, '--pad-snapped', '-o', join(dir.path, 'out.fusedump')],
  ];
  for (const args of commands) {
    const cmd = [process.execPath, fusetraceBin, ...args].map(quote).join(' ');
    // script's typescript goes to /dev/null; what the command wrote to the terminal comes on stdout.
    const tty = spawnSync('script', ['-qec', args[0] === 'analyze' ? `${cmd} >/dev/null` : cmd, '/dev/null'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(tty.status, 0, `${args[0]}: ${tty.stdout.slice(-500)}`);
    assert.match(tty.stdout, /reading: \d+ MiB of 49 MiB \(\d+%\)/, `${args[0]}: a progress line on the terminal`);
    // The line is one quietProgress for all: off a terminal, the first two commands stand for the rest.
    if (args[0] !== 'dump' && args[0] !== 'analyze') continue;
    const piped = spawnSync(process.execPath, [fusetraceBin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /reading:/, `${args[0]}: no progress when stderr is not a terminal`);
  }
});
