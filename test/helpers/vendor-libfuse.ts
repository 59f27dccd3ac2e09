/**
 * libfuse 3.18.2 from the workplace's vendor directory (`../shared/vendor`
 * beside the repository; see its README), built once per checkout into
 * build/libfuse-3.18.2: Debian's libfuse 3.14 has no FUSE over io_uring.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { haveCommand, repoRoot } from './mount.js';

const VERSION = '3.18.2';
export const vendorTarball = join(repoRoot, '..', 'shared', 'vendor', `libfuse-${VERSION}.tar.gz`);
const buildDir = join(repoRoot, 'build', `libfuse-${VERSION}`);
const EXAMPLES = ['passthrough_ll', 'passthrough_hp'];

/** Path of an example program (e.g. `passthrough_ll`) of the vendored libfuse, or why not. */
export function vendorLibfuseExample(name: string): { path?: string; reason?: string } {
  const out = join(buildDir, '_b', 'example', name);
  if (existsSync(out)) return { path: out };
  if (existsSync(join(buildDir, '_b'))) {  // built before, without this example
    const r = spawnSync('ninja', ['-C', '_b', `example/${name}`], { cwd: buildDir, encoding: 'utf8' });
    return r.status === 0 ? { path: out } : { reason: `building ${name} of libfuse ${VERSION} failed: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}` };
  }
  if (!existsSync(vendorTarball)) return { reason: `${vendorTarball} is absent (the vendored libfuse ${VERSION} source)` };
  for (const c of ['meson', 'ninja', 'pkg-config']) {
    if (!haveCommand(c)) return { reason: `${c} is not installed (apt-get install meson ninja-build pkg-config)` };
  }
  // Without them meson quietly builds libfuse without io_uring.
  if (spawnSync('pkg-config', ['--exists', 'liburing', 'numa']).status !== 0) {
    return { reason: 'liburing or libnuma development files are missing (apt-get install liburing-dev libnuma-dev)' };
  }
  // Built aside and renamed into place: concurrent test files never see half a build.
  mkdirSync(join(repoRoot, 'build'), { recursive: true });
  const tmp = mkdtempSync(join(repoRoot, 'build', `.libfuse-${VERSION}-`));
  const steps: [string, string[]][] = [
    ['tar', ['xzf', vendorTarball, '-C', tmp, '--strip-components=1']],
    ['meson', ['setup', '_b', '-Dexamples=true', '-Dutils=false', '-Dtests=false']],
    // Every example the tests run, at once: ninja's files name this temporary
    // directory, so the build cannot add one after the rename below.
    ['ninja', ['-C', '_b', ...new Set([...EXAMPLES, name].map((e) => `example/${e}`))]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { cwd: tmp, encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      return { reason: `building libfuse ${VERSION} failed at ${cmd}: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' ')}` };
    }
  }
  const conf = spawnSync('grep', ['-q', '#define HAVE_URING', join(tmp, '_b', 'fuse_config.h')]);
  if (conf.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return { reason: `libfuse ${VERSION} was configured without io_uring (see meson's log)` };
  }
  if (existsSync(buildDir)) rmSync(tmp, { recursive: true, force: true }); // another test built it meanwhile
  else renameSync(tmp, buildDir);
  return existsSync(out) ? { path: out } : { reason: `${out} was not built` };
}

export const ENABLE_URING = '/sys/module/fuse/parameters/enable_uring';
