/** Helpers the detectors share: names of flags, write ranges, wording. */
import type { Exchange, Id } from '../pairing/exchange.js';
import { formatFlags } from '../protocol/layout.js';
import { FOPEN_FLAGS, O_DIRECT } from '../protocol/flags/open.js';
import { opcodeName } from '../protocol/opcodes.js';
import type { Track } from '../state/files.js';
import { formatBytes, formatOffset } from '../analysis/units.js';

/** FOPEN_* names of a flag word (empty when 0). */
export function fopenNames(v: number): string[] {
  if (v === 0) return [];
  return formatFlags(FOPEN_FLAGS, v).split('|');
}

/** "direct writes" when the handle bypasses the page cache (FOPEN_DIRECT_IO or O_DIRECT), else "writes". */
export function writeNoun(trs: Track[], plural: boolean): string {
  const direct = trs.some((t) => (t.fopen & 1) !== 0 || (t.x.flags & O_DIRECT) !== 0);
  return `${direct ? 'direct ' : ''}write${plural ? 's' : ''}`;
}

export function writeEnd(x: Exchange): number {
  return x.offset + x.size;
}

/** `3.0 GiB (64.0 KiB)`. */
export function describeRange(x: Exchange): string {
  return `${formatOffset(x.offset)} (${formatBytes(x.size)})`;
}

/** Lists at most `max` items, then "and N more". */
export function listSome(items: string[], max = 4): string {
  if (items.length <= max) return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Power-of-two bucket of a byte count, for fingerprints ("64K", "1M"). */
export function sizeBucket(n: number): string {
  if (!(n > 0)) return '0';
  const e = Math.ceil(Math.log2(n));
  if (e >= 30) return `${2 ** (e - 30)}G`;
  if (e >= 20) return `${2 ** (e - 20)}M`;
  if (e >= 10) return `${2 ** (e - 10)}K`;
  return `${2 ** e}`;
}

export function opName(x: Exchange): string {
  return opcodeName(x.opcode);
}

/** `#1234` */
export function u(id: Id): string {
  return `#${id}`;
}

/** "" or " on connection 1" when another connection is involved. */
export function connNote(a: Exchange, b: Exchange): string {
  return a.conn === b.conn ? '' : ` on connection ${b.conn}`;
}

/** Path of a pairing problem's exchange or nodeid, null when it has neither. */
export function problemPath(p: { conn: number; nodeid: Id | undefined; exchange?: Exchange }, paths: (conn: number, nodeid: Id) => string): string | null {
  if (p.exchange?.path !== undefined) return p.exchange.path;
  if (p.nodeid === undefined || p.nodeid === 0) return null;
  return paths(p.conn, p.nodeid);
}
