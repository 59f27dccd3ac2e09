/**
 * Whole `dump` text lines written from the form of their message
 * (protocol/decode.ts MessageForm), the text twin of dump-json-message.ts:
 * a request of an opcode, a successful reply of an opcode with a body, a
 * reply without a body, each kept as a plan per byte order, protocol minor
 * and verbosity (the op column's bytes, the text writers of its structs and
 * where they sit, the items of its names, whether data follows). The
 * message is not walked into parts first: the plan says where everything
 * is. It covers the messages a capture is made of: whole, well-formed, no
 * extensions, no comment, names of printable ASCII without quote or
 * backslash. For any other it writes nothing and says so, and the message
 * goes the general way (walk, then dump-format.ts writeMessageLine), which
 * writes the same bytes for the messages covered here
 * (test/report/dump-text-message.test.ts compares them on every bundled
 * capture and on random bodies).
 */
import { Direction, type CaptureMessage } from '../capture/message.js';
import type { Exchange } from '../protocol/exchange.js';
import type { MessageKind } from '../pairing/pairer.js';
import type { ConnProtocol } from '../protocol/version.js';
import type { MessageForm } from '../protocol/decode.js';
import { FormCache, FormType, nameEnds, nameStarts } from '../protocol/form-cache.js';
import { opcodeName, opcodeRow } from '../protocol/opcodes.js';
import { fuse_in_header, fuse_out_header } from '../protocol/layouts/header.js';
import { viewOf } from '../protocol/extract.js';
import type { TextBuffer } from './text-buffer.js';
import {
  opBytes, textWriterOf, writeDataItem, writeErrorName, writeHead, writeInterrupts, writeLatency, writePlainQuoted, writeReplyHead,
  writeReplyTimes, writeRequestHead, writeResultArrow, type DumpFormatOptions, type TextWriter,
} from './dump-format.js';

const IN_HDR = fuse_in_header.size;
const OUT_HDR = fuse_out_header.size;

/** Where a message's parts are, and how each is written. */
interface LinePlan {
  readonly op: Buffer;
  /** Body bytes the structs take. */
  readonly size: number;
  readonly writers: readonly TextWriter[];
  /** Each struct's offset in the body. */
  readonly at: readonly number[];
  /** Each name's item before its quotes: ` ` for `name`, ` oldname ` ... (dump-format.ts valueText). */
  readonly strings: readonly Buffer[];
  readonly data: boolean;
}

function planOf(type: FormType, opcode: number, le: boolean, verbose: boolean, form: MessageForm | undefined): LinePlan {
  const row = opcodeRow(opcode);
  const structs = form?.structs ?? [];
  return {
    op: opBytes(row !== undefined ? row.name : opcodeName(opcode), opcode, type === FormType.REQUEST),
    size: form?.size ?? 0,
    writers: structs.map((s) => textWriterOf(s.l, le, verbose)),
    at: structs.map((s) => s.at),
    strings: (form?.strings ?? []).map((k) => Buffer.from(k === 'name' ? ' ' : ` ${k} `, 'latin1')),
    data: form?.data ?? false,
  };
}

/** Plans by type, variant (1: little-endian, 2: verbose) and opcode, per protocol minor. */
const plans = new FormCache<LinePlan>(4, (type, opcode, variant, form) => planOf(type, opcode, (variant & 1) === 1, (variant & 2) === 2, form));

/**
 * The plan for message `m` (walked with `x`) when one covers it and its
 * names (FormCache `nameStarts`, `nameEnds`) need no escapes; null
 * otherwise. Writes nothing.
 */
function coveredPlan(m: CaptureMessage, x: Exchange, pr: ConnProtocol, verbose: boolean): LinePlan | null {
  const plan = plans.entryOf(m, x, pr, (m.le === true ? 1 : 0) + (verbose === true ? 2 : 0));
  if (plan === null) return null;
  const b = m.data;
  for (let i = 0; i < plan.strings.length; i++) {
    const e = nameEnds[i]!;
    for (let j = nameStarts[i]!; j < e; j++) {
      const c = b[j]!;
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return null;
    }
  }
  return plan;
}

/** The body of message `m` as `plan` (from `coveredPlan`, just made) lays it out: its structs' items, its names, its data. */
function writePlannedBody(t: TextBuffer, plan: LinePlan, m: CaptureMessage): void {
  const b = m.data;
  const hdr = m.dir === Direction.Outbound ? OUT_HDR : IN_HDR;
  const body = m.off + hdr;
  const writers = plan.writers;
  for (let i = 0; i < writers.length; i++) writers[i]!(t, b, body + plan.at[i]!);
  const strings = plan.strings;
  for (let i = 0; i < strings.length; i++) if (nameEnds[i]! >= 0) writePlainQuoted(t, strings[i]!, b, nameStarts[i]!, nameEnds[i]!);
  if (plan.data) {
    const n = viewOf(b).getUint32(m.off, m.le) - hdr - plan.size;
    writeDataItem(t, n, n);
  }
}

/**
 * Writes the `dump` line of message `m` (numbered `index`, of kind `kind`
 * as the pairing stage gave it; no newline) as writeMessageLine writes the
 * walk of it, when a plan covers it: a request or reply (not a
 * notification) walked with exchange `x` (as dump gives the walk) that has
 * no problem, all of whose bytes were captured, whose names need no
 * escapes. Returns false, having written nothing, otherwise.
 */
export function writeWholeMessageText(t: TextBuffer, index: number, m: CaptureMessage, kind: MessageKind, x: Exchange | undefined, pr: ConnProtocol, opts: DumpFormatOptions): boolean {
  if (x === undefined) return false;
  const verbose = opts.verbose === true;
  const plan = coveredPlan(m, x, pr, verbose);
  if (plan === null) return false;
  const b = m.data;
  const o = m.off;
  const le = m.le;
  const reply = m.dir === Direction.Outbound;
  writeHead(t, index, m.t, m.conn, m.tid, opts);
  if (reply) {
    writeReplyHead(t, plan.op, b, o, le, true, kind === 'interrupt-reply');
    writeErrorName(t, viewOf(b).getInt32(o + 4, le));
  } else {
    writeRequestHead(t, plan.op, b, o, le, verbose, true);
  }
  writePlannedBody(t, plan, m);
  if (reply && Number.isFinite(x.tReq)) writeLatency(t, m.t - x.tReq);
  return true;
}

/**
 * The request part of a `dump --exchanges` line for request `m` of `x`
 * (`exchangeRequestText` of its walk) when a plan covers it; false, having
 * written nothing, otherwise.
 */
export function writeWholeRequestText(t: TextBuffer, m: CaptureMessage, x: Exchange, pr: ConnProtocol, verbose: boolean): boolean {
  if (m.dir === Direction.Outbound) return false;
  const plan = coveredPlan(m, x, pr, verbose);
  if (plan === null) return false;
  writeRequestHead(t, plan.op, m.data, m.off, m.le, verbose, false);
  writePlannedBody(t, plan, m);
  return true;
}

/**
 * What follows the request of a `dump --exchanges` line for reply `m` of `x`
 * (`writeExchangeResult` of its walk) when a plan covers it: ` => `, the
 * result, the latency and thread, the INTERRUPTs; false, having written
 * nothing, otherwise.
 */
export function writeWholeExchangeResult(t: TextBuffer, m: CaptureMessage, x: Exchange, pr: ConnProtocol, verbose: boolean): boolean {
  if (m.dir !== Direction.Outbound) return false;
  const plan = coveredPlan(m, x, pr, verbose);
  if (plan === null) return false;
  writeResultArrow(t);
  writeErrorName(t, viewOf(m.data).getInt32(m.off + 4, m.le));
  writePlannedBody(t, plan, m);
  writeReplyTimes(t, x);
  writeInterrupts(t, x);
  return true;
}
