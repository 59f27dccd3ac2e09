/** The problem registry: ids, kinds and messages, and extract recording the id with the message. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Problem, ProblemNote, problemText } from '../../src/protocol/problems.js';
import { proto, repHex, reply, reqHex, request, u32, u64, zeros } from './support.js';

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
