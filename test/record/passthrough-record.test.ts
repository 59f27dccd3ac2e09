/**
 * Passthrough backing files recorded by the LD_PRELOAD library and by the
 * eBPF recorder (record --bpf): libfuse
 * 3.18.2's passthrough_hp (built from the vendored source) in its default
 * passthrough mode registers each opened file with FUSE_DEV_IOC_BACKING_OPEN
 * and answers OPEN/CREATE with FOPEN_PASSTHROUGH and the backing id. The
 * capture must hold one backing-file block per ioctl (capture-format.md §1)
 * with the backing file's path and inode, the ids must be those the replies
 * carry, and analyze must mark the file's passthrough opens with that file.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { BackingOp } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { fuseSkipReason, fusetraceBin, makeTempDir, mountCommand, Op, pairExchanges, readPcapng, run } from '../helpers/mount.js';
import { vendorLibfuseExample } from '../helpers/vendor-libfuse.js';
import { bpfBuildSkipReason, bpfLoadSkipReason, bpfRecord } from '../helpers/bpf.js';

const FOPEN_PASSTHROUGH = 1 << 7;

async function recordPassthroughHp(t: TestContext, bpf: boolean): Promise<void> {
  const reason = fuseSkipReason({ recorder: true }) ?? vendorLibfuseExample('passthrough_hp').reason ??
    (bpf ? bpfBuildSkipReason() ?? (await bpfLoadSkipReason()) : undefined);
  if (reason) return t.skip(reason);
  const hp = vendorLibfuseExample('passthrough_hp').path!;
  const dir = makeTempDir(bpf ? 'passthrough-rec-bpf' : 'passthrough-rec');
  const src = dir.sub('src');
  const out = dir.sub('cap.pcapng');
  const data = Buffer.alloc(3 * 4096, 0x5a);
  mkdirSync(src, { recursive: true });
  const cmd = [hp, '--foreground', src, dir.sub('mnt')];
  const m = bpf
    ? await mountCommand(bpfRecord(out, [], cmd), join(dir.path, 'mnt'), undefined, 60000)
    : await mountCommand(cmd, join(dir.path, 'mnt'), { out, via: 'cli' }, 30000);
  try {
    const fd = openSync(join(m.mountpoint, 'f'), 'w');
    writeSync(fd, data);
    closeSync(fd);
    assert.ok(readFileSync(join(m.mountpoint, 'f')).equals(data), 'the data went through');
  } finally {
    assert.equal(await m.unmount(), 0, `record exit code; stderr: ${m.stderr()}`);
  }
  const st = statSync(join(src, 'f'));

  const backing: BackingOp[] = [];
  readCapture(out, { onConnection() {}, onMessage() {}, onNotice() {}, onBacking: (b) => backing.push({ ...b }) });
  const opens = backing.filter((b) => b.op === 'open');
  assert.ok(opens.length >= 1, `BACKING_OPEN recorded (${backing.length} backing blocks)`);
  for (const b of opens) {
    assert.ok(b.result > 0, `a backing id (${b.result})`);
    // The eBPF recorder names the file from the daemon's fd after the fact:
    // the daemon may have closed it by then (the inode is always known).
    if (!bpf || b.path !== '') assert.equal(b.path, join(src, 'f'), 'the backing file, by path');
    assert.equal(Number(b.ino), st.ino, 'and by inode');
  }

  // Every FOPEN_PASSTHROUGH reply carries an id the capture saw opened before it.
  const { exchanges } = pairExchanges(readPcapng(out));
  const pt = exchanges.filter((e) => (e.opcode === Op.OPEN || e.opcode === Op.CREATE) && e.reply && e.replyError === 0)
    .map((e) => e.reply!.subarray(16 + (e.opcode === Op.CREATE ? 128 : 0)))
    .filter((o) => (o.readUInt32LE(8) & FOPEN_PASSTHROUGH) !== 0);
  assert.ok(pt.length >= 2, `the CREATE and the OPEN of the read-back answered with FOPEN_PASSTHROUGH (${pt.length})`);
  const ids = new Set(opens.map((b) => b.result));
  for (const o of pt) assert.ok(ids.has(o.readInt32LE(12)), `backing id ${o.readInt32LE(12)} of a reply was opened (${[...ids].join(', ')})`);
  const closes = backing.filter((b) => b.op === 'close');
  assert.ok(closes.length >= 1 && closes.every((b) => b.result === 0 && ids.has(b.arg)), `BACKING_CLOSE of opened ids (${closes.map((b) => b.arg).join(', ')})`);

  const a = await run(process.execPath, [fusetraceBin, 'analyze', '--json', out], { timeoutMs: 60000 });
  assert.equal(a.code, 0, a.stderr);
  const model = JSON.parse(a.stdout) as { files: { path: string; passthrough?: { opens: number; backing: { id: number; path: string | null }[] } }[] };
  const f = model.files.find((x) => x.path === '/f');
  assert.ok(f?.passthrough, 'analyze marks /f as opened with passthrough');
  assert.equal(f.passthrough.opens, pt.length);
  assert.ok(f.passthrough.backing.length >= 1 && f.passthrough.backing.every((b) => b.path === join(src, 'f') || (bpf && b.path === null)), JSON.stringify(f.passthrough));
  const d = await run(process.execPath, [fusetraceBin, 'dump', out], { timeoutMs: 60000 });
  assert.equal(d.code, 0, d.stderr);
  const named = opens.find((b) => b.path !== '');
  assert.match(d.stdout, new RegExp(`BACKING_OPEN fd \\d+ -> id ${opens[0]!.result}`));
  if (!bpf || named) assert.match(d.stdout, new RegExp(`BACKING_OPEN fd \\d+ -> id ${named!.result} .*${join(src, 'f').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(d.stdout, /BACKING_CLOSE id \d+ -> 0/);
  dir.remove();
}

test('record (LD_PRELOAD) on passthrough_hp in passthrough mode: BACKING_OPEN/CLOSE recorded, mapped to the OPEN/CREATE replies, marked by analyze', (t) =>
  recordPassthroughHp(t, false));

test('record --bpf on passthrough_hp in passthrough mode: the same BACKING_OPEN/CLOSE blocks, mapped to the replies, marked by analyze', (t) =>
  recordPassthroughHp(t, true));
