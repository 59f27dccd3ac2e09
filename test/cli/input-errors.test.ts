/**
 * Inputs every capture-reading command must treat as bad input (exit 2, the
 * usual "fusetrace: error: FILE: what" + hint, never "internal error"):
 * a directory, a missing file; and the inputs and options they all accept:
 * `convert` from standard input and to standard output, `--linktype`.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCapture } from '../../src/capture/open.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { Timebase } from '../../src/capture/message.js';
import { ROOT, runCli } from '../helpers/cli.js';

const smoke = join(ROOT, 'fixtures/smoke.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-input-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every command that reads captures, with the arguments it needs besides the capture. */
const READERS: Array<{ name: string; args: (capture: string) => string[] }> = [
  { name: 'analyze', args: (c) => ['analyze', c] },
  { name: 'dump', args: (c) => ['dump', c] },
  { name: 'export', args: (c) => ['export', c, '--table', 'requests', '-o', join(tmp, 'out.csv')] },
  { name: 'report', args: (c) => ['report', c, '-o', join(tmp, 'out.html')] },
  { name: 'baseline', args: (c) => ['baseline', c, '-o', join(tmp, 'base.json')] },
  { name: 'check', args: (c) => ['check', '--expect-clean', c] },
  { name: 'convert', args: (c) => ['convert', c, '-o', join(tmp, 'out.fusedump')] },
];

function runWithStdin(args: string[], input: Buffer): { code: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [`${ROOT}bin/fusetrace`, ...args], { cwd: ROOT, input, maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

describe('bad capture paths are input errors in every command', () => {
  const dir = join(tmp, 'captures');
  mkdirSync(dir);
  for (const cmd of READERS) {
    it(`${cmd.name}: a directory exits 2 naming it, no internal error`, () => {
      const r = runCli(cmd.args(dir));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^fusetrace: error: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a directory, expected a capture file`));
      assert.match(r.stderr, /\n {2}hint: give the capture files inside it/);
      assert.doesNotMatch(r.stderr, /internal error|bug in fusetrace|EISDIR/);
      assert.equal(r.stdout, '', 'nothing to report about a directory');
    });
    it(`${cmd.name}: a missing file exits 2 naming it`, () => {
      const r = runCli(cmd.args(join(tmp, 'nosuch.pcapng')));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^fusetrace: error: .*nosuch\.pcapng: cannot open: no such file or directory \(ENOENT\)\n {2}hint: check the path/);
      assert.doesNotMatch(r.stderr, /internal error/);
    });
  }
});

describe('convert with standard input and standard output', { skip: existsSync(smoke) ? false : 'fixtures/smoke.pcapng missing' }, () => {
  const viaFiles = join(tmp, 'smoke.fusedump');
  it('convert - reads standard input: the same bytes as converting the file', () => {
    assert.equal(runCli(['convert', smoke, '-o', viaFiles, '-q']).code, 0);
    const out = join(tmp, 'stdin.fusedump');
    const r = runWithStdin(['convert', '-', '-o', out], readFileSync(smoke));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /converted - \(pcapng\) -> .*stdin\.fusedump \(fusedump\): 474 messages on 1 connection/);
    assert.ok(readFileSync(out).equals(readFileSync(viaFiles)));
  });

  it('convert -o - writes the capture to standard output and no file named "-"', () => {
    const r = runWithStdin(['convert', smoke, '-o', '-', '--to', 'fusedump', '-q'], Buffer.alloc(0));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.equals(readFileSync(viaFiles)), 'stdout carries the fusedump');
    assert.equal(existsSync(join(ROOT, '-')), false);
  });

  it('standard input to standard output, fusedump back to pcapng, analyses like the original', () => {
    const r = runWithStdin(['convert', '-', '-o', '-', '-q'], readFileSync(viaFiles));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.readUInt32LE(0), 0x0a0d0d0a, 'fusedump in: pcapng out');
    const back = join(tmp, 'back.pcapng');
    writeFileSync(back, r.stdout);
    const strip = (s: string): unknown => { const d = JSON.parse(s) as { inputs: unknown; connections: unknown }; d.inputs = null; d.connections = null; return JSON.parse(JSON.stringify(d).replace(/"generated_at":"[^"]*"/, '')); };
    const a = runCli(['analyze', '--json', back]);
    const b = runCli(['analyze', '--json', smoke]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual((strip(a.stdout) as { summary: unknown }).summary, (strip(b.stdout) as { summary: unknown }).summary);
  });

  it('damage on standard input is reported as "-", not as a temporary file', () => {
    const r = runWithStdin(['convert', '-', '-o', join(tmp, 'x.pcapng')], Buffer.from('garbage!'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^fusetrace: error: -: at byte 0 \(0x0\): unknown capture format/);
    assert.doesNotMatch(r.stderr, /fusetrace-convert-/);
  });

  it('--split cannot go to standard output', () => {
    const r = runCli(['convert', smoke, '-o', '-', '--split']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--split writes one file per connection/);
  });
});

describe('--linktype wherever a capture is read', { skip: existsSync(smoke) ? false : 'fixtures/smoke.pcapng missing' }, () => {
  // The smoke capture with its interface declared as link type 148, not named fuse:
  // readers skip it unless told that link type carries FUSE.
  const relabelled = join(tmp, 'usb.pcapng');
  const parts: Buffer[] = [];
  let w: PcapngWriter | undefined;
  const tb = new Timebase();
  readCapture(smoke, {
    onConnection: (c) => {
      w ??= new PcapngWriter((b) => parts.push(b), { le: c.le });
      w.addInterface({ name: 'usb0', linkType: 148, snapLen: c.snapLen });
    },
    onMessage: (m) => {
      w!.packet({ iface: 0, ts: (tb.epochNs ?? 0n) + BigInt(m.t), data: Buffer.from(m.data.subarray(m.off, m.off + m.capLen)), origLen: m.origLen, dir: m.dir as 1 | 2, pid: m.pid, tid: m.tid });
    },
    onNotice: () => {},
  }, { timebase: tb });
  writeFileSync(relabelled, Buffer.concat(parts));

  for (const cmd of READERS) {
    it(`${cmd.name} --linktype 148 reads the interface as FUSE`, () => {
      const without = runCli(cmd.args(relabelled));
      const withIt = runCli([...cmd.args(relabelled), '--linktype', '148']);
      assert.notEqual(withIt.code, 2, withIt.stderr);
      assert.doesNotMatch(withIt.stderr, /unknown option/);
      if (cmd.name === 'analyze' || cmd.name === 'dump') {
        assert.match(without.stdout, /\b0 messages\b/, 'without --linktype nothing is read');
        assert.match(withIt.stdout, /\b474 messages\b/);
      }
      if (cmd.name === 'convert') {
        assert.match(withIt.stderr, /474 messages on 1 connection/);
      }
    });
  }

  it('--linktype rejects what is not a link type number', () => {
    const r = runCli(['analyze', relabelled, '--linktype', 'usb']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--linktype usb: expected a pcapng link type number/);
  });
});
