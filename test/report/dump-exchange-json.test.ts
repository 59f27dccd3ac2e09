/**
 * The head of an exchange's line in `dump --exchanges --json`
 * (report/dump-json.ts writeExchangeJsonHead), written as bytes, is the
 * documented object's JSON text: checked against `stringifyPlain` of that
 * object on random exchanges, with 64-bit ids past 2^53, times past what a
 * double holds exactly (`tReqRest`), no epoch, unanswered requests, errors
 * of any sign and refused replies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Timebase } from '../../src/capture/message.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { opcodeName } from '../../src/protocol/opcodes.js';
import { replyErrorName } from '../../src/model/format.js';
import { writeExchangeJsonHead } from '../../src/report/dump-json.js';
import { stringifyPlain } from '../../src/report/json.js';
import { TextBuffer } from '../../src/report/text-buffer.js';

const id = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.bigInt({ min: 1n << 63n, max: (1n << 64n) - 1n }));
const time = fc.oneof(fc.double({ min: 0, max: 1e13, noNaN: true }), fc.integer({ min: 0, max: 2 ** 53 }));

/** The exchange's keys as the documentation lists them (docs: dump --exchanges --json). */
function documented(x: Exchange, tb: Timebase): string {
  const plain = stringifyPlain({ type: 'exchange', data: {
    conn: x.conn, unique: x.unique, opcode: x.opcode, op: opcodeName(x.opcode), nodeid: x.nodeid, pid: x.pid, tid: x.tid, caller_pid: x.callerPid,
    req_ns: tb.absoluteNs(x.tReq, x.tReqRest), reply_ns: x.replied ? tb.absoluteNs(x.tReply, x.tReplyRest) : null,
    latency_us: x.replied ? (x.tReply - x.tReq) / 1000 : null, error: x.replied ? x.error : null, error_name: x.replied ? replyErrorName(x.error) : null,
    no_reply_expected: x.noReplyExpected, interrupts: x.interrupts, reply_rejected_errno: x.replyFailedErrno || null,
  } });
  // Without its closing braces: the request and the reply follow.
  return plain.slice(0, -2);
}

test('an exchange\'s JSON head is the documented object\'s JSON text, whatever its values', () => {
  const t = new TextBuffer(64);
  fc.assert(fc.property(
    fc.record({
      conn: fc.nat(1000), unique: id, opcode: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(4096, 65535)), nodeid: id,
      pid: fc.integer({ min: -1, max: 1 << 22 }), tid: fc.integer({ min: -1, max: 1 << 22 }), callerPid: fc.nat(1 << 22),
      tReq: time, tReqRest: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1023 })), replied: fc.boolean(), latency: time,
      tReplyRest: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1023 })), error: fc.oneof(fc.constant(0), fc.integer({ min: -200, max: 200 })),
      noReplyExpected: fc.boolean(), interrupts: fc.nat(3), replyFailedErrno: fc.oneof(fc.constant(0), fc.integer({ min: -1, max: 200 })),
      epoch: fc.option(fc.bigInt({ min: 0n, max: 1n << 62n })),
    }),
    (r) => {
      const x = new Exchange();
      Object.assign(x, { conn: r.conn, unique: r.unique, opcode: r.opcode, nodeid: r.nodeid, pid: r.pid, tid: r.tid, callerPid: r.callerPid,
        tReq: r.tReq, tReqRest: r.tReqRest, replied: r.replied, tReply: r.tReq + r.latency, tReplyRest: r.tReplyRest, error: r.error,
        noReplyExpected: r.noReplyExpected, interrupts: r.interrupts, replyFailedErrno: r.replyFailedErrno });
      const tb = new Timebase();
      if (r.epoch !== null) tb.epochNs = r.epoch;
      writeExchangeJsonHead(t, x, tb);
      assert.equal(t.takeFrom(0), documented(x, tb));
    },
  ), { numRuns: 3000 });
});
