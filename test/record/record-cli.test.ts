/**
 * `fusetrace record` as a command, without a mount: the probe program
 * (test/record/ftrec-probe.c) writes to an unmounted /dev/fuse fd, which is
 * enough for the recorder and the closing report.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCapture } from '../../src/capture/open.js';
import { parseSnaplen } from '../../src/record/record.js';
import { fusetraceBin, haveCommand, isbComments, makeTempDir, readPcapng, recorderLibPath, repoRoot, type TempDir } from '../helpers/mount.js';

let dir: TempDir | undefined;
let probe = '';
let skip: string | undefined;
const cliBuilt = existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'));
const standalone = join(repoRoot, 'dist', 'src', 'record', 'standalone.js');

before(() => {
  if (process.platform !== 'linux') skip = 'needs Linux';
  else if (!existsSync('/dev/fuse')) skip = '/dev/fuse is missing';
  else if (!existsSync(recorderLibPath)) skip = `${recorderLibPath} is not built (npm run build)`;
  else if (!haveCommand(process.env.CC ?? 'cc')) skip = 'no C compiler to build the probe';
  if (skip) return;
  dir = makeTempDir('record-cli');
  probe = join(dir.path, 'ftrec-probe');
  const r = spawnSync(process.env.CC ?? 'cc', ['-O2', '-pthread', '-o', probe, join(repoRoot, 'test', 'record', 'ftrec-probe.c')], { encoding: 'utf8' });
  if (r.status !== 0) skip = `building the probe failed: ${r.stderr}`;
});

after(() => dir?.remove());

function record(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [fusetraceBin, 'record', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 });
  return { status: r.status, stderr: r.stderr };
}

test('record runs the command under the library and reports path and count', (t) => {
  if (skip) return t.skip(skip);
  if (!cliBuilt) return t.skip('the CLI is not built');
  const out = join(dir!.path, 'a.pcapng');
  const r = record(['-o', out, '--label', 'probe', '--', probe, 'threads', '2', '100']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`fusetrace: capture: ${out}: 200 messages (0 in, 200 out) on 1 connection`), r.stderr);
  const cap = readPcapng(out);
  assert.equal(cap.interfaces[0]!.name, 'fuse:probe');
  assert.equal(cap.messages.length, 200);
});

test("record exits with the command's exit code (128 + signal when killed)", (t) => {
  if (skip) return t.skip(skip);
  if (!cliBuilt) return t.skip('the CLI is not built');
  const out = join(dir!.path, 'b.pcapng');
  const r = record(['-o', out, '--', probe, 'sigterm', '50']);
  assert.equal(r.status, 128 + 15, r.stderr);
  assert.equal(readPcapng(out).messages.length, 50);
  assert.equal(record(['-o', out, '--', probe, 'nosuchmode']).status, 2);
});

test('record: clear errors with exit code 2', (t) => {
  if (!cliBuilt) return t.skip('the CLI is not built');
  const out = join(dir?.path ?? '/tmp', 'c.pcapng');
  const noLib = record(['-o', out, '--', 'true'], { FUSETRACE_LIB: '/nonexistent/libftrec.so' });
  assert.equal(noLib.status, 2);
  assert.match(noLib.stderr, /capture library .* is not built/);
  assert.match(noLib.stderr, /hint: install a C compiler.*npm run build/);
  const pidNoStrace = record(['-o', out, '--pid', '1']);
  assert.equal(pidNoStrace.status, 2);
  assert.match(pidNoStrace.stderr, /--pid needs --bpf or --strace/);
  assert.equal(record(['-o', out]).status, 2, 'no command');
  const nothing = record(['-o', out, '--', 'true']);
  assert.equal(nothing.status, 1, 'a run that recorded nothing fails');
  assert.match(nothing.stderr, /no \/dev\/fuse traffic was recorded/);
  assert.equal(existsSync(out), false, 'no empty capture is left behind');
});

test('record checks -o and the command before starting anything (exit 2)', (t) => {
  if (!cliBuilt) return t.skip('the CLI is not built');
  const base = dir?.path ?? '/tmp';
  const marker = join(base, 'ran-anyway');
  const sh = ['sh', '-c', `touch ${marker}`];
  const missing = record(['-o', join(base, 'no-such-dir', 'x.pcapng'), '--', ...sh]);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /cannot write the capture .*no-such-dir\/x\.pcapng: the directory .*no-such-dir does not exist/);
  const notDir = join(base, 'plain-file');
  writeFileSync(notDir, '');
  const under = record(['-o', join(notDir, 'x.pcapng'), '--', ...sh]);
  assert.equal(under.status, 2, under.stderr);
  assert.match(under.stderr, /plain-file is not a directory/);
  assert.equal(existsSync(marker), false, 'the command was not started');
  for (const mode of [[], ['--strace']]) {
    if (mode.length && !haveCommand('strace')) continue;
    const r = record(['-o', join(base, 'n.pcapng'), ...mode, '--', '/nonexistent/daemon', '-f', '/mnt/x']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot run \/nonexistent\/daemon: no such file/);
    assert.doesNotMatch(r.stderr, /--strace|statically linked/);
    const byName = record(['-o', join(base, 'n.pcapng'), ...mode, '--', 'no-such-daemon-here']);
    assert.equal(byName.status, 2, byName.stderr);
    assert.match(byName.stderr, /no-such-daemon-here: command not found/);
  }
});

test('record -o refuses what is not a regular file and leaves it alone; a stale capture is replaced', (t) => {
  if (skip) return t.skip(skip);
  if (!cliBuilt) return t.skip('the CLI is not built');
  const sub = join(dir!.path, 'a-directory');
  mkdirSync(sub);
  const fifo = join(dir!.path, 'a-fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  for (const [target, what] of [[sub, 'a directory'], [fifo, 'a FIFO']] as const) {
    for (const mode of [[], ['--strace']]) {
      if (mode.length && !haveCommand('strace')) continue;
      const r = record(['-o', target, ...mode, '--', probe, 'sigterm', '5']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${target} is ${what}; the capture must go to a regular file`));
      assert.match(r.stderr, /hint: give -o a new or existing regular file/);
      assert.equal(lstatSync(target).isDirectory() || lstatSync(target).isFIFO(), true, `${target} is still there`);
    }
  }
  const stale = join(dir!.path, 'stale.pcapng');
  writeFileSync(stale, 'not a capture');
  const r = record(['-o', stale, '--', probe, 'sigterm', '5']);
  assert.equal(r.status, 128 + 15, r.stderr);
  assert.equal(readPcapng(stale).messages.length, 5);
});

test('the recorder also runs on its own (before the CLI is wired)', (t) => {
  if (skip) return t.skip(skip);
  if (!existsSync(standalone)) return t.skip('dist/src/record/standalone.js is not built');
  const out = join(dir!.path, 'd.pcapng');
  const r = spawnSync(process.execPath, [standalone, '-o', out, '--snaplen', '300', '--', probe, 'big', '1000'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const cap = readPcapng(out);
  assert.equal(cap.interfaces[0]!.snapLen, 300);
  assert.equal(cap.messages[0]!.data.length, 300);
});

test('parseSnaplen: default, 0, raise to 256, reject garbage', () => {
  assert.equal(parseSnaplen(undefined), 4096);
  assert.equal(parseSnaplen('0'), 0);
  assert.equal(parseSnaplen('1000'), 1000);
  assert.equal(parseSnaplen('10'), 256);
  assert.throws(() => parseSnaplen('-1'), /whole number/);
  assert.throws(() => parseSnaplen('abc'), /whole number/);
  assert.throws(() => parseSnaplen(''), /whole number/);
  assert.throws(() => parseSnaplen('1e3'), /whole number/);
});

test('a daemon killed by SIGKILL: record closes the capture with the count of what its buffer lost', (t) => {
  if (skip) return t.skip(skip);
  if (!cliBuilt) return t.skip('the CLI is not built');
  const out = join(dir!.path, 'killed.pcapng');
  // 50 small messages stay in the library's buffer: SIGKILL loses them all.
  const r = record(['-o', out, '--', probe, 'sigkill', '50']);
  assert.equal(r.status, 128 + 9, r.stderr);
  const cap = readPcapng(out);
  assert.equal(cap.statistics, 1);
  // All 50 unless a stall over a second made the library flush some first.
  const lost = 50 - cap.messages.length;
  assert.ok(lost > 0);
  assert.match(r.stderr, new RegExp(`the daemon was killed by SIGKILL without closing the capture: fusetrace record appended its statistics \\(${lost} messages? lost\\)`));
  assert.match(r.stderr, new RegExp(`${cap.messages.length} messages? .* on 1 connection, ${lost} not recorded`));
  assert.deepEqual(isbComments(out), [`capture ended: the daemon was killed by SIGKILL; closed by fusetrace record; ${lost} message${lost === 1 ? '' : 's'} lost`]);
});

test('record -o on a read-only file system fails before starting the command (exit 2)', (t) => {
  if (!cliBuilt) return t.skip('the CLI is not built');
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a read-only tmpfs');
  const ro = join(dir?.path ?? '/tmp', 'read-only');
  mkdirSync(ro, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs: ${m.stderr}`);
  try {
    const marker = join(dir?.path ?? '/tmp', 'ran-on-ro');
    const r = record(['-o', join(ro, 'x.pcapng'), '--', 'sh', '-c', `touch ${marker}`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot write the capture .*read-only\/x\.pcapng: read-only file system/);
    assert.equal(existsSync(marker), false, 'the command was not started');
  } finally {
    spawnSync('umount', [ro]);
  }
});

test('the disk fills: the daemon goes on, the capture keeps its whole blocks and ends with an ISB counting the rest, exit 1', (t) => {
  if (skip) return t.skip(skip);
  if (!cliBuilt) return t.skip('the CLI is not built');
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs');
  const mnt = join(dir!.path, 'full-disk');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs: ${m.stderr}`);
  try {
    const out = join(mnt, 'cap.pcapng');
    // 2 threads x 1000 messages of 4 KiB: 8 MB for 1 MiB of disk.
    const r = record(['-o', out, '--', probe, 'payload', '2', '1000', '4096']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /writing .*cap\.pcapng: No space left on device; recording stops here \(the daemon goes on\)/);
    let recv = 0;
    let drop = 0;
    readCapture(out, {
      onConnection() {},
      onMessage() {},
      onNotice() {},
      onStats(s) {
        recv += s.ifRecv ?? 0;
        drop += s.ifDrop ?? 0;
      },
    });
    const cap = readPcapng(out); // throws on a block cut short
    assert.equal(cap.statistics, 1);
    assert.equal(recv, cap.messages.length);
    assert.ok(cap.messages.length > 100, `the blocks that fitted were kept (${cap.messages.length})`);
    assert.equal(recv + drop, 2000, 'every message the daemon wrote is in the capture or counted lost');
    assert.match(r.stderr, new RegExp(`${cap.messages.length} messages .* ${drop} not recorded`));
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('a daemon in the background that has recorded nothing yet: record says so and why it may be', (t) => {
  if (skip) return t.skip(skip);
  if (!cliBuilt) return t.skip('the CLI is not built');
  // The foreground shell exits at once; the sleep it leaves runs on under the library and never touches /dev/fuse,
  // as a daemon that has not opened /dev/fuse yet, or one whose library could not create the capture, looks.
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const out = join(dir!.path, 'nothing-yet.pcapng');
  const r = record(['-o', out, '--', 'sh', '-c', 'sleep 30 </dev/null >/dev/null 2>&1 &']);
  const bg = /background \(pid (\d+)\)/.exec(r.stderr);
  if (bg) process.kill(Number(bg[1]), 'SIGTERM');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(bg, r.stderr);
  assert.match(r.stderr, new RegExp(`capture: ${esc(out)}: nothing recorded yet\\n`));
  assert.match(r.stderr, /hint: either the daemon has not opened \/dev\/fuse yet, or the library could not create the capture as the user the daemon was when it got its \/dev\/fuse fd .*: record such a daemon with --bpf/);
  assert.doesNotMatch(r.stderr, /gave up root before its first request/, 'the library opens the capture before that');
  // A command that ends without a message (nothing in the background): the same cause among the others.
  const none = record(['-o', join(dir!.path, 'none.pcapng'), '--', 'true']);
  assert.equal(none.status, 1, none.stderr);
  assert.match(none.stderr, /no \/dev\/fuse traffic was recorded;.*\n  hint: the command never opened \/dev\/fuse, it is statically linked or uses raw syscalls \(Go\), or the library could not create the capture .*: try `fusetrace record --bpf`/);
  // A daemon in the background that opened /dev/fuse and has sent nothing yet: the capture holds only its section header.
  const held = join(dir!.path, 'header-yet.pcapng');
  const h = record(['-o', held, '--', 'sh', '-c', `"${probe}" wait "${held}.go" </dev/null >/dev/null 2>&1 &`]);
  writeFileSync(`${held}.go`, ''); // the probe exits
  const hb = /background \(pid (\d+)\)/.exec(h.stderr);
  assert.equal(h.status, 0, h.stderr);
  assert.ok(hb, h.stderr);
  assert.match(h.stderr, new RegExp(`capture: ${esc(held)}: nothing recorded yet: the daemon opened /dev/fuse, no message so far\\n`));
  assert.match(h.stderr, /hint: it has not mounted yet/);
  // One that ends so: the file, only a section header, is removed.
  const silent = join(dir!.path, 'silent.pcapng');
  const s = record(['-o', silent, '--', probe, 'none']);
  assert.equal(s.status, 1, s.stderr);
  assert.match(s.stderr, new RegExp(`no /dev/fuse traffic was recorded: the daemon opened /dev/fuse but no message went through it; ${esc(silent)}, only a section header, was removed\\n  hint: the mount failed or was never made`));
  assert.equal(existsSync(silent), false);
});
