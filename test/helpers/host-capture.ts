/**
 * A capture as a host of another machine would have recorded the same
 * traffic: the open(2) flag words of its requests with bits 14-17 moved as
 * that machine's kernel numbers them (protocol/flags/open.ts), the SHB
 * naming the machine or not.
 */
import { Direction, type CaptureMessage } from '../../src/capture/message.js';
import { fuse_in_header } from '../../src/protocol/layouts/header.js';
import { type FlagDialect } from '../../src/protocol/layout.js';
import { opcodeRow } from '../../src/protocol/opcodes.js';
import { genericOpenFlags, OPEN_FLAGS, openFlagDialect } from '../../src/protocol/flags/open.js';
import { rewriteCapture } from './stretch-pcapng.js';

const IN_HDR = fuse_in_header.size;
const FOUR_BITS = 0x3c000;

/** Where the open(2) flag words of a request of `opcode` lie in its message (its first struct's fields of OPEN_FLAGS). */
function openFlagOffsets(opcode: number): number[] {
  const first = opcodeRow(opcode)?.request[0];
  if (first?.k !== 'struct') return [];
  return first.l.fields.filter((f) => f.flags === OPEN_FLAGS).map((f) => IN_HDR + f.offset);
}

/** Bits 14-17 of `v` (OPEN_FLAGS's numbering) as `d` numbers them. */
function hostOpenFlags(v: number, d: FlagDialect): number {
  for (let n = 0; n < 16; n++) if (genericOpenFlags(n << 14, d) === (v & FOUR_BITS)) return ((v & ~FOUR_BITS) | (n << 14)) >>> 0;
  throw new Error('no such value');
}

/** `src` as a host of `machine` would have recorded its traffic; the SHB names the machine only with `tag`. Returns the flag words moved. */
export function asHost(src: string, dst: string, machine: string, tag: boolean): number {
  const d = openFlagDialect(machine)!;
  let moved = 0;
  rewriteCapture(src, dst, {
    hardware: tag ? machine : null,
    edit(data: Buffer, m: CaptureMessage) {
      if (m.dir !== Direction.Inbound || data.length < IN_HDR) return;
      for (const at of openFlagOffsets(data.readUInt32LE(4))) {
        if (at + 4 > data.length || at + 4 > data.readUInt32LE(0)) continue;
        const v = data.readUInt32LE(at);
        const h = hostOpenFlags(v, d);
        if (h !== v) moved++;
        data.writeUInt32LE(h, at);
      }
    },
  });
  return moved;
}

