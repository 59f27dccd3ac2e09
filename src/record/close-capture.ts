/**
 * Closing a capture after its daemon ended, whatever the way (recording.md
 * "When the daemon ends"): a daemon killed by SIGKILL leaves its last
 * buffer unwritten, no ISB, maybe a block cut short by the kill; a full disk
 * leaves no room for the ISBs. `closeCapture` trims the file to its last
 * whole block, appends one ISB per interface of the last section with the
 * count of lost messages and a comment saying why the capture ended, and
 * makes room for them by dropping trailing messages (counted as lost) when
 * the disk is still full.
 *
 * Only block framing is read here (capture-format.md §1): type, length,
 * trailing length, EPB interface and timestamp, IDB description, ISB drop.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { BOM, BOM_SWAPPED, Block, Opt } from '../capture/pcapng-format.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import type { RecorderStatus } from './recorder-status.js';

const CHUNK = 1 << 20;
/** Trailing blocks remembered, to make room for the ISBs on a full disk. */
const TAIL_BLOCKS = 64;

interface IfaceScan {
  /** IDB if_description (the library writes `mountpoint=... daemon=...`). */
  description: string;
  epbs: number;
  /** Raw timestamps (interface units) of the first and last EPB. */
  first?: bigint;
  last?: bigint;
}

interface SectionScan {
  le: boolean;
  ifaces: IfaceScan[];
}

/** The framing of a pcapng file, as far as its blocks are whole. */
export interface CaptureScan {
  size: number;
  /** End of the last whole block. */
  good: number;
  /** The block at `good` runs past the end of the file (cut short), or the file ends in its header. */
  cut: boolean;
  /** A malformed block at `good` with bytes after it: damage, not a cut. */
  damaged: boolean;
  sections: SectionScan[];
  /** Start of the ISBs that end the whole blocks (after the last non-ISB block), or `good`. */
  isbRun: number;
  /** Interfaces of the last section covered by that ISB run, with their isb_ifdrop. */
  isbDrops: Map<number, number>;
  /** The last whole blocks: offset, type, interface (EPB). */
  tail: Array<{ at: number; type: number; iface: number }>;
}

/** Reads `file`'s block framing with bounded memory. */
export function scanCapture(file: string): CaptureScan {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const scan: CaptureScan = { size, good: 0, cut: false, damaged: false, sections: [], isbRun: 0, isbDrops: new Map(), tail: [] };
    let store = Buffer.alloc(CHUNK);
    let chunk = store.subarray(0, 0);
    let chunkAt = 0;
    /**
     * Bytes [at, at+n) of the file, or undefined past its end. The view is
     * valid until the next call.
     */
    const bytes = (at: number, n: number): Buffer | undefined => {
      if (at + n > size) return undefined;
      if (at < chunkAt || at + n > chunkAt + chunk.length) {
        const len = Math.min(Math.max(CHUNK, n), size - at);
        if (store.length < len) store = Buffer.alloc(len);
        chunk = store.subarray(0, readSync(fd, store, 0, len, at));
        chunkAt = at;
        if (chunk.length < n) return undefined;
      }
      return chunk.subarray(at - chunkAt, at - chunkAt + n);
    };
    let le = true;
    let off = 0;
    while (off < size) {
      const head = bytes(off, 12);
      if (!head) {
        scan.cut = true;
        break;
      }
      if (head.readUInt32LE(0) === Block.SHB) {
        const magic = head.readUInt32LE(8);
        if (magic !== BOM && magic !== BOM_SWAPPED) break;
        le = magic === BOM;
      }
      const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
      const btype = u32(head, 0);
      const len = u32(head, 4);
      const word2 = u32(head, 8); // EPB/ISB: interface id
      if (len < 12 || len % 4 !== 0) break;
      if (off + len > size) {
        scan.cut = true;
        break;
      }
      if (u32(bytes(off + len - 4, 4)!, 0) !== len) break;
      const sec = scan.sections[scan.sections.length - 1];
      if (btype === Block.SHB) scan.sections.push({ le, ifaces: [] });
      else if (btype === Block.IDB && sec) sec.ifaces.push({ description: len <= 65536 ? idbDescription(bytes(off, len)!, le) : '', epbs: 0 });
      else if (btype === Block.EPB && sec && len >= 32) {
        const ifc = sec.ifaces[word2];
        if (ifc) {
          const b = bytes(off, 20)!;
          const ts = (BigInt(u32(b, 12)) << 32n) | BigInt(u32(b, 16));
          ifc.epbs++;
          ifc.first ??= ts;
          ifc.last = ts;
        }
      }
      if (btype === Block.ISB && sec) {
        scan.isbDrops.set(word2, len <= 65536 ? isbDrop(bytes(off, len)!, le) : 0);
      } else {
        scan.isbRun = off + len;
        scan.isbDrops = new Map();
      }
      scan.tail.push({ at: off, type: btype, iface: btype === Block.EPB ? word2 : -1 });
      if (scan.tail.length > TAIL_BLOCKS) scan.tail.shift();
      off += len;
      scan.good = off;
    }
    if (!scan.cut && scan.good < size) scan.damaged = true;
    if (scan.isbRun > scan.good) scan.isbRun = scan.good;
    return scan;
  } finally {
    closeSync(fd);
  }
}

/** Options of an IDB or ISB: code -> value. */
function options(block: Buffer, start: number, le: boolean, on: (code: number, v: Buffer) => void): void {
  let o = start;
  const end = block.length - 4;
  while (o + 4 <= end) {
    const code = le ? block.readUInt16LE(o) : block.readUInt16BE(o);
    const len = le ? block.readUInt16LE(o + 2) : block.readUInt16BE(o + 2);
    if (code === Opt.ENDOFOPT || o + 4 + len > end) break;
    on(code, block.subarray(o + 4, o + 4 + len));
    o += 4 + ((len + 3) & ~3);
  }
}

function idbDescription(block: Buffer, le: boolean): string {
  let d = '';
  options(block, 16, le, (code, v) => {
    if (code === Opt.IF_DESCRIPTION) d = v.toString('utf8');
  });
  return d;
}

function isbDrop(block: Buffer, le: boolean): number {
  let drop = 0;
  options(block, 20, le, (code, v) => {
    if (code === Opt.ISB_IFDROP && v.length === 8) drop = Number(le ? v.readBigUInt64LE(0) : v.readBigUInt64BE(0));
  });
  return drop;
}

/** Mount points the library named in the IDBs (`mountpoint=PATH daemon=...`). */
export function mountpointsOf(scan: CaptureScan): string[] {
  const out = new Set<string>();
  for (const s of scan.sections) {
    for (const i of s.ifaces) {
      const m = /^mountpoint=(\/.*?) daemon=/.exec(i.description);
      if (m) out.add(m[1]!);
    }
  }
  return [...out];
}

/** What `closeCapture` did. */
export interface CloseOutcome {
  /** Bytes of a block cut short that were removed. */
  trimmed: number;
  /** Messages lost (sum of the closing ISBs' isb_ifdrop), when known. */
  lost: number;
  /** Messages buffered by a killed daemon could not be counted (no status). */
  lostUnknown: boolean;
  /** ISBs were appended here (the library had not closed the capture). */
  closed: boolean;
  /** The file is damaged at this offset (not a cut end): left as it is. */
  damagedAt?: number;
  /** The closing ISBs could not be written (disk still full). */
  writeFailed?: string;
  /** Mount points named by the capture's interfaces. */
  mountpoints: string[];
}

/**
 * Closes `file` after its recorder ended (see the head of this file).
 * `why`: how the daemon ended, for the ISB comment. `status`: the library's
 * counts, when it could share them.
 */
export function closeCapture(file: string, why: string, status: RecorderStatus | undefined): CloseOutcome {
  const scan = scanCapture(file);
  const out: CloseOutcome = { trimmed: 0, lost: 0, lostUnknown: false, closed: false, mountpoints: mountpointsOf(scan) };
  const sec = scan.sections[scan.sections.length - 1];
  if (scan.damaged) {
    out.damagedAt = scan.good;
    return out;
  }
  if (!sec || sec.ifaces.length === 0) {
    // Nothing recorded, or only a section header: nothing to close.
    if (scan.cut) truncate(file, scan.good);
    out.trimmed = scan.size - scan.good;
    return out;
  }
  const closedByLibrary = !scan.cut && sec.ifaces.every((_, i) => scan.isbDrops.has(i));
  // Lost per interface of the last section: what the library counted, and
  // what it had put into blocks that never reached the file.
  const lost = sec.ifaces.map((ifc, i) => {
    let n = scan.isbDrops.get(i) ?? 0;
    if (status && scan.sections.length === 1) {
      const recv = status.recv[i] ?? 0;
      n = Math.max(n, (status.drop[i] ?? 0) + Math.max(0, recv - ifc.epbs));
    }
    return n;
  });
  if (status && scan.sections.length === 1) lost[0] = lost[0]! + status.dropNoIface;
  const unknown = !status && !closedByLibrary;
  if (closedByLibrary && lost.every((n, i) => n === (scan.isbDrops.get(i) ?? 0))) {
    out.lost = lost.reduce((a, b) => a + b, 0);
    return out;
  }
  // The library's ISBs, if any, go: the closing ones below replace them.
  let end = scan.isbRun;
  out.trimmed = scan.size - scan.good;
  const tail = scan.tail.filter((b) => b.at < end);
  const notes: string[] = [];
  if (out.trimmed > 0) notes.push(`the last ${out.trimmed} bytes, a block cut short, were removed`);
  if (status?.writeErrno) notes.push(`writing the capture failed (${status.writeErrno}): messages from then on were not recorded`);
  if (unknown) notes.push('messages the daemon had not written yet when it ended are lost and could not be counted');
  for (let attempt = 0; ; attempt++) {
    const parts: Buffer[] = [];
    const w = new PcapngWriter((b) => parts.push(b), { append: true, le: sec.le });
    const total = lost.reduce((a, b) => a + b, 0);
    const comment = `capture ended: ${why}; closed by fusetrace record` + (notes.length ? `; ${notes.join('; ')}` : '') + `; ${total} message${total === 1 ? '' : 's'} lost`;
    sec.ifaces.forEach((ifc, i) => {
      // Timestamps in the interface's own units: those of its messages.
      w.stats(i, { start: ifc.first, end: ifc.last, recv: ifc.epbs, drop: lost[i], comment });
    });
    const err = truncateAndAppend(file, end, Buffer.concat(parts));
    if (!err) {
      out.closed = true;
      out.lost = total;
      out.lostUnknown = unknown;
      return out;
    }
    // No room: give up the last message for each retry, counted as lost.
    const last = tail.pop();
    if (err !== 'ENOSPC' && err !== 'EDQUOT' || !last || last.type !== Block.EPB || attempt > TAIL_BLOCKS) {
      truncate(file, end);
      out.writeFailed = err;
      out.lost = total;
      out.lostUnknown = unknown;
      return out;
    }
    const ifc = sec.ifaces[last.iface];
    if (ifc) {
      ifc.epbs--;
      lost[last.iface]!++;
    }
    if (!notes.some((n) => n.startsWith('the disk was full'))) notes.push('the disk was full: the last messages were removed to make room for these statistics');
    end = last.at;
  }
}

function truncate(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, at);
  } finally {
    closeSync(fd);
  }
}

/** Cuts `file` at `at` and writes `b` there; the errno code on failure (file cut at `at`). */
function truncateAndAppend(file: string, at: number, b: Buffer): string | undefined {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, at);
    let done = 0;
    while (done < b.length) done += writeSync(fd, b, done, b.length - done, at + done);
    return undefined;
  } catch (e) {
    try {
      ftruncateSync(fd, at);
    } catch {
      // nothing more to do
    }
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  } finally {
    closeSync(fd);
  }
}
