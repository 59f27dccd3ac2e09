/**
 * The opcode and notification tables, assembled from the rows of ops/
 * (one file per family; source: libfuse include/fuse_kernel.h 7.45 = Linux
 * 6.18, enum fuse_opcode and enum fuse_notify_code, "since" from the
 * header's changelog), and the facts derived from them: the `Op` and
 * `Notify` constants, the body descriptions of the docs, the fixed reply
 * sizes and the export columns. Nothing here is typed twice.
 */
import type { StructLayout } from './layout.js';
import { sizeAt } from './layouts/index.js';
import type { BodyPart, NotifyRow, OpcodeRow } from './ops/define.js';
import { ATTR_OPS } from './ops/attr.js';
import { DIR_OPS } from './ops/dir.js';
import { ENTRY_OPS } from './ops/entry.js';
import { IO_OPS } from './ops/io.js';
import { LOCK_OPS } from './ops/lock.js';
import { MISC_OPS } from './ops/misc.js';
import { NOTIFY_OPS, NOTIFY_ROWS } from './ops/notify.js';
import { SESSION_OPS } from './ops/session.js';
import { XATTR_OPS } from './ops/xattr.js';

export type { BodyPart, NotifyRow, OpcodeRow } from './ops/define.js';

const ROWS = [...ENTRY_OPS, ...ATTR_OPS, ...IO_OPS, ...DIR_OPS, ...XATTR_OPS, ...LOCK_OPS, ...SESSION_OPS, ...MISC_OPS, ...NOTIFY_OPS] as const;
type Row = (typeof ROWS)[number];

/** Every opcode, by code. */
export const OPCODES: readonly OpcodeRow[] = [...ROWS].sort((a, b) => a.code - b.code);

/** Opcode numbers by kernel name (`Op.WRITE` is 16). */
export const Op = Object.fromEntries(ROWS.map((r) => [r.name, r.code])) as { readonly [R in Row as R['name']]: R['code'] };

/** Byte-swapped INIT/CUSE_INIT opcodes: a first message with these means the wrong byte order. */
export const FUSE_INIT_BSWAP_RESERVED = 0x1a000000;
export const CUSE_INIT_BSWAP_RESERVED = 0x00100000;

/** Notification codes (daemon -> kernel, unique 0, code in `error`). */
export const NOTIFY_CODES: readonly NotifyRow[] = NOTIFY_ROWS;

type NotifyRowT = (typeof NOTIFY_ROWS)[number];
export const Notify = Object.fromEntries(NOTIFY_ROWS.map((r) => [r.name, r.code])) as { readonly [R in NotifyRowT as R['name']]: R['code'] };

const byCode = new Map<number, OpcodeRow>(OPCODES.map((r) => [r.code, r]));
const notifyByCode = new Map<number, NotifyRow>(NOTIFY_CODES.map((r) => [r.code, r]));
const byName = new Map<string, OpcodeRow>(OPCODES.map((r) => [r.name, r]));
for (const rows of [OPCODES, NOTIFY_CODES] as const) {
  const seen = new Set<number>();
  for (const r of rows) {
    if (seen.has(r.code)) throw new Error(`opcode table: code ${r.code} (${r.name}) twice`);
    seen.add(r.code);
  }
}

export function opcodeRow(code: number): OpcodeRow | undefined {
  return byCode.get(code);
}

export function opcodeByName(name: string): OpcodeRow | undefined {
  return byName.get(name.toUpperCase().replace(/^FUSE_/, ''));
}

/** `LOOKUP`, or `?0x7` for a code the table does not know. */
export function opcodeName(code: number): string {
  return byCode.get(code)?.name ?? `?0x${code.toString(16)}`;
}

export function notifyRow(code: number): NotifyRow | undefined {
  return notifyByCode.get(code);
}

export function notifyName(code: number): string {
  return notifyByCode.get(code)?.name ?? `?0x${code.toString(16)}`;
}

// --- derived facts -------------------------------------------------------------------

/** A body description as the docs show it: `fuse_mknod_in + name [+ext]`. */
export function describeBody(parts: readonly BodyPart[], ext = false): string {
  const s = parts.map(describePart).join(' + ');
  return ext ? `${s} [+ext]` : s;
}

function describePart(p: BodyPart): string {
  switch (p.k) {
    case 'struct': return p.optional ? `${p.l.name} (7.${p.optional.since}+; empty before)` : p.l.name;
    case 'array': return `${p.l.name}[]`;
    case 'records': return `${p.l.name} records`;
    case 'string': return p.f;
    case 'data': return p.what;
    case 'either': return `${p.l.name} (size 0) or ${describePart(p.or)}`;
  }
}

/**
 * The fixed structs of a successful reply, or undefined when its size is
 * not fixed (data, records, INIT's length-sized struct, no reply at all).
 * An `either` reply is fixed only when the request asked for the size.
 */
function fixedReplyStructs(r: OpcodeRow, askedSize: boolean): StructLayout[] | undefined {
  if (r.noReply) return undefined;
  const out: StructLayout[] = [];
  for (const p of r.reply) {
    if (p.k === 'struct' && !p.byLen) out.push(p.l);
    else if (p.k === 'either' && askedSize) out.push(p.l);
    else return undefined;
  }
  return out;
}

/** Minors the size table covers; later minors (no kernel has them) are computed on demand. */
const MINORS = 128;
const SLOTS = 64;
/** Fixed reply size by [opcode * MINORS + minor]: -1 variable; for `either` replies, when the size was asked. */
const REPLY_SIZE = new Int32Array(SLOTS * MINORS).fill(-1);
/** 1 where the reply is `either` (fixed only when the request's size was 0). */
const REPLY_EITHER = new Uint8Array(SLOTS);

function computeReplySize(r: OpcodeRow | undefined, minor: number, askedSize: boolean): number {
  const ls = r && fixedReplyStructs(r, askedSize);
  if (!ls) return -1;
  let n = 0;
  for (const l of ls) n += sizeAt(l, minor);
  return n;
}

for (const r of OPCODES) {
  if (r.code >= SLOTS) continue;
  REPLY_EITHER[r.code] = r.reply.some((p) => p.k === 'either') ? 1 : 0;
  for (let minor = 0; minor < MINORS; minor++) REPLY_SIZE[r.code * MINORS + minor] = computeReplySize(r, minor, true);
}

/**
 * Body size of a successful reply to `opcode` at `minor` when it is fixed,
 * else -1. `requestSize` is the request's `size` (GETXATTR/LISTXATTR answer
 * a fuse_getxattr_out only when it was 0).
 */
export function fixedReplySize(opcode: number, minor: number, requestSize: number): number {
  if (opcode >= 0 && opcode < SLOTS && minor >= 0 && minor < MINORS) {
    if (REPLY_EITHER[opcode] === 1 && requestSize !== 0) return -1;
    return REPLY_SIZE[opcode * MINORS + minor] ?? -1;
  }
  return computeReplySize(byCode.get(opcode), minor, requestSize === 0);
}

/** `fuse_entry_out + fuse_open_out`: the structs of a fixed-size reply, for messages. */
export function replyStructName(opcode: number): string | undefined {
  const r = byCode.get(opcode);
  const ls = r && fixedReplyStructs(r, true);
  return ls && ls.length > 0 ? ls.map((l) => l.name).join(' + ') : undefined;
}

/**
 * Whether a request's header nodeid names a file: not for connection-level
 * opcodes (setup, teardown, lookup-count releases, interrupts, the answer
 * to a RETRIEVE). Opcodes the table does not know count as file requests.
 */
export function targetsNode(opcode: number): boolean {
  const r = byCode.get(opcode);
  return r === undefined || !(r.cls === 'init' || r.cls === 'lifetime' || r.cls === 'notify');
}

/**
 * The request structs whose fields are columns of the requests export
 * table, in column order, each with the opcodes that carry it.
 */
export const ARGUMENT_LAYOUTS: readonly (readonly [StructLayout, readonly number[]])[] = (() => {
  const by = new Map<StructLayout, { rank: number; ops: number[] }>();
  for (const r of OPCODES) {
    if (r.argColumns === undefined) continue;
    const first = r.request[0];
    if (first?.k !== 'struct') throw new Error(`opcode ${r.name}: argColumns without a request struct`);
    let e = by.get(first.l);
    if (!e) by.set(first.l, (e = { rank: r.argColumns, ops: [] }));
    if (e.rank !== r.argColumns) throw new Error(`opcode ${r.name}: ${first.l.name} has two argColumns ranks`);
    e.ops.push(r.code);
  }
  return [...by].sort((a, b) => a[1].rank - b[1].rank).map(([l, e]) => [l, e.ops] as const);
})();
