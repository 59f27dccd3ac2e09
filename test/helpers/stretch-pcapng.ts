/**
 * Rewrites a capture through the real readers and the pcapng writer, with
 * its timestamps stretched: t' = epoch + t * factor (t relative to the first
 * timestamp). Message bytes, directions, pid/tid, failed-write flags,
 * interfaces and statistics are kept, so the copy analyses to the same
 * exchanges and findings with every latency `factor` times longer: a
 * "slowed-down daemon" for `fusetrace check` tests. Pass the same `origin`
 * (absolute ns) for captures that belong together, so they stay aligned.
 */
import { writeFileSync } from 'node:fs';
import { Timebase, type CaptureMessage, type ConnectionInfo } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';

export function stretchCapture(src: string, dst: string, factor: number, origin?: bigint): { messages: number } {
  return rewriteCapture(src, dst, { factor, origin });
}

export interface Rewrite {
  /** Times stretched by this (1: kept). */
  factor?: number;
  origin?: bigint;
  /** shb_hardware of the copy (null: none; undefined: the source's). */
  hardware?: string | null;
  /** Changes a message's bytes (a copy of them) in place. */
  edit?(data: Buffer, m: CaptureMessage): void;
}

/** `src` rewritten to `dst` as `o` says (see `stretchCapture`). */
export function rewriteCapture(src: string, dst: string, o: Rewrite): { messages: number } {
  const factor = o.factor ?? 1;
  const origin = o.origin;
  const parts: Buffer[] = [];
  const timebase = new Timebase();
  // Captures of one run (two mounts) must be stretched around one origin to stay aligned.
  if (origin !== undefined) timebase.fix(origin);
  let w: PcapngWriter | undefined;
  const iface = new Map<number, number>();
  let messages = 0;
  const abs = (t: number): bigint => (timebase.epochNs ?? 0n) + BigInt(Math.round(t * factor));
  readCapture(src, {
    onConnection(c: ConnectionInfo) {
      const hardware = o.hardware === undefined ? c.hardware : o.hardware ?? undefined;
      w ??= new PcapngWriter((b) => parts.push(b), { le: c.le, os: c.os, hardware, userappl: c.recorder });
      iface.set(c.conn, w.addInterface({ name: c.name, description: c.description, snapLen: c.snapLen, linkType: c.linkType }));
    },
    onMessage(m) {
      messages++;
      const data = Buffer.from(m.data.subarray(m.off, m.off + m.capLen));
      o.edit?.(data, m);
      w!.packet({
        iface: iface.get(m.conn)!,
        ts: abs(m.t),
        data,
        origLen: m.origLen,
        dir: m.dirGuessed ? 0 : (m.dir as 0 | 1 | 2),
        failedErrno: m.failedErrno || undefined,
        pid: m.pid >= 0 ? m.pid : undefined,
        tid: m.tid >= 0 ? m.tid : undefined,
        comment: m.failedErrno ? undefined : m.comment,
      });
    },
    onNotice() {},
    onStats(s) {
      if (!w || !iface.has(s.conn)) return;
      w.stats(iface.get(s.conn)!, {
        start: s.startT !== undefined ? abs(s.startT) : undefined,
        end: s.endT !== undefined ? abs(s.endT) : undefined,
        recv: s.ifRecv,
        drop: s.ifDrop,
      });
    },
  }, { timebase });
  writeFileSync(dst, Buffer.concat(parts));
  return { messages };
}
