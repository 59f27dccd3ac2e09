/**
 * `fusetrace report CAPTURE... -o out.html`: one self-contained HTML page
 * (summary, findings, per-file timelines with size history, in-flight depth,
 * latency histograms) that opens offline in a browser. Takes the same
 * analysis options as `analyze` (--file, --conn, --since, --until, --proto,
 * --no-correlate, ...). See docs/html-report.md.
 */
import type { Command } from 'commander';
import { analyze } from '../../analysis/analyze.js';
import { renderHtml } from '../../report/html.js';
import { EXIT_OK, Output, runCommand } from '../common.js';
import { addAnalysisOptions, analysisOptions, fatalExit, warnFilterMisses, type AnalysisFlags } from './analyze.js';

interface ReportFlags extends AnalysisFlags {
  output: string;
  title?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('report')
    .description('write a self-contained HTML timeline of captures: in-flight exchanges per file, size history, findings')
    .argument('<capture...>', 'pcapng or fusedump captures (several: mounts over one backing store, aligned in time)')
    .requiredOption('-o, --output <file>', 'the HTML file to write (- for standard output)')
    .option('--title <text>', 'page title (default: the capture file names)');
  addAnalysisOptions(cmd).addHelpText(
    'after',
    `
Examples:
  fusetrace report A.pcapng B.pcapng -o race.html
  fusetrace report cap.pcapng --file /data/big.img --since 1s --until 3s -o window.html

The page needs no network or server: scripts and styles are inlined. It draws at
most a fixed number of exchanges (the findings' first) and says so when it leaves
some out; narrow with --file/--since/--until to see every one of a busy file.

Exit status: 0 done, 2 usage error or unreadable input (the page still covers
what was read before the damage).`,
  );
  cmd.action(async (captures: string[], flags: ReportFlags) => {
    const code = await runCommand(() => runReport(captures, flags));
    process.exitCode = code;
  });
}

function runReport(captures: string[], flags: ReportFlags): number {
  const opts = analysisOptions(captures, flags, { timeline: true });
  const result = analyze(opts);
  warnFilterMisses(result);
  if (result.fatal && result.model.summary.messages === 0) {
    // Nothing was read: a page would only be empty.
    return fatalExit(result) ?? EXIT_OK;
  }
  const html = renderHtml(result.model, {
    ...(flags.title !== undefined ? { title: flags.title } : {}),
    command: commandLine(),
  });
  const out = new Output(flags.output);
  try {
    out.write(html);
  } finally {
    out.close();
  }
  if (flags.output !== '-') {
    const kib = Math.ceil(Buffer.byteLength(html) / 1024);
    process.stderr.write(`fusetrace: wrote ${flags.output} (${kib} KiB, ${result.model.findings.length} finding(s))\n`);
  }
  return fatalExit(result) ?? EXIT_OK;
}

/** The command line as typed after the program name, for the page footer. */
function commandLine(): string {
  const at = process.argv.indexOf('report');
  return ['fusetrace', ...(at >= 0 ? process.argv.slice(at) : ['report'])].join(' ');
}
