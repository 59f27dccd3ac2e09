/**
 * INTERRUPTs in a real capture of a daemon nobody here wrote (bindfs,
 * fixtures/gen/thirdparty-bindfs-interrupt.sh): a LOOKUP held 10 s and the
 * stat behind it killed. The kernel sends an INTERRUPT only for a request a
 * daemon thread has read; but the thread that read the INTERRUPT for the
 * GETATTR that followed stamped it 9 µs before the thread that read the
 * GETATTR stamped that. The analysis once called it an INTERRUPT for a
 * request "no longer in flight (already answered ...)", which the capture
 * disproves: the GETATTR is answered 65 µs after the INTERRUPT.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { runCli } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CAP = join(ROOT, 'fixtures', 'thirdparty-bindfs-interrupt.pcapng');

interface Msg { t_rel_ns: number; kind: string; decoded: { op: string; header: { unique: number }; body: Record<string, { unique?: number }> } }

describe('bindfs, a request interrupted', { skip: existsSync(CAP) ? false : 'fixtures/thirdparty-bindfs-interrupt.pcapng is missing' }, () => {
  const r = runCli(['dump', '--json', CAP]);
  const msgs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Msg }).filter((l) => l.type === 'message').map((l) => l.data);
  // Relative ns: exact as JSON numbers (t_ns is past 2^53).
  const t = (m: Msg): number => m.t_rel_ns;
  const request = (u: number): Msg => msgs.find((m) => m.kind !== 'reply' && m.decoded.header.unique === u && m.decoded.op !== 'INTERRUPT')!;
  const reply = (u: number): Msg => msgs.find((m) => m.kind === 'reply' && m.decoded.header.unique === u)!;
  const interrupts = msgs.filter((m) => m.decoded.op === 'INTERRUPT');

  it('holds two INTERRUPTs: one read while the LOOKUP was in flight, one stamped before its GETATTR, which is answered after it', () => {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(interrupts.length, 2);
    const [first, second] = interrupts.map((m) => ({ m, target: m.decoded.body.fuse_interrupt_in!.unique! }));
    assert.equal(request(first!.target).decoded.op, 'LOOKUP');
    assert.ok(t(request(first!.target)) < t(first!.m) && t(first!.m) < t(reply(first!.target)));
    assert.equal(request(second!.target).decoded.op, 'GETATTR');
    assert.ok(t(second!.m) < t(request(second!.target)), 'the INTERRUPT is stamped before its target');
    assert.ok(t(reply(second!.target)) > t(second!.m), 'the target is answered after the INTERRUPT');
  });

  it('says both requests were interrupted and completed anyway, and no INTERRUPT came too late', () => {
    const a = analyze({ files: [CAP] });
    assert.equal(a.fatal, undefined);
    const f = a.model.findings;
    assert.deepEqual(f.map((x) => [x.kind, x.messageId, x.uniques.map(Number), (x.details as { ended: string }).ended]), [
      ['interrupted', 'interrupted', [24], 'completed'],
      ['interrupted', 'interrupted', [26], 'completed'],
    ]);
    // Measured from the INTERRUPT: 65 µs for the GETATTR (its own request came 9 µs after the INTERRUPT).
    assert.equal((f[1]!.details as { afterInterruptNs: number }).afterInterruptNs, t(reply(26)) - t(interrupts[1]!));
  });
});
