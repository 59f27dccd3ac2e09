/**
 * The package `npm pack` makes installs and runs on its own: installed from
 * the tarball alone (offline, empty npm cache: its dependencies are bundled),
 * with the compiled JavaScript in it and the capture library built by its
 * install script when a C compiler is there.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { haveCommand, makeTempDir, repoRoot, type TempDir } from '../helpers/mount.js';

let dir: TempDir | undefined;
after(() => dir?.remove());

/** The environment without what an enclosing `npm test` sets for npm itself. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

test('npm pack: the tarball installs offline into a fresh prefix; analyze and record --help run from it', (t) => {
  if (!haveCommand('npm')) return t.skip('npm is not installed');
  if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) return t.skip('dist/ is not built (npm run build)');
  dir = makeTempDir('pack');
  const env = cleanEnv();
  // --ignore-scripts: dist/ is built already; `prepare` would rebuild it under the running tests.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path], { cwd: repoRoot, encoding: 'utf8', env, timeout: 120000 });
  assert.equal(pack.status, 0, pack.stderr);
  const info = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info[0]!.files.map((f) => f.path);
  assert.ok(files.includes('dist/src/cli/main.js'), 'compiled JavaScript is shipped');
  assert.ok(files.includes('src/record/ftrec.c'), 'the capture library source is shipped, to build at install');
  assert.ok(files.some((f) => f.startsWith('node_modules/commander/')), 'dependencies are bundled');
  assert.equal(files.some((f) => f.startsWith('dist/test/') || f.startsWith('test/')), false, 'no tests');

  const prefix = join(dir.path, 'prefix');
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--cache', join(dir.path, 'cache'), '--offline', '--no-audit', '--no-fund',
    join(dir.path, info[0]!.filename)], { cwd: dir.path, encoding: 'utf8', env, timeout: 300000 });
  assert.equal(install.status, 0, install.stderr);
  const bin = join(prefix, 'bin', 'fusetrace');
  assert.ok(existsSync(bin), `${bin} installed`);
  const pkg = join(prefix, 'lib', 'node_modules', 'fusetrace');
  if (haveCommand(process.env.CC ?? 'cc')) assert.ok(existsSync(join(pkg, 'build', 'libftrec.so')), 'the install script built the capture library');
  assert.equal(existsSync(join(pkg, 'node_modules', 'typescript')), false, 'no development dependencies');

  const fixture = (n: string): string => join(repoRoot, 'fixtures', n);
  const analyze = spawnSync(bin, ['analyze', fixture('stale-size-race-A.pcapng'), fixture('stale-size-race-B.pcapng')], { cwd: dir.path, encoding: 'utf8', env, timeout: 60000 });
  assert.equal(analyze.status, 0, analyze.stderr);
  assert.match(analyze.stdout, /ERROR +parallel-write-beyond-size/);
  // Every export format: their libraries must be in the package too.
  for (const format of ['csv', 'jsonl', 'parquet']) {
    const out = join(dir.path, `requests.${format}`);
    const ex: SpawnSyncReturns<string> = spawnSync(bin, ['export', fixture('stale-size-race-A.pcapng'), '--table', 'requests', '--format', format, '-o', out], { cwd: dir.path, encoding: 'utf8', env, timeout: 60000 });
    assert.equal(ex.status, 0, `export --format ${format}: ${ex.stderr}`);
    assert.ok(existsSync(out));
  }
  const help = spawnSync(bin, ['record', '--help'], { cwd: dir.path, encoding: 'utf8', env, timeout: 60000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: fusetrace record/);
  assert.ok(readdirSync(join(pkg, 'dist', 'src')).includes('cli'));
});
