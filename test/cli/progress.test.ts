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
import { quietProgress } from '../../src/cli/common.js';
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

test('a gzip-compressed capture: the progress line counts compressed bytes against the file\'s size, up to 100%', { skip }, (t) => {
  const dir = makeTempDir('progress-gz');
  t.after(() => dir.remove());
  // Six copies of the 5.5 MB fixture as one multi-member .gz (six pcapng sections): 33 MiB, past the 32 MiB threshold.
  const gz = readFileSync(join(repoRoot, 'fixtures', 'manyfiles.pcapng.gz'));
  const cap = join(dir.path, 'six.pcapng.gz');
  writeFileSync(cap, Buffer.concat(Array.from({ length: 6 }, () => gz)));
  const cmd = [process.execPath, fusetraceBin, 'analyze', '--json', cap].map((s) => `'${s}'`).join(' ');
  const tty = spawnSync('script', ['-qec', `${cmd} >/dev/null`, '/dev/null'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(tty.status, 0, tty.stdout.slice(-500));
  const lines = tty.stdout.split('\r').map((l) => /reading: (\d+) MiB of (\d+) MiB \((\d+)%\)/.exec(l)).filter((m) => m !== null);
  assert.ok(lines.length >= 2, tty.stdout.slice(-500));
  assert.ok(lines.every((m) => m[2] === '33'), 'the total is the compressed file\'s size');
  assert.equal(lines.at(-1)![3], '100');
  assert.equal(lines.filter((m) => m[3] === '100').length, 1, 'said once, though the decompressed data is parsed after the file was read to its end');
});

test('the progress line: 100% is said once however long the parse after the end of the file takes; counts in between at most every 250 ms', (t) => {
  const written: string[] = [];
  let now = 1_000_000;
  t.mock.method(Date, 'now', () => now);
  t.mock.method(process.stderr, 'write', (s: string) => (written.push(s), true));
  const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
  t.after(() => (tty ? Object.defineProperty(process.stderr, 'isTTY', tty) : delete (process.stderr as { isTTY?: boolean }).isTTY));
  const total = 40 << 20;
  const p = quietProgress()!;
  p(1 << 20, total);
  now += 100;
  p(2 << 20, total); // too soon: not shown
  now += 300;
  p(3 << 20, total);
  now += 10;
  p(total, total); // the end is shown at once
  for (let i = 0; i < 5; i++) {
    now += 1000; // decompressed data still being parsed, seconds apart on a slow machine
    p(total, total);
  }
  const lines = written.filter((s) => s.includes('reading:'));
  assert.deepEqual(lines.map((s) => /\((\d+)%\)/.exec(s)?.[1]), ['3', '8', '100']);
  assert.equal(written.at(-1), '\r\x1b[K', 'the line is cleared after 100%');
});
