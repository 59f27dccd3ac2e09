/** The problem registry: ids, kinds and messages, and extract recording the id with the message. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Problem, ProblemNote, problemText } from '../../src/protocol/problems.js';
import { cstr, negotiated, proto, repHex, reply, reqHex, request, str, u32, u64, zeros } from './support.js';

test('every problem has a unique id, a kind, and a template whose placeholders are numbered from 0', () => {
  const ids = new Set<string>();
  for (const [key, d] of Object.entries(Problem)) {
    assert.match(d.id, /^[a-z0-9-]+$/, key);
    assert.ok(!ids.has(d.id), `${d.id} once`);
    ids.add(d.id);
    const used = [...d.template.matchAll(/\{(\d)\}/g)].map((m) => Number(m[1]));
    for (const i of used) assert.ok(i < 4 && used.includes(i > 0 ? i - 1 : 0), `${d.id}: placeholders {0}..{${Math.max(...used)}} without gaps`);
    assert.equal(d.kind === 'truncated', d.template.startsWith('truncated: '), `${d.id}: only truncations read "truncated: ..."`);
  }
  const n = new ProblemNote(Problem.STRUCT_CUT, 60, 84, 'fuse_write_in', 80);
  assert.deepEqual([n.id, n.kind, n.text], ['struct-cut', 'truncated', 'truncated: 60 of 84 bytes captured, fuse_write_in needs 80']);
  assert.equal(problemText(Problem.STRUCT_SHORT, 48, 80, 'fuse_write_in', 45), '48 bytes < 80 needed for fuse_write_in at minor 45');
});

test('extract records the problem id with its numbers, per side; the first problem found in a message stays', () => {
  // A WRITE whose body is too short for fuse_write_in.
  const short = request(reqHex(16, 2, 5, zeros(8)), proto());
  assert.equal(short.x.reqProblem?.id, 'struct-short');
  assert.equal(short.x.reqProblem?.text, '48 bytes < 80 needed for fuse_write_in at minor 45');
  assert.equal(short.d.problem, short.x.reqProblem?.text);
  // The same WRITE cut by the snap length inside fuse_write_in: a truncation, not an error.
  const body = u64(7) + u64(0) + u32(4) + u32(0) + u64(0) + u32(0) + u32(0) + 'aabbccdd';
  const cut = request(reqHex(16, 4, 5, body), proto(), { capLen: 60 });
  assert.equal(cut.x.reqProblem?.id, 'struct-cut');
  assert.equal(cut.x.reqProblem?.kind, 'truncated');
  assert.equal(cut.x.reqProblem?.text, 'truncated: 60 of 84 bytes captured, fuse_write_in needs 80');
  assert.equal(cut.d.truncated, cut.x.reqProblem?.text);
  assert.equal(cut.d.problem, undefined);
  // The header length is checked against the captured message first; that problem stays.
  const both = request(reqHex(16, 6, 5, zeros(8), { len: 60 }), proto());
  assert.equal(both.x.reqProblem?.id, 'len-mismatch');
  assert.equal(both.d.problem, 'header len 60 differs from the captured message length 48');
  // A reply's problem is the reply's own: the request's stays beside it, and decode shows each its own.
  const p = proto();
  const lk = request(reqHex(1, 8, 1, '616263'), p);
  const r = reply(lk.x, repHex(8, 0, zeros(8)), p);
  assert.equal(lk.x.reqProblem?.id, 'name-unterminated');
  assert.equal(lk.x.replyProblem?.id, 'reply-size');
  assert.equal(lk.d.problem, 'name is not NUL-terminated');
  assert.equal(r.problem, 'reply body 8 bytes != 128 of fuse_entry_out at minor 45 (the kernel refuses it: EINVAL)');
});

test('each name a request carries is checked for its NUL, and the walk that dump prints says the same problem', () => {
  // [what, opcode, fixed struct, names (the last lacks its NUL), problem id].
  const cases: [string, number, string, string[], string][] = [
    ['SYMLINK name', 6, '', ['abc'], 'symlink-name-unterminated'],
    ['SYMLINK target', 6, '', ['a', 'target'], 'symlink-target-unterminated'],
    ['RENAME old name', 12, u64(1), ['old'], 'old-name-unterminated'],
    ['RENAME new name', 12, u64(1), ['old', 'new'], 'new-name-unterminated'],
    ['RENAME2 new name', 45, u64(1) + u32(0) + u32(0), ['old', 'new'], 'new-name-unterminated'],
    ['MKDIR', 9, zeros(8), ['d'], 'name-unterminated'],
    ['MKNOD', 8, zeros(16), ['n'], 'name-unterminated'],
    ['LINK', 13, u64(5), ['l'], 'name-unterminated'],
    ['CREATE', 35, zeros(16), ['c'], 'name-unterminated'],
    ['GETXATTR', 22, u32(64) + u32(0), ['user.x'], 'name-unterminated'],
    ['UNLINK', 10, '', ['u'], 'name-unterminated'],
  ];
  // The names the opcode takes, for the well-formed twin.
  const full: Record<number, number> = { 6: 2, 12: 2, 45: 2 };
  for (const [what, op, fixed, names, id] of cases) {
    const r = request(reqHex(op, 2, 1, fixed + names.slice(0, -1).map(cstr).join('') + str(names.at(-1)!)), proto());
    assert.equal(r.x.reqProblem?.id, id, what);
    assert.equal(r.d.problem, r.x.reqProblem?.text, `${what}: the walk says the same`);
    // Every name with its NUL: well formed.
    const all = [...names, 'x'].slice(0, full[op] ?? 1);
    const whole = request(reqHex(op, 4, 1, fixed + all.map(cstr).join('')), proto());
    assert.equal(whole.x.reqProblem, undefined, `${what}, whole`);
    assert.equal(whole.d.problem, undefined, `${what}, whole: the walk`);
  }
});

test('a GETXATTR or LISTXATTR reply carrying more than the request asked for is a fault of the reply', () => {
  for (const [op, body] of [[22, u32(4) + u32(0) + cstr('user.x')], [23, u32(4) + u32(0)]] as const) {
    const p = proto();
    const q = request(reqHex(op, 2, 1, body), p);
    assert.equal(q.x.reqProblem, undefined);
    const over = reply(q.x, repHex(2, 0, str('12345678')), p);
    assert.equal(q.x.replyProblem?.id, 'reply-over-requested');
    assert.equal(q.x.replyProblem?.text, 'reply carries 8 bytes, more than the 4 requested (the kernel refuses it)');
    assert.equal(over.problem, q.x.replyProblem?.text);
    const q2 = request(reqHex(op, 4, 1, body), p);
    const fits = reply(q2.x, repHex(4, 0, str('1234')), p);
    assert.equal(q2.x.replyProblem, undefined);
    assert.equal(fits.problem, undefined);
  }
});

test('a request\'s extension block holds none of its arguments: the length checks leave it out, and the walk that dump prints shows what extract read', () => {
  // One FUSE_EXT_GROUPS block (16 bytes, total_extlen 2), after the arguments (fuse-protocol.md §1.7).
  const ext = u32(16) + u32(32) + u32(1) + u32(1000);
  // [what, opcode, well-formed arguments, what the walk shows of them].
  const whole: [string, number, string, string][] = [
    ['WRITE', 16, u64(1) + u64(0) + u32(4) + u32(0) + u64(0) + u32(0) + u32(0) + 'aabbccdd', 'data'],
    ['IOCTL', 39, u64(1) + u32(0) + u32(0x5401) + u64(0) + u32(4) + u32(0) + 'aabbccdd', 'data'],
    ['NOTIFY_REPLY', 41, u64(0) + u64(0) + u32(4) + u32(0) + u64(0) + u64(0) + 'aabbccdd', 'data'],
    ['BATCH_FORGET', 42, u32(1) + u32(0) + u64(5) + u64(1), 'forgets'],
    ['REMOVEMAPPING', 49, u32(1) + u64(0) + u64(4096), 'ranges'],
    ['SETXATTR', 21, u32(4) + u32(0) + cstr('user.a') + 'aabbccdd', 'value'],
  ];
  for (const [what, op, args, key] of whole) {
    const r = request(reqHex(op, 2, 1, args, { ext }), negotiated(45));
    assert.equal(r.x.reqProblem, undefined, `${what} with an extension: ${r.x.reqProblem?.text}`);
    assert.equal(r.d.problem, undefined, `${what}: the walk`);
    assert.ok(key in r.d.body && 'ext' in r.d.body, `${what}: ${JSON.stringify(r.d.body)}`);
  }
  // BATCH_FORGET counting two entries with one present: extension bytes are no second entry.
  const bf = request(reqHex(42, 4, 1, u32(2) + u32(0) + u64(5) + u64(1), { ext }), negotiated(45));
  assert.equal(bf.x.reqProblem?.text, 'BATCH_FORGET count 2 needs 80 bytes, message has 64');
  assert.equal(bf.x.forgets, undefined);
  assert.deepEqual(bf.d.body.forgets, [{ nodeid: 5, nlookup: 1 }]);
  assert.equal(bf.d.problem, bf.x.reqProblem?.text);
  // A SETXATTR whose value is longer than its size: the body counted is the arguments'.
  const sx = request(reqHex(21, 6, 1, u32(4) + u32(0) + cstr('user.a') + 'aabbccddeeff', { ext }), negotiated(45));
  assert.equal(sx.x.reqProblem?.text, 'SETXATTR body 21 bytes != 8 + name 7 + value 4');
  // An OPEN whose only body is the extension: fuse_open_in is missing, not read from the extension.
  const open = request(reqHex(14, 8, 1, '', { ext }), negotiated(45));
  assert.equal(open.x.reqProblem?.text, '40 bytes < 48 needed for fuse_open_in at minor 45');
  assert.equal(open.x.flags, 0);
  assert.equal(open.d.problem, open.x.reqProblem?.text);
  // A GETATTR without fuse_getattr_in (pre-7.9) is well formed with or without an extension.
  assert.equal(request(reqHex(3, 10, 1, '', { ext }), proto()).x.reqProblem, undefined);
});

test('a fixed-size reply cut by the snap length is truncated, not malformed, and its result is left unread', () => {
  const p = negotiated(45);
  const q = request(reqHex(3, 2, 5, u32(0) + u32(0) + u64(0)), p);
  // fuse_attr_out is 104 bytes; the capture kept 44 of them.
  const d = reply(q.x, repHex(2, 0, u64(1) + u32(0) + u32(0) + u64(5) + u64(4096) + zeros(72)), p, { capLen: 60 });
  assert.equal(q.x.replyProblem?.id, 'struct-cut');
  assert.equal(q.x.replyProblem?.text, 'truncated: 60 of 120 bytes captured, fuse_attr_out needs 120');
  assert.equal(q.x.result, undefined, 'no attributes read from bytes the capture does not hold');
  assert.equal(d.truncated, q.x.replyProblem?.text);
  assert.equal(d.problem, undefined);
  // The walk shows the fields that were captured.
  assert.deepEqual((d.body.fuse_attr_out as { attr: unknown }).attr, { ino: 5, size: 4096, blocks: 0 });
});

test('request bodies at odds with their own counts, and directory records a READDIR reply cannot hold: one problem each, the same from extract and the walk', () => {
  const p = negotiated(45);
  const ioctl = request(reqHex(39, 2, 1, u64(1) + u32(0) + u32(0x5401) + u64(0) + u32(4) + u32(0) + 'aabbccddee'), p);
  assert.equal(ioctl.x.reqProblem?.text, 'IOCTL carries 5 input bytes, in_size says 4');
  const nr = request(reqHex(41, 4, 1, u64(0) + u64(0) + u32(4) + u32(0) + u64(0) + u64(0) + 'aabbccddee'), p);
  assert.equal(nr.x.reqProblem?.text, 'NOTIFY_REPLY carries 5 data bytes, size says 4');
  for (const r of [ioctl, nr]) assert.equal(r.d.problem, r.x.reqProblem?.text);
  // A READDIR reply: one good record, then a bad one.
  const rec = (ino: number, namelen: number, name: string): string => u64(ino) + u64(ino) + u32(namelen) + u32(8) + str(name);
  const cases: [string, string, string][] = [
    ['namelen 2000', rec(6, 2000, 'zzzzzzzz'), 'directory entry at reply byte 48 has namelen 2000 (1..1024)'],
    ['namelen 0', rec(6, 0, 'zzzzzzzz'), 'directory entry at reply byte 48 has namelen 0 (1..1024)'],
    ['name past the body', rec(6, 20, 'zzzzzzzz'), 'directory entry name at reply byte 72 overruns the 64-byte body'],
  ];
  let u = 6;
  for (const [what, bad, text] of cases) {
    const q = request(reqHex(28, u, 1, u64(1) + u64(0) + u32(4096) + u32(0) + u64(0) + u32(0) + u32(0)), p);
    const d = reply(q.x, repHex(u, 0, rec(5, 3, 'abc') + zeros(5) + bad), p);
    u += 2;
    assert.equal(q.x.replyProblem?.text, text, what);
    assert.deepEqual(q.x.result?.entries?.map((e) => e.name), ['abc'], `${what}: the good record is kept`);
    assert.equal(d.problem, text, `${what}: the walk`);
  }
  // More directory bytes than the READDIR asked for: the reply's fault, its records unread.
  const q = request(reqHex(28, 40, 1, u64(1) + u64(0) + u32(16) + u32(0) + u64(0) + u32(0) + u32(0)), p);
  reply(q.x, repHex(40, 0, rec(5, 3, 'abc') + zeros(5) + rec(6, 3, 'def') + zeros(5)), p);
  assert.equal(q.x.replyProblem?.text, 'reply carries 64 bytes, more than the 16 requested (the kernel refuses it)');
  assert.equal(q.x.result, undefined);
});
