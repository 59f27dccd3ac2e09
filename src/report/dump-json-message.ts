/**
 * Whole `dump --json` message lines written by one generated function per
 * kind of message: a request of an opcode, a successful reply of an opcode
 * with a body, a reply without a body, each per byte order (and protocol
 * minor, which sizes the structs). The function writes the line's head and
 * each struct through the shared writers of dump-json.ts, the rest of the
 * line's keys and punctuation as constant stores, and the names and data
 * part from where the opcode's form puts them (protocol/decode.ts
 * MessageForm): the message is not walked into parts first, and nothing is
 * looked up per part. (Inlining the head and the structs into each function
 * made TurboFan spend more compiling the thirty-odd functions of a capture
 * than they saved.) It covers the
 * messages a capture is made of: whole, well-formed, no extensions, no
 * comment. For any other it writes nothing and says so, and the message
 * goes the general way (walk, then dump-json.ts writeMessageJson), which
 * writes the same bytes for the messages covered here
 * (test/report/dump-json-message.test.ts compares them on every bundled
 * capture).
 */
import type { CaptureMessage, Timebase } from '../capture/message.js';
import type { Exchange } from '../protocol/exchange.js';
import type { MessageKind } from '../pairing/pairer.js';
import type { ConnProtocol } from '../protocol/version.js';
import type { MessageForm } from '../protocol/decode.js';
import { FormCache, FormType, nameEnds, nameStarts } from '../protocol/form-cache.js';
import { u32 } from '../protocol/layout.js';
import { opcodeName, opcodeRow } from '../protocol/opcodes.js';
import { fuse_in_header, fuse_out_header } from '../protocol/layouts/header.js';
import { GeneratedCode } from '../model/generated-code.js';
import { errorNamePiece, keyPiece, structWriter, writeMessageHead } from './dump-json.js';
import type { StructLayout } from '../protocol/layout.js';
import { jsonString } from './json.js';
import { nameText } from '../protocol/names.js';
import { TextBuffer, putJsonNumber } from './text-buffer.js';
import { STORE_SLACK, storesSource, viewSource, wordSource } from './word-digits.js';

/**
 * Writes the line of message `m` (`len` its header's length) and its newline;
 * a part writer (`compile`'s `part`) writes only the line's `decoded` object
 * (index, kind and timebase unused).
 */
type LineWriter = (t: TextBuffer, index: number, m: CaptureMessage, kind: MessageKind | undefined, timebase: Timebase | undefined, len: number) => void;

const IN_HDR = fuse_in_header.size;
/**
 * Bytes most of the constants and numbers between two structs of a line take (keys, the data part, the error's name, the line's end),
 * the constants' STORE_SLACK included.
 */
const ROOM = 256;
const OUT_HDR = fuse_out_header.size;

/**
 * Source writing `"key":` + the string at b[s] to its end `e` (-1: nothing
 * was left, null), copied while it is printable ASCII but `"` and `\\`,
 * else through `jsonString` (`escapedName`) as dump-json.ts writeText does.
 */
function stringSource(key: string, s: string, e: string, dep: (x: unknown) => string): string {
  return `${storesSource(key, dep, 'dv', 'u', STORE_SLACK)}
    if (${e} < 0) { ${storesSource('null', dep, 'dv', 'u', STORE_SLACK)} } else {
      t.pos = p; t.room(${ROOM} + ${e} - ${s}); u = t.buf; dv = t.view; p = t.pos;
      const q = p; u[p++] = 34; let j = ${s};
      for (; j < ${e}; j++) { const c = b[j]; if (c < 32 || c > 126 || c === 34 || c === 92) break; u[p++] = c; }
      if (j < ${e}) { p = ${dep(escapedName)}(t, q, b, ${s}, ${e}); u = t.buf; dv = t.view; } else u[p++] = 34;
    }`;
}

/** A name that needs escapes, written at `at` (its opening quote's place); makes room for ROOM after it and returns the position. */
function escapedName(t: TextBuffer, at: number, b: Buffer, s: number, e: number): number {
  t.pos = at;
  t.str(jsonString(nameText(b, s, e)));
  t.room(ROOM);
  return t.pos;
}

/**
 * The line writer of `type` for `opcode` in byte order `le`, from `form`
 * (none for a reply without a body), for the messages FormCache.entryOf
 * gives it; with `part`, the writer of the line's `decoded` object alone (an
 * exchange line's request and reply: dump --exchanges --json).
 */
function compile(type: FormType, opcode: number, le: boolean, form: MessageForm | undefined, part: boolean): LineWriter {
  const g = new GeneratedCode();
  const dep = (v: unknown): string => g.dep(v);
  const c = (s: string): string => storesSource(s, dep, 'dv', 'u', STORE_SLACK);
  const request = type === FormType.REQUEST;
  const hdr = request ? IN_HDR : OUT_HDR;
  const size = form?.size ?? 0;
  // Where each string starts and ends: FormCache.entryOf found them as the walk splits them.
  const strings = form?.strings ?? [];
  const body = `o + ${hdr}`;
  const names = strings.map((_, i) => `const s${i} = ${dep(nameStarts)}[${i}]; const e${i} = ${dep(nameEnds)}[${i}];`);
  const row = opcodeRow(opcode);
  const op = row !== undefined ? row.name : opcodeName(opcode);
  // Constants are stored at u[p] (room made for them all); a struct's writer (shared by the opcodes that carry it) makes its own.
  const writes: string[] = [`let u = t.buf; let dv = t.view; let p = t.pos;`, c(`${part ? '' : ',"decoded":'}{"type":${request ? '"request"' : '"reply"'},"opcode":${opcode},"op":${jsonString(op)},"header":`)];
  // `after` runs before room is made again (which may hand the bytes written so far to the sink).
  const struct = (l: StructLayout, at: string, after = ''): void => {
    writes.push(`t.pos = p; ${dep(structWriter(l, le))}(t, b, ${at}); ${after} t.room(${ROOM}); u = t.buf; dv = t.view; p = t.pos;`);
  };
  // A reply header's last brace gives way to its added key, the error's name.
  struct(request ? fuse_in_header : fuse_out_header, 'o', request ? '' : 't.pos--;');
  if (!request) {
    // `,"error_name":"OK"}` as the general way writes it (dump-json.ts errorNamePiece).
    const ok = c(errorNamePiece(0).toString('latin1'));
    if (type === FormType.REPLY) writes.push(ok);
    else writes.push(`${viewSource(dep)} const err = ${wordSource(4, 'o + 4', le)} | 0; if (err === 0) { ${ok} } else { const ep = ${dep(errorNamePiece)}(err); for (let i = 0; i < ep.length; i++) u[p + i] = ep[i]; p += ep.length; }`);
  }
  writes.push(c(',"body":'));
  let sep = '{';
  for (const s of form?.structs ?? []) {
    writes.push(c(`${sep}${keyPiece(s.l.name).toString('latin1')}`));
    struct(s.l, `${body} + ${s.at}`);
    sep = ',';
  }
  strings.forEach((key, i) => {
    writes.push(stringSource(`${sep}${keyPiece(key).toString('latin1')}`, `s${i}`, `e${i}`, dep));
    sep = ',';
  });
  if (form?.data) {
    writes.push(c(`${sep}${keyPiece('data').toString('latin1')}{"length":`), `const n = len - ${hdr + size};`, `p = ${dep(putJsonNumber)}(u, p, n);`, c(',"captured":'), `p = ${dep(putJsonNumber)}(u, p, n);`, c('}'));
    sep = ',';
  }
  // The body's end (an empty one whole), the decoded object's; a line's also closes `data` and the line, then the newline.
  const end = part ? '}' : '}}}\n';
  writes.push(c(sep === '{' ? `{}${end}` : `}${end}`));
  const name = `${part ? 'part_' : ''}${request ? 'request' : type === FormType.REPLY ? 'reply' : 'bare_reply'}_${op.replace(/\W/g, '_')}_${le ? 'le' : 'be'}`;
  const src = `return function ${name}(t, index, m, kind, timebase, len) {
    const b = m.data; const o = m.off;
    ${names.join('\n    ')}
    ${part ? '' : `${dep(writeMessageHead)}(t, index, m, kind, timebase);`}
    t.room(${ROOM});
    ${writes.join('\n    ')}
    t.pos = p;
  };`;
  return g.compile<LineWriter>(src);
}

/** Line writers by type, variant (bit 0: little-endian; bit 1: the decoded object alone) and opcode, per protocol minor. */
const writers = new FormCache<LineWriter>(4, (type, opcode, variant, form) => compile(type, opcode, (variant & 1) === 1, form, (variant & 2) === 2));

/**
 * Writes the `dump --json` line of message `m` (numbered `index`, of kind
 * `kind` as the pairing stage gave it) with its newline when a
 * generated writer covers it: a request or reply (not a notification)
 * walked with exchange `x` (as dump gives the walk) that has no problem,
 * all of whose bytes were captured. Returns false, having written nothing,
 * otherwise.
 */
export function writeWholeMessageJson(t: TextBuffer, index: number, m: CaptureMessage, kind: MessageKind, timebase: Timebase, x: Exchange | undefined, pr: ConnProtocol): boolean {
  const w = writers.entryOf(m, x, pr, m.le ? 1 : 0);
  if (w === null) return false;
  w(t, index, m, kind, timebase, u32(m.data, m.off, m.le));
  return true;
}

/**
 * Writes message `m`'s `decoded` object as its `dump --json` line has it
 * (dump --exchanges --json gives it as an exchange's request or reply), for
 * the messages `writeWholeMessageJson` covers; false, having written
 * nothing, for any other.
 */
export function writeWholeDecodedJson(t: TextBuffer, m: CaptureMessage, x: Exchange | undefined, pr: ConnProtocol): boolean {
  const w = writers.entryOf(m, x, pr, m.le ? 3 : 2);
  if (w === null) return false;
  w(t, -1, m, undefined, undefined, u32(m.data, m.off, m.le));
  return true;
}
