/**
 * Outputs that cannot be written: a full disk is normal for a dump of a
 * capture of many gigabytes. Every command that writes a file or standard
 * output says which output and why, with what to do (exit 2), never
 * "internal error". /dev/full fails every write with ENOSPC.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeError } from '../../src/capture/errors.js';
import { ROOT, runCli } from '../helpers/cli.js';

const SMOKE = `${ROOT}fixtures/smoke.pcapng`;
const FULL = '/dev/full';
const noFull = existsSync(FULL) ? false : `${FULL} is missing on this machine: no device to fill`;
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-output-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function assertFull(r: { code: number | null; stderr: string }, target: string, what: string): void {
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^fusetrace: error: cannot write ${target}: no space left on device \\(ENOSPC\\)\\n  hint: its file system is full`), what);
  assert.doesNotMatch(r.stderr, /internal error/, what);
}

/** Every command that writes its output to `-o FILE`, without the `-o`. */
const COMMANDS: [string, string[]][] = [
  ['dump', ['dump', SMOKE]],
  ['dump --json', ['dump', '--json', SMOKE]],
  ['analyze --json', ['analyze', '--json', SMOKE]],
  ['report', ['report', SMOKE]],
  ['export csv', ['export', SMOKE, '--table', 'requests']],
  ['export jsonl', ['export', SMOKE, '--table', 'ops', '--format', 'jsonl']],
  ['export parquet', ['export', SMOKE, '--table', 'requests', '--format', 'parquet']],
  ['export perfetto', ['export', SMOKE, '--format', 'perfetto']],
  ['baseline', ['baseline', SMOKE]],
  ['wireshark', ['wireshark']],
  ['convert', ['convert', SMOKE]],
];

describe('an output that cannot be written', () => {
  it('says which and why, for every command that writes a file', { skip: noFull }, () => {
    const baseline = join(tmp, 'b.json');
    assert.equal(runCli(['baseline', SMOKE, '-o', baseline]).code, 0);
    for (const [what, args] of COMMANDS) assertFull(runCli([...args, '-o', FULL]), FULL, what);
    assertFull(runCli(['check', SMOKE, '--baseline', baseline, '--junit', FULL]), FULL, 'check --junit');
  });

  it('says a missing directory is missing, for every command that writes a file', () => {
    const baseline = join(tmp, 'b2.json');
    assert.equal(runCli(['baseline', SMOKE, '-o', baseline]).code, 0);
    const out = join(tmp, 'no-such-dir', 'out');
    const runs: [string, string[]][] = [
      ...COMMANDS.map(([what, args]): [string, string[]] => [what, [...args, '-o', out]]),
      ['check --junit', ['check', SMOKE, '--baseline', baseline, '--junit', out]],
      ['export --schema', ['export', SMOKE, '--schema', out, '-o', join(tmp, 'rows.csv')]],
    ];
    for (const [what, args] of runs) {
      const r = runCli(args);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.equal(r.stderr, `fusetrace: error: cannot write ${out}: no such file or directory (ENOENT)\n  hint: check the directory exists\n`, what);
    }
  });

  it('says so for standard output too', { skip: noFull }, () => {
    const fd = openSync(FULL, 'w');
    try {
      for (const args of [['analyze', '--json', SMOKE], ['dump', SMOKE], ['export', SMOKE, '--table', 'requests']]) {
        const r = spawnSync(process.execPath, [`${ROOT}bin/fusetrace`, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', fd, 'pipe'] });
        assertFull({ code: r.status, stderr: r.stderr }, 'standard output', args.join(' '));
      }
    } finally {
      closeSync(fd);
    }
  });

  it('words the system error: the output, the reason and its code, and what to do', () => {
    const sys = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });
    const full = writeError('out.txt', sys('ENOSPC', 'ENOSPC: no space left on device, write'), 'other');
    assert.equal(full.message, 'cannot write out.txt: no space left on device (ENOSPC)');
    assert.match(full.hint ?? '', /file system is full/);
    const big = writeError('-', sys('EFBIG', 'EFBIG: file too large, write'));
    assert.equal(big.message, 'cannot write standard output: file too large (EFBIG)');
    assert.match(big.hint ?? '', /ulimit -f/);
    // A path that will not do: the caller's hint when it has one, else what the code says; a path in the
    // message is not taken for the reason.
    const enoent = sys('ENOENT', "ENOENT: no such file or directory, open '/no/x'");
    const missing = writeError('/no/x', enoent);
    assert.equal(missing.message, 'cannot write /no/x: no such file or directory (ENOENT)');
    assert.equal(missing.hint, 'check the directory exists');
    assert.equal(writeError('/no/x', enoent, 'or use -o').hint, 'or use -o');
    assert.match(writeError('/ro/x', sys('EROFS', 'EROFS: read-only file system, open')).hint ?? '', /read-only/);
    assert.equal(writeError('x', sys('EWHAT', 'odd')).hint, undefined);
    assert.equal(writeError('x', sys('EWHAT', 'odd')).message, 'cannot write x: EWHAT');
    assert.equal(writeError('x', new Error('plain')).message, 'cannot write x: plain');
  });
});
