/**
 * `fusetrace analyze` through the CLI as a child process: the human report's
 * sections, `--json` as one clean document on stdout, `--fail-on` exit
 * codes, exit 2 with the partial report on a damaged capture, no colour
 * when stdout is not a terminal.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';

const smoke = join(ROOT, 'fixtures/lab/smoke.pcapng');
const A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-analyze-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('analyze CLI', { skip: existsSync(smoke) ? false : 'fixtures/lab/smoke.pcapng missing' }, () => {
  it('prints the human report without colour when stdout is a pipe', () => {
    const r = runCli(['analyze', smoke], { env: { NO_COLOR: '' } });
    assert.equal(r.code, 0, r.stderr);
    for (const title of ['Captures', 'Connections', 'Time span', 'Counts', 'Requests by opcode', 'Busiest files', 'What this capture cannot show']) {
      assert.ok(r.stdout.includes(`\n${title}\n`), title);
    }
    assert.match(r.stdout, /\nFindings \(\d+ errors?, \d+ warnings?, \d+ info\)\n/);
    assert.match(r.stdout, /LOOKUP \(1\) +130 +129 .* ENOENT \(2\) ×129/);
    assert.match(r.stdout, /protocol 7\.31 \(kernel 7\.45, daemon 7\.31\), from INIT/);
    assert.doesNotMatch(r.stdout, /\x1b\[/);
  });

  const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it('colours the report on a terminal, unless --no-color or NO_COLOR', { skip: haveScript ? false : 'script(1) (util-linux) is not installed' }, () => {
    const onTty = (args: string, env: NodeJS.ProcessEnv = {}): string => {
      const envNoColor = { ...process.env, ...env };
      if (!('NO_COLOR' in env)) delete envNoColor.NO_COLOR;
      const r = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${ROOT}bin/fusetrace analyze ${args}`, '/dev/null'], { encoding: 'utf8', env: envNoColor });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.match(onTty(smoke), /\x1b\[1m/);
    assert.doesNotMatch(onTty(`--no-color ${smoke}`), /\x1b\[/);
    assert.doesNotMatch(onTty(smoke, { NO_COLOR: '1' }), /\x1b\[/);
  });

  it('--json is one document on stdout whose first key is the schema, every key documented', () => {
    const r = runCli(['analyze', '--json', smoke]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.startsWith('{\n  "schema": "fusetrace.analysis/1",'));
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    const spec = readFileSync(join(ROOT, 'docs/analysis-json.md'), 'utf8');
    for (const k of Object.keys(doc)) assert.ok(spec.includes(`| \`${k}\` |`), `docs/analysis-json.md documents ${k}`);
  });

  it('--fail-on exits 1 only when a finding at or above the severity exists', { skip: existsSync(A) && existsSync(B) ? false : 'stale-size-race fixtures missing' }, () => {
    const r = runCli(['analyze', '--fail-on', 'error', A, B]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ERROR +parallel-write-beyond-size/);
    assert.match(r.stderr, /finding\(s\) at or above error/);
    assert.equal(runCli(['analyze', A, B]).code, 0, 'no --fail-on: 0');
    assert.equal(runCli(['analyze', '--fail-on', 'error', '--min-severity', 'error', '--conn', '1', A, B]).code, 0, 'conn 1 has no finding');
    assert.equal(runCli(['analyze', '--fail-on', 'bogus', A]).code, 2);
  });

  it('exits 2 on a damaged capture after printing what was read before the damage', () => {
    const data = Buffer.from(readFileSync(smoke));
    let off = 0;
    for (let n = 0; n < 2000; n++) off += data.readUInt32LE(off + 4);
    data.writeUInt32LE(0x7ffffff0, off + 4);
    const bad = join(tmp, 'damaged.pcapng');
    writeFileSync(bad, data);
    const r = runCli(['analyze', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^fusetrace .* 1 capture · 1 connection/);
    assert.match(r.stdout, /\d+ messages, conn 0/);
    assert.match(r.stderr, /^fusetrace: error: .*damaged\.pcapng: block #2000 at byte \d+ \(0x[0-9a-f]+\)/);
    assert.match(r.stderr, /hint: .*--resync/);
    const j = runCli(['analyze', '--json', bad]);
    assert.equal(j.code, 2);
    assert.ok(JSON.parse(j.stdout).summary.messages > 0, 'partial --json is still a whole document');
    assert.equal(runCli(['analyze', '--resync', bad]).code, 0);
    const missing = runCli(['analyze', join(tmp, 'nope.pcapng')]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, '', 'nothing read, nothing printed');
  });
});
