/**
 * `npm run bench`: generates large synthetic captures and measures, each in
 * a fresh child process so that peak RSS belongs to one run:
 * - `read`: a plain sequential read of the file (the disk/page-cache bound);
 * - `decode+pair`: reading, decoding the hot-path fields and pairing every message, printing nothing;
 * - `analyze`: the whole `analyze --json` pipeline (rendered, output discarded), when available.
 * Sizes come from BENCH_SIZES (MB, comma separated; default "100,2000"); BENCH_STAGES
 * picks stages; BENCH_RECORDER=0 skips the recorder overhead rows (bench/recorder.ts).
 * Benchmarks are not tests: nothing here asserts on time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCapture, type BenchShape } from './generate.js';
import { benchRecorder, formatRows } from './recorder.js';

interface Row {
  capture: string;
  stage: string;
  messages: number;
  seconds: number;
  rssMB: number;
  bytes: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const measure = join(here, 'measure.js');

function runStage(stage: string, file: string): { messages: number; seconds: number; rssMB: number } | { error: string } {
  const r = spawnSync(process.execPath, [measure, stage, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { messages: number; seconds: number; rssMB: number };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '100,2000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  const dir = process.env.BENCH_DIR ?? join(tmpdir(), 'fusetrace-bench');
  mkdirSync(dir, { recursive: true });
  const shapes: BenchShape[] = ['meta', 'write', 'write-snap'];
  const stages = (process.env.BENCH_STAGES ?? 'read,decode+pair,analyze').split(',');
  const rows: Row[] = [];
  for (const shape of shapes) {
    for (const mb of sizes) {
      // Snapped captures hold ~300 bytes per 128 KiB write: cap their size by message count instead.
      const target = shape === 'write-snap' ? Math.round((mb * 1048576) / 400) : mb * 1048576;
      const file = join(dir, `${shape}-${mb}MB.pcapng`);
      process.stderr.write(`bench: generating ${file} ...\n`);
      const gen = generateCapture(file, shape, target);
      const bytes = statSync(file).size;
      for (const stage of stages) {
        process.stderr.write(`bench: ${stage} on ${shape} (${fmt(bytes / 1048576)} MB, ${fmt(gen.messages)} messages)\n`);
        const res = runStage(stage, file);
        if ('error' in res) {
          process.stderr.write(`bench: ${stage} failed: ${res.error}\n`);
          continue;
        }
        rows.push({ capture: `${shape} ${fmt(bytes / 1048576)} MB`, stage, messages: res.messages, seconds: res.seconds, rssMB: res.rssMB, bytes });
      }
      if (!process.env.BENCH_KEEP) unlinkSync(file);
    }
  }
  const header = ['capture', 'stage', 'messages', 'messages/s', 'MB/s', 'peak RSS MB'];
  const table = rows.map((r) => [
    r.capture, r.stage, fmt(r.messages),
    r.stage === 'read' ? '-' : fmt(r.messages / r.seconds),
    fmt(r.bytes / 1048576 / r.seconds), fmt(r.rssMB),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 1) + '-' : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of table) console.log(line(r));
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
