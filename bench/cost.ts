/**
 * `npm run bench:cost -- STAGE CAPTURE [--attribute [N]]`: what one bench
 * stage (measure.ts: decode+pair, analyze, dump, "dump --json", "export
 * requests csv" ...) costs in counts that do not move with the machine's
 * load: the instructions it ran and its L1 and L2 data misses, under
 * valgrind's cachegrind (a 32 KiB L1 and a 512 KiB L2 of 64-byte lines, as
 * the development machine's cores have). CPU seconds of one run of the same
 * code vary by 10-30% on a virtual machine; these counts, with V8's seeds
 * fixed and no address randomisation, vary by about 0.01% run to run, so
 * two versions of the code can be compared by one run each.
 * Under valgrind a stage runs about 30 times slower: a capture of about
 * 100 MB (a million messages) is enough.
 *
 * `--attribute` runs callgrind instead and lists the N (default 40) compiled
 * units that ran the most instructions: V8's perf map (`--perf-basic-prof`)
 * names the code it compiled (`JS:*` TurboFan, `JS:^` baseline, `JS:~`
 * interpreter), with inlined functions counted in the unit they were
 * compiled into. Node runs with --single-threaded so that V8's compiler runs
 * on the main thread and is counted: it is a fixed cost, a few billion
 * instructions whatever the capture's size, to subtract before comparing a
 * count with a stage's cost at 2 GB.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_STAGES } from './stages.js';
import { attributeCallgrind, costByKind, parseCachegrindSummary } from './cost-counts.js';
import { countMessages } from './recorder.js';

const here = dirname(fileURLToPath(import.meta.url));
const measure = join(here, 'measure.js');
/** The development machine's per-core caches (AMD EPYC: 32 KiB 8-way L1d, 512 KiB 8-way L2). */
const CACHES = ['--D1=32768,8,64', '--LL=524288,8,64'];

function fail(message: string): never {
  process.stderr.write(`bench:cost: ${message}\n`);
  process.exit(2);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--attribute');
  let top = 0;
  if (at >= 0) {
    const n = Number(args[at + 1]);
    top = Number.isInteger(n) && n > 0 ? n : 40;
    args.splice(at, Number.isInteger(n) && n > 0 ? 2 : 1);
  }
  const [stage, capture] = args;
  if (!stage || !capture || !ALL_STAGES.includes(stage)) {
    fail(`usage: npm run bench:cost -- STAGE CAPTURE [--attribute [N]]; STAGE one of: ${ALL_STAGES.map((s) => JSON.stringify(s)).join(', ')}`);
  }
  if (spawnSync('valgrind', ['--version']).status !== 0) fail('valgrind is not installed (Debian: apt-get install valgrind)');
  const messages = countMessages(capture)?.messages ?? fail(`${capture}: no such file`);
  // Fixed seeds and no address randomisation (setarch -R): without them two runs of the same code differed by up to 4%
  // in instructions (hash tables, what the collector and the compiler do when); with them, 0.01%. Not
  // --predictable-gc-schedule: it is as repeatable, but its fixed young generation collects more than a real run does.
  const node = ['--single-threaded', '--hash-seed=1', '--random-seed=1', '--no-memory-reducer',
    ...(top > 0 ? ['--perf-basic-prof'] : []), measure, stage, capture];
  const valgrind = (tool: string[]): SpawnSyncReturns<string> =>
    spawnSync('setarch', ['-R', 'valgrind', ...tool, process.execPath, ...node], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (top === 0) {
    const r = valgrind(['--tool=cachegrind', '--cache-sim=yes', ...CACHES, '--cachegrind-out-file=/dev/null']);
    const c = parseCachegrindSummary(r.stderr);
    if (r.status !== 0 || c === undefined) fail(`the stage failed under valgrind (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
    const per = (n: number | undefined): string => (n === undefined || messages === 0 ? '-' : (n / messages).toFixed(1));
    process.stdout.write(`${stage} on ${capture} (${fmt(messages)} messages)\n`);
    process.stdout.write(`instructions ${fmt(c.instructions)} (${per(c.instructions)} a message)\n`);
    process.stdout.write(`L1d misses   ${fmt(c.d1Misses ?? NaN)} (${per(c.d1Misses)} a message)\n`);
    process.stdout.write(`L2 misses    ${fmt(c.llMisses ?? NaN)} (${per(c.llMisses)} a message)\n`);
    return;
  }
  const out = join(dirname(capture), `.fusetrace-callgrind-${process.pid}.out`);
  const child = valgrind(['--tool=callgrind', '--dump-instr=yes', '--compress-pos=no', '--compress-strings=no', `--callgrind-out-file=${out}`]);
  // valgrind runs node in its own process: the perf map is named by that pid.
  const map = `/tmp/perf-${child.pid}.map`;
  try {
    if (child.status !== 0) fail(`the stage failed under valgrind (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
    const { total, units } = attributeCallgrind(readFileSync(out, 'utf8'), readFileSync(map, 'utf8'));
    process.stdout.write(`${stage} on ${capture} (${fmt(messages)} messages): ${fmt(total)} instructions\n`);
    for (const [k, v] of Object.entries(costByKind(units))) process.stdout.write(`  ${k.padEnd(12)} ${fmt(v).padStart(15)}\n`);
    process.stdout.write('\n  instructions   a message      %  compiled unit\n');
    for (const u of units.slice(0, top)) {
      const perMsg = messages > 0 ? (u.instructions / messages).toFixed(1) : '-';
      process.stdout.write(`${fmt(u.instructions).padStart(15)} ${perMsg.padStart(10)} ${((100 * u.instructions) / total).toFixed(1).padStart(6)}  ${u.name.slice(0, 140)}\n`);
    }
  } finally {
    rmSync(out, { force: true });
    rmSync(map, { force: true });
  }
}

main();
