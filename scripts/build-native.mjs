// Builds the C parts of fusetrace with the machine's C compiler: the
// LD_PRELOAD capture library used by `fusetrace record`, and the scenario
// FUSE daemon used by tests and fixture scripts. Run by `npm ci`/`npm install`
// (through `prepare`) and by `npm run build`; with --install by the `install`
// script, also when the package is installed from a tarball (`npm pack`),
// where only the capture library's source is shipped and a failure must not
// fail the installation: the analyzer works without it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const installing = process.argv.includes('--install');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');

/** One row per native artifact: source, output, compiler arguments. */
const targets = [
  {
    name: 'capture library',
    src: 'src/record/ftrec.c',
    out: 'build/libftrec.so',
    args: ['-O2', '-g', '-Wall', '-Wextra', '-fPIC', '-shared', '-pthread', '-D_GNU_SOURCE'],
    libs: ['-ldl'],
    neededBy: 'fusetrace record',
  },
  {
    name: 'scenario FUSE daemon',
    src: 'test/daemon/scenariofs.c',
    out: 'build/scenariofs',
    args: ['-O2', '-g', '-Wall', '-Wextra', '-pthread', '-D_GNU_SOURCE', '-D_FILE_OFFSET_BITS=64'],
    libs: [],
    neededBy: 'the integration tests and fixture scripts',
  },
];

const cc = process.env.CC || 'cc';
const probe = spawnSync(cc, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.error(`fusetrace: warning: no C compiler (${cc}) found; ${targets.map((t) => t.neededBy).join(' and ')} will be unavailable.`);
  console.error('  hint: install one (Debian: apt-get install gcc) and run `npm run build` again.');
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
let failed = false;
for (const t of targets) {
  const src = join(root, t.src);
  const out = join(root, t.out);
  if (!existsSync(src)) continue;
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(cc, [...t.args, '-o', out, src, ...t.libs], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`fusetrace: error: building the ${t.name} (${t.src}) failed; ${t.neededBy} will be unavailable.`);
    failed = true;
  }
}
if (failed && installing) console.error('  hint: `fusetrace record` needs it; every other command works without it.');
process.exit(failed && !installing ? 1 : 0);
