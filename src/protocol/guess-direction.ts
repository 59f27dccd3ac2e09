/**
 * Classifies a FUSE message whose direction the capture did not record
 * (pcapng SPB, EPB without epb_flags), from its header alone
 * (capture-format.md §1 "A message with no direction is classified by the
 * reader from its content").
 */
import type { DirectionGuesser } from '../capture/input.js';
import { Direction } from '../capture/message.js';
import { NOTIFY_CODES, OPCODES } from './opcodes.js';

const knownOpcode = new Uint8Array(64);
for (const r of OPCODES) if (r.code < 64) knownOpcode[r.code] = 1;
let maxNotify = 0;
for (const r of NOTIFY_CODES) maxNotify = Math.max(maxNotify, r.code);

/**
 * Inbound when the word at offset 4 is a known opcode, the header `len`
 * matches the original length and `unique` is non-zero; outbound when that
 * word read as `error` is 0 or a plausible -errno (> -512) with a non-zero
 * unique, or a notification code with unique 0. Otherwise `Unknown`.
 */
export const guessDirection: DirectionGuesser = (b, off, capLen, origLen, le) => {
  if (capLen < 16) return Direction.Unknown;
  const len = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
  if (len !== origLen) return Direction.Unknown;
  const w = le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4);
  const uniqueZero = b.readUInt32LE(off + 8) === 0 && b.readUInt32LE(off + 12) === 0;
  if (!uniqueZero && len >= 40 && capLen >= 40 && (w < 64 ? knownOpcode[w] === 1 : w === 4096)) {
    return Direction.Inbound;
  }
  const err = w | 0;
  if (uniqueZero) return err > 0 && err <= maxNotify ? Direction.Outbound : Direction.Unknown;
  return err <= 0 && err > -512 ? Direction.Outbound : Direction.Unknown;
};
