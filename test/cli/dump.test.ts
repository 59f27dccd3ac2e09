/**
 * `fusetrace dump` as a user runs it: on real captures, from standard input,
 * as JSON Lines, and on damaged or hostile files (exit 2 with the file and
 * byte offset, what came before the damage still printed, never a stack trace).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { propertyRuns } from '../helpers/property-runs.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { Cap, entryOut, OP } from '../analysis/capture-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'fusetrace-dump-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SMOKE = 'fixtures/lab/smoke.pcapng';
const truth = JSON.parse(readFileSync(join(ROOT, 'fixtures/lab/smoke.truth.json'), 'utf8')) as {
  messages: number;
  pairs_matched: number;
  counts: { in: Record<string, number>; out: Record<string, number> };
};

interface Line { type: string; data: Record<string, unknown> }
const jsonLines = (s: string): Line[] => s.trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('fusetrace dump', () => {
  it('decodes every message of a real capture, one line each, and closes with a clean summary', () => {
    const r = runCli(['dump', SMOKE]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const summaryAt = lines.findIndex((l) => l.startsWith('summary:'));
    assert.equal(summaryAt - 1, truth.messages, 'one line per message, a blank line, the summary');
    assert.match(lines[summaryAt]!, new RegExp(`^summary: ${truth.messages} messages`));
    assert.match(r.stdout, /unanswered requests: 0; orphan replies: 0; duplicate uniques: 0; malformed messages: 0; rejected replies: 0/);
    assert.match(r.stdout, /protocol 7\.31 \(kernel 7\.45, daemon 7\.31\)/);
    assert.equal(r.stderr, '');
  });

  it('--exchanges --json gives one record per exchange, as many as the independent parser paired', () => {
    const r = runCli(['dump', '--exchanges', '--json', SMOKE]);
    assert.equal(r.code, 0, r.stderr);
    const recs = jsonLines(r.stdout);
    const exchanges = recs.filter((l) => l.type === 'exchange');
    const noReply = (truth.counts.in.FORGET ?? 0) + (truth.counts.in.BATCH_FORGET ?? 0);
    assert.equal(exchanges.length, truth.pairs_matched + noReply);
    const summary = recs.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.data.unanswered, 0);
    const writes = exchanges.filter((l) => l.data.op === 'WRITE');
    assert.equal(writes.length, truth.counts.in.WRITE);
    for (const w of writes) {
      assert.equal(w.data.error, 0);
      assert.match(String(w.data.req_ns), /^\d{19}$/, 'absolute ns as an exact integer string');
    }
  });

  it('reads standard input ("-") exactly as the file', () => {
    const viaFile = runCli(['dump', '--json', SMOKE]);
    const viaStdin = spawnSync(process.execPath, [`${ROOT}bin/fusetrace`, 'dump', '--json', '-'], {
      cwd: ROOT, input: readFileSync(join(ROOT, SMOKE)), encoding: 'utf8', maxBuffer: 1 << 30,
    });
    assert.equal(viaStdin.status, 0, viaStdin.stderr);
    const strip = (s: string): unknown[] => jsonLines(s).map((l) => (l.type === 'summary' ? { ...l.data, connections: null } : l.data));
    assert.deepEqual(strip(viaStdin.stdout), strip(viaFile.stdout));
  });

  it('a cut capture: everything before the cut, a truncation notice, exit 0', () => {
    const whole = readFileSync(join(ROOT, SMOKE));
    const cut = join(tmp, 'cut.pcapng');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 3));
    const r = runCli(['dump', cut]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /truncated: capture cut in block #\d+ at byte 0x[0-9a-f]+/);
    assert.ok(r.stdout.split('\n').filter((l) => /^\s+\d+\s/.test(l)).length > 100, 'messages before the cut are printed');
  });

  it('an impossible block length: exit 2 naming the file, block and byte offset, with a hint; earlier messages printed', () => {
    const whole = Buffer.from(readFileSync(join(ROOT, SMOKE)));
    // Find the 100th block and give it an impossible length.
    let p = 0;
    for (let i = 0; i < 100; i++) p += whole.readUInt32LE(p + 4);
    whole.writeUInt32LE(0x7ffffffc, p + 4);
    const bad = join(tmp, 'bad.pcapng');
    writeFileSync(bad, whole);
    const r = runCli(['dump', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`fusetrace: error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: block #100 at byte ${p} \\(0x${p.toString(16)}\\)`));
    assert.match(r.stderr, /hint: .*--resync/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(r.stdout.split('\n').filter((l) => /^\s+\d+\s/.test(l)).length >= 90, 'messages before the damage are printed');
  });

  it('hostile input never crashes: random mutations give exit 0 or 2, never an internal error', () => {
    const whole = readFileSync(join(ROOT, 'fixtures/stale-size-race-A.pcapng'));
    const file = join(tmp, 'mut.pcapng');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(whole.length), { nil: undefined }),
        (edits, cutAt) => {
          const b = Buffer.from(whole);
          for (const [at, v] of edits) b[at] = v;
          writeFileSync(file, cutAt === undefined ? b : b.subarray(0, cutAt));
          const r = runCli(['dump', '--exchanges', file]);
          assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
          if (r.code === 2) assert.match(r.stderr, /fusetrace: error: .*(at byte \d+|cannot open|empty)/);
        },
      ),
      { numRuns: propertyRuns(25), seed: 42 },
    );
  });
  it('--json carries each message\'s own protocol problem with its registry id, and the summary lists it', () => {
    const c = new Cap(1);
    c.init(0, 0);
    const w = c.req(0, 1, 16, 1, Buffer.alloc(8)); // WRITE too short for fuse_write_in
    c.rep(0, 2, w, 0, Buffer.alloc(8)); // and its reply: fuse_write_out is 8 bytes, well-formed
    const g = c.getattrReq(0, 3, 1);
    c.rep(0, 4, g, 0, Buffer.alloc(100)); // a fuse_attr_out of the wrong size
    const r = runCli(['dump', '--json', c.file()]);
    assert.equal(r.code, 0, r.stderr);
    const recs = jsonLines(r.stdout);
    const decoded = recs.filter((l) => l.type === 'message').map((l) => l.data.decoded as Record<string, unknown>);
    assert.deepEqual(decoded.map((d) => [d.op, d.type, d.problem_id ?? null]), [
      ['INIT', 'request', null], ['INIT', 'reply', null],
      ['WRITE', 'request', 'struct-short'], ['WRITE', 'reply', null],
      ['GETATTR', 'request', null], ['GETATTR', 'reply', 'reply-size'],
    ]);
    assert.equal(decoded[2]!.problem, '48 bytes < 80 needed for fuse_write_in at minor 45');
    const summary = recs.at(-1)!.data;
    assert.equal(summary.malformed, 2, 'the request and the other reply; not the WRITE reply a second time');
    assert.deepEqual((summary.problems as Record<string, unknown>[]).map((p) => [p.kind, p.problem_id]), [
      ['malformed-message', 'struct-short'], ['malformed-message', 'reply-size'],
    ]);
  });

  it('passthrough backing-file blocks: a line each between the messages, the device as major:minor the way glibc splits dev_t, a record each in --json', () => {
    const c = new Cap(1);
    c.init(0, 0);
    // makedev(8, 0x12345): the minor's high bits sit above the major's low ones.
    c.backingOpen(0, 1, 3, '/srv/a\u001bb', 42n, 0x12300845n);
    // makedev(4097, 3): the major's high bits (44-63) are no part of the minor.
    c.backingOpen(0, 2, 4, '/srv/c', 7n, 0x100000000103n);
    c.backingOpen(0, 3, -9, '');
    c.passthroughOpen(0, 4, 5, 1, 3);
    c.backingClose(0, 5, 3);
    const f = c.file();
    const r = runCli(['dump', f]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.includes(' == '));
    assert.deepEqual(lines, [
      '         0.001000  tid 100  == BACKING_OPEN fd 9 -> id 3 /srv/a\\eb (dev 8:74565, ino 42)',
      '         0.002000  tid 100  == BACKING_OPEN fd 9 -> id 4 /srv/c (dev 4097:3, ino 7)',
      '         0.003000  tid 100  == BACKING_OPEN fd 9 -> -EBADF',
      '         0.005000  tid 100  == BACKING_CLOSE id 3 -> 0',
    ]);
    assert.match(r.stdout, /== BACKING_OPEN fd 9 -> -EBADF\n +\d+ +0\.004000 +tid 100 +-> OPEN #/, 'in time order with the messages, unnumbered');
    const recs = jsonLines(runCli(['dump', '--json', f]).stdout).filter((l) => l.type === 'backing').map((l) => l.data);
    assert.deepEqual(recs.map((d) => [d.op, d.result, d.path ?? null, d.dev ?? null, d.ino ?? null, d.id ?? null]), [
      ['open', 3, '/srv/a\u001bb', 0x12300845, 42, null], ['open', 4, '/srv/c', 0x100000000103, 7, null], ['open', -9, null, null, null, null], ['close', 0, null, null, null, 3],
    ]);
    assert.equal(runCli(['dump', '--exchanges', f]).stdout.includes('BACKING'), false, 'an exchange list has no backing lines');
  });

  it('a name the snap length cut: its captured start shown with a truncation note in text, --exchanges and --json, counted in the summary', () => {
    const c = new Cap(1);
    c.init(0, 0);
    // LOOKUP "abcdef": 3 of its 7 name bytes (NUL included) captured.
    const u = c.req(0, 1, OP.LOOKUP, 1, Buffer.from('abc'), { origExtra: 4 });
    c.rep(0, 2, u, 0, entryOut(5, { ino: 50, size: 10 }));
    // The same name whole: no note.
    const w = c.req(0, 3, OP.LOOKUP, 1, Buffer.from('abcdef\0'));
    c.rep(0, 4, w, 0, entryOut(5, { ino: 50, size: 10 }));
    const f = c.file();
    const r = runCli(['dump', f]);
    assert.equal(r.code, 0, r.stderr);
    const lookups = r.stdout.split('\n').filter((l) => l.includes('-> LOOKUP'));
    assert.equal(lookups.length, 2);
    assert.match(lookups[0]!, / "abc" \[truncated: name cut after 3 of its bytes\]$/);
    assert.match(lookups[1]!, / "abcdef"$/);
    assert.match(r.stdout, /messages whose fixed arguments or names were cut by the snap length: 1 /);
    assert.match(runCli(['dump', '--exchanges', f]).stdout, /LOOKUP #4 nodeid 1 pid 1000 "abc" \[truncated: name cut after 3 of its bytes\] => OK nodeid 5 /);
    const decoded = jsonLines(runCli(['dump', '--json', f]).stdout)
      .filter((l) => l.type === 'message' && (l.data.decoded as Record<string, unknown>).op === 'LOOKUP' && l.data.kind === 'request')
      .map((l) => l.data.decoded as Record<string, unknown>);
    assert.deepEqual(decoded.map((d) => [d.body, d.truncated ?? null, d.problem_id ?? null, d.problem ?? null]), [
      [{ name: 'abc' }, 'truncated: name cut after 3 of its bytes', 'name-cut', null],
      [{ name: 'abcdef' }, null, null, null],
    ]);
  });
});
