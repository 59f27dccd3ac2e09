/**
 * Filters that select nothing are named on stderr (a warning), while the
 * output keeps its usual shape; filters that select something say nothing.
 * `--file DIR` selects every file below the directory.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';

const smoke = join(ROOT, 'fixtures/smoke.pcapng');
const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');

describe('filters that match nothing', { skip: [smoke, A, B].every((f) => existsSync(f)) ? false : 'fixtures missing' }, () => {
  it('analyze: --conn 7, --file /nosuch, a nodeid nobody used and a window past the end each get a warning', () => {
    const r = runCli(['analyze', '--conn', '7', '--file', '/nosuch', '--file', '424242', '--since', '100s', A, B]);
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stderr.trimEnd().split('\n');
    assert.deepEqual(warnings, [
      'fusetrace: warning: --file /nosuch matches no file in the captures (paths are as the daemon saw them, e.g. /dir/file; a directory selects every file below it)',
      'fusetrace: warning: --file 424242 matches no file in the captures (no exchange has this nodeid)',
      'fusetrace: warning: --conn 7 matches no connection (the captures have connections 0, 1)',
      'fusetrace: warning: --since 100s is after the last message (the captures span +0s to +6.933966s)',
    ]);
    assert.doesNotMatch(r.stdout, /warning:/, 'stdout stays the report');
  });

  it('--until before the first message', () => {
    const r = runCli(['analyze', '--until', '@1', A]);
    assert.match(r.stderr, /warning: --until @1 is before the first message/);
  });

  it('export: the table keeps its header on stdout, the warning goes to stderr', () => {
    const r = runCli(['export', '--table', 'requests', '--file', '/nosuch', smoke]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1, 'header only');
    assert.match(r.stdout, /^conn,/);
    assert.match(r.stderr, /^fusetrace: warning: --file \/nosuch matches no file/);
  });

  it('report and baseline warn too', () => {
    for (const args of [['report', '-o', '-'], ['baseline']]) {
      const r = runCli([...args, '--conn', '3', smoke]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: --conn 3 matches no connection \(the captures have connection 0\)/, args[0]);
    }
  });

  it('filters that select something are silent; a directory selects the files below it', () => {
    for (const f of ['/d', '/d/', '/', '/d/big']) {
      const r = runCli(['export', '--table', 'requests', '--conn', '0', '--file', f, '--since', '0s', smoke]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', `--file ${f}`);
    }
    const dir = runCli(['export', '--table', 'files', '--file', '/d', smoke]);
    const paths = dir.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(',')[3]);
    assert.ok(paths.includes('/d/big') && paths.includes('/d/copy (deleted)'), paths.join(' '));
    assert.ok(paths.every((p) => p === '/d' || p!.startsWith('/d/') || p!.startsWith('/d (')), paths.join(' '));
    const deleted = runCli(['export', '--table', 'files', '--file', '/d/copy', smoke]);
    assert.equal(deleted.stderr, '', 'a deleted file is selected by its path');
    assert.deepEqual(deleted.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(',')[3]), ['/d/copy (deleted)']);
  });
});
