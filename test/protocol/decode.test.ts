/**
 * Tiny valid/invalid decode cases as inline hex (Wireshark's
 * test/suite_dissection.py style): every opcode's request and reply, every
 * notification code, INTERRUPT, BATCH_FORGET, the 7.8 compat sizes, both
 * byte orders, snapped messages, and 64-bit values above 2^53.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '../../src/capture/message.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { decodeNotify, decodeRequest, MessageParts, partsObject, walkNotify, walkReply } from '../../src/protocol/decode.js';
import { extractNotify } from '../../src/protocol/extract.js';
import { Op } from '../../src/protocol/opcodes.js';
import { exchangeRequestText, formatExchangeLine, formatMessageLine } from '../../src/report/dump-format.js';
import { cstr, i32, msg, negotiated, partsOf, proto, repHex, reply, reqHex, request, setLE, str, u16, u32, u64, zeros } from './support.js';

/** fuse_attr (88) with ino, size, mode. */
const attr = (ino: number, size: number, mode = 0o100644): string =>
  u64(ino) + u64(size) + u64(1) + u64(0) + u64(0) + u64(0) + u32(0) + u32(0) + u32(0) + u32(mode) + u32(1) + u32(0) + u32(0) + u32(0) + u32(4096) + u32(0);
/** fuse_attr as sent before 7.9 (80 bytes: no blksize, no flags). */
const attr8 = (ino: number, size: number): string => attr(ino, size).slice(0, 160);
const entryOut = (nodeid: number, size: number, a = attr(nodeid, size)): string => u64(nodeid) + u64(1) + u64(1) + u64(2) + u32(0) + u32(500) + a;
const attrOut = (size: number, a = attr(5, size)): string => u64(1) + u32(250) + u32(0) + a;
const openOut = (fh: number | bigint, flags: number): string => u64(fh) + u32(flags) + u32(0);
const readIn = (fh: number, off: number, size: number): string => u64(fh) + u64(off) + u32(size) + u32(0) + u64(0) + u32(0x8000) + u32(0);

for (const le of [true, false]) {
  const bo = le ? 'LE' : 'BE';

  test(`${bo}: every opcode, request and reply, minor 45`, () => {
    setLE(le);
    const p = proto();
    const cases: [number, string, string, (x: Exchange) => void][] = [
      [Op.LOOKUP, cstr('foo'), entryOut(5, 1234), (x) => {
        assert.equal(x.name, 'foo'); assert.equal(x.resultNodeid, 5); assert.equal(x.attrSize, 1234); assert.equal(x.attrIno, 5); assert.equal(x.attrValidNs, 2e9 + 500);
      }],
      [Op.GETATTR, u32(1) + u32(0) + u64(7), attrOut(99), (x) => { assert.equal(x.fh, 7); assert.equal(x.opFlags, 1); assert.equal(x.attrSize, 99); assert.equal(x.attrValidNs, 1e9 + 250); }],
      [Op.SETATTR, u32(0x48) + u32(0) + u64(7) + u64(10) + zeros(64), attrOut(10), (x) => { assert.equal(x.fh, 7); assert.equal(x.size, 10); assert.equal(x.opFlags, 0x48); }],
      [Op.READLINK, '', str('target'), (x) => assert.equal(x.resultSize, 6)],
      [Op.SYMLINK, cstr('a') + cstr('b'), entryOut(6, 1), (x) => { assert.equal(x.name, 'a'); assert.equal(x.name2, 'b'); assert.equal(x.resultNodeid, 6); }],
      [Op.MKNOD, u32(0o10644) + u32(0) + u32(0o22) + u32(0) + cstr('n'), entryOut(7, 0), (x) => assert.equal(x.name, 'n')],
      [Op.MKDIR, u32(0o755) + u32(0o22) + cstr('d'), entryOut(8, 4096), (x) => { assert.equal(x.name, 'd'); assert.equal(x.attrSize, 4096); }],
      [Op.UNLINK, cstr('x'), '', (x) => { assert.equal(x.name, 'x'); assert.equal(x.error, 0); }],
      [Op.RMDIR, cstr('d'), '', (x) => assert.equal(x.name, 'd')],
      [Op.RENAME, u64(9) + cstr('a') + cstr('d'), '', (x) => { assert.equal(x.node2, 9); assert.equal(x.name, 'a'); assert.equal(x.name2, 'd'); }],
      [Op.LINK, u64(5) + cstr('l'), entryOut(5, 3), (x) => { assert.equal(x.node2, 5); assert.equal(x.name, 'l'); }],
      [Op.OPEN, u32(0x401) + u32(0), openOut(0x1234, 0x41), (x) => { assert.equal(x.flags, 0x401); assert.equal(x.resultFh, 0x1234); assert.equal(x.openFlags, 0x41); }],
      [Op.READ, readIn(3, 4096, 8192), zeros(100), (x) => { assert.equal(x.fh, 3); assert.equal(x.offset, 4096); assert.equal(x.size, 8192); assert.equal(x.resultSize, 100); }],
      [Op.WRITE, u64(3) + u64(8) + u32(5) + u32(2) + u64(0x99) + u32(0x4001) + u32(0) + str('hello'), u32(5) + u32(0), (x) => {
        assert.equal(x.fh, 3); assert.equal(x.offset, 8); assert.equal(x.size, 5); assert.equal(x.opFlags, 2); assert.equal(x.flags, 0x4001); assert.equal(x.resultSize, 5);
      }],
      [Op.STATFS, '', u64(100) + u64(50) + u64(40) + u64(10) + u64(5) + u32(4096) + u32(255) + u32(4096) + u32(0) + zeros(24), () => {}],
      [Op.RELEASE, u64(3) + u32(1) + u32(2) + u64(0), '', (x) => { assert.equal(x.fh, 3); assert.equal(x.flags, 1); assert.equal(x.opFlags, 2); }],
      [Op.FSYNC, u64(3) + u32(1) + u32(0), '', (x) => { assert.equal(x.fh, 3); assert.equal(x.opFlags, 1); }],
      [Op.SETXATTR, u32(3) + u32(1) + u32(0) + u32(0) + cstr('user.a') + str('abc'), '', (x) => { assert.equal(x.name, 'user.a'); assert.equal(x.size, 3); assert.equal(x.opFlags, 1); }],
      [Op.GETXATTR, u32(0) + u32(0) + cstr('user.a'), u32(3) + u32(0), (x) => { assert.equal(x.name, 'user.a'); assert.equal(x.size, 0); assert.equal(x.resultSize, 3); }],
      [Op.LISTXATTR, u32(100) + u32(0), cstr('user.a') + cstr('user.b'), (x) => assert.equal(x.resultSize, 14)],
      [Op.REMOVEXATTR, cstr('user.a'), '', (x) => assert.equal(x.name, 'user.a')],
      [Op.FLUSH, u64(3) + u32(0) + u32(0) + u64(0x77), '', (x) => assert.equal(x.fh, 3)],
      [Op.OPENDIR, u32(0x10000) + u32(0), openOut(11, 8), (x) => { assert.equal(x.resultFh, 11); assert.equal(x.openFlags, 8); }],
      [Op.READDIR, readIn(11, 0, 4096), u64(2) + u64(1) + u32(1) + u32(4) + str('.') + zeros(7) + u64(3) + u64(2) + u32(5) + u32(8) + str('hello') + zeros(3), (x) => {
        assert.equal(x.entries?.length, 2); assert.equal(x.entries[1]!.name, 'hello'); assert.equal(x.entries[1]!.ino, 3); assert.equal(x.entries[1]!.type, 8); assert.equal(x.entries[1]!.nodeid, undefined);
      }],
      [Op.RELEASEDIR, u64(11) + u32(0) + u32(0) + u64(0), '', (x) => assert.equal(x.fh, 11)],
      [Op.FSYNCDIR, u64(11) + u32(0) + u32(0), '', (x) => assert.equal(x.fh, 11)],
      [Op.GETLK, u64(3) + u64(0xabc) + u64(0) + u64(99) + u32(1) + u32(42) + u32(0) + u32(0), u64(0) + u64(99) + u32(2) + u32(0), (x) => { assert.equal(x.fh, 3); assert.equal(x.offset, 0); }],
      [Op.SETLK, u64(3) + u64(0xabc) + u64(10) + u64(20) + u32(1) + u32(42) + u32(1) + u32(0), '', (x) => { assert.equal(x.offset, 10); assert.equal(x.opFlags, 1); }],
      [Op.SETLKW, u64(3) + u64(0xabc) + u64(10) + u64(20) + u32(0) + u32(42) + u32(0) + u32(0), '', (x) => assert.equal(x.fh, 3)],
      [Op.ACCESS, u32(6) + u32(0), '', (x) => assert.equal(x.opFlags, 6)],
      [Op.CREATE, u32(0x8241) + u32(0o100644) + u32(0o22) + u32(0) + cstr('f'), entryOut(12, 0) + openOut(13, 1), (x) => {
        assert.equal(x.name, 'f'); assert.equal(x.flags, 0x8241); assert.equal(x.resultNodeid, 12); assert.equal(x.resultFh, 13); assert.equal(x.openFlags, 1);
      }],
      [Op.BMAP, u64(7) + u32(4096) + u32(0), u64(1234), (x) => { assert.equal(x.offset, 7); assert.equal(x.size, 4096); }],
      [Op.DESTROY, '', '', () => {}],
      [Op.IOCTL, u64(3) + u32(0) + u32(0x5401) + u64(0x7fff0000) + u32(4) + u32(8) + str('abcd'), i32(0) + u32(0) + u32(0) + u32(0) + zeros(8), (x) => { assert.equal(x.size, 4); assert.equal(x.resultSize, 0); }],
      [Op.POLL, u64(3) + u64(77) + u32(1) + u32(1), u32(1) + u32(0), (x) => { assert.equal(x.fh, 3); assert.equal(x.opFlags, 1); }],
      [Op.FALLOCATE, u64(3) + u64(100) + u64(200) + u32(1) + u32(0), '', (x) => { assert.equal(x.offset, 100); assert.equal(x.size, 200); assert.equal(x.opFlags, 1); }],
      [Op.READDIRPLUS, readIn(11, 0, 4096), entryOut(14, 777) + u64(14) + u64(1) + u32(3) + u32(8) + str('abc') + zeros(5), (x) => {
        assert.equal(x.entries?.length, 1); const e = x.entries[0]!; assert.equal(e.name, 'abc'); assert.equal(e.nodeid, 14); assert.equal(e.size, 777); assert.equal(e.attrValidNs, 2e9 + 500);
      }],
      [Op.RENAME2, u64(9) + u32(1) + u32(0) + cstr('a') + cstr('b'), '', (x) => { assert.equal(x.opFlags, 1); assert.equal(x.name2, 'b'); }],
      [Op.LSEEK, u64(3) + u64(0) + u32(3) + u32(0), u64(8192), (x) => { assert.equal(x.opFlags, 3); assert.equal(x.resultSize, 8192); }],
      [Op.COPY_FILE_RANGE, u64(3) + u64(0) + u64(20) + u64(4) + u64(4096) + u64(65536) + u64(0), u32(65536) + u32(0), (x) => {
        assert.equal(x.fh, 4); assert.equal(x.node2, 20); assert.equal(x.offset, 4096); assert.equal(x.size, 65536); assert.equal(x.resultSize, 65536);
      }],
      [Op.SETUPMAPPING, u64(3) + u64(0) + u64(2097152) + u64(3) + u64(0), '', (x) => { assert.equal(x.size, 2097152); assert.equal(x.opFlags, 3); }],
      [Op.REMOVEMAPPING, u32(1) + u64(0) + u64(2097152), '', (x) => assert.equal(x.size, 1)],
      [Op.SYNCFS, u64(0), '', () => {}],
      [Op.TMPFILE, u32(0x410002) + u32(0o100600) + u32(0o22) + u32(0) + cstr('/'), entryOut(15, 0) + openOut(16, 0), (x) => { assert.equal(x.name, '/'); assert.equal(x.resultFh, 16); }],
      [Op.STATX, u32(0) + u32(0) + u64(0) + u32(0) + u32(0xfff), u64(1) + u32(0) + u32(0) + zeros(16) + u32(0xfff) + u32(4096) + u64(0) + u32(1) + u32(0) + u32(0) + u16(0o100644) + u16(0) + u64(17) + u64(5000) + zeros(256 - 48), (x) => {
        assert.equal(x.attrIno, 17); assert.equal(x.attrSize, 5000);
      }],
      [Op.COPY_FILE_RANGE_64, u64(3) + u64(0) + u64(20) + u64(4) + u64(0) + u64(1) + u64(0), u64(1), (x) => assert.equal(x.resultSize, 1)],
      [Op.CUSE_INIT, u32(7) + u32(45) + u32(0) + u32(1), u32(7) + u32(45) + u32(0) + u32(1) + u32(4096) + u32(4096) + u32(0) + u32(0) + zeros(40) + cstr('DEVNAME=foo'), () => { assert.equal(p.source, 'init'); assert.equal(p.maxWrite, 4096); assert.equal(p.daemonMinor, 45); }],
    ];
    let unique = 100;
    for (const [op, body, rbody, check] of cases) {
      unique += 2;
      const { x, d } = request(reqHex(op, unique, 1, body), p);
      assert.equal(x.reqProblem, undefined, `${d.op} request: ${x.reqProblem?.text}`);
      assert.equal(d.problem, undefined, `${d.op} decode: ${d.problem}`);
      assert.equal(d.op, Op.CUSE_INIT === op ? 'CUSE_INIT' : d.op);
      const r = reply(x, repHex(unique, 0, rbody), p);
      assert.equal(x.replyProblem, undefined, `${d.op} reply: ${x.replyProblem?.text}`);
      assert.equal(r.problem, undefined, `${d.op} reply decode: ${r.problem}`);
      assert.equal(r.header.error_name, 'OK');
      check(x);
      // JSON-able and printable.
      JSON.stringify(d); JSON.stringify(r);
      assert.match(formatExchangeLine(x, exchangeRequestText(partsOf(d)), partsOf(r)), new RegExp(`${d.op} #${unique}`));
    }
  });

  test(`${bo}: decoded field values (kernel names, flags by name)`, () => {
    setLE(le);
    const p = negotiated(31, 1 << 30);
    const w = request(reqHex(Op.WRITE, 24, 5, u64(0x7f00) + u64(4096) + u32(4) + u32(2) + u64(0x99) + u32(0x4001) + u32(0) + str('abcd')), p);
    const wi = w.d.body.fuse_write_in as Record<string, unknown>;
    assert.equal(wi.offset, 4096);
    assert.equal(wi.write_flags_names, 'FUSE_WRITE_LOCKOWNER');
    assert.equal(wi.flags_names, 'O_WRONLY|O_DIRECT');
    assert.deepEqual(w.d.body.data, { length: 4, captured: 4 });
    assert.equal(w.d.header.unique, 24);
    const line = formatMessageLine({ m: msg(reqHex(Op.WRITE, 24, 5, ''), Direction.Inbound), kind: 'request', parts: partsOf(w.d), index: 12 });
    assert.match(line, /-> WRITE #24 nodeid 5 .*fh 0x7f00 offset 4096 size 4 write_flags LOCKOWNER .*flags O_WRONLY\|O_DIRECT data 4/);
    const r = reply(w.x, repHex(24, 0, u32(4) + u32(0)), p);
    const rl = formatMessageLine({ m: msg(repHex(24, 0, u32(4) + u32(0)), Direction.Outbound, { t: 210000 }), kind: 'reply', x: w.x, parts: partsOf(r), index: 13 });
    assert.match(rl, /<- WRITE #24 OK size 4 \(0\.210 ms\)/);
    const e = request(reqHex(Op.LOOKUP, 26, 1, cstr('nope')), p);
    const er = reply(e.x, repHex(26, -2), p);
    assert.equal(er.header.error_name, '-ENOENT');
    assert.equal(e.x.error, -2);
  });

  test(`${bo}: INIT both directions; negotiated minor, effective flags, limits`, () => {
    setLE(le);
    const p = proto();
    assert.equal(p.source, 'assumed');
    assert.match(p.assumedNote!, /assumed protocol 7\.45/);
    const { d } = request(reqHex(Op.INIT, 2, 0, u32(7) + u32(45) + u32(131072) + u32(0x73fffffb) + u32(0x5fd) + zeros(44)), p);
    const ii = d.body.fuse_init_in as Record<string, unknown>;
    assert.equal(ii.minor, 45);
    assert.match(ii.flags64_names as string, /FUSE_ASYNC_READ\|FUSE_POSIX_LOCKS\|FUSE_ATOMIC_O_TRUNC.*FUSE_INIT_EXT\|FUSE_SECURITY_CTX.*FUSE_REQUEST_TIMEOUT$/);
    assert.equal(p.kernelMinor, 45);
    assert.equal(p.offered, (0x5fdn << 32n) | 0x73fffffbn);
    const x = new Exchange(); x.opcode = Op.INIT;
    // libfuse 3.14-style 7.31 reply: INIT_EXT set, flags2 0, max_background 0 -> 12.
    const r = reply(x, repHex(2, 0, u32(7) + u32(31) + u32(131072) + u32(1077998649) + u16(0) + u16(0) + u32(1048576) + u32(1) + u16(256) + u16(0) + u32(0) + zeros(24)), p);
    assert.equal(r.problem, undefined);
    assert.equal(p.source, 'init');
    assert.equal(p.minor, 31);
    assert.equal(p.maxBackground, 12);
    assert.equal(p.maxWrite, 1048576);
    assert.equal(p.maxPages, 256);
    assert.equal(p.timeGran, 1);
    assert.equal(p.has(15), true, 'ASYNC_DIO');
    assert.equal(p.has(16), false, 'WRITEBACK_CACHE');
    assert.equal(p.setxattrExt, false);
    assert.equal(p.assumedNote, undefined);
    assert.equal((r.body.fuse_init_out as Record<string, unknown>).max_write, 1048576);
  });

  test(`${bo}: minor 7.8 compat sizes (entry_out 120, attr_out 96, write_in 24, mknod_in 8, create_in 8) and statfs 48 at 7.3`, () => {
    setLE(le);
    const p = proto({ minor: 8 });
    let u = 2;
    const lk = request(reqHex(Op.LOOKUP, (u += 2), 1, cstr('a')), p);
    reply(lk.x, repHex(u, 0, entryOut(5, 42, attr8(5, 42))), p);
    assert.equal(lk.x.reqProblem ?? lk.x.replyProblem, undefined);
    assert.equal(lk.x.attrSize, 42);
    const ga = request(reqHex(Op.GETATTR, (u += 2), 5, ''), p);
    assert.equal(ga.x.reqProblem, undefined, 'GETATTR without body before 7.9');
    const gr = reply(ga.x, repHex(u, 0, attrOut(43, attr8(5, 43))), p);
    assert.equal(ga.x.attrSize, 43);
    assert.equal(((gr.body.fuse_attr_out as Record<string, unknown>).attr as Record<string, unknown>).blksize, undefined);
    // A 7.9+ sized reply on a 7.8 connection is refused by the kernel.
    const bad = request(reqHex(Op.GETATTR, (u += 2), 5, ''), p);
    reply(bad.x, repHex(u, 0, attrOut(1)), p);
    assert.match(bad.x.replyProblem!.text, /reply body 104 bytes != 96 of fuse_attr_out at minor 8/);
    const w = request(reqHex(Op.WRITE, (u += 2), 5, u64(3) + u64(0) + u32(3) + u32(0) + str('xyz')), p);
    assert.equal(w.x.reqProblem, undefined);
    assert.equal(w.x.size, 3);
    assert.deepEqual(w.d.body.data, { length: 3, captured: 3 });
    const mk = request(reqHex(Op.MKNOD, (u += 2), 1, u32(0o10644) + u32(0) + cstr('fifo')), p);
    assert.equal(mk.x.name, 'fifo');
    const cr = request(reqHex(Op.CREATE, (u += 2), 1, u32(0x41) + u32(0o100644) + cstr('new')), p);
    assert.equal(cr.x.name, 'new');
    reply(cr.x, repHex(u, 0, entryOut(9, 0, attr8(9, 0)) + openOut(1, 0)), p);
    assert.equal(cr.x.reqProblem ?? cr.x.replyProblem, undefined);
    assert.equal(cr.x.resultFh, 1);
    const p3 = proto({ minor: 3 });
    const sf = request(reqHex(Op.STATFS, 4, 1, ''), p3);
    reply(sf.x, repHex(4, 0, u64(100) + u64(50) + u64(40) + u64(10) + u64(5) + u32(4096) + u32(255)), p3);
    assert.equal(sf.x.reqProblem ?? sf.x.replyProblem, undefined);
    // Without INIT, a 120-byte entry_out says the daemon speaks < 7.9 (§4.3).
    const pn = proto();
    const l2 = request(reqHex(Op.LOOKUP, 4, 1, cstr('a')), pn);
    reply(l2.x, repHex(4, 0, entryOut(5, 42, attr8(5, 42))), pn);
    assert.equal(l2.x.reqProblem ?? l2.x.replyProblem, undefined);
    assert.equal(l2.x.attrSize, 42);
    assert.equal(pn.minor, 8);
    assert.match(pn.assumedNote!, /protocol 7\.8 layouts inferred from message sizes.*LOOKUP reply of the 7\.8 size/);
    // Without INIT, a 24-byte write_in is recognised by the data length (§4.3).
    const pa = proto();
    const w2 = request(reqHex(Op.WRITE, 6, 5, u64(3) + u64(0) + u32(3) + u32(0) + str('xyz')), pa);
    assert.equal(w2.x.reqProblem, undefined);
    assert.equal(w2.x.size, 3);
  });

  test(`${bo}: INTERRUPT, BATCH_FORGET, FORGET, NOTIFY_REPLY`, () => {
    setLE(le);
    const p = proto();
    const it = request(reqHex(Op.INTERRUPT, 0x11, 0, u64(0x10)), p);
    assert.equal(it.x.target, 0x10);
    assert.equal((it.d.body.fuse_interrupt_in as Record<string, unknown>).unique, 0x10);
    const bf = request(reqHex(Op.BATCH_FORGET, 40, 0, u32(2) + u32(0) + u64(5) + u64(1) + u64(6) + u64(3)), p);
    assert.deepEqual(bf.x.forgets, [5, 1, 6, 3]);
    assert.deepEqual(bf.d.body.forgets, [{ nodeid: 5, nlookup: 1 }, { nodeid: 6, nlookup: 3 }]);
    const bfBad = request(reqHex(Op.BATCH_FORGET, 42, 0, u32(3) + u32(0) + u64(5) + u64(1)), p);
    assert.match(bfBad.x.reqProblem!.text, /BATCH_FORGET count 3 needs 96 bytes, message has 64/);
    const fg = request(reqHex(Op.FORGET, 44, 9, u64(2)), p);
    assert.deepEqual(fg.x.forgets, [9, 2]);
    const nr = request(reqHex(Op.NOTIFY_REPLY, 0xabcdef, 9, u64(0) + u64(4096) + u32(2) + u32(0) + u64(0) + u64(0) + str('hi')), p);
    assert.equal(nr.x.reqProblem, undefined);
    assert.equal(nr.x.offset, 4096);
    assert.equal(nr.x.size, 2);
  });

  test(`${bo}: notifications of every code`, () => {
    setLE(le);
    const p = proto();
    const n = (code: number, body: string) => {
      const m = msg(repHex(0, code, body), Direction.Outbound);
      return { ev: extractNotify(m, p), d: decodeNotify(m, p), P: walkNotify(m, p, undefined, new MessageParts()) };
    };
    let r = n(1, u64(77));
    assert.equal(r.ev.name, 'POLL'); assert.equal(r.ev.kh, 77); assert.equal(r.ev.problem, undefined);
    r = n(2, u64(5) + u64(-1n) + u64(0));
    assert.equal(r.ev.nodeid, 5); assert.equal(r.ev.offset, -1); assert.equal(r.ev.len, 0);
    assert.equal((r.d.body.fuse_notify_inval_inode_out as Record<string, unknown>).off, -1);
    r = n(3, u64(1) + u32(3) + u32(1) + cstr('abc'));
    assert.equal(r.ev.parent, 1); assert.equal(r.ev.entryName, 'abc'); assert.equal(r.ev.flags, 1); assert.equal(r.ev.problem, undefined);
    assert.equal((r.d.body.fuse_notify_inval_entry_out as Record<string, unknown>).flags_names, 'FUSE_EXPIRE_ONLY');
    r = n(3, u64(1) + u32(3) + u32(0) + str('abc'));
    assert.match(r.ev.problem!.text, /needs exactly 20/);
    r = n(4, u64(5) + u64(100) + u32(3) + u32(0) + str('xyz'));
    assert.equal(r.ev.size, 3); assert.equal(r.ev.offset, 100); assert.equal(r.ev.problem, undefined);
    r = n(5, u64(0xabcdef) + u64(5) + u64(0) + u32(4096) + u32(0));
    assert.equal(r.ev.notifyUnique, 0xabcdef); assert.equal(r.ev.size, 4096);
    r = n(6, u64(1) + u64(5) + u32(1) + u32(0) + cstr('z'));
    assert.equal(r.ev.child, 5); assert.equal(r.ev.entryName, 'z'); assert.equal(r.ev.problem, undefined);
    r = n(7, '');
    assert.equal(r.ev.name, 'RESEND'); assert.equal(r.ev.problem, undefined);
    r = n(8, '');
    assert.equal(r.ev.name, 'INC_EPOCH'); assert.equal(r.ev.problem, undefined);
    r = n(9, u32(2) + u32(0) + u64(0) + u64(5) + u64(6));
    assert.deepEqual(r.ev.nodeids, [5, 6]); assert.deepEqual(r.d.body.nodeids, [5, 6]);
    r = n(99, u64(1));
    assert.equal(r.ev.name, '?0x63'); assert.match(r.ev.problem!.text, /unknown notification code 99/);
    assert.equal(r.d.body.raw, u64(1));
    assert.match(formatMessageLine({ m: msg(repHex(0, 2, u64(5) + u64(0) + u64(0)), Direction.Outbound), kind: 'notify', parts: n(2, u64(5) + u64(0) + u64(0)).P, index: 1 }), /<~ NOTIFY INVAL_INODE ino 5 off 0 len 0/);
  });

  test(`${bo}: invalid messages and reply rules (§1.4)`, () => {
    setLE(le);
    const p = proto();
    const short = request(reqHex(Op.WRITE, 24, 5, zeros(20)), p);
    assert.equal(short.x.reqProblem?.text, '60 bytes < 80 needed for fuse_write_in at minor 45');
    assert.equal(short.d.problem, short.x.reqProblem?.text);
    const mism = request(reqHex(Op.WRITE, 26, 5, u64(3) + u64(0) + u32(10) + u32(0) + u64(0) + u32(1) + u32(0) + str('abc')), p);
    assert.match(mism.x.reqProblem!.text, /3 data bytes after fuse_write_in \(40 bytes at minor 45\) != write_in.size 10/);
    const noNul = request(reqHex(Op.LOOKUP, 28, 1, str('abc')), p);
    assert.match(noNul.x.reqProblem!.text, /not NUL-terminated/);
    const ok = request(reqHex(Op.GETATTR, 30, 5, u32(0) + u32(0) + u64(0)), p);
    reply(ok.x, repHex(30, -2, u64(0)), p);
    assert.match(ok.x.replyProblem!.text, /error reply of 24 bytes/);
    const ok2 = request(reqHex(Op.GETATTR, 32, 5, u32(0) + u32(0) + u64(0)), p);
    reply(ok2.x, repHex(32, -600), p);
    assert.match(ok2.x.replyProblem!.text, /error -600 outside \(-512, 0\]/);
    const ok3 = request(reqHex(Op.GETATTR, 34, 5, u32(0) + u32(0) + u64(0)), p);
    reply(ok3.x, repHex(34, 0, zeros(100)), p);
    assert.match(ok3.x.replyProblem!.text, /reply body 100 bytes != 104 of fuse_attr_out/);
    const un = request(reqHex(Op.UNLINK, 36, 1, cstr('x')), p);
    reply(un.x, repHex(36, 0, zeros(8)), p);
    assert.match(un.x.replyProblem!.text, /reply carries 8 bytes; UNLINK has no result/);
    const rd = request(reqHex(Op.READ, 38, 5, readIn(1, 0, 4)), p);
    reply(rd.x, repHex(38, 0, zeros(8)), p);
    assert.match(rd.x.replyProblem!.text, /more than the 4 requested/);
    // Unknown opcode: kept raw with its number, not malformed.
    const unk = request(reqHex(99, 40, 1, 'deadbeef'), p);
    assert.equal(unk.x.reqProblem, undefined);
    assert.equal(unk.d.op, '?0x63');
    assert.equal(unk.d.body.raw, 'deadbeef');
    assert.match(formatMessageLine({ m: msg(reqHex(99, 40, 1, 'deadbeef'), Direction.Inbound), kind: 'request', parts: partsOf(unk.d), index: 1 }), /\?0x63 \(opcode 99\) #40/);
  });

  test(`${bo}: snapped WRITE decodes its fixed part and says what is missing`, () => {
    setLE(le);
    const p = proto();
    const full = reqHex(Op.WRITE, 24, 5, u64(3) + u64(0) + u32(131072) + u32(0) + u64(0) + u32(1) + u32(0) + zeros(131072));
    const { x, d } = request(full, p, { capLen: 4096 });
    assert.equal(x.reqProblem, undefined, 'lost only bulk data: not a problem');
    assert.equal(x.size, 131072);
    assert.equal(d.truncated, 'truncated: 4016 of 131072 data bytes captured');
    assert.deepEqual(d.body.data, { length: 131072, captured: 4016 });
    const cut = request(full, p, { capLen: 60 });
    assert.equal(cut.x.reqProblem?.text, 'truncated: 60 of 131152 bytes captured, fuse_write_in needs 80');
    assert.equal(cut.d.truncated, cut.x.reqProblem?.text);
    assert.equal(cut.d.problem, undefined);
    // READDIRPLUS reply cut after the first record: entries kept, x.partial.
    const rp = request(reqHex(Op.READDIRPLUS, 26, 1, readIn(1, 0, 4096)), p);
    const rec = entryOut(14, 1) + u64(14) + u64(1) + u32(3) + u32(8) + str('abc') + zeros(5);
    const r = reply(rp.x, repHex(26, 0, rec + rec), p, { capLen: 16 + 160 + 100 });
    assert.equal(rp.x.reqProblem ?? rp.x.replyProblem, undefined);
    assert.equal(rp.x.partial, true);
    assert.equal(rp.x.entries!.length, 1);
    assert.match(r.truncated!, /truncated: 260 of 320 directory bytes captured/);
  });

  test(`${bo}: 64-bit values above 2^53 stay exact`, () => {
    setLE(le);
    const p = proto();
    const big = 0xfffffffffffffff0n;
    const o = request(reqHex(Op.OPEN, 0x8000000000000010n, big, u32(0) + u32(0)), p);
    assert.equal(o.x.reqProblem, undefined);
    assert.equal(p.lowerBound, 40, 'bit 63 in unique proves >= 7.40');
    const r = reply(o.x, repHex(0x8000000000000010n, 0, openOut(0x7ffffffffffffff1n, 0)), p);
    assert.equal(o.x.resultFh, 0x7ffffffffffffff1n);
    assert.equal((r.body.fuse_open_out as Record<string, unknown>).fh, '9223372036854775793');
    assert.equal(o.d.header.unique, '9223372036854775824');
    assert.equal(o.d.header.nodeid, big.toString());
    const lk = request(reqHex(Op.SETLK, 50, 5, u64(3) + u64(0xfedcba9876543210n) + u64(0) + u64(0x7fffffffffffffffn) + u32(1) + u32(42) + u32(0) + u32(0)), p);
    const lkin = lk.d.body.fuse_lk_in as Record<string, Record<string, unknown>>;
    assert.equal(lkin.owner, '18364758544493064720');
    assert.equal(lkin.lk!.end, '9223372036854775807');
    assert.equal(lkin.lk!.type_name, 'F_WRLCK');
    // 2^53 exactly is past MAX_SAFE_INTEGER: bigint.
    const w = request(reqHex(Op.FLUSH, 52, 5, u64(2n ** 53n) + u32(0) + u32(0) + u64(0)), p);
    assert.equal(w.x.fh, 2n ** 53n);
    const w2 = request(reqHex(Op.FLUSH, 54, 5, u64(2n ** 53n - 1n) + u32(0) + u32(0) + u64(0)), p);
    assert.equal(w2.x.fh, Number.MAX_SAFE_INTEGER);
    // A size or length past 2^53 (SETATTR's truncate, FALLOCATE's length) is kept exact beside its double, as an offset is.
    const sa = request(reqHex(Op.SETATTR, 56, 5, u32(8) + u32(0) + u64(0) + u64(2n ** 63n + 1n) + zeros(64)), p);
    assert.equal(sa.x.sizeExact, 2n ** 63n + 1n);
    assert.equal(sa.x.size, 2 ** 63);
    assert.equal((sa.d.body.fuse_setattr_in as Record<string, unknown>).size, '9223372036854775809');
    const fa = request(reqHex(Op.FALLOCATE, 58, 5, u64(1) + u64(2n ** 60n + 3n) + u64(2n ** 62n + 5n) + u32(0) + u32(0)), p);
    assert.deepEqual([fa.x.offsetExact, fa.x.sizeExact], [2n ** 60n + 3n, 2n ** 62n + 5n]);
    const small = request(reqHex(Op.FALLOCATE, 60, 5, u64(1) + u64(4096) + u64(2n ** 53n - 1n) + u32(0) + u32(0)), p);
    assert.deepEqual([small.x.size, small.x.sizeExact], [Number.MAX_SAFE_INTEGER, undefined]);
  });
}

test('SETXATTR header length: SETXATTR_EXT flag, and inferred by length without INIT', () => {
  setLE(true);
  const ext = negotiated(45, (1 << 29) | (1 << 30));
  assert.equal(ext.setxattrExt, true);
  const a = request(reqHex(Op.SETXATTR, 4, 1, u32(3) + u32(2) + u32(1) + u32(0) + cstr('user.a') + str('abc')), ext);
  assert.equal(a.x.reqProblem, undefined);
  assert.equal((a.d.body.fuse_setxattr_in as Record<string, unknown>).setxattr_flags_names, 'FUSE_SETXATTR_ACL_KILL_SGID');
  const old = negotiated(31, 1 << 30);
  const b = request(reqHex(Op.SETXATTR, 4, 1, u32(3) + u32(0) + cstr('user.b') + str('xyz')), old);
  assert.equal(b.x.reqProblem, undefined);
  assert.equal(b.x.name, 'user.b');
  const none = proto();
  const c = request(reqHex(Op.SETXATTR, 4, 1, u32(3) + u32(0) + cstr('user.c') + str('xyz')), none);
  assert.equal(c.x.name, 'user.c');
  assert.equal(c.d.body.setxattr_in_size_inferred, 8);
  const d = request(reqHex(Op.SETXATTR, 6, 1, u32(3) + u32(0) + u32(0) + u32(0) + cstr('user.d') + str('xyz')), none);
  assert.equal(d.x.name, 'user.d');
  assert.equal(d.d.body.setxattr_in_size_inferred, 16);
});

test('request extensions: security context and supplementary groups (7.38+)', () => {
  setLE(true);
  const p = proto();
  // MKDIR with the 8-byte empty secctx header (E: len 61 = 40 + 8 + 5 + 8).
  const a = request(reqHex(Op.MKDIR, 4, 1, u32(0o755) + u32(0o22) + cstr('dir1'), { ext: u32(8) + u32(0) }), p);
  assert.equal(a.x.reqProblem, undefined);
  assert.equal(a.x.name, 'dir1');
  assert.equal(a.d.header.len, 61);
  assert.deepEqual(a.d.body.ext, [{ type: 'fuse_secctx_header', size: 8, nr_secctx: 0, contexts: [] }]);
  const grp = u32(16) + u32(32) + u32(1) + u32(1234);
  const b = request(reqHex(Op.CREATE, 6, 1, u32(0x41) + u32(0o100644) + u32(0o22) + u32(0) + cstr('f'), { ext: u32(8) + u32(0) + grp }), p);
  assert.equal(b.x.name, 'f');
  assert.deepEqual((b.d.body.ext as unknown[])[1], { type: 'FUSE_EXT_GROUPS', size: 16, nr_groups: 1, groups: [1234] });
  assert.match(formatMessageLine({ m: msg(reqHex(Op.CREATE, 6, 1, ''), Direction.Inbound), kind: 'request', parts: partsOf(b.d), index: 1 }), /"f" ext secctx none; groups 1234$/);
  assert.equal(p.lowerBound, 38);
  // total_extlen larger than the body: malformed.
  const hex = reqHex(Op.MKDIR, 8, 1, u32(0o755) + u32(0o22) + cstr('x'));
  const bad = request(hex.slice(0, 72) + u16(10) + hex.slice(76), p);
  assert.match(bad.x.reqProblem!.text, /total_extlen 10 \(80 bytes\) exceeds the 10-byte body/);
});

test('request extensions: a security context with its name and value, and a type fusetrace does not know as raw bytes', () => {
  setLE(true);
  // fuse_secctx_header {size, nr_secctx 1}, fuse_secctx {size 20, padding}, the xattr name, the context (fuse-protocol.md §1.7).
  const ctx = Buffer.from('system_u:object_r:x\0').toString('hex');
  const one = u32(20) + u32(0) + cstr('security.selinux') + ctx;
  const secctx = u32(8 + one.length / 2 + 3) + u32(1) + one + zeros(3);
  const a = request(reqHex(Op.MKDIR, 4, 1, u32(0o755) + u32(0o22) + cstr('dir'), { ext: secctx }), negotiated(45));
  assert.equal(a.x.reqProblem, undefined);
  assert.equal(a.x.name, 'dir');
  assert.deepEqual(a.d.body.ext, [{ type: 'fuse_secctx_header', size: 56, nr_secctx: 1, contexts: [{ size: 20, name: 'security.selinux', value: ctx }] }]);
  const b = request(reqHex(Op.MKDIR, 6, 1, u32(0o755) + u32(0o22) + cstr('dir'), { ext: u32(16) + u32(40) + 'aabbccdd11223344' }), negotiated(45));
  assert.deepEqual(b.d.body.ext, [{ type: 40, size: 16, raw: 'aabbccdd11223344' }]);
  // Their text in a dump line: the context's name and size, the unknown type's number and size.
  assert.match(formatMessageLine({ m: msg(reqHex(Op.MKDIR, 4, 1, ''), Direction.Inbound), kind: 'request', parts: partsOf(a.d), index: 1 }), /"dir" ext secctx "security\.selinux" 20 bytes$/);
  assert.match(formatMessageLine({ m: msg(reqHex(Op.MKDIR, 6, 1, ''), Direction.Inbound), kind: 'request', parts: partsOf(b.d), index: 1 }), /"dir" ext type 40 16 bytes$/);
});

test('an IOCTL reply asking to retry (FUSE_IOCTL_RETRY) shows its iovecs, and says so when the capture cut them', () => {
  setLE(true);
  const p = negotiated(45);
  const q = request(reqHex(Op.IOCTL, 12, 1, u64(1) + u32(0) + u32(0x5401) + u64(0x7fff0000) + u32(0) + u32(0)), p);
  // fuse_ioctl_out {result 0, flags RETRY, in_iovs 1, out_iovs 1}, then the two fuse_ioctl_iovec.
  const body = i32(0) + u32(4) + u32(1) + u32(1) + u64(0x7fff0000) + u64(8) + u64(0x7fff1000) + u64(16);
  const line = (d: ReturnType<typeof reply>): string =>
    formatMessageLine({ m: msg(repHex(12, 0, body), Direction.Outbound), kind: 'reply', x: q.x, parts: partsOf(d), index: 2 });
  const whole = reply(q.x, repHex(12, 0, body), p);
  assert.equal(q.x.replyProblem, undefined);
  assert.deepEqual(whole.body.iovecs, [{ base: 0x7fff0000, len: 8 }, { base: 0x7fff1000, len: 16 }]);
  assert.equal(whole.truncated, undefined);
  assert.match(line(whole), /<- IOCTL #12 OK result 0 flags RETRY in_iovs 1 out_iovs 1 iovecs 0x7fff0000\+8 0x7fff1000\+16 /);
  // Snapped after the first iovec: one shown, and the cut said, as for BATCH_FORGET's entries.
  const cut = reply(q.x, repHex(12, 0, body), p, { capLen: 16 + 16 + 16 + 8 });
  assert.deepEqual(cut.body.iovecs, [{ base: 0x7fff0000, len: 8 }]);
  assert.equal(cut.truncated, 'truncated: 1 of 2 iovecs captured');
  assert.match(line(cut), /iovecs 0x7fff0000\+8 .*\[truncated: 1 of 2 iovecs captured\]$/);
});

test('a reply shorter than fuse_out_header shows its raw bytes by count, in text as in JSON', () => {
  setLE(true);
  const m = msg('0a000000feffffff0102', Direction.Outbound);
  const P = walkReply(m, undefined, proto(), new MessageParts());
  const d = partsObject(P);
  assert.equal(d.problem, '10 bytes < 16 needed for fuse_out_header');
  assert.deepEqual(d.body, { raw: '0a000000feffffff0102', raw_length: 10 });
  assert.match(formatMessageLine({ m, kind: 'malformed', parts: P, index: 5 }), /<- reply \(no matching request\) \? raw 10 bytes \[malformed: 10 bytes < 16 needed for fuse_out_header\]$/);
});

test('decodeRequest without an Exchange runs the same checks', () => {
  setLE(true);
  const p = proto();
  const d = decodeRequest(msg(reqHex(Op.WRITE, 24, 5, zeros(20)), Direction.Inbound), p);
  assert.equal(d.problem, '60 bytes < 80 needed for fuse_write_in at minor 45');
  assert.match(p.assumedNote!, /assumed protocol 7\.45/);
});
