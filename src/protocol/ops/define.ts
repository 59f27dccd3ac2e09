/**
 * The shape of an opcode row (`defineOp`) and of the body descriptions the
 * rows carry. A row is the one place an opcode's facts are written; the
 * opcode table, the reply size checks, the export columns, the struct docs
 * and the Wireshark dissector read them (see ../opcodes.ts for the derived
 * tables).
 */
import type { StructLayout } from '../layout.js';

/** What an opcode is for; used by filters and by the per-opcode report. */
export type OpClass = 'init' | 'meta' | 'dir' | 'io' | 'xattr' | 'lock' | 'lifetime' | 'notify' | 'misc';

/** One piece of a message body after its header, in order. */
export type BodyPart =
  /**
   * A fixed struct. `optional`: absent from older peers' messages (from
   * minor `since` on). `byLen`: its size is the message's (INIT structs
   * grew by appending, fuse-protocol.md §4.1).
   */
  | { readonly k: 'struct'; readonly l: StructLayout; readonly optional?: { readonly since: number }; readonly byLen?: boolean }
  /** Entries of `l` counted by the first u32 of the struct before them. */
  | { readonly k: 'array'; readonly l: StructLayout }
  /** 8-byte-aligned `l` records, each followed by its name (READDIR). */
  | { readonly k: 'records'; readonly l: StructLayout }
  /** A NUL-terminated string (the JSON key of decode). */
  | { readonly k: 'string'; readonly f: 'name' | 'linkname' | 'oldname' | 'newname' }
  /** Bytes fusetrace does not take apart; `what` says what they are. */
  | { readonly k: 'data'; readonly what: string }
  /** `l` when the request asked for the size (its `size` was 0), else `or` (GETXATTR/LISTXATTR). */
  | { readonly k: 'either'; readonly l: StructLayout; readonly or: BodyPart };

export interface OpcodeRow {
  readonly code: number;
  /** Kernel spelling without the FUSE_ prefix. */
  readonly name: string;
  readonly cls: OpClass;
  /** First protocol minor (0 = from the start). */
  readonly since: number;
  /** The kernel never expects a reply (FORGET, BATCH_FORGET, NOTIFY_REPLY). */
  readonly noReply?: boolean;
  /** The reply carries `fuse_attr` (a size report). */
  readonly carriesAttr?: boolean;
  /** The request's nodeid is the parent directory and the body carries a name. */
  readonly namesChild?: boolean;
  /** The request may carry extensions after its arguments (security context, groups). */
  readonly ext?: boolean;
  /** Request body after fuse_in_header ([] = empty). */
  readonly request: readonly BodyPart[];
  /** Reply body after fuse_out_header on success ([] = header only). */
  readonly reply: readonly BodyPart[];
  /**
   * The request struct's fields that an Exchange carries are columns of the
   * requests export table; this is their place among those structs (1 first).
   */
  readonly argColumns?: number;
}

/** An opcode row, its name and code kept as literal types (the `Op` constants come from them). */
export function defineOp<const N extends string, const C extends number>(row: OpcodeRow & { readonly name: N; readonly code: C }): OpcodeRow & { readonly name: N; readonly code: C } {
  return row;
}

export interface NotifyRow {
  readonly code: number;
  readonly name: string;
  readonly since: number;
  /** Body after fuse_out_header. */
  readonly body: readonly BodyPart[];
}

export function defineNotify<const N extends string, const C extends number>(row: NotifyRow & { readonly name: N; readonly code: C }): NotifyRow & { readonly name: N; readonly code: C } {
  return row;
}

// Body part constructors, so that rows read like the kernel's comments.
export const st = (l: StructLayout, opts: { optional?: { since: number }; byLen?: boolean } = {}): BodyPart => ({ k: 'struct', l, ...opts });
export const arr = (l: StructLayout): BodyPart => ({ k: 'array', l });
export const records = (l: StructLayout): BodyPart => ({ k: 'records', l });
export const str = (f: 'name' | 'linkname' | 'oldname' | 'newname'): BodyPart => ({ k: 'string', f });
export const data = (what = 'data'): BodyPart => ({ k: 'data', what });
export const either = (l: StructLayout, or: BodyPart): BodyPart => ({ k: 'either', l, or });
