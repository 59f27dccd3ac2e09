/**
 * Rewrites a capture with its timestamps stretched: t' = epoch + t * factor
 * (t relative to the first timestamp), through the real readers and the
 * pcapng writer. Message bytes, directions, pid/tid, failed-write flags,
 * interfaces and statistics are kept, so the copy analyses to the same
 * exchanges and findings with every latency `factor` times longer: a
 * "slowed-down daemon" for `fusetrace check` tests. Pass the same `origin`
 * (absolute ns) for captures that belong together, so they stay aligned.
 */
import { writeFileSync } from 'node:fs';
import { Timebase, type ConnectionInfo } from '../../src/capture/message.js';
import { readCapture } from '../../src/capture/open.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';

export function stretchCapture(src: string, dst: string, factor: number, origin?: bigint): { messages: number } {
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
      w ??= new PcapngWriter((b) => parts.push(b), { le: c.le, os: c.os, userappl: c.recorder });
      iface.set(c.conn, w.addInterface({ name: c.name, description: c.description, snapLen: c.snapLen, linkType: c.linkType }));
    },
    onMessage(m) {
      messages++;
      w!.packet({
        iface: iface.get(m.conn)!,
        ts: abs(m.t),
        data: Buffer.from(m.data.subarray(m.off, m.off + m.capLen)),
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
