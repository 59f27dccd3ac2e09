/**
 * Helpers for the protocol tests: messages written as inline hex (fields
 * spelled out with `u32(...)`/`u64(...)` in the chosen byte order), and
 * drivers that run them through extract and decode like the pairing stage.
 */
import { Direction, type CaptureMessage } from '../../src/capture/message.js';
import { Exchange } from '../../src/protocol/exchange.js';
import { MessageParts, partsObject, walkReply, walkRequest, type DecodedMessage } from '../../src/protocol/decode.js';
import { extractReply, extractRequest, fillReplyHeader, fillRequestHeader } from '../../src/protocol/extract.js';
import { ConnProtocol, type ProtocolOverride } from '../../src/protocol/version.js';

/** Byte order used by the hex helpers below (tests flip it for big-endian cases). */
let LE = true;
export function setLE(le: boolean): void { LE = le; }

function intHex(v: number | bigint, bytes: number): string {
  let x = BigInt.asUintN(bytes * 8, BigInt(v));
  const out: string[] = [];
  for (let i = 0; i < bytes; i++) { out.push((x & 0xffn).toString(16).padStart(2, '0')); x >>= 8n; }
  return (LE ? out : out.reverse()).join('');
}
export const u16 = (v: number): string => intHex(v, 2);
export const u32 = (v: number): string => intHex(v, 4);
export const i32 = (v: number): string => intHex(v, 4);
export const u64 = (v: number | bigint): string => intHex(v, 8);
/** A NUL-terminated name. */
export const cstr = (s: string): string => Buffer.from(s + '\0').toString('hex');
/** Raw bytes without NUL. */
export const str = (s: string): string => Buffer.from(s).toString('hex');
export const zeros = (n: number): string => '00'.repeat(n);

/** Whole request message as hex: fuse_in_header + body (+ extensions, counted in total_extlen). */
export function reqHex(op: number, unique: number | bigint, nodeid: number | bigint, body: string, o: { pid?: number; ext?: string; len?: number } = {}): string {
  const ext = o.ext ?? '';
  const len = o.len ?? 40 + (body.length + ext.length) / 2;
  return u32(len) + u32(op) + u64(unique) + u64(nodeid) + u32(1000) + u32(1000) + u32(o.pid ?? 4242) + u16(ext.length / 16) + u16(0) + body + ext;
}

/** Whole reply or notification message as hex: fuse_out_header + body. */
export function repHex(unique: number | bigint, error: number, body = '', len?: number): string {
  return u32(len ?? 16 + body.length / 2) + i32(error) + u64(unique) + body;
}

/** A CaptureMessage over `hex`; `capLen` < length simulates a snapped message. */
export function msg(hex: string, dir: Direction, o: { capLen?: number; origLen?: number; le?: boolean; t?: number } = {}): CaptureMessage {
  const data = Buffer.from(hex, 'hex');
  const capLen = o.capLen ?? data.length;
  return {
    conn: 0, t: o.t ?? 0, tRest: 0, dir, dirGuessed: false, data: data.subarray(0, capLen), off: 0, capLen, origLen: o.origLen ?? data.length,
    le: o.le ?? LE, pid: 1, tid: 2, failedErrno: 0, comment: undefined, fileOffset: 0, blockNo: 0, input: 0,
  };
}

export function proto(o?: ProtocolOverride): ConnProtocol {
  return new ConnProtocol(o);
}

/** Runs a request through extract (as the pairing stage does) and decode. */
export function request(hex: string, p: ConnProtocol, o: { capLen?: number; origLen?: number } = {}): { x: Exchange; d: DecodedMessage } {
  const m = msg(hex, Direction.Inbound, o);
  const x = new Exchange();
  fillRequestHeader(x, m);
  extractRequest(x, m, p);
  const P = walkRequest(m, p, x, new MessageParts());
  const d = partsObject(P);
  walked.set(d, P);
  return { x, d };
}

/** Runs a reply to `x` through extract and decode. */
export function reply(x: Exchange, hex: string, p: ConnProtocol, o: { capLen?: number; origLen?: number } = {}): DecodedMessage {
  const m = msg(hex, Direction.Outbound, { ...o, t: 1000 });
  fillReplyHeader(x, m);
  extractReply(x, m, p);
  const P = walkReply(m, x, p, new MessageParts());
  const d = partsObject(P);
  walked.set(d, P);
  return d;
}

/** The parts `request`/`reply` walked to make `d` (for the dump line formatters). */
const walked = new WeakMap<DecodedMessage, MessageParts>();
export function partsOf(d: DecodedMessage): MessageParts {
  const P = walked.get(d);
  if (!P) throw new Error('not made by request() or reply()');
  return P;
}

/** A ConnProtocol after an INIT exchange with the given daemon minor (kernel 7.45). */
export function negotiated(daemonMinor: number, flags = 0, flags2 = 0): ConnProtocol {
  const p = proto();
  const INIT_EXT = 1 << 30;
  request(reqHex(26, 2, 0, u32(7) + u32(45) + u32(131072) + u32((0x73ffffff | INIT_EXT) >>> 0) + u32(0x5fd) + zeros(44)), p);
  const x = new Exchange();
  x.opcode = 26;
  const body = daemonMinor < 23
    ? u32(7) + u32(daemonMinor) + u32(131072) + u32(flags >>> 0) + u16(0) + u16(0) + u32(131072)
    : u32(7) + u32(daemonMinor) + u32(131072) + u32(flags >>> 0) + u16(0) + u16(0) + u32(1048576) + u32(1) + u16(256) + u16(0) + u32(flags2) + u32(0) + u16(0) + zeros(22);
  reply(x, repHex(2, 0, body), p);
  return p;
}
