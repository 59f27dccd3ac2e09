/**
 * `npm run bench:cost -- STAGE CAPTURE [--base SMALLER_CAPTURE] [--attribute [N]] [--fixed-gc] [--l2 KIB[,WAYS]] [--window N]`:
 * what one bench stage (measure.ts: decode+pair, analyze, dump, "dump
 * --json", "export requests csv" ..., and the analysis's parts
 * "decode+pair+order" and "analyze views": stages.ts) costs in counts that do not move with the machine's
 * load: the instructions it ran and its L1 and L2 data misses, under
 * valgrind's cachegrind (a 32 KiB L1 and a 512 KiB L2 of 64-byte lines, as
 * the development machine's cores have). CPU seconds of one run of the same
 * code vary by 10-30% on a virtual machine; these counts, with V8's seeds
 * fixed and no address randomisation, vary by about 0.01% run to run with
 * nothing else running, so two versions of the code can be compared by one
 * run each. Next to other work they vary more (up to 0.6% in instructions
 * and 5% in L2 misses between runs of the same code; 1.2% and 13% between
 * two counts of analyze, each beside another count): V8 sizes its heap by
 * the time its collections take. `--fixed-gc` fixes the collector's schedule
 * (`--predictable-gc-schedule`): runs then agreed to 0.03-0.2% in instructions
 * and 0.4-1.3% in L2 misses (L1 2-2.5%) whatever else ran, at the price of more
 * collections than a real run does; for comparing misses. A small edit can
 * also move V8's inlining and tiering, and with them these counts, by 1-2% in
 * instructions and about 10% in L1 misses: a change smaller than that is not
 * shown by them either way.
 * Under valgrind a stage runs about 30 times slower: a capture of about
 * 100 MB (a million messages) is enough.
 *
 * `--base SMALLER_CAPTURE` runs the stage on that capture too and prints the
 * difference: starting Node and V8's compiling cost a few billion
 * instructions at any size, so the difference of two sizes (the same
 * recording amplified to 2 and 4 copies) is the steady cost of the messages
 * the larger has more.
 *
 * `--attribute` runs callgrind instead (caches simulated as above) and lists
 * the N (default 40) compiled units that ran the most instructions, with
 * their L1 and L2 data misses: V8's perf map (`--perf-basic-prof`) names the
 * code it compiled (`JS:*` TurboFan, `JS:^` baseline, `JS:~` interpreter),
 * with inlined functions counted in the unit they were compiled into. Node
 * runs with --single-threaded so that V8's compiler runs on the main thread
 * and is counted. With `--base`, each unit's counts are the larger
 * capture's less the smaller's.
 *
 * `--l2 KIB[,WAYS]` simulates an L2 of that size (8 ways unless given):
 * how the misses fall as it grows tells how much memory a stage keeps
 * going back to (its working set), which no run on one machine shows.
 * `--window N` goes to measure.js: `decode+pair+order`, `analyze` or
 * `analyze views` with an ordering window of N events.
 *
 * The simulated L2 is indexed by virtual address, the machine's by physical
 * address: in the simulation every line a multiple of 64 KiB from another
 * shares its set. V8's write barrier reads a flag word at the start of the
 * 256 KiB heap page of the object it stores into (and of the value stored),
 * so those words all compete for one simulated set of 8 lines, where the
 * machine spreads them over 16 (its L1, indexed within the 4 KiB page, has
 * them in one set as well): the L2 counts overstate what the barrier costs.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COST_STAGES, WINDOW_STAGES } from './stages.js';
import { attributeCallgrind, costByKind, parseL2, lessCounts, parseCachegrindSummary, steadyCost, type CacheCounts, type UnitCost } from './cost-counts.js';
import { countMessages } from './recorder.js';

const here = dirname(fileURLToPath(import.meta.url));
const measure = join(here, 'measure.js');
/** The development machine's per-core caches (AMD EPYC: 32 KiB 8-way L1d, 512 KiB 8-way L2); `--l2` sets another L2. */
const L1 = '--D1=32768,8,64';
let l2Cache = { bytes: 524288, ways: 8 };
const caches = (): string[] => [L1, `--LL=${l2Cache.bytes},${l2Cache.ways},64`];

function fail(message: string): never {
  process.stderr.write(`bench:cost: ${message}\n`);
  process.exit(2);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Takes `flag` and the value after it out of `args` (undefined when the flag is absent). */
function option(args: string[], flag: string, valueOptional = false): string | undefined {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const v = args[at + 1];
  if (v === undefined || v.startsWith('--') || (valueOptional && !/^[1-9]\d*$/.test(v))) {
    if (!valueOptional) fail(`${flag} needs a value`);
    args.splice(at, 1);
    return '';
  }
  args.splice(at, 2);
  return v;
}

/** `--fixed-gc`: V8's collector on a fixed schedule (see the top). */
let fixedGc = false;
/** What follows the capture on measure.js's command line (`--window N`). */
let stageArgs: string[] = [];

/** The stage under valgrind's `tool` with V8's seeds fixed (see below). */
function underValgrind(tool: string[], stage: string, capture: string, perfMap: boolean, cwd?: string): SpawnSyncReturns<string> {
  // Fixed seeds and no address randomisation (setarch -R): without them two runs of the same code differed by up to 4%
  // in instructions (hash tables, what the collector and the compiler do when); with them, 0.01% with nothing else
  // running. --predictable-gc-schedule only on request: its fixed young generation collects more than a real run does.
  const node = ['--single-threaded', '--hash-seed=1', '--random-seed=1', '--no-memory-reducer',
    ...(fixedGc ? ['--predictable-gc-schedule'] : []), ...(perfMap ? ['--perf-basic-prof'] : []), measure, stage, resolve(capture), ...stageArgs];
  return spawnSync('setarch', ['-R', 'valgrind', ...tool, process.execPath, ...node], { encoding: 'utf8', maxBuffer: 1 << 26, cwd });
}

function totals(stage: string, capture: string): CacheCounts {
  const r = underValgrind(['--tool=cachegrind', '--cache-sim=yes', ...caches(), '--cachegrind-out-file=/dev/null'], stage, capture, false);
  const c = parseCachegrindSummary(r.stderr);
  if (r.status !== 0 || c === undefined) fail(`the stage failed under valgrind (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return c;
}

/** Callgrind's self costs per compiled unit, with the caches simulated. */
function units(stage: string, capture: string): { total: number; units: UnitCost[] } {
  // Run in a directory of its own: with --perf-basic-prof V8 also writes a log (isolate-*-v8.log) into its working directory.
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-callgrind-'));
  const out = join(dir, 'callgrind.out');
  const child = underValgrind(['--tool=callgrind', '--cache-sim=yes', ...caches(), '--dump-instr=yes', '--compress-pos=no',
    '--compress-strings=no', `--callgrind-out-file=${out}`], stage, capture, true, dir);
  // valgrind runs node in its own process: the perf map is named by that pid.
  const map = `/tmp/perf-${child.pid}.map`;
  const read = (f: string): string | undefined => (existsSync(f) ? readFileSync(f, 'utf8') : undefined);
  const profile = read(out);
  const perfMap = read(map);
  // Removed before any exit: `fail` ends the process, and a `finally` would not run.
  rmSync(dir, { recursive: true, force: true });
  rmSync(map, { force: true });
  if (child.status !== 0 || profile === undefined || perfMap === undefined) {
    fail(`the stage failed under valgrind (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
  }
  return attributeCallgrind(profile, perfMap);
}

function main(): void {
  const args = process.argv.slice(2);
  const attribute = option(args, '--attribute', true);
  const top = attribute === undefined ? 0 : attribute === '' ? 40 : Number(attribute);
  const base = option(args, '--base');
  const l2 = option(args, '--l2');
  if (l2 !== undefined) l2Cache = parseL2(l2) ?? fail(`--l2 ${l2}: expected KIB[,WAYS] with KIB x 1024 / (WAYS x 64) a power of two, e.g. 2048 or 2048,16`);
  const window = option(args, '--window');
  if (window !== undefined) {
    if (!/^\d+$/.test(window) || !WINDOW_STAGES.includes(args[0] ?? '')) fail(`--window ${window}: a count of events, for ${WINDOW_STAGES.join(', ')} only`);
    stageArgs = ['--window', window];
  }
  const fixed = args.indexOf('--fixed-gc');
  if (fixed >= 0) {
    fixedGc = true;
    args.splice(fixed, 1);
  }
  const [stage, capture] = args;
  if (!stage || !capture || !COST_STAGES.includes(stage) || args.length > 2) {
    fail(`usage: npm run bench:cost -- STAGE CAPTURE [--base SMALLER_CAPTURE] [--attribute [N]] [--fixed-gc] [--l2 KIB[,WAYS]] [--window N]; STAGE one of: ${COST_STAGES.map((s) => JSON.stringify(s)).join(', ')}`);
  }
  if (spawnSync('valgrind', ['--version']).status !== 0) fail('valgrind is not installed (Debian: apt-get install valgrind)');
  const count = (file: string): number => countMessages(file)?.messages ?? fail(`${file}: no such file`);
  const large = count(capture);
  const small = base === undefined ? 0 : count(base);
  if (base !== undefined && small >= large) fail(`--base ${base} has ${fmt(small)} messages, ${capture} ${fmt(large)}: the base must be the smaller capture`);
  // With a base, every count is the larger capture's less the base's: the cost of the messages it has more.
  const messages = large - small;
  const how = (l2 === undefined ? '' : `, simulated L2 ${l2Cache.bytes / 1024} KiB ${l2Cache.ways} ways`) + (window === undefined ? '' : `, window ${window}`);
  const what = base === undefined ? `${stage} on ${capture} (${fmt(messages)} messages${how})` : `${stage}: ${capture} less ${base} (${fmt(messages)} messages${how})`;
  const per = (n: number | undefined, digits = 1): string => (n === undefined || messages === 0 ? '-' : (n / messages).toFixed(digits));
  if (top === 0) {
    const all = totals(stage, capture);
    const c = base === undefined ? all : lessCounts(all, totals(stage, base));
    process.stdout.write(`${what}\n`);
    process.stdout.write(`instructions ${fmt(c.instructions)} (${per(c.instructions)} a message)\n`);
    process.stdout.write(`L1d misses   ${fmt(c.d1Misses ?? NaN)} (${per(c.d1Misses)} a message)\n`);
    process.stdout.write(`L2 misses    ${fmt(c.llMisses ?? NaN)} (${per(c.llMisses)} a message)\n`);
    return;
  }
  let { total, units: list } = units(stage, capture);
  if (base !== undefined) {
    const b = units(stage, base);
    total -= b.total;
    list = steadyCost(list, b.units);
  }
  process.stdout.write(`${what}: ${fmt(total)} instructions\n`);
  for (const [k, v] of Object.entries(costByKind(list))) process.stdout.write(`  ${k.padEnd(12)} ${fmt(v).padStart(15)}\n`);
  process.stdout.write('\n   instructions  a message      %  L1d a msg  L2 a msg  compiled unit\n');
  for (const u of list.slice(0, top)) {
    const cells = [fmt(u.instructions).padStart(15), per(u.instructions).padStart(10), ((100 * u.instructions) / total).toFixed(1).padStart(6),
      per(u.d1Misses, 2).padStart(10), per(u.llMisses, 2).padStart(9)];
    process.stdout.write(`${cells.join(' ')}  ${u.name.slice(0, 140)}\n`);
  }
}

main();
