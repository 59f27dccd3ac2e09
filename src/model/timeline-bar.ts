/** One exchange drawn on a file's timeline (HTML report, Perfetto). */
import type { Id } from './id64.js';

/** One exchange drawn on a file's timeline. */
export interface TimelineBar {
  conn: number;
  unique: Id;
  opcode: number;
  name: string;
  tReq: number;
  /** null: no reply by the end of the capture. */
  tReply: number | null;
  error: number | null;
  tid: number;
  offset: number | null;
  size: number | null;
  /** Flags worth showing on hover (write_flags, SETATTR valid ...). */
  info: string | null;
}
