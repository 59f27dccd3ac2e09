/**
 * "Answered" is its own fact: a reply with error -1 (-EPERM) is a reply like
 * any other, in `dump --exchanges --json`, in the requests export and in the
 * analysis; only a request without a reply is unanswered. The real-capture
 * counterpart is in test/analysis/thirdparty-daemons.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cap, findingsOf, OP } from '../analysis/capture-builder.js';
import { runCli } from '../helpers/cli.js';

const EPERM = -1;

/** A SETATTR answered -EPERM, a GETATTR answered OK, a GETATTR never answered. */
function capture(): { file: string; eperm: number; ok: number; open: number } {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 100 });
  const b = Buffer.alloc(88);
  b.writeUInt32LE(1, 0); // FATTR_MODE
  b.writeUInt32LE(0o100600, 32);
  const eperm = c.req(0, 2, OP.SETATTR, 10, b);
  c.rep(0, 2.5, eperm, EPERM);
  const ok = c.getattrReq(0, 3, 10);
  c.attrReply(0, 3.5, ok, { ino: 5, size: 100 });
  const open = c.getattrReq(0, 4, 10);
  return { file: c.file(), eperm, ok, open };
}

describe('a reply with error -1 (EPERM)', () => {
  const cap = capture();

  it('is answered in dump --exchanges --json: error -1, EPERM, reply time and latency', () => {
    const r = runCli(['dump', '--exchanges', '--json', cap.file]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    const byUnique = new Map(lines.filter((l) => l.type === 'exchange').map((l) => [Number(l.data.unique), l.data]));
    const e = byUnique.get(cap.eperm)!;
    assert.equal(e.op, 'SETATTR');
    assert.equal(e.error, -1);
    assert.equal(e.error_name, '-EPERM');
    assert.notEqual(e.reply_ns, null);
    assert.equal(e.latency_us, 500);
    assert.equal(byUnique.get(cap.ok)!.error, 0);
    const never = byUnique.get(cap.open)!;
    assert.equal(never.error, null);
    assert.equal(never.reply_ns, null);
    assert.equal(lines.at(-1)!.data.unanswered, 1, 'only the GETATTR without a reply is unanswered');
  });

  it('is answered in the requests export: error -1 and errno EPERM, the unanswered row empty', () => {
    const r = runCli(['export', '--table', 'requests', '--format', 'jsonl', cap.file]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const e = rows.find((x) => Number(x.unique) === cap.eperm)!;
    assert.equal(e.error, -1);
    assert.equal(e.errno, 'EPERM');
    assert.notEqual(e.reply_ns, null);
    const never = rows.find((x) => Number(x.unique) === cap.open)!;
    assert.equal(never.error, null);
    assert.equal(never.reply_ns, null);
  });

  it('is answered in the analysis: one unanswered-request finding, for the GETATTR', async () => {
    const { analyze } = await import('../../src/analysis/analyze.js');
    const r = analyze({ files: [cap.file] });
    const un = findingsOf(r, 'unanswered-request');
    assert.deepEqual(un.map((f) => f.uniques.map(Number)), [[cap.open]]);
    const setattr = r.model.ops.find((o) => o.name === 'SETATTR')!;
    assert.equal(setattr.replied, 1);
    assert.equal(setattr.errors, 1);
  });
});
