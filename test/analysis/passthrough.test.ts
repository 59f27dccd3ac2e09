/**
 * Passthrough handles (FOPEN_PASSTHROUGH, 7.40): the backing-file blocks of
 * the recorder (capture-format.md §1) read back and mapped to the OPEN
 * replies that carry their ids; no size verdict while a passthrough handle
 * could have moved the size unseen (analysis.md "Passthrough").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackingOp } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { Cap, findingsOf, FOPEN_PASSTHROUGH, staleTwoMounts } from './capture-builder.js';

const MiB = 2 ** 20;

test('backing-file blocks are read back with their fields; other custom blocks are skipped', () => {
  const c = new Cap(1);
  c.init(0, 0);
  c.backingOpen(0, 1, 3, '/srv/back/f \u00e9', 123456789012345n);
  c.backingClose(0, 2, 3);
  const got: BackingOp[] = [];
  readCapture(c.file(), { onConnection() {}, onMessage() {}, onNotice() {}, onBacking: (b) => got.push({ ...b }) });
  assert.equal(got.length, 2);
  const [o, cl] = got;
  assert.deepEqual([o!.op, o!.result, o!.arg, o!.path, o!.dev, o!.ino, o!.pid, o!.tid], ['open', 3, 9, '/srv/back/f \u00e9', 0x801, 123456789012345, 77, 100]);
  assert.deepEqual([cl!.op, cl!.result, cl!.arg, cl!.path], ['close', 0, 3, '']);
  assert.equal(cl!.t - o!.t, 1e6);
});

/** /f (ino 7) of 4 MiB; then a GETATTR reports 2 MiB (a shrink with no truncate captured). */
function shrink(passthrough: boolean): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: 4 * MiB });
  if (passthrough) {
    c.backingOpen(0, 1.5, 5, '/srv/back/f', 99n);
    c.passthroughOpen(0, 2, 10, 1, 5);
  } else {
    c.open(0, 2, 10, 1, 0);
  }
  const g = c.getattrReq(0, 10, 10);
  c.attrReply(0, 11, g, { ino: 7, size: 2 * MiB });
  return c;
}

test('size-shrank-externally: judged on a plain handle, not while a passthrough handle is open', () => {
  assert.equal(findingsOf(shrink(false).analyze(), 'size-shrank-externally').length, 1);
  assert.equal(findingsOf(shrink(true).analyze(), 'size-shrank-externally').length, 0);
});

/** /f of 1 MiB; then a GETATTR reports 3 MiB: grown with nothing captured, or by passthrough writes FUSE never saw. */
function grow(passthrough: boolean): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 7, size: MiB });
  if (passthrough) {
    c.backingOpen(0, 1.5, 5, '/srv/back/f', 99n);
    c.passthroughOpen(0, 2, 10, 1, 5);
  } else {
    c.open(0, 2, 10, 1, 0);
  }
  c.attrReply(0, 11, c.getattrReq(0, 10, 10), { ino: 7, size: 3 * MiB });
  return c;
}

test('size-grew-externally: judged on a plain handle, not while a passthrough handle is open (its writes grow the file unseen)', () => {
  assert.equal(findingsOf(grow(false).analyze(), 'size-grew-externally').length, 1);
  assert.equal(findingsOf(grow(true).analyze(), 'size-grew-externally').length, 0);
});

test('a size report after the last passthrough handle was released brings the sizes back in step', () => {
  const c = shrink(true);
  c.fhReq(0, 12, 18, 10, 1); // RELEASE
  const g1 = c.getattrReq(0, 13, 10);
  c.attrReply(0, 14, g1, { ino: 7, size: 2 * MiB }); // still not judged: it takes the size in step
  const g2 = c.getattrReq(0, 15, 10);
  c.attrReply(0, 16, g2, { ino: 7, size: MiB });
  const f = findingsOf(c.analyze(), 'size-shrank-externally');
  assert.deepEqual(f.map((x) => x.uniques), [[g2]]);
});

/** /f (ino 7) of 8 MiB on two mounts; mount 1 truncates it to 2 MiB; mount 0, still believing 8 MiB, writes at 7 MiB. */
function staleWrite(passthroughOnMount1: boolean): Cap {
  const c = staleTwoMounts();
  if (passthroughOnMount1) c.passthroughOpen(1, 5, 30, 2, 1);
  const w = c.writeReq(0, 10, 10, 1, 7 * MiB, MiB, { pid: 1 });
  c.writeReply(0, 20, w, MiB);
  return c;
}

test('stale-size-write: not judged while a correlated file has a passthrough handle open (its writes may have grown the file unseen)', () => {
  assert.equal(findingsOf(staleWrite(false).analyze(), 'stale-size-write').length, 1);
  assert.equal(findingsOf(staleWrite(true).analyze(), 'stale-size-write').length, 0);
});

test('the per-file model marks passthrough opens with their backing files; the limitation says no size verdict is made', async () => {
  const r = shrink(true).analyze();
  const f = r.model.files.find((x) => x.path === '/f')!;
  assert.deepEqual(f.passthrough, { opens: 1, backing: [{ id: 5, path: '/srv/back/f', dev: 0x801, ino: 99 }] });
  assert.ok(f.openFlags.includes('FOPEN_PASSTHROUGH'));
  assert.ok(r.model.limitations.some((l) => l.kind === 'passthrough' && /no size verdict/.test(l.message)));
  const plain = shrink(false).analyze().model.files.find((x) => x.path === '/f')!;
  assert.equal(plain.passthrough, undefined);
  // Without the recorder's block, the id alone.
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'g', 10, { ino: 8, size: 1 });
  c.passthroughOpen(0, 2, 10, 1, 4);
  assert.deepEqual(c.analyze().model.files.find((x) => x.path === '/g')!.passthrough, { opens: 1, backing: [{ id: 4, path: null, dev: null, ino: null }] });
  assert.equal(FOPEN_PASSTHROUGH, 1 << 7);
});
