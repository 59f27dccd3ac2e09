/**
 * Names the snap length cut (their NUL, or for a notification some of the
 * namelen bytes, past the captured bytes): the captured start of a name is
 * no name. extract leaves it unknown and records the cut (`name-cut`, a
 * truncation); the walk dump prints shows the captured start with the same
 * note, with and without the pairing stage's Exchange.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '../../src/capture/message.js';
import { decodeNotify, decodeRequest } from '../../src/protocol/decode.js';
import { extractNotify } from '../../src/protocol/extract.js';
import { cstr, msg, negotiated, repHex, reqHex, request, u32, u64, zeros } from './support.js';

test('a request name the snap length cut is unknown to extract, noted as cut, and shown as captured by the walk', () => {
  // [what, opcode, fixed struct, names (each NUL-terminated), bytes after them, name bytes captured after the
  //  struct, the note, the captured start the walk shows, what extract keeps as name and name2].
  type Case = [string, number, string, string[], string, number, string, string | null, [string | undefined, string | undefined]];
  const cases: Case[] = [
    ['LOOKUP', 1, '', ['abcdef'], '', 3, 'truncated: name cut after 3 of its bytes', 'abc', [undefined, undefined]],
    // Only the NUL is missing: the name may go on, for all the capture shows.
    ['UNLINK', 10, '', ['abcdef'], '', 6, 'truncated: name cut after 6 of its bytes', 'abcdef', [undefined, undefined]],
    ['RMDIR', 11, '', ['dir'], '', 1, 'truncated: name cut after 1 of its bytes', 'd', [undefined, undefined]],
    ['REMOVEXATTR', 24, '', ['user.x'], '', 2, 'truncated: name cut after 2 of its bytes', 'us', [undefined, undefined]],
    ['MKDIR', 9, zeros(8), ['newdir'], '', 4, 'truncated: name cut after 4 of its bytes', 'newd', [undefined, undefined]],
    // Not one byte of it captured: the walk shows none (null), as for a name with no bytes left.
    ['MKNOD', 8, zeros(16), ['fifo'], '', 0, 'truncated: name cut after 0 of its bytes', null, [undefined, undefined]],
    ['CREATE', 35, zeros(16), ['file'], '', 2, 'truncated: name cut after 2 of its bytes', 'fi', [undefined, undefined]],
    ['LINK', 13, u64(5), ['hard'], '', 3, 'truncated: name cut after 3 of its bytes', 'har', [undefined, undefined]],
    ['GETXATTR', 22, u32(64) + u32(0), ['user.mime'], '', 5, 'truncated: name cut after 5 of its bytes', 'user.', [undefined, undefined]],
    ['SETXATTR', 21, u32(4) + u32(0), ['user.mime'], 'aabbccdd', 5, 'truncated: name cut after 5 of its bytes', 'user.', [undefined, undefined]],
    ['SYMLINK name', 6, '', ['link', 'target'], '', 2, 'truncated: SYMLINK name cut after 2 of its bytes', 'li', [undefined, undefined]],
    ['SYMLINK target', 6, '', ['link', 'target'], '', 5 + 3, 'truncated: SYMLINK target cut after 3 of its bytes', 'tar', ['link', undefined]],
    ['RENAME old name', 12, u64(7), ['old', 'new'], '', 1, 'truncated: old name cut after 1 of its bytes', 'o', [undefined, undefined]],
    ['RENAME new name', 12, u64(7), ['old', 'newname'], '', 4 + 3, 'truncated: new name cut after 3 of its bytes', 'new', ['old', undefined]],
    ['RENAME2 new name', 45, u64(7) + u32(0) + u32(0), ['old', 'newname'], '', 4 + 3, 'truncated: new name cut after 3 of its bytes', 'new', ['old', undefined]],
  ];
  let u = 2;
  for (const [what, op, fixed, names, after, captured, note, shown, kept] of cases) {
    const hex = reqHex(op, u, 1, fixed + names.map(cstr).join('') + after);
    u += 2;
    const capLen = 40 + fixed.length / 2 + captured;
    const r = request(hex, negotiated(45), { capLen });
    assert.equal(r.x.reqProblem?.id, 'name-cut', what);
    assert.equal(r.x.reqProblem?.kind, 'truncated', what);
    assert.equal(r.x.reqProblem?.text, note, what);
    assert.deepEqual([r.x.name, r.x.name2], kept, `${what}: no name from its captured start`);
    assert.equal(r.d.truncated, note, `${what}: the walk notes the same cut`);
    assert.equal(r.d.problem, undefined, what);
    assert.ok(Object.values(r.d.body).includes(shown), `${what}: the walk shows the captured start: ${JSON.stringify(r.d.body)}`);
    // A printer given the lone message (no Exchange) checks again and says the same.
    const lone = decodeRequest(msg(hex, Direction.Inbound, { capLen }), negotiated(45));
    assert.equal(lone.truncated, note, `${what}: without the Exchange`);
    // The same message whole: its names, no note.
    const whole = request(hex, negotiated(45));
    assert.equal(whole.x.reqProblem, undefined, `${what}, whole`);
    assert.equal(whole.d.truncated, undefined, `${what}, whole`);
    assert.equal(whole.x.name, names[0], `${what}, whole`);
  }
  // A cut past every name (SETXATTR's value) leaves the name whole: that is no name cut.
  const sx = request(reqHex(21, 40, 1, u32(4) + u32(0) + cstr('user.a') + 'aabbccdd'), negotiated(45), { capLen: 40 + 8 + 7 + 1 });
  assert.equal(sx.x.name, 'user.a');
  assert.equal(sx.x.reqProblem, undefined);
  assert.equal(sx.d.truncated, 'truncated: 1 of 4 value bytes captured');
});

test('an INVAL_ENTRY or DELETE name the snap length cut is unknown to extract, noted as cut, and shown as captured by the walk', () => {
  const p = negotiated(45);
  const n = (code: number, body: string, capLen?: number) => {
    const m = msg(repHex(0, code, body), Direction.Outbound, { capLen });
    return { ev: extractNotify(m, p), d: decodeNotify(m, p) };
  };
  const inval = u64(1) + u32(6) + u32(0) + cstr('abcdef');
  const del = u64(1) + u64(5) + u32(6) + u32(0) + cstr('abcdef');
  for (const [what, code, body, fixed] of [['INVAL_ENTRY', 3, inval, 16], ['DELETE', 6, del, 24]] as const) {
    const cut = n(code, body, 16 + fixed + 3);
    assert.equal(cut.ev.entryName, undefined, `${what}: no name from its captured start`);
    assert.equal(cut.ev.parent, 1, what);
    assert.equal(cut.ev.problem?.id, 'name-cut', what);
    assert.equal(cut.ev.problem?.text, 'truncated: name cut after 3 of its bytes', what);
    assert.equal(cut.d.body.name, 'abc', `${what}: the walk shows the captured start`);
    assert.equal(cut.d.truncated, cut.ev.problem?.text, `${what}: and notes the same cut`);
    // namelen says how long the name is: all its bytes captured, the NUL not, it is whole.
    const nul = n(code, body, 16 + fixed + 6);
    assert.equal(nul.ev.entryName, 'abcdef', what);
    assert.equal(nul.ev.problem, undefined, what);
    assert.equal(nul.d.truncated, undefined, what);
    const whole = n(code, body);
    assert.equal(whole.ev.entryName, 'abcdef', what);
    assert.equal(whole.d.body.name, 'abcdef', what);
  }
});
