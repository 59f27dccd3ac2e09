/**
 * Recorder overhead: fio 4 KiB random writes, 4 jobs, fixed time, on a
 * libfuse passthrough_ll mount (cache=never: every OPEN reply carries
 * FOPEN_DIRECT_IO, so each 4 KiB write is one FUSE WRITE on the kernel's
 * direct path), in the same run:
 *   - without the recorder,
 *   - under the LD_PRELOAD library with whole messages (snaplen 0),
 *   - under the library with snaplen 256,
 *   - under `record --strace` with snaplen 256,
 *   - under `record --bpf` (the eBPF recorder) with snaplen 256 and 4096,
 *     when build/ftrec-bpf is built;
 *   - on FUSE over io_uring (libfuse 3.18.2's passthrough_ll -o io_uring,
 *     built from the vendored source, the kernel's enable_uring on for the
 *     run): without the recorder and under `record --bpf` at snaplen 256,
 *     whose messages are then rebuilt at the kernel's fuse tracepoints.
 * Needs root, /dev/fuse, a C compiler, pkg-config + libfuse3-dev, fio (and
 * strace for the last row). Not a test: nothing asserts on time.
 *
 * Environment: BENCH_RECORDER_SECONDS (fio runtime per row, default 10),
 * BENCH_RECORDER_MODES (comma list of none,preload-0,preload-256,strace-256,
 * bpf-256,bpf-4096,uring-none,uring-bpf-256), BENCH_RECORDER_JOBS (fio jobs, default 4),
 * BENCH_RECORDER_REPEAT (rounds over all modes, default 3), BENCH_RECORDER_BS
 * (fio block size, default 4k: with splice reception libfuse reads a request
 * of 40 + 40 + 4096 bytes or more only up to its 80-byte header, smaller
 * ones whole, which is what the recorder's splice path depends on),
 * BENCH_RECORDER_PIPE_MAX (fs.pipe-max-size for the run, put back after it:
 * 2097152 lets libfuse receive with splice; the kernel's default, 1048576,
 * makes it use read).
 *
 * On a shared, loaded machine IOPS swing a lot between runs; the modes are
 * interleaved round by round and the best round of each is reported, the
 * median over rounds of each round's ratio to the same round without the
 * recorder (the neighbouring runs share the machine's load of the moment), and
 * the CPU time the daemon and the recorder spent per write (summed over the
 * process tree from /proc), which load disturbs much less.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readCapture } from '../src/capture/open.js';

export interface Row {
  /** What ran: "none", "preload snaplen 0", ... */
  mode: string;
  /** fio write IOPS (4 jobs together), best of the repeats. */
  iops: number;
  /** CPU time of the daemon and the recorder (record CLI, strace) per write, microseconds, best of the repeats. */
  cpuUsPerWrite: number;
  /** IOPS of every repeat, in run order. */
  runs: number[];
  /** iops / iops without the recorder (on the same transport). */
  relative: number;
  /** The row it is compared with ("no recorder" or "no recorder, io_uring"). */
  base?: string;
  /** Median over rounds of this round's IOPS / the same round's IOPS without the recorder: rounds run back to back, so this cancels slow drifts of the machine's load that best-of-rounds does not. */
  medianRoundRelative: number;
  /** Messages in the capture, when there is one. */
  messages?: number;
  /** Capture size in bytes. */
  captureBytes?: number;
  /** Messages the recorder counted as lost (sum of isb_ifdrop), in the best round's capture. */
  lost?: number;
  note?: string;
}

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'scripts', 'build-native.mjs'))) return d;
    d = dirname(d);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
})();
const lib = join(root, 'build', 'libftrec.so');
/** The command line's `record`: what users run (record.js is the module under it, with no command of its own). */
const fusetrace = join(root, 'bin', 'fusetrace');
const bpfRecorder = join(root, 'build', 'ftrec-bpf');
const PLL_SRC = '/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);
}

/** Why the bench cannot run here, or undefined. */
function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync('/dev/fuse')) return 'needs /dev/fuse';
  if (!existsSync(lib)) return `${lib} is not built (npm run build)`;
  if (!have('fio')) return 'fio is not installed (apt-get install fio)';
  if (!existsSync(PLL_SRC)) return `${PLL_SRC} is missing (apt-get install libfuse3-dev)`;
  return undefined;
}

const ENABLE_URING = '/sys/module/fuse/parameters/enable_uring';
/** libfuse 3.18.2's passthrough_ll, built by test/record/uring-record.test.ts (test/helpers/vendor-libfuse.ts). */
const uringPll = (): string => join(root, 'build', 'libfuse-3.18.2', '_b', 'example', 'passthrough_ll');

/** Why the io_uring rows cannot run here, or undefined. */
function uringSkipReason(): string | undefined {
  if (!existsSync(ENABLE_URING)) return `${ENABLE_URING} is missing (a kernel without FUSE over io_uring)`;
  if (!existsSync(uringPll())) return `${uringPll()} is not built (node scripts/run-tests.mjs test/record/uring-record.test.ts builds it from the vendored libfuse 3.18.2)`;
  return undefined;
}

function buildPassthroughLl(out: string): string | undefined {
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(PLL_SRC).mtimeMs) return undefined;
  const pc = spawnSync('pkg-config', ['fuse3', '--cflags', '--libs'], { encoding: 'utf8' });
  if (pc.status !== 0) return 'pkg-config fuse3 failed';
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', out, PLL_SRC, ...pc.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `building passthrough_ll failed: ${r.stderr}`;
}

type Mode = 'none' | 'preload-0' | 'preload-256' | 'strace-256' | 'bpf-256' | 'bpf-4096' | 'uring-none' | 'uring-bpf-256';

/** The mode without the recorder on the same transport. */
const baseOf = (mode: Mode): Mode => (mode.startsWith('uring-') ? 'uring-none' : 'none');

async function mountUnder(mode: Mode, pll: string, src: string, mnt: string, cap: string): Promise<ChildProcess> {
  const uring = mode.startsWith('uring-');
  const daemon = uring ? [uringPll(), '-f', '-o', 'io_uring', '-o', `source=${src},cache=never`, mnt] : [pll, '-f', '-o', `source=${src},cache=never`, mnt];
  if (uring) mode = mode.slice('uring-'.length) as Mode;
  let argv: string[];
  if (mode === 'none') argv = daemon;
  else if (mode === 'strace-256') argv = [process.execPath, fusetrace, 'record', '-q', '--strace', '--snaplen', '256', '-o', cap, '--', ...daemon];
  else if (mode.startsWith('bpf-')) argv = [bpfRecorder, '-q', '--snaplen', mode.slice(4), '-o', cap, '--', ...daemon];
  else argv = [process.execPath, fusetrace, 'record', '-q', '--snaplen', mode === 'preload-0' ? '0' : '256', '-o', cap, '--', ...daemon];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  for (let i = 0; i < 300; i++) {
    if (isMounted(mnt)) return child;
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`mount (${mode}) failed: ${err}`);
}

async function unmount(child: ChildProcess, mnt: string): Promise<void> {
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.on('exit', () => r())));
  for (let i = 0; i < 50 && isMounted(mnt); i++) {
    if (spawnSync('umount', [mnt], { stdio: 'ignore' }).status === 0) break;
    await sleep(100);
  }
  if (isMounted(mnt)) spawnSync('umount', ['-l', mnt]);
  const t = setTimeout(() => child.kill('SIGKILL'), 20000);
  await exited;
  clearTimeout(t);
}

const CLK_TCK = 100;

/** utime+stime (+ reaped children) of pid and all its descendants, in clock ticks. */
function treeCpuTicks(pid: number): number {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(f[1]));
      cpu.set(Number(e), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    } catch {
      // gone
    }
  }
  let sum = 0;
  for (const [p, c] of cpu) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parent.get(q)) {
      if (q === pid) {
        sum += c;
        break;
      }
    }
  }
  return sum;
}

function jobs(): number {
  return Math.max(1, Number(process.env.BENCH_RECORDER_JOBS ?? 4));
}

function blockSize(): string {
  return process.env.BENCH_RECORDER_BS ?? '4k';
}

function runFio(dir: string, seconds: number): { iops: number } | { error: string } {
  const r = spawnSync('fio', [
    '--name=rec', `--directory=${dir}`, '--rw=randwrite', `--bs=${blockSize()}`, `--numjobs=${jobs()}`, '--size=64m',
    '--ioengine=psync', '--time_based', `--runtime=${seconds}`, '--group_reporting', '--output-format=json',
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') };
  const j = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: { write: { iops: number } }[] };
  return { iops: j.jobs[0]!.write.iops };
}

/**
 * Messages in the capture, and the sum of its ISBs' isb_ifdrop, read in one
 * streaming pass by fusetrace's own reader: a whole-message capture of a few
 * seconds of fio passes the 2 GiB a Buffer can hold.
 */
export function countMessages(cap: string): { messages: number; lost: number } | undefined {
  if (!existsSync(cap)) return undefined;
  let messages = 0;
  let lost = 0;
  readCapture(cap, {
    onConnection() {},
    onMessage() {
      messages++;
    },
    onNotice() {},
    onStats(st) {
      lost += st.ifDrop ?? 0;
    },
  });
  return { messages, lost };
}

/** Runs the recorder-overhead benchmark; rows in the order run. */
export async function benchRecorder(): Promise<Row[]> {
  const reason = skipReason();
  if (reason) {
    process.stderr.write(`bench: recorder overhead skipped: ${reason}\n`);
    return [];
  }
  const pll = join(root, 'build', 'passthrough_ll');
  const berr = buildPassthroughLl(pll);
  if (berr) {
    process.stderr.write(`bench: recorder overhead skipped: ${berr}\n`);
    return [];
  }
  const seconds = Number(process.env.BENCH_RECORDER_SECONDS ?? 10);
  const uring = uringSkipReason();
  if (uring) process.stderr.write(`bench: io_uring rows skipped: ${uring}\n`);
  const modes = (process.env.BENCH_RECORDER_MODES ??
    `none,preload-0,preload-256,strace-256${existsSync(bpfRecorder) ? ',bpf-256,bpf-4096' : ''}${!uring && existsSync(bpfRecorder) ? ',uring-none,uring-bpf-256' : ''}`)
    .split(',') as Mode[];
  const PIPE_MAX = '/proc/sys/fs/pipe-max-size';
  let pipeMax = '?';
  try {
    pipeMax = readFileSync(PIPE_MAX, 'utf8').trim();
  } catch {
    // not Linux
  }
  // libfuse receives with splice only when it can grow its pipe to 1 MiB + 4 KiB.
  const wantPipeMax = process.env.BENCH_RECORDER_PIPE_MAX;
  const restorePipeMax = wantPipeMax && pipeMax !== '?' && wantPipeMax !== pipeMax ? pipeMax : undefined;
  if (restorePipeMax) {
    writeFileSync(PIPE_MAX, wantPipeMax!);
    pipeMax = wantPipeMax!;
  }
  // FUSE over io_uring is offered only while the module parameter is on.
  const oldUring = modes.some((m) => m.startsWith('uring-')) && existsSync(ENABLE_URING) ? readFileSync(ENABLE_URING, 'utf8').trim() : undefined;
  if (oldUring !== undefined) writeFileSync(ENABLE_URING, 'Y');
  try {
    return await runRounds(pll, seconds, modes, pipeMax);
  } finally {
    if (restorePipeMax) writeFileSync(PIPE_MAX, restorePipeMax);
    if (oldUring !== undefined) writeFileSync(ENABLE_URING, oldUring);
  }
}

async function runRounds(pll: string, seconds: number, modes: Mode[], pipeMax: string): Promise<Row[]> {
  const receive = Number(pipeMax) >= 2 << 20 ? 'requests received with splice' : 'requests received with read (fs.pipe-max-size < 2 MiB)';
  const repeat = Math.max(1, Number(process.env.BENCH_RECORDER_REPEAT ?? 3));
  const label = (mode: Mode): string => mode === 'uring-none' ? 'no recorder, io_uring' : mode === 'uring-bpf-256' ? 'eBPF (--bpf), snaplen 256, io_uring'
    : mode === 'none' ? 'no recorder' : mode === 'strace-256' ? 'strace, snaplen 256'
    : mode.startsWith('bpf-') ? `eBPF (--bpf), snaplen ${mode.slice(4)}` : `LD_PRELOAD, snaplen ${mode === 'preload-0' ? '0 (whole)' : '256'}`;
  const byMode = new Map<Mode, Row>();
  for (let round = 0; round < repeat; round++) {
    for (const mode of modes) {
      if (mode === 'strace-256' && !have('strace')) continue;
      if (mode.includes('bpf-') && !existsSync(bpfRecorder)) continue;
      if (mode.startsWith('uring-') && uringSkipReason()) continue;
      const dir = mkdtempSync(join(tmpdir(), 'fusetrace-bench-rec-'));
      const src = join(dir, 'src');
      const mnt = join(dir, 'mnt');
      const cap = join(dir, 'cap.pcapng');
      mkdirSync(src);
      mkdirSync(mnt);
      process.stderr.write(`bench: recorder ${mode} (round ${round + 1}/${repeat}): fio ${seconds} s ...\n`);
      const child = await mountUnder(mode, pll, src, mnt, cap);
      let res: { iops: number } | { error: string };
      let ticks = 0;
      try {
        const t0 = treeCpuTicks(child.pid!);
        res = runFio(mnt, seconds);
        ticks = treeCpuTicks(child.pid!) - t0;
      } finally {
        await unmount(child, mnt);
      }
      if ('error' in res) {
        process.stderr.write(`bench: fio failed (${mode}): ${res.error}\n`);
      } else {
        const cpuUs = (ticks / CLK_TCK) * 1e6 / Math.max(1, res.iops * seconds);
        const prev = byMode.get(mode);
        const row: Row = prev ?? { mode: label(mode), iops: 0, cpuUsPerWrite: Infinity, runs: [], relative: NaN, medianRoundRelative: NaN, base: label(baseOf(mode)), note: receive };
        row.runs.push(Math.round(res.iops));
        if (res.iops > row.iops) {
          row.iops = res.iops;
          const c = countMessages(cap);
          row.messages = c?.messages;
          row.lost = c?.lost;
          row.captureBytes = existsSync(cap) ? statSync(cap).size : undefined;
        }
        row.cpuUsPerWrite = Math.min(row.cpuUsPerWrite, cpuUs);
        byMode.set(mode, row);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const rows: Row[] = [];
  for (const m of modes) {
    const r = byMode.get(m);
    if (!r) continue;
    rows.push(r);
    const base = byMode.get(baseOf(m))?.iops ?? 0;
    const baseRuns = byMode.get(baseOf(m))?.runs ?? [];
    r.relative = base > 0 ? r.iops / base : NaN;
    const ratios = r.runs.map((v, i) => v / (baseRuns[i] ?? NaN)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const mid = ratios.length >> 1;
    r.medianRoundRelative = ratios.length === 0 ? NaN : ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  }
  return rows;
}

/** Renders rows as a markdown table. */
export function formatRows(rows: Row[]): string {
  const f = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const cpuBase = (r: Row): number | undefined => rows.find((x) => x.mode === (r.base ?? 'no recorder'))?.cpuUsPerWrite;
  const lines = [
    '| recorder | best write IOPS | vs none | IOPS of each round | vs none, median of rounds | CPU us/write (daemon + recorder) | vs none | messages | lost | capture MB |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.mode} | ${f(r.iops)} | ${Number.isNaN(r.relative) ? '-' : `${f(100 * r.relative, 1)}%`} | ${r.runs.join(', ')} | ${Number.isNaN(r.medianRoundRelative) ? '-' : `${f(100 * r.medianRoundRelative, 1)}%`} | ${f(r.cpuUsPerWrite, 1)} | ${cpuBase(r) ? `${f((100 * r.cpuUsPerWrite) / cpuBase(r)!, 0)}%` : '-'} | ${r.messages === undefined ? '-' : f(r.messages)} | ${r.lost === undefined ? '-' : f(r.lost)} | ${r.captureBytes === undefined ? '-' : f(r.captureBytes / 1048576, 1)} |`);
  }
  if (rows[0]?.note) lines.push('', `fio --rw=randwrite --bs=${blockSize()} --numjobs=${jobs()} --ioengine=psync on passthrough_ll -o cache=never; ${rows[0].note}`);
  if (rows.some((r) => r.base === 'no recorder, io_uring')) lines.push('io_uring rows: libfuse 3.18.2 passthrough_ll -o io_uring, compared with \'no recorder, io_uring\'');
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  benchRecorder().then((rows) => console.log(formatRows(rows)), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
