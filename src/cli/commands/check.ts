/**
 * `fusetrace check CAPTURE... --baseline FILE`: re-analyses captures and
 * compares them with a baseline (docs/export-and-check.md). A regression (a
 * new finding, an error count or latency percentile worse than the tolerance
 * and its floor) exits 1; fixed findings and improvements are good news.
 * `--expect-clean` needs no baseline: any finding at or above --fail-on fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { systemReason, UsageError, writeError } from '../../capture/errors.js';
import {
  CHECKS, DEFAULT_THRESHOLDS, SEVERITIES, checkClean, checkReport, compareCapture, parseBaseline, parseCount, parseDurationUs,
  parseTolerance, renderCheckText, type BaselineDoc, type CaptureCheck, type Thresholds,
} from '../../report/baseline.js';
import { stringifyJson } from '../../report/json.js';
import { renderJunit } from '../../report/junit.js';
import { palette } from '../../report/format.js';
import type { Severity } from '../../model/finding.js';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, Output, colorEnabled, runCommand } from '../common.js';
import { addAnalysisOptions, type AnalysisFlags } from './analyze.js';
import { analyseGroups, captureGroups, type GroupFlags } from './baseline.js';

interface CheckFlags extends AnalysisFlags, GroupFlags {
  baseline?: string;
  expectClean?: boolean;
  failOn?: string;
  tolerance: string;
  latencyFloor: string;
  errorFloor: string;
  minSamples: string;
  json?: boolean;
  junit?: string;
  color?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('check')
    .description('compare captures with a baseline (or --expect-clean) and exit 1 on a regression; JUnit XML for CI')
    .argument('<capture...>', 'captures; A.pcapng+B.pcapng analyses two mounts of one store together')
    .option('--baseline <file>', 'baseline made by `fusetrace baseline`')
    .option('--expect-clean', 'no baseline: fail on any finding at or above --fail-on')
    .addOption(new Option('--fail-on <severity>', 'new findings at or above this severity are regressions').choices(SEVERITIES as string[]).default(DEFAULT_THRESHOLDS.failOn))
    .option('--tolerance <pct>', 'how much worse an error count or latency percentile may get', `${DEFAULT_THRESHOLDS.tolerance * 100}%`)
    .option('--latency-floor <duration>', 'latency changes up to this never count (100us, 2ms)', `${DEFAULT_THRESHOLDS.latencyFloorUs}us`)
    .option('--error-floor <n>', 'error-count changes up to this never count', String(DEFAULT_THRESHOLDS.errorFloor))
    .option('--min-samples <n>', 'compare latency only for opcodes with this many replies on both sides', String(DEFAULT_THRESHOLDS.minSamples))
    .option('--together', 'analyse all captures as one run (mounts over one backing store)')
    .option('--json', 'print the result as JSON (schema fusetrace.check/1)')
    .option('--junit <file>', 'also write JUnit XML: one testsuite per capture, one testcase per check')
    .option('--no-color', 'no colour even on a terminal');
  addAnalysisOptions(cmd).addHelpText('after', `
Examples:
  fusetrace check traces/*.pcapng --baseline fusetrace-baseline.json --tolerance 25% --junit report.xml
  fusetrace check --expect-clean --fail-on error cap.pcapng

Exit status: 0 holds (improvements are reported), 1 regression, 2 usage error or unreadable input.`);
  cmd.action(async (captures: string[], flags: CheckFlags) => {
    const code = await runCommand(() => runCheck(captures, flags));
    process.exitCode = code;
  });
}

function runCheck(captures: string[], flags: CheckFlags): number {
  if (!flags.baseline && !flags.expectClean) throw new UsageError('check needs --baseline FILE or --expect-clean', 'make a baseline with `fusetrace baseline CAPTURE... -o FILE`');
  if (flags.baseline && flags.expectClean) throw new UsageError('give either --baseline or --expect-clean, not both');
  const th: Thresholds = {
    tolerance: parseTolerance(flags.tolerance),
    latencyFloorUs: parseDurationUs(flags.latencyFloor, '--latency-floor'),
    errorFloor: parseCount(flags.errorFloor, '--error-floor'),
    minSamples: parseCount(flags.minSamples, '--min-samples'),
    failOn: (flags.failOn ?? DEFAULT_THRESHOLDS.failOn) as Severity,
  };
  let base: BaselineDoc | undefined;
  if (flags.baseline) {
    let text: string;
    try {
      text = readFileSync(flags.baseline, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read baseline ${flags.baseline}: ${systemReason(e)}`, 'make one with `fusetrace baseline CAPTURE... -o FILE`');
    }
    base = parseBaseline(text, flags.baseline);
  }
  const { entries, detectors, exit } = analyseGroups(captureGroups(captures, flags), flags);
  if (exit !== undefined) return EXIT_BAD_INPUT;
  const kinds = { baseline: base?.detectors ? new Set(base.detectors) : undefined, current: new Set(detectors) };
  const results: CaptureCheck[] = entries.map((e) =>
    base ? compareCapture(e, base.captures.find((c) => c.name === e.name), th, kinds) : checkClean(e, th));
  const checked = new Set(entries.map((e) => e.name));
  const unchecked = base ? base.captures.map((c) => c.name).filter((n) => !checked.has(n)) : [];
  const report = checkReport(results, flags.baseline ?? null, th, unchecked);
  if (flags.junit) {
    try {
      writeFileSync(flags.junit, renderJunit(report));
    } catch (e) {
      throw writeError(flags.junit, e);
    }
  }
  const out = new Output(undefined);
  try {
    out.write(flags.json ? stringifyJson(report, 2) + '\n' : renderCheckText(report, palette(colorEnabled(flags))));
  } finally {
    out.close();
  }
  void CHECKS;
  return report.verdict === 'fail' ? EXIT_CHECK_FAILED : EXIT_OK;
}
