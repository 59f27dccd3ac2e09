/**
 * Real mounts of the scenario daemon (build/scenariofs) on this kernel,
 * recorded with `fusetrace record`, checked against what the workload did.
 * Overlap is made deterministic with --write-barrier (the daemon holds WRITE
 * replies until N are in flight), so nothing here asserts on durations.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import {
  assertProjectDecodes,
  concurrentPwrites,
  type Exchange,
  FOPEN_DIRECT_IO,
  FOPEN_PARALLEL_DIRECT_WRITES,
  FUSE_WRITE_CACHE,
  fusetraceBin,
  type Mount,
  mountSkipReason,
  makeTempDir,
  maxInFlight,
  mountScenariofs,
  Op,
  openReplyFlags,
  pairExchanges,
  readPcapng,
  run,
  runNode,
  type ScenariofsOptions,
  writeInfo,
} from '../helpers/mount.js';

const GiB = 1024 ** 3;
const KiB = 1024;

/** Pairs a capture and checks what every real capture must satisfy. */
function loadCapture(file: string): { exchanges: Exchange[]; writes: Exchange[] } {
  const cap = readPcapng(file);
  assert.ok(cap.interfaces.length >= 1, 'at least one interface');
  for (const i of cap.interfaces) {
    assert.equal(i.linkType, 147, 'LINKTYPE_USER0');
    assert.match(i.name ?? '', /^fuse/, 'if_name starts with fuse');
  }
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0, 'every reply matches a request');
  const init = exchanges.find((e) => e.opcode === Op.INIT);
  assert.ok(init?.reply, 'the INIT exchange is in the capture');
  const noReply = new Set<number>([Op.FORGET, Op.BATCH_FORGET, Op.INTERRUPT, Op.DESTROY]);
  const unanswered = exchanges.filter((e) => !e.reply && !noReply.has(e.opcode));
  assert.deepEqual(unanswered.map((e) => `${e.opcode}#${e.unique}`), [], 'every request that expects a reply has one');
  return { exchanges, writes: exchanges.filter((e) => e.opcode === Op.WRITE) };
}

/**
 * Mounts A, then B (both scenariofs over one backing directory), runs `body`,
 * and unmounts B, then A, each exiting 0, whatever `body` did.
 */
async function withTwoMounts<T>(a: ScenariofsOptions, b: ScenariofsOptions, body: (a: Mount, b: Mount) => Promise<T>): Promise<T> {
  const ma = await mountScenariofs(a);
  try {
    const mb = await mountScenariofs(b);
    try {
      return await body(ma, mb);
    } finally {
      assert.equal(await mb.unmount(), 0, mb.stderr());
    }
  } finally {
    assert.equal(await ma.unmount(), 0, ma.stderr());
  }
}

test('scenariofs serves a backing directory, and two mounts agree on inode numbers', async (t) => {
  const reason = await mountSkipReason();
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-basic');
  const back = dir.sub('back');
  const a = await mountScenariofs({ backing: back, mountpoint: dir.sub('a'), name: 'basic-a' });
  try {
    // B re-fetches attributes on every stat (attr timeout 0), so it sees A's truncate at once.
    const b = await mountScenariofs({ backing: back, mountpoint: dir.sub('b'), name: 'basic-b', attrTimeout: 0 });
    try {
      const out = await runNode(
        `
        import * as fs from 'node:fs';
        const [a, b, back] = process.argv.slice(2);
        fs.mkdirSync(a + '/d');
        fs.writeFileSync(a + '/d/f', 'hello');
        fs.renameSync(a + '/d/f', a + '/d/g');
        fs.symlinkSync('g', a + '/d/s');
        const nofollow = fs.openSync(b + '/d/g', fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW); // as cp opens
        const res = {
          nofollow: fs.readFileSync(nofollow, 'utf8'),
          read: fs.readFileSync(b + '/d/g', 'utf8'),
          list: fs.readdirSync(a + '/d').sort(),
          link: fs.readlinkSync(b + '/d/s'),
          inoA: fs.statSync(a + '/d/g').ino,
          inoB: fs.statSync(b + '/d/g').ino,
          inoBack: fs.statSync(back + '/d/g').ino,
        };
        fs.closeSync(nofollow);
        fs.truncateSync(a + '/d/g', 2);
        res.sizeB = fs.statSync(b + '/d/g').size;
        fs.unlinkSync(a + '/d/s');
        fs.unlinkSync(a + '/d/g');
        fs.rmdirSync(a + '/d');
        res.left = fs.readdirSync(b);
        console.log(JSON.stringify(res));`,
        [a.mountpoint, b.mountpoint, back],
      );
      const res = JSON.parse(out) as Record<string, unknown>;
      assert.equal(res.read, 'hello');
      assert.equal(res.nofollow, 'hello', 'O_NOFOLLOW opens work');
      assert.deepEqual(res.list, ['g', 's']);
      assert.equal(res.link, 'g');
      assert.equal(res.inoA, res.inoB, 'attr.ino is the backing st_ino on both mounts');
      assert.equal(res.inoA, res.inoBack, 'attr.ino = backing st_ino');
      assert.equal(res.sizeB, 2);
      assert.deepEqual(res.left, []);
    } finally {
      assert.equal(await b.unmount(), 0, 'scenariofs exits 0 after unmount');
    }
  } finally {
    assert.equal(await a.unmount(), 0, 'scenariofs exits 0 after unmount');
    dir.remove();
  }
});

test('scenariofs unmounts itself and exits 0 on SIGTERM', async (t) => {
  const reason = await mountSkipReason();
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-term');
  const m = await mountScenariofs({ backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'term' });
  try {
    const exited = new Promise<number | null>((res) => m.child.on('exit', (code) => res(code)));
    m.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(` ${m.mountpoint} `), 'the mount is gone');
  } finally {
    await m.unmount();
    dir.remove();
  }
});

test('recorded direct writes appear with their offsets and sizes', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-writes');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'writes', directIo: true,
    record: { out: capFile, snaplen: 256, label: 'writes' },
  });
  // Eight pwrites of distinct sizes at distinct offsets, one process, in order.
  const plan = Array.from({ length: 8 }, (_, i) => ({ offset: i * 1024 * KiB + i * 7, size: (i + 1) * 4096 + i }));
  try {
    await runNode(
      `
      import * as fs from 'node:fs';
      const [file, plan] = process.argv.slice(2);
      const fd = fs.openSync(file, 'w+');
      for (const p of JSON.parse(plan)) fs.writeSync(fd, Buffer.alloc(p.size, 0x61), 0, p.size, p.offset);
      fs.closeSync(fd);`,
      [join(dir.path, 'mnt', 'file'), JSON.stringify(plan)],
    );
  } finally {
    assert.equal(await m.unmount(), 0, `recorder exit status; stderr:\n${m.stderr()}`);
  }
  const cap = readPcapng(capFile);
  assert.ok(cap.messages.every((msg) => msg.data.length <= 256), 'snap length 256 honoured');
  const { exchanges, writes } = loadCapture(capFile);
  const create = exchanges.find((e) => e.opcode === Op.CREATE);
  assert.ok(create, 'CREATE seen');
  assert.equal(openReplyFlags(create) ?? 0, FOPEN_DIRECT_IO, 'CREATE reply carries FOPEN_DIRECT_IO');
  const got = writes.map((w) => writeInfo(w));
  assert.deepEqual(got.map((w) => ({ offset: w.offset, size: w.size })), plan);
  for (const w of got) assert.equal(w.written, w.size, 'the reply reports the whole size written');
  for (const w of writes) assert.equal(w.reqLen, 80 + writeInfo(w).size, 'original length = header + write_in + data');
  assert.equal(maxInFlight(writes), 1);
  await assertProjectDecodes(capFile);
  dir.remove();
});

async function parallelRun(parallel: boolean): Promise<{ writes: Exchange[]; exchanges: Exchange[] }> {
  const dir = makeTempDir(parallel ? 'sfs-par' : 'sfs-ser');
  const capFile = dir.sub('cap.pcapng');
  const file = join(dir.path, 'mnt', 'file');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'par', threads: 6, directIo: true,
    parallelDirectWrites: parallel, attrTimeout: 60, entryTimeout: 60,
    // Hold replies until all four are in flight; without the flag the kernel
    // sends one at a time, and each is released after 300 ms.
    writeBarrier: 4, writeDelayMs: parallel ? 20000 : 300,
    record: { out: capFile, snaplen: 256 },
  });
  try {
    await runNode(`import * as fs from 'node:fs'; fs.writeFileSync(process.argv[2], ''); fs.truncateSync(process.argv[2], ${1024 * KiB});`, [file]);
    await concurrentPwrites(file, [0, 256 * KiB, 512 * KiB, 768 * KiB], 64 * KiB);
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const res = loadCapture(capFile);
  await assertProjectDecodes(capFile);
  dir.remove();
  return res;
}

test('parallel direct writes inside EOF are in flight together with FOPEN_PARALLEL_DIRECT_WRITES', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const { writes, exchanges } = await parallelRun(true);
  const opens = exchanges.filter((e) => e.opcode === Op.OPEN).map((e) => openReplyFlags(e));
  assert.ok(opens.length >= 4);
  for (const f of opens) assert.equal(f, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
  assert.deepEqual(writes.map((w) => writeInfo(w).offset).sort((a, b) => a - b), [0, 256 * KiB, 512 * KiB, 768 * KiB]);
  for (const w of writes) assert.equal(writeInfo(w).size, 64 * KiB);
  assert.equal(maxInFlight(writes), 4, 'all four WRITEs in flight together');
});

test('the same writes are serialised without FOPEN_PARALLEL_DIRECT_WRITES', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const { writes, exchanges } = await parallelRun(false);
  for (const e of exchanges.filter((x) => x.opcode === Op.OPEN)) assert.equal(openReplyFlags(e), FOPEN_DIRECT_IO);
  assert.equal(writes.length, 4);
  assert.equal(maxInFlight(writes), 1, 'the kernel held the exclusive inode lock: one WRITE at a time');
});

test('stale-size race: two mounts over one store, parallel writes beyond the real end', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-race');
  const back = dir.sub('back');
  const capA = dir.sub('A.pcapng');
  const capB = dir.sub('B.pcapng');
  const sizes = await withTwoMounts({
    backing: back, mountpoint: dir.sub('a'), name: 'A', threads: 4, attrTimeout: 3600, entryTimeout: 3600,
    directIo: true, parallelDirectWrites: true, writeBarrier: 2, writeDelayMs: 20000,
    record: { out: capA, snaplen: 256, label: 'A' },
  }, { backing: back, mountpoint: dir.sub('b'), name: 'B', record: { out: capB, snaplen: 256, label: 'B' } }, async (a, b) => {
    const fa = join(a.mountpoint, 'file');
    const fb = join(b.mountpoint, 'file');
    const out = await runNode(
      `
      import * as fs from 'node:fs';
      const [fa, fb] = process.argv.slice(2);
      fs.writeFileSync(fb, ''); fs.truncateSync(fb, ${4 * GiB});    // through B
      fs.statSync(fa);                                               // A caches 4 GiB for an hour
      fs.truncateSync(fb, ${2 * GiB});                               // through B
      console.log(JSON.stringify({ a: fs.statSync(fa).size, b: fs.statSync(fb).size }));`,
      [fa, fb],
    );
    const seen = JSON.parse(out) as { a: number; b: number; back?: number };
    await concurrentPwrites(fa, [3 * GiB, 3.5 * GiB], 64 * KiB);
    seen.back = statSync(join(back, 'file')).size;
    return seen;
  });
  assert.deepEqual(sizes, { a: 4 * GiB, b: 2 * GiB, back: 3.5 * GiB + 64 * KiB });

  const A = loadCapture(capA);
  const B = loadCapture(capB);
  // B: the truncation to 2 GiB (SETATTR with FATTR_SIZE).
  const truncs = B.exchanges.filter((e) => e.opcode === Op.SETATTR && (e.req.readUInt32LE(40) & 8) !== 0);
  assert.deepEqual(truncs.map((e) => Number(e.req.readBigUInt64LE(56))), [4 * GiB, 2 * GiB]);
  // A: the size it cached (4 GiB) and the two writes in flight together.
  const reported = A.exchanges.filter((e) => e.opcode === Op.LOOKUP && e.replyError === 0).map((e) => Number(e.reply!.readBigUInt64LE(16 + 40 + 8)));
  assert.ok(reported.includes(4 * GiB), `A was told 4 GiB (got ${reported.join(',')})`);
  assert.ok(!A.exchanges.some((e) => e.opcode === Op.GETATTR && e.reply && Number(e.reply.readBigUInt64LE(16 + 16 + 8)) === 2 * GiB), 'A never learned 2 GiB before the writes');
  assert.deepEqual(A.writes.map((w) => writeInfo(w).offset).sort((x, y) => x - y), [3 * GiB, 3.5 * GiB]);
  assert.equal(maxInFlight(A.writes), 2, 'both writes beyond the real end were in flight together');
  for (const e of A.exchanges.filter((x) => x.opcode === Op.OPEN)) assert.equal(openReplyFlags(e), FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
  // Both mounts report the backing inode number for the file.
  const inoOf = (ex: Exchange[]): Set<number> => new Set(ex.filter((e) => (e.opcode === Op.LOOKUP || e.opcode === Op.CREATE) && e.replyError === 0).map((e) => Number(e.reply!.readBigUInt64LE(16 + 40))));
  assert.deepEqual([...inoOf(A.exchanges)], [...inoOf(B.exchanges)]);
  await assertProjectDecodes(capA);
  await assertProjectDecodes(capB);
  dir.remove();
});

test('short READ through the page cache: the kernel shrinks its cached size, and the size view follows', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-short-read');
  const back = dir.sub('back');
  const capA = dir.sub('A.pcapng');
  // A caches attributes for an hour and reads through the page cache; B sees the store as it is.
  const seen = await withTwoMounts({
    backing: back, mountpoint: dir.sub('a'), name: 'A', attrTimeout: 3600, entryTimeout: 3600,
    record: { out: capA, snaplen: 256, label: 'A' },
  }, { backing: back, mountpoint: dir.sub('b'), name: 'B', attrTimeout: 0 }, async (a, b) => {
    // coreutils: `stat -c %s` asks statx for the size only (node's stat asks
    // for atime too, which the READ made stale: a GETATTR would hide the shrink).
    const r = await run('sh', ['-c', 'head -c 10000 /dev/zero > "$1" && stat -c %s "$1" && truncate -s 5000 "$2" && cat "$1" | wc -c && stat -c %s "$1"', 'sh',
      join(a.mountpoint, 'f'), join(b.mountpoint, 'f')]);
    assert.equal(r.code, 0, r.stderr);
    const [before, read, after] = r.stdout.trim().split(/\s+/).map(Number);
    return { before, read, after };
  });
  assert.deepEqual(seen, { before: 10000, read: 5000, after: 5000 }, 'A\'s stat shrank to what the READ returned');
  const A = loadCapture(capA);
  const reads = A.exchanges.filter((e) => e.opcode === Op.READ && e.replyError === 0);
  assert.ok(reads.some((e) => e.reply!.readUInt32LE(0) - 16 === 5000 && e.req.readUInt32LE(40 + 16) > 5000), 'a READ asked for more and got 5000 bytes');
  const sizeReplies = A.exchanges.filter((e) => (e.opcode === Op.GETATTR || e.opcode === Op.LOOKUP) && e.replyError === 0)
    .map((e) => Number(e.reply!.readBigUInt64LE(16 + (e.opcode === Op.LOOKUP ? 40 : 16) + 8)));
  assert.ok(!sizeReplies.includes(5000), `A was never told 5000 by an attribute reply (${sizeReplies.join(',')})`);
  // The project's model of A's kernel: the short READ took its size to 5000.
  const f = analyze({ files: [capA] }).model.files.find((x) => x.path === '/f');
  assert.ok(f, 'the file is in the model');
  assert.deepEqual(f.sizeHistory.filter((e) => e.event === 'short-read').map((e) => [e.value, e.kernelSize]), [[5000, 5000]]);
  assert.equal(f.kernelSize['0'], 5000);
  dir.remove();
});

test('attribute replies out of order: the kernel keeps the later-sent one, and the size view does too', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-attr-order');
  const back = dir.sub('back');
  const capA = dir.sub('A.pcapng');
  const held = dir.sub('held.marker');
  // A: attributes valid 5 s; its first GETATTR of the file is answered only
  // after a later one (with the size taken before B's truncate).
  const seen = await withTwoMounts({
    backing: back, mountpoint: dir.sub('a'), name: 'A', threads: 4, attrTimeout: 5, entryTimeout: 3600, holdGetattr: held,
    record: { out: capA, snaplen: 256, label: 'A' },
  }, { backing: back, mountpoint: dir.sub('b'), name: 'B', attrTimeout: 0 }, async (a, b) => {
    // The WRITEs through A mark its attributes stale: the first stat sends
    // GETATTR (held, 10000); B truncates; the second stat's GETATTR is
    // answered 5000 at once; the held reply comes 200 ms later; the third
    // stat (size only, attributes valid) shows what the kernel kept.
    const r = await run('sh', ['-c', `
      head -c 10000 /dev/zero > "$1" || exit 1
      stat -c %s "$1" > "$3.first" &
      i=0; while [ ! -e "$3" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done
      truncate -s 5000 "$2" && stat -c %s "$1" && wait && cat "$3.first" && stat -c %s "$1"`, 'sh',
      join(a.mountpoint, 'f'), join(b.mountpoint, 'f'), held]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split(/\s+/).map(Number);
  });
  // second stat, the held first one (it returns its own reply), third: the kernel kept 5000.
  assert.deepEqual(seen, [5000, 10000, 5000]);
  const A = loadCapture(capA);
  const getattrs = A.exchanges.filter((e) => e.opcode === Op.GETATTR && e.replyError === 0 && e.reply!.readUInt32LE(16 + 16 + 60) !== 0o40755);
  assert.deepEqual(getattrs.map((e) => Number(e.reply!.readBigUInt64LE(16 + 16 + 8))), [10000, 5000], 'two GETATTRs of the file, and no third');
  assert.ok(getattrs[0]!.tReply! > getattrs[1]!.tReply!, 'the first one sent was answered last');
  const f = analyze({ files: [capA] }).model.files.find((x) => x.path === '/f');
  assert.ok(f, 'the file is in the model');
  assert.deepEqual(f.sizeHistory.filter((e) => e.event === 'report').slice(-2).map((e) => [e.value, e.kernelSize]), [[5000, 5000], [10000, 5000]]);
  assert.equal(f.kernelSize['0'], 5000);
  dir.remove();
});

test('writeback cache: WRITEs flagged FUSE_WRITE_CACHE, pid 0, several in flight', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-wb');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'wb', threads: 8, writeback: true,
    writeBarrier: 2, writeDelayMs: 300, record: { out: capFile, snaplen: 256 },
  });
  try {
    await runNode(
      `
      import * as fs from 'node:fs';
      const fd = fs.openSync(process.argv[2], 'w+');
      fs.writeSync(fd, Buffer.alloc(2 * 1024 * 1024, 0x62), 0, 2 * 1024 * 1024, 0);
      fs.fsyncSync(fd);
      fs.closeSync(fd);`,
      [join(dir.path, 'mnt', 'file')],
    );
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const { writes } = loadCapture(capFile);
  const infos = writes.map((w) => writeInfo(w));
  assert.ok(infos.length >= 2);
  for (const w of infos) {
    assert.equal(w.writeFlags & FUSE_WRITE_CACHE, FUSE_WRITE_CACHE);
    assert.equal(w.pid, 0, 'writeback WRITEs come from the kernel (pid 0)');
  }
  const end = Math.max(...infos.map((w) => w.offset + w.size));
  assert.equal(end, 2 * 1024 * 1024, 'the last WRITE ends exactly at EOF');
  assert.equal(infos.reduce((s, w) => s + w.size, 0), 2 * 1024 * 1024, 'every byte written once');
  assert.ok(maxInFlight(writes) >= 2, 'background writeback WRITEs overlap');
  dir.remove();
});

test('split direct I/O: one O_DIRECT write becomes several concurrent WRITEs (FUSE_ASYNC_DIO)', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-split');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'split', threads: 16, asyncDio: true,
    maxWrite: 128 * KiB, writeBarrier: 4, writeDelayMs: 300, record: { out: capFile, snaplen: 256 },
  });
  const total = 4 * 1024 * KiB;
  try {
    await runNode(
      `
      import * as fs from 'node:fs';
      fs.writeFileSync(process.argv[2], '');
      const fd = fs.openSync(process.argv[2], fs.constants.O_RDWR | fs.constants.O_DIRECT);
      const n = fs.writeSync(fd, Buffer.alloc(${total}, 0x63), 0, ${total}, 0);
      if (n !== ${total}) process.exit(1);
      fs.closeSync(fd);`,
      [join(dir.path, 'mnt', 'file')],
    );
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const { writes } = loadCapture(capFile);
  const infos = writes.map((w) => writeInfo(w)).sort((a, b) => a.offset - b.offset);
  assert.ok(infos.length >= total / (128 * KiB), `split into at least 32 WRITEs (got ${infos.length})`);
  let pos = 0;
  for (const w of infos) {
    assert.equal(w.offset, pos, 'contiguous ranges');
    assert.ok(w.size <= 128 * KiB, 'no WRITE above max_write');
    pos += w.size;
  }
  assert.equal(pos, total);
  assert.equal(new Set(infos.map((w) => w.pid)).size, 1, 'all from one caller thread');
  assert.ok(maxInFlight(writes) >= 4, 'the pieces were in flight together');
  dir.remove();
});

test('16 daemon threads: every request and reply recorded', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-16');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'sixteen', threads: 16, directIo: true,
    parallelDirectWrites: true, record: { out: capFile, snaplen: 256 },
  });
  const procs = 8;
  const perProc = 32;
  try {
    const file = join(dir.path, 'mnt', 'file');
    await runNode(`import * as fs from 'node:fs'; fs.writeFileSync(process.argv[2], Buffer.alloc(${procs * perProc * 4096}));`, [file]);
    const code = `
      import * as fs from 'node:fs';
      const [file, p] = process.argv.slice(2);
      const fd = fs.openSync(file, 'r+');
      const buf = Buffer.alloc(4096, 0x64);
      for (let i = 0; i < ${perProc}; i++) fs.writeSync(fd, buf, 0, 4096, (Number(p) * ${perProc} + i) * 4096);
      fs.closeSync(fd);`;
    await Promise.all(Array.from({ length: procs }, (_, p) => runNode(code, [file, String(p)])));
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const { writes } = loadCapture(capFile);
  const offsets = writes.map((w) => writeInfo(w)).filter((w) => w.size === 4096).map((w) => w.offset);
  const expected = Array.from({ length: procs * perProc }, (_, i) => i * 4096);
  for (const o of expected) assert.ok(offsets.includes(o), `WRITE at ${o} recorded`);
  dir.remove();
});

test('capinfos and tshark read a recorded capture', async (t) => {
  const reason = await mountSkipReason({ recorder: true, commands: ['capinfos', 'tshark'] });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-tshark');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({ backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'tshark', record: { out: capFile } });
  try {
    writeFileSync(join(dir.path, 'back', 'seed'), 'x');
    await runNode(`import * as fs from 'node:fs'; fs.readdirSync(process.argv[2]); fs.readFileSync(process.argv[2] + '/seed');`, [m.mountpoint]);
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const n = readPcapng(capFile).messages.length;
  const ci = await run('capinfos', ['-c', capFile]);
  assert.equal(ci.code, 0, ci.stderr);
  assert.match(ci.stdout, new RegExp(`Number of packets:\\s+${n}\\b`));
  const ts = await run('tshark', ['-r', capFile], { env: { ...process.env, HOME: dir.path } });
  assert.equal(ts.code, 0, ts.stderr);
  assert.equal(ts.stdout.trim().split('\n').length, n);
  dir.remove();
});

test('an old reply minor (7.8) gives compat layouts on the wire', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-minor8');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'minor8', minor: 8, directIo: true,
    record: { out: capFile, snaplen: 0 },
  });
  try {
    await runNode(
      `import * as fs from 'node:fs';
      const fd = fs.openSync(process.argv[2], 'w+');
      fs.writeSync(fd, Buffer.alloc(3000, 0x71), 0, 3000, 4096);
      fs.closeSync(fd);
      fs.statSync(process.argv[2]);`,
      [join(dir.path, 'mnt', 'file')],
    );
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const { exchanges, writes } = loadCapture(capFile);
  const init = exchanges.find((e) => e.opcode === Op.INIT)!;
  assert.equal(init.reply!.readUInt32LE(20), 8, 'INIT reply minor 8');
  assert.equal(init.reply!.length, 16 + 24, 'init_out sized for 7.5-7.22');
  // Before 7.9: fuse_write_in is 24 bytes, data at message offset 64.
  // A 7.8 peer has no big writes, so the kernel sends at most one page per
  // WRITE: the 3000 bytes arrive in one or two pieces depending on where the
  // user buffer sits in its page. Together they cover [4096, 7096) exactly.
  assert.ok(writes.length >= 1 && writes.length <= 2, `${writes.length} WRITEs`);
  let next = 4096;
  for (const w of writes) {
    const offset = Number(w.req.readBigUInt64LE(48));
    const size = w.req.readUInt32LE(56);
    assert.equal(offset, next, 'pieces are contiguous');
    assert.ok(size <= 4096, 'one page at most without big writes');
    assert.equal(w.reqLen, 64 + size);
    assert.ok(w.req.subarray(64).every((b) => b === 0x71));
    next += size;
  }
  assert.equal(next, 4096 + 3000);
  // entry_out 120 and attr_out 96 bytes.
  for (const e of exchanges.filter((x) => x.replyError === 0 && x.reply)) {
    if (e.opcode === Op.LOOKUP) assert.equal(e.reply!.length, 16 + 120);
    if (e.opcode === Op.GETATTR) assert.equal(e.reply!.length, 16 + 96);
    if (e.opcode === Op.CREATE) assert.equal(e.reply!.length, 16 + 120 + 16);
  }
  await assertProjectDecodes(capFile);
  dir.remove();
});

test('FUSE_SECURITY_CTX: the kernel ends each create-like request with an extension, and it is no part of the arguments', async (t) => {
  const reason = await mountSkipReason({ recorder: true });
  if (reason) return t.skip(reason);
  const dir = makeTempDir('sfs-secctx');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountScenariofs({
    backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'secctx', securityCtx: true,
    record: { out: capFile, snaplen: 0 },
  });
  try {
    // mknod of a FIFO is answered ENOSYS by the daemon: the request still carries its extension.
    const r = await run('sh', ['-c', 'cd "$1" && touch f1 && mkdir d1 && ln -s target l1 && { mknod p1 p 2>/dev/null; true; } && echo x > d1/f2 && cat d1/f2', 'sh', join(dir.path, 'mnt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'x\n');
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  const { exchanges } = loadCapture(capFile);
  const init = exchanges.find((e) => e.opcode === Op.INIT)!;
  assert.equal(init.reply!.readUInt32LE(16 + 32), 1, 'the daemon took FUSE_SECURITY_CTX (flags2 bit 0)');
  // total_extlen (fuse_in_header offset 36, in 8-byte units): a fuse_secctx_header at least.
  const SYMLINK = 6;
  const MKDIR = 9;
  const creating = exchanges.filter((e) => [Op.CREATE, MKDIR, SYMLINK, Op.MKNOD].includes(e.opcode));
  assert.deepEqual(creating.map((e) => e.opcode).sort((a, b) => a - b), [SYMLINK, Op.MKNOD, MKDIR, Op.CREATE, Op.CREATE]);
  for (const e of creating) assert.ok(e.req.readUInt16LE(36) >= 1, `opcode ${e.opcode} carries an extension`);
  // The analysis reads each name before the extension: every file has its path, nothing is malformed.
  const res = analyze({ files: [capFile] });
  assert.deepEqual(res.model.findings.map((f) => f.kind), []);
  assert.deepEqual(res.model.files.map((f) => f.path).sort(), ['/', '/d1', '/d1/f2', '/f1', '/l1']);
  // dump shows the extension beside the arguments it ends.
  const lines = (await run(process.execPath, [fusetraceBin, 'dump', '--json', capFile])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: { decoded?: { op?: string; body?: Record<string, unknown> } } });
  const bodies = lines.filter((l) => l.type === 'message' && l.data.decoded?.op === 'CREATE' && l.data.decoded.body?.['name'] !== undefined).map((l) => l.data.decoded!.body!);
  assert.deepEqual(bodies.map((b) => [b['name'], (b['ext'] as { type: string }[]).map((x) => x.type)]), [['f1', ['fuse_secctx_header']], ['f2', ['fuse_secctx_header']]]);
  // The text line names it: no security module labels the files here, so the header carries no context.
  assert.match((await run(process.execPath, [fusetraceBin, 'dump', capFile])).stdout, /-> MKDIR #\d+ .*"d1" ext secctx none\n/);
  await assertProjectDecodes(capFile);
  dir.remove();
});
