/**
 * The benchmark's amplified captures must be the recording's work repeated on
 * new files, not the same files revisited: analysed, each path carries
 * exactly `copies` times the recording's per-opcode counts, spread over
 * `copies` different nodeids (the root directory, shared, is one file).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { join } from 'node:path';
import { amplifyCapture } from '../../bench/amplify.js';
import { analyze } from '../../src/analysis/analyze.js';
import type { AnalysisModel } from '../../src/model/analysis.js';
import { makeTempDir, repoRoot } from '../helpers/mount.js';

const fixture = (name: string): string => join(repoRoot, 'fixtures', name);

function byPath(m: AnalysisModel): Map<string, { nodeids: Set<string>; ops: Map<string, number> }> {
  const out = new Map<string, { nodeids: Set<string>; ops: Map<string, number> }>();
  for (const f of m.files) {
    let e = out.get(f.path);
    if (!e) out.set(f.path, (e = { nodeids: new Set(), ops: new Map() }));
    e.nodeids.add(String(f.nodeid));
    for (const [op, n] of Object.entries(f.byOpcode)) e.ops.set(op, (e.ops.get(op) ?? 0) + n);
  }
  return out;
}

const all = { maxFiles: 1e9 };

for (const name of ['smoke.pcapng', 'thirdparty-bindfs.pcapng']) {
  test(`amplified ${name}: every path has copies x the recording's counts on copies nodeids`, (t) => {
    const dir = makeTempDir('amplify');
    t.after(() => dir.remove());
    const out = join(dir.path, 'amp.pcapng');
    const copies = 3;
    const res = amplifyCapture(fixture(name), out, { copies });
    assert.equal(res.copies, copies);
    const one = analyze({ files: [fixture(name)], limits: all });
    const many = analyze({ files: [out], limits: all });
    assert.equal(one.fatal, undefined);
    assert.equal(many.fatal, undefined);
    const s1 = one.model.summary;
    const sN = many.model.summary;
    assert.equal(sN.unanswered, s1.unanswered * copies, 'no request loses its reply');
    assert.equal(sN.orphanReplies, 0);
    const a = byPath(one.model);
    const b = byPath(many.model);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), 'the same paths');
    let files = 0;
    for (const [path, e] of a) {
      const f = b.get(path)!;
      const expectOps = new Map([...e.ops].map(([op, n]) => [op, n * copies]));
      // INIT (nodeid 0) is in the first copy only; it is nobody's file.
      assert.deepEqual(f.ops, expectOps, `${path}: per-opcode counts`);
      if (path !== '/') assert.equal(f.nodeids.size, e.nodeids.size * copies, `${path}: new nodeids in every copy`);
      files += e.nodeids.size;
    }
    t.diagnostic(`${files} files in the recording, ${many.model.files.length} after x${copies}`);
  });
}

test('node dist/bench/amplify.js RECORDING OUT --copies N writes that many copies; a wrong call gets the usage, exit 2', (t) => {
  const dir = makeTempDir('amplify-cli');
  t.after(() => dir.remove());
  const cli = join(repoRoot, 'dist', 'bench', 'amplify.js');
  const out = join(dir.path, 'amp.pcapng');
  const r = spawnSync(process.execPath, [cli, fixture('smoke.pcapng'), out, '--copies', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = amplifyCapture(fixture('smoke.pcapng'), join(dir.path, 'direct.pcapng'), { copies: 2 });
  assert.deepEqual(readFileSync(out), readFileSync(join(dir.path, 'direct.pcapng')));
  assert.match(r.stdout, new RegExp(`2 copies, ${expected.messages} messages`));
  for (const args of [[fixture('smoke.pcapng'), out], [fixture('smoke.pcapng'), out, '--copies', '0'], [fixture('smoke.pcapng'), out, '--copies', '2', 'more']]) {
    const bad = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(bad.status, 2, args.join(' '));
    assert.match(bad.stderr, /usage: node dist\/bench\/amplify\.js RECORDING OUT --copies N/);
  }
});
