/**
 * Test helpers for the capture readers: a collecting sink, a driver that feeds
 * a parser in chunks of any size (checking the RecordParser contract on every
 * call), and small FUSE messages to build captures from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError } from '../../src/capture/errors.js';
import { MAX_RECORD, type RecordParser, type ReaderOptions } from '../../src/capture/input.js';
import {
  Timebase, type CaptureFormat, type CaptureMessage, type CaptureNotice, type CaptureSink, type ConnectionInfo,
  type InterfaceStats,
} from '../../src/capture/message.js';
import { createParser, readCaptures } from '../../src/capture/open.js';
// The readers classify undirected messages with the protocol's guesser, as every command gives them.
import { guessDirection } from '../../src/protocol/guess-direction.js';

/** Everything a message says, copied out of the reused record (its bytes as hex). */
export type MsgSnap = Omit<CaptureMessage, 'data' | 'off'> & { hex: string };

export interface Collected {
  conns: ConnectionInfo[];
  msgs: MsgSnap[];
  notices: CaptureNotice[];
  stats: InterfaceStats[];
}

export function snapshot(m: CaptureMessage): MsgSnap {
  return {
    conn: m.conn, t: m.t, tRest: m.tRest, dir: m.dir, dirGuessed: m.dirGuessed,
    hex: m.data.toString('hex', m.off, m.off + m.capLen), capLen: m.capLen, origLen: m.origLen, le: m.le,
    pid: m.pid, tid: m.tid, failedErrno: m.failedErrno, comment: m.comment, fileOffset: m.fileOffset,
    blockNo: m.blockNo, input: m.input,
  };
}

export function collector(): { sink: CaptureSink; got: Collected } {
  const got: Collected = { conns: [], msgs: [], notices: [], stats: [] };
  const sink: CaptureSink = {
    onConnection: (c) => { got.conns.push({ ...c }); },
    onMessage: (m) => { got.msgs.push(snapshot(m)); },
    onNotice: (n) => { got.notices.push({ ...n }); },
    onStats: (s) => { got.stats.push({ ...s }); },
  };
  return { sink, got };
}

export interface DriveResult {
  got: Collected;
  error: CaptureError | undefined;
  parser: RecordParser;
  timebase: Timebase;
  /** parse() calls made. */
  calls: number;
}

export interface DriveOptions extends ReaderOptions {
  /** Bytes handed over per step (default: all at once). */
  chunk?: number;
  file?: string;
}

/**
 * Feeds `data` to a fresh parser `chunk` bytes at a time, as CaptureInput
 * does (unparsed rest moved to a new buffer, a few junk bytes before it so
 * that `start` and `base` are exercised), then calls finish(). Asserts the
 * contract after every parse(): progress stays inside the buffer, `need` is
 * positive, at most MAX_RECORD, and more than what is left (so the parser
 * never stalls with enough bytes in hand). A CaptureError is returned;
 * anything else thrown fails the test.
 */
export function drive(format: CaptureFormat, data: Buffer, o: DriveOptions = {}): DriveResult {
  const { sink, got } = collector();
  const timebase = new Timebase();
  const parser = createParser(format, {
    file: o.file ?? 'test', input: 0, timebase, sink, options: { resync: o.resync, linkType: o.linkType, guessDirection: o.guessDirection ?? guessDirection },
  });
  const chunk = o.chunk ?? Math.max(1, data.length);
  let pending = Buffer.alloc(0);
  let base = 0;
  let calls = 0;
  const pad = 3;
  try {
    for (let at = 0; at < data.length; at += chunk) {
      const buf = Buffer.concat([Buffer.alloc(pad, 0xee), pending, data.subarray(at, at + chunk)]);
      calls++;
      const q = parser.parse(buf, pad, buf.length, base - pad);
      assert.ok(q >= pad && q <= buf.length, `parse returned ${q} outside [${pad}, ${buf.length}]`);
      assert.ok(parser.need >= 1 && parser.need <= MAX_RECORD, `need ${parser.need} outside [1, MAX_RECORD]`);
      assert.ok(parser.need > buf.length - q, `parser stalled: need ${parser.need} but ${buf.length - q} bytes left`);
      base += q - pad;
      pending = buf.subarray(q);
    }
    if (pending.length > 0) parser.finish(pending.length, base);
  } catch (e) {
    if (e instanceof CaptureError) return { got, error: e, parser, timebase, calls };
    throw e;
  }
  return { got, error: undefined, parser, timebase, calls };
}

/** Runs `fn` with a temporary directory that is removed afterwards. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-capture-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads files through CaptureInput (readCaptures); returns what was read and the error if any. */
export function readFiles(files: string[], o: ReaderOptions = {}): { got: Collected; error: unknown; timebase: Timebase } {
  const { sink, got } = collector();
  const timebase = new Timebase();
  try {
    readCaptures(files, sink, { guessDirection, ...o, timebase });
    return { got, error: undefined, timebase };
  } catch (e) {
    return { got, error: e, timebase };
  }
}

/** Writes `data` to a temporary file and reads it through CaptureInput. */
export function readBytes(data: Buffer, o: ReaderOptions = {}): { got: Collected; error: unknown; timebase: Timebase } {
  return withTempDir((dir) => {
    const f = join(dir, 'capture');
    writeFileSync(f, data);
    return readFiles([f], o);
  });
}

/** A FUSE request: fuse_in_header (40 bytes) + `body`. */
export function request(opcode: number, unique: number, nodeid: number, body: Buffer = Buffer.alloc(0), le = true): Buffer {
  const b = Buffer.alloc(40 + body.length);
  const w32 = (v: number, o: number): number => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const w64 = (v: number, o: number): number => (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o));
  w32(b.length, 0);
  w32(opcode, 4);
  w64(unique, 8);
  w64(nodeid, 16);
  w32(1000, 24); // uid
  w32(1000, 28); // gid
  w32(4242, 32); // pid
  body.copy(b, 40);
  return b;
}

/** A FUSE reply or notification: fuse_out_header (16 bytes) + `body`. */
export function reply(unique: number, error: number, body: Buffer = Buffer.alloc(0), le = true): Buffer {
  const b = Buffer.alloc(16 + body.length);
  if (le) {
    b.writeUInt32LE(b.length, 0);
    b.writeInt32LE(error, 4);
    b.writeBigUInt64LE(BigInt(unique), 8);
  } else {
    b.writeUInt32BE(b.length, 0);
    b.writeInt32BE(error, 4);
    b.writeBigUInt64BE(BigInt(unique), 8);
  }
  body.copy(b, 16);
  return b;
}

/** Offsets and lengths of the top-level pcapng blocks of a well-formed little/big-endian capture. */
export function pcapngBlocks(data: Buffer): Array<{ offset: number; len: number; type: number; le: boolean }> {
  const out: Array<{ offset: number; len: number; type: number; le: boolean }> = [];
  let le = true;
  for (let p = 0; p + 12 <= data.length;) {
    const type = data.readUInt32LE(p);
    if (type === 0x0a0d0d0a) le = data.readUInt32LE(p + 8) === 0x1a2b3c4d;
    const len = le ? data.readUInt32LE(p + 4) : data.readUInt32BE(p + 4);
    out.push({ offset: p, len, type: le ? type : data.readUInt32BE(p), le });
    p += len;
  }
  return out;
}
