/**
 * What a whole-message writer makes once per form of message (decode.ts
 * MessageForm) and keeps: the JSON line writers of dump --json
 * (report/dump-json-message.ts) and the text line plans of dump
 * (report/dump-text-message.ts). Both cover the same messages, chosen here:
 * a request or reply paired with its exchange, with no problem, no comment,
 * all of its bytes captured; a request of an opcode, a successful reply of
 * an opcode with a body, or a reply without a body whatever its error.
 */
import { Direction, type CaptureMessage } from '../capture/message.js';
import type { Exchange } from './exchange.js';
import { replyForm, requestForm, type MessageForm } from './decode.js';
import { fuse_in_header, fuse_out_header } from './layouts/header.js';
import { u32 } from './layout.js';
import { fieldMinor, type ConnProtocol } from './version.js';

export const enum FormType {
  REQUEST,
  /** A successful reply with a body. */
  REPLY,
  /** A reply without a body, whatever its error. */
  BARE_REPLY,
}

const IN_HDR = fuse_in_header.size;
const OUT_HDR = fuse_out_header.size;
const IN_EXTLEN = fuse_in_header.offsets.total_extlen!;

/**
 * Entries made by `make` per type, variant (byte order, verbosity: the
 * user's numbering, below `variants`) and opcode, for each protocol minor
 * and minor of its fields (version.ts fieldMinor). An opcode without a form
 * (or one `make` turns down) has none: null.
 */
export class FormCache<T> {
  private readonly byMinor = new Map<number, (T | null | undefined)[]>();
  private last: (T | null | undefined)[] = [];
  private lastKey = -1;

  constructor(
    private readonly variants: number,
    private readonly make: (type: FormType, opcode: number, variant: number, form: MessageForm | undefined) => T | null,
  ) {}

  get(pr: ConnProtocol, type: FormType, opcode: number, variant: number): T | null {
    if (opcode >= 256) return null;
    const fields = fieldMinor(pr);
    const key = pr.minor * 256 + fields;
    let kept = this.last;
    if (key !== this.lastKey) {
      // Sized up front: an array grown by sparse stores would turn into a slow dictionary.
      kept = this.byMinor.get(key) ?? new Array<T | null | undefined>(3 * this.variants * 256);
      this.byMinor.set(key, kept);
      this.last = kept;
      this.lastKey = key;
    }
    const i = (type * this.variants + variant) * 256 + opcode;
    let e = kept[i];
    if (e === undefined) {
      const form = type === FormType.REQUEST ? requestForm(opcode, pr.minor, fields) : type === FormType.REPLY ? replyForm(opcode, pr.minor, fields) : undefined;
      e = form !== undefined || type === FormType.BARE_REPLY ? this.make(type, opcode, variant, form) : null;
      kept[i] = e;
    }
    return e;
  }

  /**
   * The entry for message `m` walked with exchange `x` (as dump gives the
   * walk), or null when the message is not one a form covers: no exchange,
   * a comment, a problem, bytes not captured, a failed reply with a body,
   * extensions. The form's own size checks are the caller's.
   */
  entryOf(m: CaptureMessage, x: Exchange | undefined, pr: ConnProtocol, variant: number): T | null {
    if (x === undefined || m.comment !== undefined) return null;
    const b = m.data;
    const o = m.off;
    const le = m.le;
    const reply = m.dir === Direction.Outbound;
    if ((reply ? x.replyProblem : x.reqProblem) !== undefined || m.capLen < (reply ? OUT_HDR : IN_HDR)) return null;
    const len = u32(b, o, le);
    if (m.capLen < len) return null;
    if (!reply) return (b[o + IN_EXTLEN]! | b[o + IN_EXTLEN + 1]!) !== 0 ? null : this.get(pr, FormType.REQUEST, u32(b, o + 4, le), variant);
    if (len === OUT_HDR) return this.get(pr, FormType.BARE_REPLY, x.opcode, variant);
    // A reply's second word is its error.
    return len > OUT_HDR && u32(b, o + 4, le) === 0 ? this.get(pr, FormType.REPLY, x.opcode, variant) : null;
  }
}
