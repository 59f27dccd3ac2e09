// Golden outputs: the SHA-256 of what the CLI prints for every bundled
// capture (dump, analyze, export tables, report), kept in
// test/golden/outputs.json. A refactoring that must not change behaviour
// keeps every hash; a change that means to alter output rewrites the file
// with --write and shows the changed lines in its diff.
//
//   node scripts/golden.mjs --check          exit 1 and list what differs
//   node scripts/golden.mjs --write          record the current outputs
//   node scripts/golden.mjs --save DIR       also keep every output in DIR
//                                            (diff two such DIRs to see why)
//
// Needs a build (dist/). Runs two commands at a time.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TABLES } from '../dist/src/report/csv.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = join(root, 'test/golden/outputs.json');

const args = process.argv.slice(2);
const mode = args.includes('--write') ? 'write' : 'check';
const saveAt = args.indexOf('--save');
const saveDir = saveAt >= 0 ? args[saveAt + 1] : undefined;

function captures() {
  const out = [];
  for (const dir of ['fixtures', 'fixtures/lab']) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      if (/\.(pcapng|fusedump)$/.test(name)) out.push(`${dir}/${name}`);
    }
  }
  return out;
}

// Every output the refactorings could change, per capture.
const PER_CAPTURE = [
  ['dump'],
  ['dump', '-v'],
  ['dump', '--json'],
  ['dump', '--exchanges'],
  ['dump', '--exchanges', '--json'],
  ['analyze'],
  ['analyze', '--json'],
  ...TABLES.flatMap((t) => [
    ['export', '--table', t],
    ['export', '--table', t, '--format', 'jsonl'],
  ]),
  ['report', '-o', '-'],
];

function jobs() {
  const list = [];
  for (const cap of captures()) for (const cmd of PER_CAPTURE) list.push([...cmd, cap]);
  // Several mounts over one backing store: the cross-connection views.
  for (const [a, b] of [
    ['fixtures/stale-size-race-A.pcapng', 'fixtures/stale-size-race-B.pcapng'],
    ['fixtures/stale-size-race64-1-A.pcapng', 'fixtures/stale-size-race64-1-B.pcapng'],
  ]) {
    for (const cmd of [['analyze'], ['analyze', '--json'], ['dump', '--json'], ['export', '--table', 'requests'],
      ['export', '--table', 'files'], ['export', '--table', 'findings'], ['report', '-o', '-']]) list.push([...cmd, a, b]);
  }
  // The real many-file recording: the per-file views at scale.
  for (const cmd of [['analyze', '--json'], ['export', '--table', 'files'], ['export', '--table', 'ops']]) {
    list.push([...cmd, '-', '<fixtures/manyfiles.pcapng.gz']);
  }
  return list;
}

function keyOf(argv) {
  return argv.join(' ');
}

// An argument '<file.gz' is not passed on: the file is unzipped to stdin.
function run(argv) {
  return new Promise((resolve) => {
    const stdin = argv.find((a) => a.startsWith('<'));
    const child = spawn(process.execPath, ['bin/fusetrace', ...argv.filter((a) => a !== stdin)], {
      cwd: root,
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C', NO_COLOR: '1', COLUMNS: '100' },
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (stdin) createReadStream(join(root, stdin.slice(1))).pipe(createGunzip()).pipe(child.stdin);
    const hash = createHash('sha256');
    let bytes = 0;
    const file = saveDir ? createWriteStream(join(saveDir, keyOf(argv).replace(/[^A-Za-z0-9.-]+/g, '_'))) : undefined;
    child.stdout.on('data', (b) => { hash.update(b); bytes += b.length; file?.write(b); });
    let stderr = '';
    child.stderr.on('data', (b) => { if (stderr.length < 2000) stderr += b; });
    child.on('close', (code) => {
      file?.end();
      resolve({ key: keyOf(argv), value: `${code} ${bytes} ${hash.digest('hex')}`, stderr });
    });
  });
}

async function main() {
  if (saveDir) mkdirSync(saveDir, { recursive: true });
  const list = jobs();
  const results = new Map();
  let next = 0;
  async function worker() {
    while (next < list.length) {
      const r = await run(list[next++]);
      results.set(r.key, r);
    }
  }
  await Promise.all([worker(), worker()]);
  const now = Object.fromEntries([...results.keys()].sort().map((k) => [k, results.get(k).value]));
  if (mode === 'write') {
    mkdirSync(join(root, 'test/golden'), { recursive: true });
    writeFileSync(manifest, JSON.stringify(now, null, 1) + '\n');
    console.log(`golden: ${Object.keys(now).length} outputs written to test/golden/outputs.json`);
    return;
  }
  const was = JSON.parse(readFileSync(manifest, 'utf8'));
  const diffs = [];
  for (const k of new Set([...Object.keys(was), ...Object.keys(now)])) {
    if (was[k] !== now[k]) diffs.push(`  fusetrace ${k}\n    golden: ${was[k] ?? '(none)'}\n    now:    ${now[k] ?? '(none)'}${results.get(k)?.stderr ? `\n    stderr: ${results.get(k).stderr.trim().slice(0, 300)}` : ''}`);
  }
  if (diffs.length) {
    console.error(`golden: ${diffs.length} of ${Object.keys(now).length} outputs differ (exit code, bytes, sha256):\n${diffs.join('\n')}\n` +
      'If the change is meant: node scripts/golden.mjs --write. To see why: --save DIR here and on the parent commit, then diff -r.');
    process.exit(1);
  }
  console.log(`golden: all ${Object.keys(now).length} outputs match`);
}

main();
