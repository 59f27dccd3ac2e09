/**
 * Runs a detector's valid and invalid cases, in the typescript-eslint
 * RuleTester style: each case builds a capture; a valid case must give no
 * finding of the detector, an invalid case exactly the findings it lists, in
 * time order, each matched on message id, severity and the fields it names
 * (details are compared key by key: only the keys a case lists). A case may
 * also check the whole analysis (`check`), e.g. that nothing else was found.
 * `capture` may name the uniques it made in `u`; expectations that need them
 * are then written as a function of `u`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, type AnalyzeOptions, type AnalyzeResult } from '../../src/analysis/analyze.js';
import type { Finding, Severity } from '../../src/model/finding.js';
import { findingsOf, type Cap } from '../analysis/capture-builder.js';

/** Uniques a capture names for its expectations. */
export type Uniques = Record<string, number>;

export interface DetectorCase {
  name: string;
  /** The capture; with `perConnection` each connection becomes one input file (two mounts recorded apart). */
  capture: (u: Uniques) => Cap;
  perConnection?: boolean;
  options?: Partial<AnalyzeOptions>;
  /** More assertions on the whole analysis. */
  check?: (r: AnalyzeResult, found: Finding[], u: Uniques) => void;
  skip?: string | false;
}

/** What one expected finding must have; every field is optional but `messageId`. */
export interface ExpectedFinding {
  messageId: string;
  severity?: Severity;
  conn?: number;
  path?: string | null;
  uniques?: (number | string)[];
  /** Details compared key by key (deep equality per listed key). */
  details?: Record<string, unknown>;
}

export interface InvalidCase extends DetectorCase {
  findings: ExpectedFinding[] | ((u: Uniques) => ExpectedFinding[]);
}

function run(kind: string, c: DetectorCase): { r: AnalyzeResult; found: Finding[]; u: Uniques } {
  const u: Uniques = {};
  const cap = c.capture(u);
  // Poisoned recycling: a detector that reads an exchange after it was given back (without ctx.keep) throws.
  const r = analyze({ files: c.perConnection ? cap.files() : [cap.file()], poisonRecycled: true, ...c.options });
  assert.equal(r.fatal, undefined, 'the capture reads without damage');
  return { r, found: findingsOf(r, kind).sort((a, b) => a.t - b.t || a.conn - b.conn), u };
}

function describe(f: Finding): string {
  return `${f.severity} ${f.messageId ?? '?'} conn ${f.conn} ${f.path ?? ''} uniques ${f.uniques.join(',')}: ${f.message}`;
}

/** Registers one node:test per case of detector `kind`. */
export function testDetector(kind: string, cases: { valid: DetectorCase[]; invalid: InvalidCase[] }): void {
  for (const c of cases.valid) {
    test(`${kind} valid: ${c.name}`, { skip: c.skip }, () => {
      const { r, found, u } = run(kind, c);
      assert.deepEqual(found.map(describe), [], 'no finding');
      c.check?.(r, found, u);
    });
  }
  for (const c of cases.invalid) {
    test(`${kind} invalid: ${c.name}`, { skip: c.skip }, () => {
      const { r, found, u } = run(kind, c);
      const expected = typeof c.findings === 'function' ? c.findings(u) : c.findings;
      assert.equal(found.length, expected.length, `${expected.length} finding(s), got:\n${found.map(describe).join('\n')}`);
      expected.forEach((e, i) => {
        const f = found[i]!;
        const at = `finding ${i}: ${describe(f)}`;
        assert.equal(f.messageId, e.messageId, at);
        if (e.severity !== undefined) assert.equal(f.severity, e.severity, at);
        if (e.conn !== undefined) assert.equal(f.conn, e.conn, at);
        if (e.path !== undefined) assert.equal(f.path, e.path, at);
        if (e.uniques !== undefined) assert.deepEqual(f.uniques, e.uniques, at);
        for (const [k, v] of Object.entries(e.details ?? {})) assert.deepEqual(f.details[k], v, `${at}: details.${k}`);
      });
      c.check?.(r, found, u);
    });
  }
}
