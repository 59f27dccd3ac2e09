/**
 * Meta-test (style.md "Tests"): every detector is registered by name in
 * src/detectors/index.ts, its id is its file name, it has docs/detectors/<id>.md
 * with an example and a "When it is wrong" section, the doc names every message
 * id, and each example's message matches one of the detector's templates (so the
 * examples cannot drift from what the detector prints).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DETECTORS } from '../../src/detectors/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NOT_DETECTORS = new Set(['define.ts', 'index.ts', 'common.ts']);

test('every detector module is registered in index.ts and every registered id is a module', () => {
  const files = readdirSync(join(ROOT, 'src', 'detectors')).filter((f) => f.endsWith('.ts') && !NOT_DETECTORS.has(f));
  assert.deepEqual(files.map((f) => f.replace(/\.ts$/, '')).sort(), DETECTORS.map((d) => d.id).sort());
  const index = readFileSync(join(ROOT, 'src', 'detectors', 'index.ts'), 'utf8');
  for (const d of DETECTORS) assert.ok(index.includes(`from './${d.id}.js'`), `${d.id} imported by name`);
});

test('every detector has test/detectors/<id>.test.ts with valid and invalid cases run by testDetector', () => {
  for (const d of DETECTORS) {
    const path = join(ROOT, 'test', 'detectors', `${d.id}.test.ts`);
    assert.ok(existsSync(path), `${path} exists`);
    const src = readFileSync(path, 'utf8');
    assert.ok(src.includes(`testDetector('${d.id}'`) || src.includes('testDetector(KIND') && src.includes(`KIND = '${d.id}'`), `${d.id}: cases run by testDetector`);
    assert.match(src, /\bvalid: \[/, `${d.id}: valid cases`);
    assert.match(src, /invalid: \[/, `${d.id}: invalid cases`);
  }
});

test('every doc belongs to a detector', () => {
  const docs = readdirSync(join(ROOT, 'docs', 'detectors')).filter((f) => f.endsWith('.md'));
  assert.deepEqual(docs.map((f) => f.replace(/\.md$/, '')).sort(), DETECTORS.map((d) => d.id).sort());
});

for (const d of DETECTORS) {
  test(`${d.id}: doc, sections, message ids, example matches a template`, () => {
    const path = join(ROOT, 'docs', 'detectors', `${d.id}.md`);
    assert.ok(existsSync(path), `${path} exists`);
    const doc = readFileSync(path, 'utf8');
    assert.ok(doc.startsWith(`# ${d.id}\n`), 'title is the id');
    assert.match(doc, /^## What it means$/m);
    assert.match(doc, /^## Example$/m);
    assert.match(doc, /^## When it is wrong$/m);
    assert.ok(doc.includes(`**Severity:** ${d.meta.severity}`) || doc.includes(`**Severity:** `), 'severity stated');
    for (const id of Object.keys(d.meta.messages)) assert.ok(doc.includes(`\`${id}\``), `message id ${id} named in the doc`);
    const example = doc.slice(doc.indexOf('## Example'), doc.indexOf('## When it is wrong'));
    const blocks = [...example.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length > 0, 'an example block');
    const templates = Object.values(d.meta.messages).map((t) =>
      new RegExp('^' + t.split(/\{\{\s*\w+\s*\}\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
    for (const b of blocks) {
      const lines = b.split('\n').filter((l) => l.trim() !== '');
      assert.match(lines[0]!, new RegExp(`^(ERROR|WARNING|INFO)\\s+${d.id}\\s`), 'first line: severity and kind');
      // The text report wraps a message over several lines at spaces: the example's lines after the first are the message.
      const message = lines.slice(1).map((l) => l.trim()).join(' ');
      assert.ok(templates.some((re) => re.test(message)), `example message matches a template: ${message}`);
    }
  });
}
