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
//   node scripts/golden.mjs --spawn ...      one process per command
//
// Needs a build (dist/). Runs two commands at a time: by default in two
// worker processes (this script with --worker) that load the CLI once and
// call its main() per command, as bin/fusetrace does, with process.argv set
// as it would be. Starting node and loading the CLI again costs more than
// most of the ~1000 commands themselves (small captures), and a command must
// print the same whatever ran before it in the process, which this checks
// too. --spawn starts a process per command instead, as a user runs it.
import { fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TABLES } from '../dist/src/report/csv.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = join(root, 'test/golden/outputs.json');
const bin = join(root, 'bin/fusetrace');
const ENV = { TZ: 'UTC', LC_ALL: 'C', NO_COLOR: '1', COLUMNS: '100' };

const args = process.argv.slice(2);
const mode = args.includes('--write') ? 'write' : 'check';
const saveAt = args.indexOf('--save');
const saveDir = saveAt >= 0 ? args[saveAt + 1] : undefined;
const spawnEach = args.includes('--spawn');

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
    for (const cmd of [['analyze'], ['analyze', '--json'], ['dump'], ['dump', '-v'], ['dump', '--json'], ['dump', '--exchanges'],
      ['dump', '--exchanges', '--json'], ['export', '--table', 'requests'],
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
      env: { ...process.env, ...ENV },
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

/**
 * A worker process: its standard output and error are files, and a
 * command's output is what they grew by while it ran. A worker that dies
 * fails its command (exit code 'died') and is replaced for the next.
 */
class Worker {
  constructor(dir, n) {
    this.out = join(dir, `out-${n}`);
    this.err = join(dir, `err-${n}`);
    this.start();
  }

  start() {
    const out = openSync(this.out, 'a');
    const err = openSync(this.err, 'a');
    this.child = fork(fileURLToPath(import.meta.url), ['--worker'], { cwd: root, env: { ...process.env, ...ENV }, stdio: ['ignore', out, err, 'ipc'] });
    closeSync(out);
    closeSync(err);
  }

  run(argv) {
    return new Promise((resolve) => {
      const done = (value) => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (m) => done(this.collect(argv, m.code, m.out, m.err));
      const onExit = (code, signal) => {
        this.start();
        done({ key: keyOf(argv), value: `died ${signal ?? code}`, stderr: 'the worker process died running this command' });
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send(argv);
    });
  }

  collect(argv, code, [outFrom, outTo], [errFrom, errTo]) {
    const hash = createHash('sha256');
    const file = saveDir ? createWriteStream(join(saveDir, keyOf(argv).replace(/[^A-Za-z0-9.-]+/g, '_'))) : undefined;
    const fd = openSync(this.out, 'r');
    const buf = Buffer.alloc(1 << 20);
    for (let at = outFrom; at < outTo;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, outTo - at), at);
      hash.update(buf.subarray(0, n));
      file?.write(Buffer.from(buf.subarray(0, n)));
      at += n;
    }
    closeSync(fd);
    file?.end();
    const efd = openSync(this.err, 'r');
    const ebuf = Buffer.alloc(Math.min(2000, errTo - errFrom));
    readSync(efd, ebuf, 0, ebuf.length, errFrom);
    closeSync(efd);
    return { key: keyOf(argv), value: `${code} ${outTo - outFrom} ${hash.digest('hex')}`, stderr: ebuf.toString() };
  }

  stop() {
    this.child.removeAllListeners('exit');
    this.child.disconnect();
  }
}

/** The worker's side: run each command it is sent with the CLI's main(), as bin/fusetrace would. */
async function serve() {
  const { main: cli } = await import('../dist/src/cli/main.js');
  const cwdBin = join(process.cwd(), 'bin/fusetrace');
  process.on('message', async (argv) => {
    const out = fstatSync(1).size;
    const err = fstatSync(2).size;
    process.argv = [process.execPath, cwdBin, ...argv];
    process.exitCode = undefined;
    const code = await cli(process.argv);
    process.exitCode = undefined;
    process.send({ code, out: [out, fstatSync(1).size], err: [err, fstatSync(2).size] });
  });
}

async function main() {
  if (saveDir) mkdirSync(saveDir, { recursive: true });
  const list = jobs();
  const results = new Map();
  let next = 0;
  const dir = spawnEach ? undefined : mkdtempSync(join(tmpdir(), 'fusetrace-golden-'));
  const workers = [];
  async function worker(n) {
    // Standard input cannot be handed to a worker per command: those run as their own process.
    const w = dir ? new Worker(dir, n) : undefined;
    if (w) workers.push(w);
    while (next < list.length) {
      const argv = list[next++];
      const r = w && !argv.some((a) => a.startsWith('<')) ? await w.run(argv) : await run(argv);
      results.set(r.key, r);
    }
  }
  try {
    await Promise.all([worker(0), worker(1)]);
  } finally {
    for (const w of workers) w.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
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
      'If the change is meant: node scripts/golden.mjs --write. To see why: --save DIR here and on the parent commit, then diff -r.' +
      (spawnEach ? '' : ' If --spawn (one process per command) matches, a command prints differently after others in the same process: state kept between runs.'));
    process.exit(1);
  }
  console.log(`golden: all ${Object.keys(now).length} outputs match`);
}

if (args.includes('--worker')) serve();
else main();
