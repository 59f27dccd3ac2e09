/**
 * The import graph of src/ stays a pipeline: no import circles, and no import
 * that goes up the layers written down in HACKING.md ("Import directions").
 * Imports are read from the sources with TypeScript's own pre-processor
 * (static, type-only, re-exports and dynamic `import()` alike).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './helpers/mount.js';

/** The pipeline, lowest first: a layer may import only the layers before it. */
const PIPELINE = ['model', 'capture', 'protocol', 'pairing', 'state', 'detectors', 'analysis', 'report', 'cli'] as const;
/** record/ is a side branch: it uses these, and only cli/ uses it. */
const RECORD_USES = ['model', 'capture', 'protocol'];

type Graph = Map<string, string[]>;

/** Repo-relative paths of every .ts source under `dir` (declaration files have no imports to check). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** file -> the repo-relative source files it imports (relative specifiers only; packages are outside the graph). */
function importGraph(): Graph {
  const g: Graph = new Map();
  for (const f of sourceFiles('src')) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(repoRoot, f), 'utf8'), true, true);
    const deps = importedFiles
      .map((r) => r.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(repoRoot, normalize(join(repoRoot, dirname(f), s))).replace(/\.js$/, '.ts'));
    g.set(f, [...new Set(deps)]);
  }
  return g;
}

function layerOf(file: string): string {
  return file.split('/')[1] ?? '';
}

/** Why `from` may not import `to`, or undefined when it may. */
function layerViolation(from: string, to: string): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === b) return undefined;
  if (b === 'record') return a === 'cli' ? undefined : `only cli/ may use record/`;
  if (a === 'record') return RECORD_USES.includes(b) ? undefined : `record/ may use only ${RECORD_USES.join(', ')}`;
  const ia = PIPELINE.indexOf(a as (typeof PIPELINE)[number]);
  const ib = PIPELINE.indexOf(b as (typeof PIPELINE)[number]);
  if (ia < 0) return `src/${a}/ has no place in the pipeline (add it to HACKING.md and this test)`;
  if (ib < 0) return `src/${b}/ has no place in the pipeline (add it to HACKING.md and this test)`;
  return ib > ia ? `${a}/ is below ${b}/` : undefined;
}

/** The import circles of `g` (strongly connected components of more than one file, or a file importing itself). */
function importCycles(g: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (g.get(v) ?? []).includes(v)) cycles.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const graph = importGraph();

test('the import reader sees the imports (static, type-only and dynamic)', () => {
  assert.ok(graph.size > 50, `only ${graph.size} source files found`);
  assert.ok(graph.get('src/cli/main.ts')?.includes('src/cli/common.ts'), 'cli/main.ts -> cli/common.ts not seen');
  const pre = (s: string) => ts.preProcessFile(s, true, true).importedFiles.map((r) => r.fileName);
  assert.deepEqual(pre("import type { A } from './a.js';\nexport { b } from '../b.js';\nconst c = await import('./c.js');"), ['./a.js', '../b.js', './c.js']);
});

test('no import circles in src/', () => {
  const cycles = importCycles(graph);
  assert.deepEqual(cycles, [], `import circles (move the shared piece into its own module):\n${cycles.map((c) => '  ' + c.join(' <-> ')).join('\n')}`);
});

test('no upward imports in src/', () => {
  const bad: string[] = [];
  for (const [from, deps] of graph) {
    for (const to of deps) {
      const why = layerViolation(from, to);
      if (why !== undefined) bad.push(`  ${from} -> ${to}: ${why}`);
    }
  }
  assert.deepEqual(bad, [], `upward imports (move the shared piece down, see HACKING.md "Import directions"):\n${bad.join('\n')}`);
});

test('the checks themselves: a circle and an upward import are caught', () => {
  const g: Graph = new Map([
    ['src/a/x.ts', ['src/a/y.ts']],
    ['src/a/y.ts', ['src/a/z.ts']],
    ['src/a/z.ts', ['src/a/x.ts']],
    ['src/a/w.ts', ['src/a/x.ts']],
    ['src/a/s.ts', ['src/a/s.ts']],
  ]);
  assert.deepEqual(importCycles(g), [['src/a/x.ts', 'src/a/y.ts', 'src/a/z.ts'], ['src/a/s.ts']]);
  assert.match(layerViolation('src/capture/a.ts', 'src/protocol/b.ts') ?? '', /capture\/ is below protocol\//);
  assert.match(layerViolation('src/model/a.ts', 'src/capture/b.ts') ?? '', /model\/ is below capture\//);
  assert.equal(layerViolation('src/capture/a.ts', 'src/model/b.ts'), undefined);
  assert.equal(layerViolation('src/record/a.ts', 'src/model/b.ts'), undefined);
  assert.equal(layerViolation('src/report/a.ts', 'src/protocol/b.ts'), undefined);
  assert.equal(layerViolation('src/record/a.ts', 'src/capture/b.ts'), undefined);
  assert.match(layerViolation('src/record/a.ts', 'src/report/b.ts') ?? '', /record\/ may use only/);
  assert.match(layerViolation('src/report/a.ts', 'src/record/b.ts') ?? '', /only cli\//);
  assert.equal(layerViolation('src/cli/a.ts', 'src/record/b.ts'), undefined);
  assert.match(layerViolation('src/newdir/a.ts', 'src/capture/b.ts') ?? '', /no place in the pipeline/);
});
