/**
 * One benchmark measurement in its own process: `node measure.js STAGE FILE
 * [--window N]` (`--window`: `decode+pair+order`, `analyze` or `analyze
 * views` with an ordering window of N events instead of the analysis's
 * ORDER_WINDOW, to see what waiting costs).
 * Prints one JSON line: messages, orderingPeak (the most events that waited
 * in the ordering window at once, for the stages that have one; else null),
 * seconds (wall), cpuSeconds (user + system of
 * this process, the figure to compare on a loaded machine), systemSeconds (the
 * system part of it), peak RSS (MB), outputBytes (what a command wrote) and
 * copyCpuSeconds: after the clock, the CPU time of copying the command's
 * output to another file (read from the page cache, written as the commands
 * write, in TEXT_BUFFER pieces): the kernel's price of taking that many
 * bytes into the page cache. On a virtual machine whose balloon hands free
 * memory back to the host (free page reporting) that price is mostly the
 * host's, for memory the guest has not used in the last seconds, not the
 * bytes': copying 2.2 GB of dump --json's JSON took 5.1-5.6 system seconds
 * after 15 idle seconds and 0.70-0.76 right after the same copy, 2.2 GB of
 * zeros 5.1-5.2 and 0.68-0.70.
 * A stage named after a command line (`dump --json`, `export --table requests`,
 * `report` ...) runs that command of the CLI in this process, its output into
 * a file beside the capture (deleted after the clock stops); its messages count is 0 (the
 * caller knows the capture's).
 */
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pairCaptures } from '../src/pairing/pair-captures.js';
import { EventHeap, EvKind, ORDER_WINDOW, RELEASE_EVERY } from '../src/pairing/order.js';
import type { Pairer } from '../src/pairing/pairer.js';
import { CLI_STAGES, COST_STAGES, WINDOW_STAGES } from './stages.js';
import { TEXT_BUFFER } from '../src/report/text-buffer.js';

async function main(): Promise<void> {
  const [stage, file, ...rest] = process.argv.slice(2);
  // NaN (refused below) for anything after FILE but `--window N` of a stage that has the window.
  const window = rest.length === 0 ? ORDER_WINDOW : WINDOW_STAGES.includes(stage ?? '') && rest.length === 2 && rest[0] === '--window' ? Number(rest[1]) : NaN;
  if (!stage || !file || !COST_STAGES.includes(stage) || !Number.isSafeInteger(window) || window < 0) {
    throw new Error(`usage: measure.js STAGE FILE [--window EVENTS (${WINDOW_STAGES.join(', ')})]; STAGE one of: ${COST_STAGES.join(', ')}`);
  }
  // The analysis's own default unless --window was given.
  const limits = rest.length === 0 ? undefined : { maxWaiting: window };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let messages = 0;
  let orderingPeak: number | null = null;
  let out: string | undefined;
  if (stage === 'read') {
    const fd = openSync(file, 'r');
    const buf = Buffer.allocUnsafe(4 << 20);
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
  } else if (stage === 'decode+pair') {
    // Completed exchanges go back to the pairer's pool, as every command does (dump, analyze):
    // without it this stage would measure allocation no real run pays.
    const run = pairCaptures([file], {
      onMessage(kind, _m, pairer) {
        if (kind === 'reply' || kind === 'no-reply-request') pairer.recycle(pairer.last!);
      },
    }, {});
    if (run.fatal) throw run.fatal;
    messages = run.pairer.counts.messages;
  } else if (stage === 'decode+pair+order') {
    ({ messages, orderingPeak } = decodePairOrder(file, window));
  } else if (stage === 'analyze views') {
    const { analyze } = await import('../src/analysis/analyze.js');
    // The analysis as `export --table requests` runs it: the views its rows carry, no summaries, no detectors.
    const { stagesFor } = await import('../src/cli/commands/export.js');
    const views = stagesFor('requests', { files: [file] });
    const res = analyze({ ...views, limits: { ...views.limits, ...limits } });
    if (res.fatal) throw res.fatal;
    messages = res.model.summary.messages;
    orderingPeak = res.model.tables?.['orderingWindow'] ?? null;
  } else if (stage === 'analyze') {
    const { analyze } = await import('../src/analysis/analyze.js');
    const { renderJson } = await import('../src/report/json.js');
    const res = analyze({ files: [file], limits });
    if (res.fatal) throw res.fatal;
    renderJson(res.model);
    messages = res.model.summary.messages;
    orderingPeak = res.model.tables?.['orderingWindow'] ?? null;
  } else if (CLI_STAGES[stage]) {
    out = `${file}.out`;
    const { main } = (await import('../src/cli/main.js')) as { main(argv: string[]): Promise<number> };
    const code = await main(['node', 'fusetrace', ...CLI_STAGES[stage], file, '-o', out]);
    if (code !== 0) throw new Error(`${stage}: exit ${code}`);
  } else {
    throw new Error(`unknown stage ${stage}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rssMB = peakRssKiB() / 1024;
  const outputBytes = out !== undefined ? statSync(out).size : 0;
  const copyCpuSeconds = out !== undefined ? copyCpu(out) : 0;
  // Deleting the output (hundreds of MB for dump --json) is the bench's housekeeping, not the command's: after the clock.
  if (out !== undefined) rmSync(out, { force: true });
  const systemSeconds = cpu.system / 1e6;
  console.log(JSON.stringify({ messages, orderingPeak, seconds, cpuSeconds, systemSeconds, rssMB, outputBytes, copyCpuSeconds }));
}

/**
 * Decoding and pairing with the analysis's time ordering after them: events
 * wait in the ordering heap, as many as the analysis's window holds, checked
 * every RELEASE_EVERY messages as it does, and an exchange goes back to the pairer's
 * pool when its last event leaves. Nothing reads the events: the difference
 * to `decode+pair` is what the ordering costs, exchanges that waited in it
 * included (they are out of the caches by then); the difference to `analyze
 * views` is the state's. A model of the analysis's loop (analyze.ts `drain`),
 * without its time bound or its growth.
 */
function decodePairOrder(file: string, window: number): { messages: number; orderingPeak: number } {
  const heap = new EventHeap();
  let pairer: Pairer | undefined;
  let completed = 0;
  let recycled = 0;
  const release = (): void => {
    const e = heap.pop()!;
    const x = e.x;
    if (x !== undefined && (e.kind === EvKind.Reply || x.noReplyExpected === true)) {
      pairer!.recycle(x);
      recycled++;
    }
    heap.recycle(e);
  };
  let sinceDrain = 0;
  const run = pairCaptures([file], {
    onRequest: (x) => heap.request(x),
    onExchange: (x) => {
      completed++;
      if (!x.noReplyExpected) heap.reply(x);
    },
    onNotify: (n) => heap.notify(n),
    onMessage(_kind, _m, p) {
      pairer = p;
      if (++sinceDrain >= RELEASE_EVERY) {
        sinceDrain = 0;
        while (heap.size > window) release();
      }
    },
  }, {});
  if (run.fatal) throw run.fatal;
  while (heap.size > 0) release();
  // Each completed exchange goes back once, at its last event: more would hand one record to two requests.
  if (recycled !== completed) throw new Error(`decode+pair+order: ${recycled} exchanges recycled, ${completed} completed`);
  return { messages: run.pairer.counts.messages, orderingPeak: heap.peak };
}

/** CPU seconds of copying `file` to a file beside it (deleted after) in TEXT_BUFFER pieces. */
function copyCpu(file: string): number {
  const copy = `${file}.copy`;
  const c0 = process.cpuUsage();
  const from = openSync(file, 'r');
  const to = openSync(copy, 'w');
  const buf = Buffer.allocUnsafe(TEXT_BUFFER);
  for (let n; (n = readSync(from, buf, 0, buf.length, null)) > 0;) for (let o = 0; o < n;) o += writeSync(to, buf, o, n - o);
  closeSync(from);
  closeSync(to);
  const c = process.cpuUsage(c0);
  rmSync(copy, { force: true });
  return (c.user + c.system) / 1e6;
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});

/**
 * This process's own peak RSS. Linux carries getrusage's maxrss across exec,
 * so `resourceUsage().maxRSS` of a child is at least its parent's RSS when it
 * was spawned (the bench runner's, after it made the captures); the address
 * space's high-water mark (VmHWM) starts afresh with the exec.
 */
function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // Not Linux: the rusage figure is the best there is.
  }
  return process.resourceUsage().maxRSS;
}
