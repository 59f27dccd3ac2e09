/**
 * `fusetrace analyze CAPTURE...`: the human report (or `--json`) of one
 * analysis run. Also exports the options every analysing command shares
 * (export, baseline, check): protocol override, correlation, filters, resync.
 */
import { Option, type Command } from 'commander';
import { analyze, type AnalyzeOptions, type AnalyzeResult } from '../../analysis/analyze.js';
import { parseFilters, type FilterCli } from '../../analysis/filters.js';
import { UsageError } from '../../capture/errors.js';
import { renderJson } from '../../report/json.js';
import { SEVERITIES, severityRank, type Severity } from '../../model/finding.js';
import type { AnalysisModel } from '../../model/analysis.js';
import { renderText } from '../../report/text.js';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, Output, colorEnabled, LINKTYPE_HELP, MACHINE_HELP, parseLinkType, parseMachine, parseProto, printError, quietProgress, runCommand, warn } from '../common.js';

/** Options shared by analyze, export, baseline and check. */
export interface AnalysisFlags extends FilterCli {
  proto?: string;
  machine?: string;
  correlate?: boolean;
  resync?: boolean;
  linktype?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Adds the shared analysis options to a command. */
export function addAnalysisOptions(cmd: Command): Command {
  return cmd
    .option('--proto <7.N>', 'protocol version for captures that start after INIT (default: from INIT, else 7.45 layouts)')
    .option('--machine <name>', MACHINE_HELP)
    .option('--no-correlate', 'do not treat files of different connections with the same attr.ino as one file')
    .option('--file <path|nodeid>', 'only this file (a path, or a nodeid); a directory selects every file below it; repeatable', collect)
    .option('--conn <n>', 'only this connection number; repeatable', collect)
    .option('--since <t>', 'only from this time: relative to the capture start (2.5s, 300ms) or absolute (ISO 8601, @ns)')
    .option('--until <t>', 'only up to this time (same forms as --since)')
    .addOption(new Option('--min-severity <s>', 'leave out findings below this severity').choices(SEVERITIES as string[]))
    .option('--detectors <a,b>', 'run only these detectors (comma-separated kinds)')
    .option('--resync', 'after a damaged block, continue from the next valid one instead of stopping')
    .option('--linktype <N>', LINKTYPE_HELP);
}

/** Turns the shared flags into `AnalyzeOptions` (throws UsageError on bad values). */
export function analysisOptions(files: string[], flags: AnalysisFlags, extra: Partial<AnalyzeOptions> = {}): AnalyzeOptions {
  if (files.length === 0) throw new UsageError('no capture given', 'usage: fusetrace analyze CAPTURE... (pcapng or fusedump; - for standard input)');
  const proto = parseProto(flags.proto);
  const machine = parseMachine(flags.machine);
  const linkType = parseLinkType(flags.linktype);
  const filters = parseFilters({
    file: flags.file,
    conn: flags.conn,
    since: flags.since,
    until: flags.until,
    minSeverity: flags.minSeverity,
    detectors: flags.detectors,
  });
  return {
    files,
    ...(proto !== undefined ? { proto } : {}),
    ...(machine !== undefined ? { machine } : {}),
    correlate: flags.correlate !== false,
    filters,
    resync: flags.resync === true,
    ...(linkType !== undefined ? { linkType } : {}),
    progress: quietProgress(),
    ...extra,
  };
}

/** Parses a `--fail-on` severity. */
export function parseSeverity(v: string | undefined, option: string): Severity | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(s)) throw new UsageError(`${option} ${v}: expected one of ${SEVERITIES.join(', ')}`);
  return s as Severity;
}

/** Findings at or above `s` in the model. */
export function findingsAtOrAbove(model: AnalysisModel, s: Severity): number {
  return model.findings.filter((f) => severityRank(f.severity) >= severityRank(s)).length;
}

/** Says on stderr which filters selected nothing (the output itself stays clean). */
export function warnFilterMisses(result: AnalyzeResult): void {
  for (const m of result.filterMisses) warn(m);
}

/**
 * Reports a damaged input after its partial result was printed: the error on
 * stderr, exit 2. Returns undefined when the run was whole.
 */
export function fatalExit(result: AnalyzeResult): number | undefined {
  if (!result.fatal) return undefined;
  printError(result.fatal);
  if (result.model.summary.messages > 0) process.stderr.write('  note: the output covers what was read before this point\n');
  return EXIT_BAD_INPUT;
}

interface AnalyzeFlags extends AnalysisFlags {
  json?: boolean;
  color?: boolean;
  failOn?: string;
  output?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('analyze captures: connections, per-opcode latency, per-file concurrency and sizes, findings')
    .argument('<capture...>', 'pcapng or fusedump captures (several: mounts over one backing store, merged by time)')
    .option('--json', 'print the whole analysis as one JSON document (schema fusetrace.analysis/1)')
    .option('--no-color', 'no colour even on a terminal (also: NO_COLOR=1)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices(SEVERITIES as string[]))
    .option('-o, --output <file>', 'write the report to a file instead of standard output');
  addAnalysisOptions(cmd).addHelpText('after', `
Examples:
  fusetrace analyze cap.pcapng
  fusetrace analyze A.pcapng B.pcapng          two mounts over one backing store
  fusetrace analyze --json cap.pcapng > a.json
  fusetrace analyze --min-severity warning --file /data/big.img --since 2.5s --until 4s cap.pcapng
  fusetrace analyze --fail-on error cap.pcapng exit 1 when an error-severity finding exists

Exit status: 0 done, 1 a finding at or above --fail-on, 2 usage error or unreadable input
(what was read before the damage is still reported).`);
  cmd.action(async (captures: string[], flags: AnalyzeFlags) => {
    const code = await runCommand(() => runAnalyze(captures, flags));
    process.exitCode = code;
  });
}

function runAnalyze(captures: string[], flags: AnalyzeFlags): number {
  const failOn = parseSeverity(flags.failOn, '--fail-on');
  const opts = analysisOptions(captures, flags);
  const result = analyze(opts);
  warnFilterMisses(result);
  // Unreadable from the first byte: only the error, no empty report.
  if (result.fatal && result.model.summary.messages === 0 && result.model.connections.length === 0) return fatalExit(result)!;
  const out = new Output(flags.output);
  try {
    const color = flags.output === undefined || flags.output === '-' ? colorEnabled(flags) : false;
    out.write(flags.json ? renderJson(result.model) : renderText(result.model, { color }));
  } finally {
    out.close();
  }
  const fatal = fatalExit(result);
  if (fatal !== undefined) return fatal;
  if (failOn && findingsAtOrAbove(result.model, failOn) > 0) {
    process.stderr.write(`fusetrace: ${findingsAtOrAbove(result.model, failOn)} finding(s) at or above ${failOn} (--fail-on ${failOn})\n`);
    return EXIT_CHECK_FAILED;
  }
  return EXIT_OK;
}
