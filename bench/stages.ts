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

/**
 * The analysis taken apart, for `bench:cost` (not rows of the bench's
 * table): decoding and pairing with the time ordering after them, and the
 * analysis with only the views `export --table requests` needs. Counted
 * next to `decode+pair` and `analyze`, each adds one part: the ordering, the
 * state's views, the summaries and detectors.
 */
export const PART_STAGES = ['decode+pair+order', 'analyze views'];

/**
 * The stages that take `--window N` (measure.js, bench:cost): the ordering
 * window made N events instead of ORDER_WINDOW, to see what waiting in it
 * costs the stage.
 */
export const WINDOW_STAGES = ['decode+pair+order', 'analyze', 'analyze views'];

/** Every stage `measure.js` and `bench:cost` take. */
export const COST_STAGES = [...ALL_STAGES, ...PART_STAGES];
