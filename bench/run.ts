/**
 * `npm run bench`: makes large captures (see `cases`) and measures, each in
 * a fresh child process so that peak RSS belongs to one run:
 * - `read`: a plain sequential read of the file (the disk/page-cache bound);
 * - `decode+pair`: reading, decoding the hot-path fields and pairing every message (completed
 *   exchanges recycled, as the commands do), printing nothing;
 * - `analyze`: the whole `analyze --json` pipeline (rendered, output discarded);
 * - on the many-file captures also `dump --json`, `dump`, `export --table
 *   requests` (CSV and JSONL) and `report`, run as the CLI runs them, output to a file.
 * Sizes come from BENCH_SIZES (MB, comma separated; default "100,2000"), node
 * counts of the `nodes` case from BENCH_NODES (default "100000,1000000");
 * BENCH_SHAPES picks cases (manyfiles,meta,write,write-snap,nodes), BENCH_STAGES
 * stages; BENCH_RECORDER=0 skips the recorder overhead rows (bench/recorder.ts).
 * Each stage runs BENCH_RUNS times (default 3), one run after the other, and
 * its row is the run of median CPU time, with the range of all runs beside it:
 * on a virtual machine the same run of the same code varies by 10-30%, and one
 * sample can land anywhere in that.
 * Output stages also get `output copy CPU s`: the CPU time of copying the
 * command's output to another file (measure.ts `copyCpu`), the kernel's price
 * of writing those bytes whatever the command's code does.
 * The table is Markdown (README "Speed" takes it as is). Rates are given per
 * CPU-second of the measuring process as well as per wall second: on a loaded
 * machine the wall clock measures the neighbours, CPU time measures the code.
 * Benchmarks are not tests: nothing here asserts on time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { amplifyCapture } from './amplify.js';
import { generateCapture, generateLookups, type BenchShape } from './generate.js';
import { ALL_STAGES, PIPELINE_STAGES } from './stages.js';
import { benchRecorder, formatRows } from './recorder.js';

interface Measurement {
  messages: number;
  seconds: number;
  cpuSeconds: number;
  /** The kernel's share of cpuSeconds: for the output stages, mostly taking the output file's bytes into the page cache. */
  systemSeconds: number;
  rssMB: number;
  /** Bytes the command wrote (output stages). */
  outputBytes: number;
  /** CPU seconds of copying that output to another file (measure.ts `copyCpu`), after the clock. */
  copyCpuSeconds: number;
}

interface Row extends Measurement {
  capture: string;
  stage: string;
  bytes: number;
  /** CPU seconds of the fastest and the slowest run of the stage. */
  cpuMin: number;
  cpuMax: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const measure = join(here, 'measure.js');

function runStage(stage: string, file: string): Measurement | { error: string } {
  const r = spawnSync(process.execPath, [measure, stage, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measurement;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The rows as a Markdown table: numbers right-aligned, columns sized to their data. */
function formatTable(rows: Row[]): string {
  const header = ['capture', 'stage', 'messages', 'wall s', 'CPU s', 'CPU s of runs', 'sys s', 'messages/CPU-s', 'MB/CPU-s', 'messages/s', 'MB/s', 'peak RSS MB', 'output MB', 'output copy CPU s'];
  const table = rows.map((r) => {
    const mb = r.bytes / 1048576;
    const perMsg = r.stage !== 'read';
    return [
      r.capture, r.stage, perMsg ? fmt(r.messages) : '-', fmt(r.seconds, 2), fmt(r.cpuSeconds, 2),
      r.cpuMin === r.cpuMax ? '-' : `${fmt(r.cpuMin, 2)}-${fmt(r.cpuMax, 2)}`, fmt(r.systemSeconds, 2),
      perMsg ? fmt(r.messages / r.cpuSeconds) : '-', fmt(mb / r.cpuSeconds),
      perMsg ? fmt(r.messages / r.seconds) : '-', fmt(mb / r.seconds), fmt(r.rssMB),
      r.outputBytes > 0 ? fmt(r.outputBytes / 1048576) : '-', r.outputBytes > 0 ? fmt(r.copyCpuSeconds, 2) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  return [
    line(header),
    '|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|',
    ...table.map(line),
  ].join('\n');
}

/** One capture the bench measures: how it is made, and which stages run on it. */
interface Case {
  /** The row label; `MB` is replaced by the size of the capture made. */
  label: string;
  file: string;
  stages: string[];
  make(): { messages: number };
}

/**
 * The cases, many-file rows first: `manyfiles` amplifies a real recording
 * (fixtures/manyfiles.pcapng.gz: passthrough_ll, 20,000 files created,
 * stat'ed, renamed and unlinked) with every copy on new files; `meta`,
 * `write` and `write-snap` are synthetic (bench/generate.ts); `nodes` is
 * LOOKUPs of distinct names, for the memory spent per distinct node.
 */
function cases(dir: string): Case[] {
  const sizes = (process.env.BENCH_SIZES ?? '100,2000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  const nodeCounts = (process.env.BENCH_NODES ?? '100000,1000000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  const shapes = (process.env.BENCH_SHAPES ?? 'manyfiles,meta,write,write-snap,nodes').split(',');
  const only = process.env.BENCH_STAGES?.split(',');
  const pick = (stages: string[]): string[] => (only ? stages.filter((s) => only.includes(s)) : stages);
  const out: Case[] = [];
  for (const shape of shapes) {
    if (shape === 'nodes') {
      for (const n of nodeCounts) {
        const file = join(dir, `nodes-${n}.pcapng`);
        out.push({ label: `nodes ${fmt(n)}`, file, stages: pick(['decode+pair', 'analyze']), make: () => generateLookups(file, n) });
      }
      continue;
    }
    for (const mb of sizes) {
      // Every shape is sized in file bytes: a snapped write-heavy capture of
      // the same size holds ~400 times more messages (~330 bytes per 128 KiB
      // WRITE), which is what a long `record --snaplen 256` session looks like.
      const target = mb * 1048576;
      const file = join(dir, `${shape}-${mb}MB.pcapng`);
      if (shape === 'manyfiles') {
        out.push({ label: 'manyfiles MB', file, stages: pick(ALL_STAGES), make: () => amplifyCapture(manyfilesSource(dir), file, { bytes: target }) });
      } else {
        out.push({ label: `${shape} MB`, file, stages: pick(PIPELINE_STAGES), make: () => generateCapture(file, shape as BenchShape, target) });
      }
    }
  }
  return out;
}

/** The recording the manyfiles captures amplify, unpacked once into the bench folder. */
function manyfilesSource(dir: string): string {
  const file = join(dir, 'manyfiles-recording.pcapng');
  if (!existsSync(file)) writeFileSync(file, gunzipSync(readFileSync(join(here, '..', '..', 'fixtures', 'manyfiles.pcapng.gz'))));
  return file;
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR ?? join(tmpdir(), 'fusetrace-bench');
  mkdirSync(dir, { recursive: true });
  const rows: Row[] = [];
  const runs = Math.max(1, Math.floor(Number(process.env.BENCH_RUNS ?? 3)) || 1);
  for (const c of cases(dir)) {
    process.stderr.write(`bench: generating ${c.file} ...\n`);
    const gen = c.make();
    const bytes = statSync(c.file).size;
    const label = c.label.replace(/MB$/, `${fmt(bytes / 1048576, bytes < 10 * 1048576 ? 1 : 0)} MB`);
    for (const stage of c.stages) {
      process.stderr.write(`bench: ${stage} on ${label} (${fmt(bytes / 1048576, 1)} MB, ${fmt(gen.messages)} messages), ${runs} run(s)\n`);
      const done: Measurement[] = [];
      for (let i = 0; i < runs; i++) {
        const res = runStage(stage, c.file);
        if ('error' in res) {
          process.stderr.write(`bench: ${stage} failed: ${res.error}\n`);
          break;
        }
        done.push(res);
      }
      if (done.length < runs) continue;
      done.sort((a, b) => a.cpuSeconds - b.cpuSeconds);
      const res = done[(done.length - 1) >> 1]!;
      // Command-line stages do not count messages: the capture has what was generated.
      const messages = res.messages || (stage === 'read' ? 0 : gen.messages);
      rows.push({ capture: label, stage, bytes, ...res, messages, cpuMin: done[0]!.cpuSeconds, cpuMax: done[done.length - 1]!.cpuSeconds });
    }
    if (!process.env.BENCH_KEEP) unlinkSync(c.file);
  }
  console.log(formatTable(rows));
  console.log('');
  console.log(`Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.`);
  if (!existsSync(measure)) console.error('bench: measure.js missing; run `npm run build`');
  if (process.env.BENCH_RECORDER !== '0') {
    console.log('');
    console.log('Recorder overhead (fio 4 KiB random direct writes, 4 jobs, passthrough_ll):');
    console.log(formatRows(await benchRecorder()));
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
