/**
 * `fusetrace record --bpf` on FUSE over io_uring: libfuse 3.18.2's
 * passthrough_ll with `-o io_uring` (built from the vendored source), the
 * kernel's enable_uring switched on for the run. After INIT the traffic
 * crosses no syscall on /dev/fuse; the recorder rebuilds it from the kernel's
 * fuse tracepoints. Every WRITE of the workload must be in the capture with
 * its offset, size and bytes, marked as rebuilt, never twice, and analyze
 * must read it and say what such a capture cannot show.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  fuseSkipReason,
  fusetraceBin,
  makeTempDir,
  mountCommand,
  Op,
  pairExchanges,
  readPcapng,
  repoRoot,
  run,
  writeInfo,
} from '../helpers/mount.js';
import { withMachineLock } from '../helpers/machine-lock.js';
import { ENABLE_URING, vendorLibfuseExample } from '../helpers/vendor-libfuse.js';

const bpfRecorder = join(repoRoot, 'build', 'ftrec-bpf');
/** FUSE_OVER_IO_URING: bit 41 of the INIT flags, i.e. bit 9 of flags2. */
const FLAGS2_OVER_IO_URING = 1 << 9;

async function skipReason(): Promise<string | undefined> {
  const r = fuseSkipReason();
  if (r) return r;
  if (!existsSync(bpfRecorder)) return `${bpfRecorder} is not built (needs clang, bpftool, libbpf-dev; run npm run build)`;
  if (!existsSync(ENABLE_URING)) return `${ENABLE_URING} is missing (a kernel without FUSE over io_uring, before 6.14)`;
  const probe = makeTempDir('uring-probe');
  try {
    const p = await run(bpfRecorder, ['-q', '-o', probe.sub('p.pcapng'), '--', 'true'], { timeoutMs: 30000 });
    if (p.code !== 0) return `the eBPF recorder cannot load here: ${p.stderr.trim().split('\n')[0]}`;
  } finally {
    probe.remove();
  }
  return vendorLibfuseExample('passthrough_ll').reason;
}

/** Runs fn with the fuse module's enable_uring on (under its machine-wide lock), the old value put back after. */
function withEnableUring<T>(fn: () => Promise<T>): Promise<T> {
  return withMachineLock(ENABLE_URING, async () => {
    const old = readFileSync(ENABLE_URING, 'utf8').trim();
    writeFileSync(ENABLE_URING, 'Y');
    try {
      return await fn();
    } finally {
      writeFileSync(ENABLE_URING, old);
    }
  });
}

/** The workload: whole pages at known offsets, each with its own bytes; one
 * of 64 KiB (a rebuilt message of several ring-buffer chunks). */
const WRITES = [[0, 4096], [8192, 4096], [20480, 4096], [131072, 65536], [1 << 20, 4096]].map(([offset, size], i) => ({
  offset: offset!,
  data: Buffer.from(Array.from({ length: size! }, (_, k) => (0x41 + i + (k >> 12)) & 0xff)),
}));

test('record --bpf on passthrough_ll -o io_uring: every WRITE rebuilt with its offset, size and bytes; analyze reads it', async (t) => {
  const reason = await skipReason();
  if (reason) return t.skip(reason);
  const pll = vendorLibfuseExample('passthrough_ll').path!;
  const dir = makeTempDir('bpf-uring');
  const out = dir.sub('cap.pcapng');
  let back = Buffer.alloc(0);
  await withEnableUring(async () => {
    const cmd = [process.execPath, fusetraceBin, 'record', '--bpf', '-q', '--snaplen', '0', '-o', out, '--',
      pll, '-f', '-o', 'io_uring', '-o', `source=${dir.sub('src')}`, dir.sub('mnt')];
    const m = await mountCommand(cmd, join(dir.path, 'mnt'), undefined, 30000);
    try {
      const fd = openSync(join(m.mountpoint, 'f'), 'w');
      for (const w of WRITES) writeSync(fd, w.data, 0, w.data.length, w.offset);
      closeSync(fd);
      back = readFileSync(join(m.mountpoint, 'f'));
      assert.equal(back.length, (1 << 20) + 4096);
    } finally {
      assert.equal(await m.unmount(), 0, `record --bpf exit code; stderr: ${m.stderr()}`);
    }
  });

  const cap = readPcapng(out);
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0, 'every rebuilt reply has its request');
  const init = exchanges.find((e) => e.opcode === Op.INIT);
  assert.ok(init?.reply, 'INIT and its reply (over /dev/fuse)');
  // fuse_init_out after the 16-byte header: flags2 at 32.
  assert.ok((init.reply.readUInt32LE(16 + 32) & FLAGS2_OVER_IO_URING) !== 0, 'the INIT reply negotiates FUSE_OVER_IO_URING');

  const initReq = cap.messages.find((x) => x.dir === 1 && x.data.readUInt32LE(4) === Op.INIT);
  assert.equal(initReq?.comment, undefined, 'INIT crossed /dev/fuse: not rebuilt');
  const rebuilt = cap.messages.filter((x) => x.comment?.startsWith('rebuilt from '));
  assert.ok(rebuilt.length > 2 * WRITES.length, `ring messages rebuilt (${rebuilt.length})`);
  for (const x of rebuilt) {
    assert.equal(x.comment, x.dir === 1 ? 'rebuilt from fuse_request_send' : 'rebuilt from fuse_request_end');
  }
  // Nothing twice: each (direction, unique) once.
  const keys = cap.messages.filter((x) => x.data.readBigUInt64LE(8) !== 0n).map((x) => `${x.dir}:${x.data.readBigUInt64LE(8)}`);
  assert.equal(new Set(keys).size, keys.length, 'no message recorded twice');

  const writes = exchanges.filter((e) => e.opcode === Op.WRITE);
  assert.deepEqual(writes.map(writeInfo).map((w) => `${w.offset}+${w.size}=${w.written}`).sort(),
    WRITES.map((w) => `${w.offset}+${w.data.length}=${w.data.length}`).sort(), 'every WRITE of the workload, with its offset and size, answered');
  for (const e of writes) {
    const w = WRITES.find((x) => x.offset === writeInfo(e).offset)!;
    // fuse_in_header (40) + fuse_write_in (40), then the data pages.
    assert.ok(e.req.subarray(80).equals(w.data), `the bytes of the WRITE at ${w.offset}`);
  }

  // Snap length 0: whole messages, the READ replies of the read-back (up to 128 KiB) included.
  const cut = cap.messages.filter((x) => x.data.length < x.origLen);
  assert.deepEqual(cut.map((x) => `${x.dir}:${x.data.readBigUInt64LE(8)} ${x.data.length}/${x.origLen}`), [], 'no message cut');
  assert.ok(cap.messages.some((x) => x.dir === 2 && x.origLen > 65536), 'a large READ reply, whole');
  const reads = exchanges.filter((e) => e.opcode === Op.READ && e.reply && e.replyError === 0);
  assert.ok(reads.length > 0, 'the read-back is there');
  for (const e of reads) {
    const off = Number(e.req.readBigUInt64LE(48)); // fuse_read_in: fh, offset
    const data = e.reply!.subarray(16);
    assert.ok(data.equals(back.subarray(off, off + data.length)), `the bytes of the READ reply at ${off} (${data.length})`);
  }

  const a = await run(process.execPath, [fusetraceBin, 'analyze', out], { timeoutMs: 60000 });
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /What this capture cannot show[\s\S]*io_uring: the recorder rebuilt \d+ ring messages/);
  assert.match(a.stdout, /\/f\s+\(conn 0[^\n]*\n[^\n]*WRITE \(16\) ×5[^\n]*5 writes/, 'the file and its five writes');
  dir.remove();
});
