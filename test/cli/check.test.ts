/**
 * `fusetrace baseline` / `fusetrace check` end to end, through the CLI as a
 * child process: a baseline of the same captures holds; one made from
 * parallel-inside fails on stale-size-race A+B naming the new findings; a
 * copy of a capture with stretched timestamps (a slower daemon) fails on
 * latency; JUnit XML parses with a real XML parser into the common shape.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ROOT, runCli } from '../helpers/cli.js';
import { stretchCapture } from '../helpers/stretch-pcapng.js';

const LAB = join(ROOT, 'fixtures/lab');
const lab = existsSync(LAB) ? readdirSync(LAB).filter((f) => f.endsWith('.pcapng')).map((f) => join(LAB, f)) : [];
const inside = join(ROOT, 'fixtures/parallel-inside.pcapng');
const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-check-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface JUnitCase { name: string; classname: string; failure?: { message: string; type: string; '#text'?: string }; skipped?: unknown }
interface JUnitSuite { name: string; tests: string; failures: string; skipped: string; testcase: JUnitCase[] }

function parseJunit(file: string): { testsuites: { tests: string; failures: string; testsuite: JUnitSuite[] } } {
  const xml = readFileSync(file, 'utf8');
  assert.equal(XMLValidator.validate(xml), true, 'well-formed XML');
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(xml);
}

describe('baseline and check', { skip: lab.length === 0 ? 'fixtures/lab has no pcapng captures' : false }, () => {
  const base = join(tmp, 'baseline.json');

  it('writes a stable baseline and passes against the same captures', () => {
    const r = runCli(['baseline', ...lab, '-o', base]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const doc = JSON.parse(readFileSync(base, 'utf8'));
    assert.equal(Object.keys(doc)[0], 'schema');
    assert.equal(doc.schema, 'fusetrace.baseline/1');
    assert.equal(doc.captures.length, lab.length);
    assert.equal(runCli(['baseline', ...lab]).stdout, readFileSync(base, 'utf8'), 'same captures, same bytes');

    const junit = join(tmp, 'same.xml');
    const c = runCli(['check', ...lab, '--baseline', base, '--junit', junit]);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /^fusetrace check: PASS/);
    const j = parseJunit(junit);
    assert.equal(j.testsuites.failures, '0');
    assert.equal(j.testsuites.testsuite.length, lab.length);
    for (const s of j.testsuites.testsuite) {
      assert.deepEqual(s.testcase.map((t) => t.name), ['findings', 'errors', 'latency']);
      assert.ok(s.testcase.every((t) => t.failure === undefined));
    }
    const js = runCli(['check', ...lab, '--baseline', base, '--json']);
    const report = JSON.parse(js.stdout);
    assert.equal(report.schema, 'fusetrace.check/1');
    assert.equal(report.verdict, 'pass');
    assert.equal(report.regressions, 0);
  });

  it('fails on latency for a slowed-down copy of a capture, and reports the faster original as good news', () => {
    const slowDir = join(tmp, 'slow');
    mkdirSync(slowDir, { recursive: true });
    const src = lab.find((f) => f.endsWith('smoke.pcapng')) ?? lab[0]!;
    const name = src.slice(src.lastIndexOf('/') + 1);
    const slow = join(slowDir, name);
    stretchCapture(src, slow, 10);
    const junit = join(tmp, 'slow.xml');
    const r = runCli(['check', slow, '--baseline', base, '--junit', junit]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^fusetrace check: FAIL/);
    assert.match(r.stdout, /worse +conn 0 \w+ \(\d+\) p\d\d latency .* \(baseline .*, \+\d+%\)/);
    assert.doesNotMatch(r.stdout, /new \w+ finding/, 'same exchanges, same findings');
    const j = parseJunit(junit);
    const suite = j.testsuites.testsuite[0]!;
    assert.equal(suite.name, name);
    const latency = suite.testcase.find((t) => t.name === 'latency')!;
    assert.equal(latency.failure?.type, 'regression');
    assert.match(latency.failure.message, /regression/);
    assert.equal(suite.testcase.find((t) => t.name === 'findings')!.failure, undefined);

    // The other way round: a baseline of the slow copy, checked with the original.
    const slowBase = join(tmp, 'slow-baseline.json');
    assert.equal(runCli(['baseline', slow, '-o', slowBase]).code, 0);
    const back = runCli(['check', src, '--baseline', slowBase]);
    assert.equal(back.code, 0, back.stdout);
    assert.match(back.stdout, /PASS, \d+ improvements?/);
    assert.match(back.stdout, /better +conn 0/);
  });

  it('exits 2 on an unreadable capture or baseline, and on usage errors', () => {
    const noBase = runCli(['check', ...lab, '--baseline', join(tmp, 'missing.json')]);
    assert.equal(noBase.code, 2);
    assert.match(noBase.stderr, /cannot read baseline .*missing\.json: no such file or directory \(ENOENT\)\n {2}hint: make one with/);
    const missing = runCli(['check', join(tmp, 'missing.pcapng'), '--baseline', base]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /fusetrace: error: .*missing\.pcapng/);
    assert.equal(runCli(['check', ...lab]).code, 2, 'neither --baseline nor --expect-clean');
    assert.equal(runCli(['check', ...lab, '--baseline', base, '--tolerance', 'lots']).code, 2);
  });
});

const haveRace = existsSync(A) && existsSync(B) && existsSync(inside);
describe('check on the stale-size race', { skip: haveRace ? false : 'fixtures parallel-inside / stale-size-race-A/B.pcapng missing' }, () => {
  it('fails against a baseline made from parallel-inside, naming the new findings', () => {
    const base = join(tmp, 'inside.json');
    assert.equal(runCli(['baseline', inside, '-o', base]).code, 0);
    const junit = join(tmp, 'race.xml');
    const r = runCli(['check', `${A}+${B}`, '--baseline', base, '--junit', junit]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /stale-size-race-A\.pcapng \+ stale-size-race-B\.pcapng: FAIL/);
    assert.match(r.stdout, /new error finding parallel-write-beyond-size on \/file/);
    assert.match(r.stdout, /parallel-inside\.pcapng: in the baseline but not given/);
    const js = JSON.parse(runCli(['check', A, B, '--together', '--baseline', base, '--json']).stdout);
    const kinds = js.captures[0].checks.findings.items.filter((i: { kind: string }) => i.kind === 'regression').map((i: { finding: { kind: string } }) => i.finding.kind).sort();
    assert.deepEqual(kinds, ['parallel-write-beyond-size']);
    const j = parseJunit(junit);
    const f = j.testsuites.testsuite[0]!.testcase.find((t) => t.name === 'findings')!;
    assert.match(f.failure!.message, /1 regression: new error finding parallel-write-beyond-size/);
  });

  it('matches findings by fingerprint: a time-stretched copy of the race has the same ones', () => {
    const base = join(tmp, 'race-fp.json');
    assert.equal(runCli(['baseline', `${A}+${B}`, '-o', base]).code, 0);
    const dir = join(tmp, 'stretched');
    mkdirSync(dir, { recursive: true });
    // One origin for both mounts (a whole second before either starts) keeps them aligned.
    const origin = 1_000_000_000n * (BigInt(JSON.parse(runCli(['analyze', '--json', A, B]).stdout).epochNs) / 1_000_000_000n - 1n);
    stretchCapture(A, join(dir, 'stale-size-race-A.pcapng'), 3, origin);
    stretchCapture(B, join(dir, 'stale-size-race-B.pcapng'), 3, origin);
    const r = runCli(['check', `${join(dir, 'stale-size-race-A.pcapng')}+${join(dir, 'stale-size-race-B.pcapng')}`, '--baseline', base, '--json']);
    const report = JSON.parse(r.stdout);
    const items = report.captures[0].checks.findings.items;
    assert.deepEqual(items.filter((i: { kind: string }) => i.kind !== 'note'), [], 'no new and no fixed finding');
    assert.equal(r.code, 0, r.stdout);
  });

  it('a finding of a kind the baseline did not look for is a note (a newer fusetrace), not a regression; a kind not looked for now is not "fixed"', () => {
    // s3backer: six short-write and two truncate-size-mismatch warnings.
    const s3 = join(ROOT, 'fixtures/thirdparty-s3backer.pcapng');
    const base = join(tmp, 's3.json');
    assert.equal(runCli(['baseline', s3, '-o', base]).code, 0);
    const doc = JSON.parse(readFileSync(base, 'utf8'));
    assert.ok(doc.detectors.includes('truncate-size-mismatch') && doc.detectors.includes('short-write'));
    assert.deepEqual(doc.detectors, [...doc.detectors].sort(), 'sorted');
    // The baseline an older fusetrace, without truncate-size-mismatch, would have made.
    const older = { ...doc, detectors: doc.detectors.filter((k: string) => k !== 'truncate-size-mismatch') };
    older.captures[0].findings = older.captures[0].findings.filter((f: { kind: string }) => f.kind !== 'truncate-size-mismatch');
    const olderFile = join(tmp, 's3-older.json');
    writeFileSync(olderFile, JSON.stringify(older));
    const r = runCli(['check', s3, '--baseline', olderFile]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /warning finding truncate-size-mismatch on \/file, a kind the baseline did not look for \(make the baseline again to compare it\)/);
    // Without the list (a baseline of a version before it) nothing says what it looked for: new is new.
    const unlisted = join(tmp, 's3-unlisted.json');
    writeFileSync(unlisted, JSON.stringify({ ...older, detectors: undefined }));
    const u = runCli(['check', s3, '--baseline', unlisted]);
    assert.equal(u.code, 1, u.stdout);
    assert.match(u.stdout, /new warning finding truncate-size-mismatch/);
    // Checked with one detector: the other kind's baseline findings are not "fixed".
    const one = runCli(['check', s3, '--baseline', base, '--detectors', 'short-write', '--json']);
    assert.equal(one.code, 0, one.stdout);
    const items = JSON.parse(one.stdout).captures[0].checks.findings.items as { kind: string }[];
    assert.deepEqual(items.filter((i) => i.kind === 'improvement'), []);
    const bad = join(tmp, 's3-bad.json');
    writeFileSync(bad, JSON.stringify({ ...doc, detectors: 'short-write' }));
    assert.match(runCli(['check', s3, '--baseline', bad]).stderr, /"detectors" is not a list of finding kinds/);
  });

  it('passes against a baseline of the same race, and --expect-clean fails on it', () => {
    const base = join(tmp, 'race.json');
    assert.equal(runCli(['baseline', `${A}+${B}`, '-o', base]).code, 0);
    const same = runCli(['check', `${A}+${B}`, '--baseline', base]);
    assert.equal(same.code, 0, same.stdout);
    const clean = runCli(['check', '--expect-clean', '--fail-on', 'error', `${A}+${B}`]);
    assert.equal(clean.code, 1);
    assert.match(clean.stdout, /error finding parallel-write-beyond-size/);
    const inside2 = join(tmp, 'x', 'parallel-inside.pcapng');
    mkdirSync(join(tmp, 'x'), { recursive: true });
    copyFileSync(inside, inside2);
    assert.equal(runCli(['check', '--expect-clean', inside2]).code, 0);
  });
});
