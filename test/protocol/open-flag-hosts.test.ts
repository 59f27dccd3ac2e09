/**
 * open(2) flags as the recording host numbers them (protocol/flags/open.ts):
 * arm, arm64, m68k and powerpc kernels put O_DIRECT, O_DIRECTORY,
 * O_NOFOLLOW and O_LARGEFILE in other bits than x86. A capture names its
 * machine (shb_hardware); the analysis keeps the flags in x86-64's
 * numbering, `dump` names them the host's way. The real captures here are
 * turned into the captures an arm64 or ppc64le host would have made of the
 * same traffic (those four bits moved as its kernel numbers them, the SHB
 * naming the machine): they must analyse, export and name exactly as the
 * x86-64 originals, and the same bytes without the machine must not.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { renderJson } from '../../src/report/json.js';
import { fuse_read_in } from '../../src/protocol/layouts/io.js';
import { fuse_attr_out } from '../../src/protocol/layouts/attr.js';
import { layoutAt } from '../../src/protocol/layout.js';
import { formatOpenFlags, genericOpenFlags, O_DIRECT, openFlagDialect, openFlagsKnown } from '../../src/protocol/flags/open.js';
import { asHost } from '../helpers/host-capture.js';
import { openedFile } from '../analysis/capture-builder.js';
import { fusetraceBin, makeTempDir, repoRoot } from '../helpers/mount.js';

const FOUR_BITS = 0x3c000;

test('arm64, arm, m68k and powerpc name bits 14-17 their own way; x86 and the asm-generic machines use OPEN_FLAGS', () => {
  const arm64 = openFlagDialect('aarch64')!;
  assert.equal(openFlagDialect('armv7l'), openFlagDialect('aarch64'), 'one numbering for arm and arm64');
  assert.equal(formatOpenFlags(0o040000, arm64.as), 'O_RDONLY|O_DIRECTORY');
  assert.equal(formatOpenFlags(0o100000, arm64.as), 'O_RDONLY|O_NOFOLLOW');
  assert.equal(formatOpenFlags(0o200001, arm64.as), 'O_WRONLY|O_DIRECT');
  assert.equal(formatOpenFlags(0o400002, arm64.as), 'O_RDWR|O_LARGEFILE');
  const ppc = openFlagDialect('ppc64le')!;
  assert.equal(formatOpenFlags(0o200000, ppc.as), 'O_RDONLY|O_LARGEFILE');
  assert.equal(formatOpenFlags(0o400000, ppc.as), 'O_RDONLY|O_DIRECT');
  assert.equal(formatOpenFlags(0o400000, openFlagDialect('m68k')!.as), 'O_RDONLY|O_LARGEFILE');
  for (const m of ['x86_64', 'i686', 'riscv64', 'loongarch64', 's390x', undefined]) assert.equal(openFlagDialect(m), undefined, String(m));
  assert.equal(formatOpenFlags(0o040000), 'O_RDONLY|O_DIRECT');
  for (const m of ['x86_64', 'aarch64', 'ppc64', 'riscv64', undefined]) assert.equal(openFlagsKnown(m), true, String(m));
  for (const m of ['mips64', 'sparc64', 'alpha', 'parisc64']) assert.equal(openFlagsKnown(m), false, m);
});

test('genericOpenFlags moves the four bits by name, one to one, and leaves every other bit', () => {
  for (const machine of ['aarch64', 'ppc64le']) {
    const d = openFlagDialect(machine)!;
    const seen = new Set<number>();
    for (let n = 0; n < 16; n++) {
      const v = (n << 14) | 0o1000 | 0o2000000 | 2; // O_TRUNC, O_CLOEXEC, O_RDWR around them
      const g = genericOpenFlags(v, d);
      assert.equal(g & ~FOUR_BITS, v & ~FOUR_BITS, 'the other bits stay');
      const names = (f: string): string[] => f.split('|').sort();
      assert.deepEqual(names(formatOpenFlags(g)), names(formatOpenFlags(v, d.as)), `${machine} ${v.toString(8)}: the same flags`);
      seen.add(g & FOUR_BITS);
    }
    assert.equal(seen.size, 16, 'no two values the same');
    assert.equal(genericOpenFlags(0o200000, openFlagDialect('aarch64')!) & O_DIRECT, O_DIRECT);
  }
});

test('layoutAt names a layout\'s open(2) flag words the host\'s way, and only layouts that have one', () => {
  const d = openFlagDialect('aarch64')!;
  const l = layoutAt(fuse_read_in, 45, d);
  assert.notEqual(l, fuse_read_in);
  assert.equal(l.fields.find((f) => f.name === 'flags')!.flags, d.as);
  assert.equal(l.fields.find((f) => f.name === 'read_flags')!.flags, fuse_read_in.fields.find((f) => f.name === 'read_flags')!.flags, 'other flag words as they are');
  assert.equal(layoutAt(fuse_read_in, 45, d), l, 'made once');
  assert.equal(layoutAt(fuse_read_in, 45), fuse_read_in, 'no dialect: the layout itself');
  assert.equal(layoutAt(fuse_attr_out, 45, d), fuse_attr_out, 'no open(2) flags: the layout itself');
});

const fixture = (name: string): string => join(repoRoot, 'fixtures', name);
/** analyze --json without the input's file names and sizes (the copies live elsewhere, written anew) and the host's machine. */
function analysed(files: string[], machine?: string): string {
  const r = analyze({ files, ...(machine !== undefined ? { machine } : {}) });
  assert.equal(r.fatal, undefined);
  const j = JSON.parse(renderJson(r.model)) as { inputs: { file: string; bytes: number }[]; connections: { file: string; hardware?: string }[] };
  for (const i of j.inputs) {
    i.file = '';
    i.bytes = 0;
  }
  for (const c of j.connections) {
    c.file = '';
    delete c.hardware;
  }
  return JSON.stringify(j);
}
function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [fusetraceBin, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
}
function cli(args: string[]): string {
  const r = run(args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
/** Every open(2) flag word dump --json shows: [value, names sorted] in message order. */
function dumpedFlags(files: string[], ...opts: string[]): [number, string][] {
  const out: [number, string][] = [];
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    const r = o as Record<string, unknown>;
    // Names in the host's bit order: compared as sets.
    if (typeof r.flags === 'number' && typeof r.flags_names === 'string' && /^O_(RDONLY|WRONLY|RDWR|ACCMODE)\b/.test(r.flags_names)) out.push([r.flags, r.flags_names.split('|').sort().join('|')]);
    for (const v of Object.values(r)) walk(v);
  };
  for (const line of cli(['dump', '--json', ...opts, ...files]).split('\n')) if (line) walk(JSON.parse(line));
  return out;
}

// Real captures with open(2) flag words of every kind: the two-mount race (OPEN, WRITE, RELEASE with O_LARGEFILE),
// parallel O_DIRECT writes, one O_DIRECT write split by the kernel (a finding that says "direct"), O_DIRECT preads
// short at the end (fuseiso9660), CREATE (sshfs).
const CASES: string[][] = [
  ['stale-size-race-A.pcapng', 'stale-size-race-B.pcapng'],
  ['parallel-extending.pcapng'],
  ['split-dio.pcapng'],
  ['thirdparty-fuseiso9660.pcapng'],
  ['thirdparty-sshfs.pcapng'],
];

test('a machine whose numbering fusetrace does not know is said under the limitations; a known one is not', () => {
  const limits = (machine: string): string[] => {
    const c = openedFile({ size: 10 });
    c.machine = machine;
    return c.analyze().model.limitations.filter((l) => l.message.includes('open(2) flags')).map((l) => l.message);
  };
  assert.deepEqual(limits('mips64'), ['connection 0 was recorded on mips64, whose kernel numbers open(2) flags in a way fusetrace does not know ' +
    '(it knows asm-generic\'s, as x86 and riscv, and those of arm, arm64, m68k and powerpc): their names are x86-64\'s, and O_DIRECT and O_TRUNC may be misread']);
  assert.deepEqual(limits('aarch64'), []);
  assert.deepEqual(limits('x86_64'), []);
});

describe('a capture from an arm64 or ppc64le host analyses as the same traffic from x86-64', () => {
  const dir = makeTempDir('open-flag-hosts');
  test.after(() => dir.remove());
  for (const names of CASES) {
    for (const machine of ['aarch64', 'ppc64le']) {
      test(`${names.join(' + ')} from ${machine}`, () => {
        const orig = names.map(fixture);
        const host = names.map((n) => join(dir.path, `${machine}-${n}`));
        const moved = names.reduce((s, n, i) => s + asHost(orig[i]!, host[i]!, machine, true), 0);
        assert.ok(moved > 0, 'the capture has flag words the host numbers otherwise');
        assert.equal(analysed(host), analysed(orig), 'the same analysis');
        assert.equal(cli(['export', '--table', 'requests', ...host]), cli(['export', '--table', 'requests', ...orig]), 'the same requests table');
        const a = dumpedFlags(host);
        const b = dumpedFlags(orig);
        assert.deepEqual(a.map(([, n]) => n), b.map(([, n]) => n), 'dump names each flag word as the x86-64 capture');
        assert.ok(a.some(([v], i) => v !== b[i]![0]), 'while it shows the bytes as they are');
        assert.match(cli(['analyze', ...host]), new RegExp(`from INIT; recorded on ${machine}\\n`), 'analyze says where it was recorded');
      });
    }
  }

  test('the same bytes without the machine are read as x86-64\'s: other names, other findings', () => {
    const arm64 = (n: string, tag: boolean): string => {
      const out = join(dir.path, `${tag ? 'tagged' : 'untagged'}-${n}`);
      asHost(fixture(n), out, 'aarch64', tag);
      return out;
    };
    const untagged = (n: string): string => arm64(n, false);
    // arm64's O_LARGEFILE is x86-64's O_NOFOLLOW.
    const csv = cli(['export', '--table', 'requests', untagged('stale-size-race-A.pcapng')]);
    assert.match(csv, /O_NOFOLLOW/);
    assert.doesNotMatch(cli(['export', '--table', 'requests', fixture('stale-size-race-A.pcapng')]), /O_NOFOLLOW/);
    // One O_DIRECT write the kernel split: the finding says "direct write" only where arm64's O_DIRECT is read as such.
    const finding = (f: string): string => {
      const r = analyze({ files: [f] });
      assert.equal(r.model.findings.length, 1);
      return r.model.findings[0]!.message;
    };
    assert.match(finding(fixture('split-dio.pcapng')), /^one direct write of 4\.0 MiB/);
    assert.match(finding(arm64('split-dio.pcapng', true)), /^one direct write of 4\.0 MiB/);
    assert.match(finding(untagged('split-dio.pcapng')), /^one write of 4\.0 MiB/);
  });

  test('--machine names the host of a capture that does not (a fusedump, an older recording); a capture that does keeps its own', () => {
    const orig = fixture('split-dio.pcapng');
    const bare = join(dir.path, 'machine-untagged-split-dio.pcapng');
    asHost(orig, bare, 'aarch64', false);
    assert.equal(analysed([bare], 'aarch64'), analysed([orig]));
    assert.deepEqual(dumpedFlags([bare], '--machine', 'aarch64').map(([, n]) => n), dumpedFlags([orig]).map(([, n]) => n));
    assert.match(cli(['analyze', '--machine', 'aarch64', bare]), /recorded on aarch64\n/);
    assert.match(cli(['export', '--table', 'findings', '--machine', 'aarch64', bare]), /one direct write of 4\.0 MiB/);
    // The capture's own machine wins over the option.
    const tagged = join(dir.path, 'machine-tagged-split-dio.pcapng');
    asHost(orig, tagged, 'aarch64', true);
    assert.equal(analysed([tagged], 'x86_64'), analysed([orig]));
    const bad = run(['analyze', '--machine', 'arm64 v8', orig]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--machine arm64 v8: expected a machine name as uname -m prints it/);
    assert.equal(run(['dump', '--machine', '', orig]).status, 2);
  });
});
