/**
 * libfuse's passthrough_ll (built from Debian's libfuse3-dev example source)
 * recorded for real: libfuse 3 receives requests with splice(2), so this is
 * the test that the recorder sees splice, payload included.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildPassthroughLl,
  assertProjectDecodes,
  mountSkipReason,
  makeTempDir,
  mountCommand,
  Op,
  openReplyFlags,
  pairExchanges,
  readPcapng,
  runNode,
  writeInfo,
  FOPEN_DIRECT_IO,
} from '../helpers/mount.js';

async function skipReason(): Promise<string | undefined> {
  const r = await mountSkipReason({ recorder: true, commands: ['pkg-config'] });
  if (r) return r;
  const b = buildPassthroughLl();
  return b.path ? undefined : b.reason;
}

test('passthrough_ll: writes of known offsets and sizes, payload included, through splice', async (t) => {
  const reason = await skipReason();
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('pll');
  const src = dir.sub('src');
  const capFile = dir.sub('cap.pcapng');
  // cache=never: every open gets FOPEN_DIRECT_IO, so each pwrite is one WRITE.
  const m = await mountCommand([pll, '-f', '-o', `source=${src},cache=never`, dir.sub('mnt')], join(dir.path, 'mnt'), {
    out: capFile, snaplen: 0, label: 'passthrough_ll',
  });
  const plan = [
    { offset: 0, size: 1000, byte: 0x41 },
    { offset: 10000, size: 5000, byte: 0x42 },
    { offset: 100000, size: 70000, byte: 0x43 },
  ];
  let readBack = '';
  try {
    readBack = await runNode(
      `
      import * as fs from 'node:fs';
      const [mnt, plan] = process.argv.slice(2);
      fs.mkdirSync(mnt + '/d');
      const fd = fs.openSync(mnt + '/d/f', 'w+');
      for (const p of JSON.parse(plan)) fs.writeSync(fd, Buffer.alloc(p.size, p.byte), 0, p.size, p.offset);
      fs.closeSync(fd);
      const data = fs.readFileSync(mnt + '/d/f');
      const names = fs.readdirSync(mnt + '/d');
      fs.renameSync(mnt + '/d/f', mnt + '/d/g');
      fs.unlinkSync(mnt + '/d/g');
      fs.rmdirSync(mnt + '/d');
      console.log(JSON.stringify({ len: data.length, a: data[0], c: data[169999], names }));`,
      [m.mountpoint, JSON.stringify(plan)],
    );
  } finally {
    assert.equal(await m.unmount(), 0, m.stderr());
  }
  assert.deepEqual(JSON.parse(readBack), { len: 170000, a: 0x41, c: 0x43, names: ['f'] });

  const cap = readPcapng(capFile);
  assert.ok(cap.statistics >= 1, 'an ISB at the end');
  for (const msg of cap.messages) assert.equal(msg.data.length, msg.origLen, 'snap length 0 keeps whole messages');
  const { exchanges, orphans } = pairExchanges(cap);
  assert.equal(orphans, 0);
  const noReply = new Set<number>([Op.FORGET, Op.BATCH_FORGET, Op.INTERRUPT]);
  assert.deepEqual(exchanges.filter((e) => !e.reply && !noReply.has(e.opcode)).map((e) => e.opcode), [], 'every request answered');
  const ops = new Set(exchanges.map((e) => e.opcode));
  for (const op of [Op.INIT, Op.LOOKUP, Op.CREATE, Op.WRITE, Op.READ, Op.OPENDIR, Op.RELEASE]) assert.ok(ops.has(op), `opcode ${op} seen`);
  for (const op of [9 /* MKDIR */, 12 /* RENAME */, 10 /* UNLINK */, 11 /* RMDIR */]) assert.ok(ops.has(op), `opcode ${op} seen`);
  const create = exchanges.find((e) => e.opcode === Op.CREATE)!;
  assert.equal((openReplyFlags(create) ?? 0) & FOPEN_DIRECT_IO, FOPEN_DIRECT_IO);

  const writes = exchanges.filter((e) => e.opcode === Op.WRITE);
  assert.deepEqual(writes.map((w) => ({ offset: writeInfo(w).offset, size: writeInfo(w).size })), plan.map(({ offset, size }) => ({ offset, size })));
  writes.forEach((w, i) => {
    const p = plan[i]!;
    assert.equal(writeInfo(w).written, p.size);
    const payload = w.req.subarray(80);
    assert.equal(payload.length, p.size, 'the whole payload is in the capture (spliced request)');
    assert.ok(payload.every((b) => b === p.byte), 'payload bytes are what was written');
  });
  const readBytes = exchanges
    .filter((e) => e.opcode === Op.READ && e.replyError === 0)
    .reduce((s, e) => s + (e.reply!.length - 16), 0);
  assert.ok(readBytes >= 170000, `READ replies carry the data read back (${readBytes} bytes)`);

  await assertProjectDecodes(capFile);
  dir.remove();
});

test('passthrough_ll: the capture is whole after SIGTERM of the recorded daemon', async (t) => {
  const reason = await skipReason();
  if (reason) return t.skip(reason);
  const pll = buildPassthroughLl().path!;
  const dir = makeTempDir('pll-term');
  const capFile = dir.sub('cap.pcapng');
  const m = await mountCommand([pll, '-f', '-o', `source=${dir.sub('src')}`, dir.sub('mnt')], join(dir.path, 'mnt'), {
    out: capFile, snaplen: 4096,
  });
  try {
    await runNode(`import * as fs from 'node:fs'; fs.writeFileSync(process.argv[2] + '/x', 'data'); fs.readdirSync(process.argv[2]);`, [m.mountpoint]);
    const exited = new Promise<number | null>((res) => m.child.on('exit', (code) => res(code)));
    m.child.kill('SIGTERM');
    await exited;
  } finally {
    await m.unmount();
  }
  assert.ok(existsSync(capFile));
  const cap = readPcapng(capFile); // throws on a cut or torn block
  assert.ok(cap.statistics >= 1, 'ISB written at exit');
  const { exchanges } = pairExchanges(cap);
  assert.ok(exchanges.some((e) => e.opcode === Op.CREATE && e.reply), 'the workload is in the capture');
  assert.ok(readFileSync(capFile).length % 4 === 0);
  dir.remove();
});
