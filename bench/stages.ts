/**
 * The stages `npm run bench` measures. `read`, `decode+pair` and `analyze`
 * call the pipeline directly; the others run a command of the CLI as a user
 * would (capture and `-o FILE` appended), output written to a file.
 */
export const CLI_STAGES: Record<string, string[]> = {
  'dump --json': ['dump', '--json'],
  dump: ['dump'],
  'export requests csv': ['export', '--table', 'requests'],
  'export requests jsonl': ['export', '--table', 'requests', '--format', 'jsonl'],
  report: ['report'],
};

export const PIPELINE_STAGES = ['read', 'decode+pair', 'analyze'];
export const ALL_STAGES = [...PIPELINE_STAGES, ...Object.keys(CLI_STAGES)];
