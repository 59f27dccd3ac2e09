/**
 * What a whole-message writer makes once per form of message (decode.ts
 * MessageForm) and keeps: the JSON line writers of dump --json
 * (report/dump-json-message.ts) and the text line plans of dump
 * (report/dump-text-message.ts). Both cover the same messages, chosen here:
 * a request or reply paired with its exchange, with no problem, no comment,
 * all of its bytes captured; a request of an opcode, a successful reply of
 * an opcode with a body, or a reply without a body whatever its error;
 * long enough for its form's structs. Where the form's names lie in the
 * message is found here too (`nameStarts`, `nameEnds`).
 */
import { Direction, type CaptureMessage } from '../capture/message.js';
import type { Exchange } from './exchange.js';
import { replyForm, requestForm, type MessageForm } from './decode.js';
import { fuse_in_header, fuse_out_header } from './layouts/header.js';
import { viewOf } from './extract.js';
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

/** Most names a form may have (RENAME and SYMLINK have two). */
const MAX_NAMES = 8;
/**
 * Where each name of the message `entryOf` last took lies, as the walk splits
 * them (each up to its NUL, the next after it): message bytes
 * [nameStarts[i], nameEnds[i]), nameEnds[i] -1 when nothing was left (the
 * walk's null). Valid until the next `entryOf`.
 */
export const nameStarts = new Int32Array(MAX_NAMES);
export const nameEnds = new Int32Array(MAX_NAMES);

/**
 * Entries made by `make` per type, variant (byte order, verbosity: the
 * user's numbering, below `variants`) and opcode, for each protocol minor
 * and minor of its fields (version.ts fieldMinor). An opcode without a form
 * (or one `make` turns down) has none: null.
 */
export class FormCache<T> {
  /** Per protocol key (minor, minor of its fields, open(2) flag dialect): the entries, and the forms they were made of. */
  private readonly byMinor = new Map<number, { entries: (T | null | undefined)[]; forms: (MessageForm | undefined)[] }>();
  private last: { entries: (T | null | undefined)[]; forms: (MessageForm | undefined)[] } = { entries: [], forms: [] };
  private lastKey = -1;
  /** The form of the entry `get` returned last (undefined for a reply without a body). */
  private lastForm: MessageForm | undefined;

  constructor(
    private readonly variants: number,
    private readonly make: (type: FormType, opcode: number, variant: number, form: MessageForm | undefined) => T | null,
  ) {}

  get(pr: ConnProtocol, type: FormType, opcode: number, variant: number): T | null {
    if (opcode >= 256) return null;
    const fields = fieldMinor(pr);
    const dialect = pr.openFlags;
    const key = ((dialect?.id ?? 0) * 256 + pr.minor) * 256 + fields;
    let kept = this.last;
    if (key !== this.lastKey) {
      // Sized up front: an array grown by sparse stores would turn into a slow dictionary.
      const n = 3 * this.variants * 256;
      kept = this.byMinor.get(key) ?? { entries: new Array<T | null | undefined>(n), forms: new Array<MessageForm | undefined>(n) };
      this.byMinor.set(key, kept);
      this.last = kept;
      this.lastKey = key;
    }
    const i = (type * this.variants + variant) * 256 + opcode;
    let e = kept.entries[i];
    if (e === undefined) {
      const form = type === FormType.REQUEST ? requestForm(opcode, pr.minor, fields, dialect) : type === FormType.REPLY ? replyForm(opcode, pr.minor, fields, dialect) : undefined;
      const covered = form !== undefined ? form.strings.length <= MAX_NAMES : type === FormType.BARE_REPLY;
      e = covered ? this.make(type, opcode, variant, form) : null;
      kept.entries[i] = e;
      kept.forms[i] = form;
    }
    this.lastForm = kept.forms[i];
    return e;
  }

  /**
   * The entry for message `m` walked with exchange `x` (as dump gives the
   * walk), or null when the message is not one a form covers: no exchange,
   * a comment, a problem, bytes not captured, a failed reply with a body,
   * extensions, a body shorter than the form's structs (or a WRITE whose
   * fuse_write_in is the short one of old protocols). Sets `nameStarts` and
   * `nameEnds` for the form's names.
   */
  entryOf(m: CaptureMessage, x: Exchange | undefined, pr: ConnProtocol, variant: number): T | null {
    if (x === undefined || m.comment !== undefined) return null;
    const b = m.data;
    const o = m.off;
    const le = m.le;
    const reply = m.dir === Direction.Outbound;
    if ((reply ? x.replyProblem : x.reqProblem) !== undefined || m.capLen < (reply ? OUT_HDR : IN_HDR)) return null;
    // Through the buffer's DataView (the header is there: checked above), not Buffer's readUInt32, which validates its offset by a call.
    const bv = viewOf(b);
    const len = bv.getUint32(o, le);
    if (m.capLen < len) return null;
    let e: T | null;
    if (!reply) e = (b[o + IN_EXTLEN]! | b[o + IN_EXTLEN + 1]!) !== 0 ? null : this.get(pr, FormType.REQUEST, bv.getUint32(o + 4, le), variant);
    else if (len === OUT_HDR) e = this.get(pr, FormType.BARE_REPLY, x.opcode, variant);
    // A reply's second word is its error.
    else e = len > OUT_HDR && bv.getUint32(o + 4, le) === 0 ? this.get(pr, FormType.REPLY, x.opcode, variant) : null;
    const form = this.lastForm;
    if (e === null || form === undefined) return e;
    const body = o + (reply ? OUT_HDR : IN_HDR);
    const end = o + len;
    if (end < body + form.size) return null;
    if (form.firstSize !== undefined && form.firstSize(m, pr) !== form.structs[0]!.l.size) return null;
    let next = body + form.size;
    for (let i = 0; i < form.strings.length; i++) {
      const s = next;
      let n = -1;
      if (s < end) {
        n = s;
        while (n < end && b[n] !== 0) n++;
        next = n < end ? n + 1 : end;
      }
      nameStarts[i] = s;
      nameEnds[i] = n;
    }
    return e;
  }
}
