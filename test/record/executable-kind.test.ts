/**
 * Go and static daemons: recognised before they start, so that `record`
 * without --bpf does not run them under a library that would see nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { executableKind, resolveCommand } from '../../src/record/executable-kind.js';
import { fusetraceBin, haveCommand, makeTempDir, run } from '../helpers/mount.js';

test('executableKind: dynamic, static, Go, script', (t) => {
  const dir = makeTempDir('exe-kind');
  assert.equal(executableKind(process.execPath), 'dynamic', 'node is dynamically linked');
  const script = dir.sub('daemon.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  assert.equal(executableKind(script), 'not-elf');
  assert.equal(executableKind(dir.sub('missing.bin')), 'not-elf');
  const src = dir.sub('s.c');
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const st = spawnSync(process.env.CC ?? 'cc', ['-static', '-o', dir.sub('static.bin'), src], { encoding: 'utf8' });
  if (st.status === 0) assert.equal(executableKind(dir.sub('static.bin')), 'static');
  else t.diagnostic(`no static libc to link with: static case not run (${st.stderr.trim().split('\n')[0]})`);
  const go = resolveCommand('gocryptfs');
  if (go) assert.equal(executableKind(go), 'go');
  else t.diagnostic('gocryptfs is not installed: Go case not run');
  dir.remove();
  if (st.status !== 0 && !go) t.skip('neither a static binary nor a Go one could be checked');
});

test('record without --bpf on a static daemon, when --bpf cannot run: says to use --bpf, exit 2, nothing started', async (t) => {
  if (!haveCommand(process.env.CC ?? 'cc')) return t.skip('no C compiler');
  const dir = makeTempDir('exe-static');
  const src = dir.sub('s.c');
  const marker = dir.sub('ran.txt');
  writeFileSync(src, `#include <stdio.h>\nint main(void) { FILE *f = fopen("${marker}", "w"); return f ? 0 : 1; }\n`);
  const st = spawnSync(process.env.CC ?? 'cc', ['-static', '-o', dir.sub('static.bin'), src], { encoding: 'utf8' });
  if (st.status !== 0) return t.skip('no static libc to link with');
  const r = await run(process.execPath, [fusetraceBin, 'record', '-o', dir.sub('cap.pcapng'), '--', dir.sub('static.bin')], {
    env: { ...process.env, FUSETRACE_BPF: `${dir.path}/no-such-recorder` },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is statically linked: the LD_PRELOAD library cannot see/);
  assert.match(r.stderr, /use --bpf/);
  assert.equal(spawnSync('test', ['-e', marker]).status, 1, 'the daemon was not started');
  dir.remove();
});
