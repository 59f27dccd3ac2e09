/**
 * `fusetrace baseline CAPTURE... -o FILE`: records what the captures look
 * like (findings by fingerprint, per-opcode counts, errors and latency) for
 * `fusetrace check` (schema fusetrace.baseline/1, docs/export-and-check.md).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { analyze } from '../../analysis/analyze.js';
import { UsageError } from '../../capture/errors.js';
import { baselineCapture, baselineDoc, captureName, renderBaseline, type BaselineCapture } from '../../report/baseline.js';
import { EXIT_OK, Output, runCommand } from '../common.js';
import { toolVersion } from '../../model/format.js';
import { DETECTOR_IDS } from '../../detectors/index.js';
import { addAnalysisOptions, analysisOptions, fatalExit, warnFilterMisses, type AnalysisFlags } from './analyze.js';

export interface GroupFlags {
  together?: boolean;
}

/**
 * The analysis runs of a command line: each CAPTURE on its own; `A+B` (or
 * `--together` for all of them) analyses mounts of one backing store as one run.
 */
export function captureGroups(captures: string[], flags: GroupFlags): string[][] {
  if (captures.length === 0) throw new UsageError('no capture given');
  const groups = flags.together ? [captures] : captures.map((c) => (c.includes('+') && !existsSync(c) ? c.split('+').filter((x) => x !== '') : [c]));
  const seen = new Map<string, string[]>();
  for (const g of groups) {
    const name = captureName(g);
    const prev = seen.get(name);
    if (prev) throw new UsageError(`${g.join('+')} and ${prev.join('+')} have the same name in a baseline (${name})`, 'baseline entries are named by file name: rename one of the captures');
    seen.set(name, g);
  }
  return groups;
}

/**
 * Analyses each group; returns their baseline entries and the finding kinds
 * the analyses looked for (`--detectors`, else every detector), or an exit
 * code after a damaged input.
 */
export function analyseGroups(groups: string[][], flags: AnalysisFlags): { entries: BaselineCapture[]; detectors: string[]; exit?: number } {
  const entries: BaselineCapture[] = [];
  let detectors: string[] = [...DETECTOR_IDS];
  for (const files of groups) {
    const result = analyze(analysisOptions(files, flags, { timeline: false }));
    warnFilterMisses(result);
    const bad = fatalExit(result);
    if (bad !== undefined) return { entries, detectors, exit: bad };
    entries.push(baselineCapture(files, result.model));
    detectors = result.model.filters.detectors ?? detectors;
  }
  return { entries, detectors };
}

interface BaselineFlags extends AnalysisFlags, GroupFlags {
  output?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('baseline')
    .description('record findings, per-opcode counts, errors and latency of captures for `fusetrace check`')
    .argument('<capture...>', 'captures; A.pcapng+B.pcapng analyses two mounts of one store together')
    .option('-o, --output <file>', 'baseline file to write; - for standard output (the default)')
    .option('--together', 'analyse all captures as one run (mounts over one backing store)');
  addAnalysisOptions(cmd).addHelpText('after', `
Examples:
  fusetrace baseline traces/*.pcapng -o fusetrace-baseline.json
  fusetrace baseline traces/a.pcapng+traces/b.pcapng -o baseline.json

Commit the file; \`fusetrace check\` compares new recordings with it (docs/export-and-check.md).
Exit status: 0 written, 2 usage error or unreadable input (nothing is written).`);
  cmd.action(async (captures: string[], flags: BaselineFlags) => {
    const code = await runCommand(() => {
      const { entries, detectors, exit } = analyseGroups(captureGroups(captures, flags), flags);
      if (exit !== undefined) return exit;
      const out = new Output(flags.output);
      try {
        out.write(renderBaseline(baselineDoc(toolVersion(), entries, detectors)));
      } finally {
        out.close();
      }
      return EXIT_OK;
    });
    process.exitCode = code;
  });
}
