// Builds the C parts of fusetrace with the machine's C compiler: the
// LD_PRELOAD capture library used by `fusetrace record`, and the scenario
// FUSE daemon used by tests and fixture scripts. Run by `npm ci`/`npm install`
// (through `prepare`) and by `npm run build`; with --install by the `install`
// script, also when the package is installed from a tarball (`npm pack`),
// where only the capture library's source is shipped and a failure must not
// fail the installation: the analyzer works without it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const installing = process.argv.includes('--install');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The recorders stamp captures with the package version (shb_userappl), as the CLI prints it.
const VERSION_DEF = `-DFTREC_VERSION="${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}"`;
const outDir = join(root, 'build');

/** One row per native artifact: source, output, compiler arguments. */
const targets = [
  {
    name: 'capture library',
    src: 'src/record/ftrec.c',
    headers: ['src/record/host-machine.h', 'src/record/mountinfo.h'],
    out: 'build/libftrec.so',
    args: ['-O2', '-g', '-Wall', '-Wextra', '-fPIC', '-shared', '-pthread', '-D_GNU_SOURCE', VERSION_DEF],
    libs: ['-ldl'],
    neededBy: 'fusetrace record',
  },
  {
    name: 'scenario FUSE daemon',
    src: 'test/daemon/scenariofs.c',
    headers: [],
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
  const inputs = [src, ...t.headers.map((h) => join(root, h))];
  if (existsSync(out) && inputs.every((f) => statSync(out).mtimeMs >= statSync(f).mtimeMs)) continue;
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(cc, [...t.args, '-o', out, src, ...t.libs], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`fusetrace: error: building the ${t.name} (${t.src}) failed; ${t.neededBy} will be unavailable.`);
    failed = true;
  }
}
if (failed && installing) console.error('  hint: `fusetrace record` needs it; every other command works without it.');
const bpfFailed = !buildBpfRecorder();
process.exit((failed || bpfFailed) && !installing ? 1 : 0);

/**
 * The eBPF recorder of `fusetrace record --bpf`: a CO-RE program
 * (clang -target bpf against the running kernel's BTF), its skeleton
 * (bpftool) and a loader linked with libbpf statically. Optional: a machine
 * without the tools still gets everything else, with a warning that says
 * what to install. Returns false only when a build that could run failed.
 */
function buildBpfRecorder() {
  const srcs = ['src/record/ftrec-bpf.c', 'src/record/ftrec-bpf.bpf.c', 'src/record/ftrec-bpf.h', 'src/record/host-machine.h', 'src/record/mountinfo.h'].map((f) => join(root, f));
  const out = join(outDir, 'ftrec-bpf');
  if (!srcs.every((f) => existsSync(f))) return true;
  if (existsSync(out) && srcs.every((f) => statSync(out).mtimeMs >= statSync(f).mtimeMs)) return true;
  const missing = [];
  const has = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return !r.error && r.status === 0;
  };
  const clang = process.env.CLANG || 'clang';
  const bpftool = process.env.BPFTOOL || (existsSync('/usr/sbin/bpftool') ? '/usr/sbin/bpftool' : 'bpftool');
  if (!has(clang, ['--version'])) missing.push('clang (Debian: clang, llvm)');
  if (!has(bpftool, ['version'])) missing.push('bpftool (Debian: bpftool)');
  const probeLib = spawnSync(cc, ['-print-file-name=libbpf.a'], { encoding: 'utf8' });
  if (probeLib.status !== 0 || !existsSync(probeLib.stdout.trim())) missing.push('a static libbpf (Debian: libbpf-dev, libelf-dev, zlib1g-dev)');
  const btf = '/sys/kernel/btf/vmlinux';
  if (!existsSync(btf)) missing.push(`kernel BTF (${btf}; a kernel built with CONFIG_DEBUG_INFO_BTF)`);
  if (missing.length) {
    console.error(`fusetrace: warning: \`fusetrace record --bpf\` will be unavailable: missing ${missing.join(', ')}.`);
    console.error('  hint: install them and run `npm run build` again; recording without --bpf works as before.');
    return true;
  }
  const vmlinux = join(outDir, 'vmlinux.h');
  const steps = [
    [bpftool, ['btf', 'dump', 'file', btf, 'format', 'c'], vmlinux],
    [clang, ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', `-I${outDir}`, `-I${join(root, 'src/record')}`,
      '-c', srcs[1], '-o', join(outDir, 'ftrec-bpf.bpf.o')]],
    [bpftool, ['gen', 'skeleton', join(outDir, 'ftrec-bpf.bpf.o'), 'name', 'ftrec_bpf'], join(outDir, 'ftrec-bpf.skel.h')],
    [cc, ['-O2', '-g', '-Wall', '-Wextra', '-D_GNU_SOURCE', VERSION_DEF, `-I${outDir}`, `-I${join(root, 'src/record')}`, '-o', out, srcs[0],
      '-Wl,-Bstatic', '-lbpf', '-lelf', '-lz', '-Wl,-Bdynamic']],
  ];
  for (const [cmd, args, stdoutTo] of steps) {
    const r = spawnSync(cmd, args, { stdio: ['ignore', stdoutTo ? 'pipe' : 'inherit', 'inherit'], maxBuffer: 64 << 20 });
    if (r.status === 0 && stdoutTo) writeFileSync(stdoutTo, r.stdout);
    if (r.status !== 0) {
      console.error(`fusetrace: error: building the eBPF recorder failed at \`${cmd} ${args.slice(0, 2).join(' ')} ...\`; \`fusetrace record --bpf\` will be unavailable.`);
      return false;
    }
  }
  return true;
}
