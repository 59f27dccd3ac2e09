/**
 * JUnit XML for CI servers (`fusetrace check --junit FILE`): one <testsuite>
 * per capture, one <testcase> per check (findings, errors, latency), a
 * <failure> listing the regressions, <skipped> when a check could not run.
 * The shape is the common one (Jenkins, GitLab, GitHub test reporters):
 * testsuites > testsuite[name tests failures skipped] > testcase[classname
 * name] > failure[message type] | skipped | system-out.
 *
 * Jenkins splits a classname at its last dot into package and class, so a
 * capture name goes into the classname with its dots as underscores:
 * `fusetrace.run1_pcapng` shows as class `run1_pcapng` in package
 * `fusetrace`, not as class `pcapng`. The suite keeps the real name.
 */
import { CHECKS, type CheckReport } from './baseline.js';

/** Escapes text for XML content and attribute values; drops characters XML 1.0 forbids. */
function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The classname of a capture's test cases: `fusetrace.` + its name, dots as underscores. */
function junitClassname(captureName: string): string {
  return `fusetrace.${captureName.replace(/\./g, '_')}`;
}

export function renderJunit(r: CheckReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  const suites: string[] = [];
  for (const c of r.captures) {
    const cases: string[] = [];
    let sf = 0;
    let ss = 0;
    for (const name of CHECKS) {
      const ch = c.checks[name];
      const classname = junitClassname(c.name);
      const head = `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(name)}" time="0"`;
      const regressions = ch.items.filter((i) => i.kind === 'regression');
      const others = ch.items.filter((i) => i.kind !== 'regression');
      const sysout = others.length ? `\n      <system-out>${xmlEscape(others.map((i) => `${i.kind === 'improvement' ? 'better' : 'note'}: ${i.message}`).join('\n'))}</system-out>` : '';
      if (ch.status === 'fail') {
        sf++;
        const msg = `${regressions.length} regression${regressions.length === 1 ? '' : 's'}: ${regressions[0]!.message}`;
        cases.push(`${head}>\n      <failure message="${xmlEscape(msg)}" type="regression">${xmlEscape(regressions.map((i) => i.message).join('\n'))}</failure>${sysout}\n    </testcase>`);
      } else if (ch.status === 'skipped') {
        ss++;
        cases.push(`${head}>\n      <skipped message="${xmlEscape(ch.reason ?? 'not applicable')}"/>${sysout}\n    </testcase>`);
      } else {
        cases.push(sysout ? `${head}>${sysout}\n    </testcase>` : `${head}/>`);
      }
    }
    tests += CHECKS.length;
    failures += sf;
    skipped += ss;
    suites.push(`  <testsuite name="${xmlEscape(c.name)}" tests="${CHECKS.length}" failures="${sf}" errors="0" skipped="${ss}" time="0">\n${cases.join('\n')}\n  </testsuite>`);
  }
  out.push(`<testsuites name="fusetrace check" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="0">`);
  out.push(...suites);
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
