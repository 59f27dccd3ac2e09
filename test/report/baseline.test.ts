import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  DEFAULT_THRESHOLDS, baselineCapture, baselineDoc, checkClean, checkReport, compareCapture, parseBaseline, parseDurationUs,
  parseTolerance, renderBaseline, renderCheckText,
} from '../../src/report/baseline.js';
import { palette } from '../../src/report/format.js';
import { renderJunit } from '../../src/report/junit.js';
import { finding, model, op } from '../helpers/model-builder.js';

const th = { ...DEFAULT_THRESHOLDS, minSamples: 1 };

describe('baseline', () => {
  it('is stable, sorted and one record per line', () => {
    const m = model({ ops: [op(0, 'WRITE', 16), op(0, 'LOOKUP', 1, { errnos: [{ errno: 2, name: 'ENOENT', count: 2 }, { errno: 13, name: 'EACCES', count: 1 }], errors: 3 })] });
    const text = renderBaseline(baselineDoc('0.1.0', [baselineCapture(['/x/b.pcapng'], m), baselineCapture(['/y/a.pcapng'], m)], ['short-write', 'orphan-reply']));
    const doc = parseBaseline(text, 'b.json');
    assert.equal(Object.keys(doc)[0], 'schema');
    assert.deepEqual(doc.captures.map((c) => c.name), ['a.pcapng', 'b.pcapng']);
    assert.deepEqual(doc.captures[0]!.ops.map((o) => o.op), ['LOOKUP', 'WRITE']);
    assert.deepEqual(Object.keys(doc.captures[0]!.ops[0]!.errnos), ['EACCES', 'ENOENT']);
    assert.ok(text.split('\n').some((l) => l.trim().startsWith('{"conn":0,"op":"LOOKUP"')));
    assert.equal(renderBaseline(doc), text, 'round trip is byte-identical');
  });

  it('rejects other documents with a usage error', () => {
    assert.throws(() => parseBaseline('{"schema":"fusetrace.analysis/1"}', 'x.json'), /expected "fusetrace.baseline\/1"/);
    assert.throws(() => parseBaseline('nope', 'x.json'), /not JSON/);
  });

  it('passes against itself', () => {
    const c = baselineCapture(['a.pcapng'], model());
    const r = compareCapture(c, c, th);
    assert.equal(r.status, 'pass');
    assert.deepEqual(Object.values(r.checks).flatMap((x) => x.items), []);
  });

  it('fails on a new finding, names it, and reports a fixed one as good news', () => {
    const base = baselineCapture(['a.pcapng'], model({ findings: [finding('short-write', 'warning', { fingerprint: 'fp-old' })] }));
    const cur = baselineCapture(['a.pcapng'], model({ findings: [finding('parallel-write-beyond-size', 'error', { fingerprint: 'fp-new' })] }));
    const r = compareCapture(cur, base, th);
    assert.equal(r.status, 'fail');
    assert.equal(r.checks.findings.items.find((i) => i.kind === 'regression')?.finding?.kind, 'parallel-write-beyond-size');
    assert.match(r.checks.findings.items.find((i) => i.kind === 'improvement')!.message, /fixed: warning finding short-write/);
    const text = renderCheckText(checkReport([r], 'b.json', th, []), palette(false));
    assert.match(text, /^fusetrace check: FAIL: 1 regression, 1 improvement/);
    assert.match(text, /worse  new error finding parallel-write-beyond-size on \/big\.img/);
  });

  it('new findings below --fail-on are notes', () => {
    const base = baselineCapture(['a.pcapng'], model({ findings: [] }));
    const cur = baselineCapture(['a.pcapng'], model({ findings: [finding('interrupted', 'info')] }));
    assert.equal(compareCapture(cur, base, th).status, 'pass');
  });

  it('fails on latency only beyond tolerance and floor, and on error counts', () => {
    const at = (p99: number, errors = 0) => baselineCapture(['a.pcapng'], model({
      findings: [], ops: [op(0, 'WRITE', 16, { errors, errnos: errors ? [{ errno: 5, name: 'EIO', count: errors }] : [], latencyUs: { p50: 20, p90: 40, p99, max: p99, mean: 30 } })],
    }));
    assert.equal(compareCapture(at(150), at(80), th).status, 'pass', '+70 µs is under the 100 µs floor');
    assert.equal(compareCapture(at(95), at(80), { ...th, latencyFloorUs: 0 }).status, 'pass', '+19% is within 25%');
    const slow = compareCapture(at(800), at(80), th);
    assert.equal(slow.checks.latency.status, 'fail');
    assert.match(slow.checks.latency.items[0]!.message, /conn 0 WRITE \(16\) p99 latency 800 µs \(baseline 80 µs, \+900%\)/);
    const fast = compareCapture(at(80), at(800), th);
    assert.equal(fast.status, 'pass');
    assert.equal(fast.checks.latency.items[0]!.kind, 'improvement');
    const err = compareCapture(at(80, 3), at(80, 0), th);
    assert.equal(err.checks.errors.status, 'fail');
    assert.match(err.checks.errors.items[0]!.message, /3 errors \(baseline 0\): EIO \+3/);
    assert.equal(compareCapture(at(80, 3), at(80, 0), { ...th, errorFloor: 3 }).status, 'pass');
  });

  it('a finding seen more or less often than in the baseline is a note; errors of an opcode the baseline lacks, or fewer errors, are judged too', () => {
    const twice = [finding('short-write', 'warning', { fingerprint: 'fp' }), finding('short-write', 'warning', { fingerprint: 'fp', t: 2_000_000 })];
    const base = baselineCapture(['a.pcapng'], model({ findings: [finding('short-write', 'warning', { fingerprint: 'fp' })], ops: [op(0, 'WRITE', 16, { errors: 9, errnos: [{ errno: 5, name: 'EIO', count: 9 }] })] }));
    const cur = baselineCapture(['a.pcapng'], model({
      findings: twice,
      ops: [op(0, 'WRITE', 16), op(0, 'LOOKUP', 1, { errors: 5, errnos: [{ errno: 2, name: 'ENOENT', count: 5 }] })],
    }));
    const r = compareCapture(cur, base, th);
    assert.deepEqual(r.checks.findings.items.map((i) => [i.kind, i.message, i.baseline, i.current]), [['note', 'short-write on /big.img occurs 2× (baseline 1×)', 1, 2]]);
    assert.equal(r.checks.findings.status, 'pass');
    assert.deepEqual(r.checks.errors.items.map((i) => [i.kind, i.message]), [
      ['regression', 'conn 0 LOOKUP (1): 5 errors, and the baseline has no LOOKUP at all'],
      ['improvement', 'conn 0 WRITE (16): 0 errors (baseline 9)'],
    ]);
    assert.equal(r.checks.errors.status, 'fail');
    // Under the error floor, an opcode the baseline lacks is no regression.
    assert.equal(compareCapture(cur, base, { ...th, errorFloor: 5 }).checks.errors.items.some((i) => i.kind === 'regression'), false);
  });

  it('compares a capture missing from the baseline with an empty one', () => {
    const cur = baselineCapture(['new.pcapng'], model());
    const r = compareCapture(cur, undefined, th);
    assert.equal(r.newCapture, true);
    assert.equal(r.checks.latency.status, 'skipped');
    assert.equal(r.status, 'fail');
  });

  it('--expect-clean fails on findings at or above --fail-on', () => {
    const cur = baselineCapture(['a.pcapng'], model());
    assert.equal(checkClean(cur, { ...th, failOn: 'error' }).status, 'fail');
    const warnOnly = baselineCapture(['a.pcapng'], model({ findings: [finding('short-write', 'warning')] }));
    assert.equal(checkClean(warnOnly, { ...th, failOn: 'error' }).status, 'pass');
  });

  it('parses tolerances and durations', () => {
    assert.equal(parseTolerance('25%'), 0.25);
    assert.equal(parseTolerance('0.1'), 0.1);
    assert.equal(parseDurationUs('2ms', '--x'), 2000);
    assert.equal(parseDurationUs('100us', '--x'), 100);
    assert.throws(() => parseTolerance('lots'), /expected a percentage/);
  });
});

describe('junit', () => {
  it('is XML with testsuites > testsuite > testcase > failure|skipped', () => {
    const base = baselineCapture(['a.pcapng'], model({ findings: [] }));
    const bad = baselineCapture(['a.pcapng'], model({ findings: [finding('parallel-write-beyond-size', 'error', { message: 'writes <at> 3 & 4 "GiB"' })] }));
    const ok = baselineCapture(['b.pcapng'], model({ findings: [] }));
    const report = checkReport([compareCapture(bad, base, th), compareCapture(ok, undefined, th)], 'b.json', th, []);
    const xml = renderJunit(report);
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(xml);
    const suites = doc.testsuites.testsuite;
    assert.equal(doc.testsuites.tests, '6');
    assert.equal(doc.testsuites.failures, '1');
    assert.deepEqual(suites.map((s: { name: string }) => s.name), ['a.pcapng', 'b.pcapng']);
    const cases = suites[0].testcase;
    assert.deepEqual(cases.map((c: { name: string }) => c.name), ['findings', 'errors', 'latency']);
    assert.match(cases[0].failure.message, /new error finding parallel-write-beyond-size on \/big.img: writes <at> 3 & 4 "GiB"/);
    assert.equal(cases[0].failure.type, 'regression');
    assert.ok(suites[1].testcase[2].skipped !== undefined, 'latency skipped for a capture without baseline');
  });

  it('gives class names that survive the split at the last dot (Jenkins): package fusetrace, class the capture', () => {
    const names = [['run1.pcapng'], ['a.b.c.fusedump'], ['A.pcapng', 'B.pcapng'], ['noext']];
    const report = checkReport(names.map((files) => checkClean(baselineCapture(files, model({ findings: [] })), th)), null, th, []);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(renderJunit(report));
    const suites = doc.testsuites.testsuite as { name: string; testcase: { classname: string; name: string }[] }[];
    assert.deepEqual(suites.map((s) => s.name), ['run1.pcapng', 'a.b.c.fusedump', 'A.pcapng + B.pcapng', 'noext']);
    const classes = new Set<string>();
    for (const s of suites) {
      for (const t of s.testcase) {
        const dot = t.classname.lastIndexOf('.');
        assert.equal(t.classname.slice(0, dot), 'fusetrace', t.classname);
        const cls = t.classname.slice(dot + 1);
        assert.equal(cls, s.name.replace(/\./g, '_'), 'the class is the whole capture name');
        classes.add(cls);
      }
    }
    assert.equal(classes.size, names.length, 'one class per capture');
  });
});
