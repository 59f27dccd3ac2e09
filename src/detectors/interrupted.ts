/**
 * interrupted: the kernel sent an INTERRUPT for a request (a signal reached
 * the caller); details say how the request ended: answered with EINTR,
 * answered normally anyway, with another error, never, or already answered
 * before the INTERRUPT arrived.
 */
import type { Exchange } from '../protocol/exchange.js';
import { errnoName, formatDuration } from '../model/format.js';
import { Op, opcodeName } from '../protocol/opcodes.js';
import type { Track } from '../state/files.js';
import { defineDetector, type DetectorContext } from './define.js';

function ending(x: Exchange): { ended: string; text: string } {
  if (!x.replied) return { ended: 'no-reply', text: 'it was never answered' };
  if (x.error === -4) return { ended: 'eintr', text: `the daemon answered EINTR ${formatDuration(x.tReply - x.tInterrupt)} later` };
  if (x.error === 0) return { ended: 'completed', text: `the daemon completed it anyway ${formatDuration(x.tReply - x.tInterrupt)} later` };
  return { ended: 'error', text: `the daemon answered -${errnoName(x.error)} ${formatDuration(x.tReply - x.tInterrupt)} later` };
}

/** An INTERRUPT that found no request in flight to interrupt. */
function late(x: Exchange, ctx: DetectorContext): void {
  ctx.report({
    messageId: 'late',
    data: { unique: String(x.unique), target: String(x.target) },
    conn: x.conn, nodeid: null, path: null, t: x.tReq,
    uniques: [x.unique, x.target!],
    details: { ended: 'not-in-flight', target: x.target },
    shape: 'INTERRUPT not-in-flight',
  });
}

function report(x: Exchange, tr: Track | undefined, ctx: DetectorContext): void {
  const e = ending(x);
  ctx.report({
    messageId: 'interrupted',
    data: { op: opcodeName(x.opcode), unique: String(x.unique), pathNote: x.path ? ` for ${x.path}` : '', n: x.interrupts > 1 ? ` ${x.interrupts} times` : '', how: e.text },
    conn: x.conn, nodeid: x.nodeid, path: x.path ?? null, t: x.tInterrupt,
    uniques: [x.unique],
    details: {
      opcode: opcodeName(x.opcode), ended: e.ended, interrupts: x.interrupts, tInterrupt: x.tInterrupt,
      error: x.replied ? x.error : null, afterInterruptNs: x.replied ? x.tReply - x.tInterrupt : null,
    },
    shape: `${opcodeName(x.opcode)} ${e.ended}`,
    tracks: tr ? [tr] : [],
  });
}

export default defineDetector({
  id: 'interrupted',
  meta: {
    summary: 'The kernel interrupted a request; how it ended',
    severity: 'info',
    messages: {
      interrupted: '{{op}} #{{unique}}{{pathNote}} was interrupted{{n}}: {{how}}',
      late: 'INTERRUPT #{{unique}} for #{{target}} arrived when that request was no longer in flight (already answered, or read before the capture started)',
    },
    // Its replies: any opcode, through interruptedReply.
    opcodes: [Op.INTERRUPT],
  },
  create: (ctx) => ({
    request(x) {
      // Its target not in flight, an INTERRUPT waits in the state: the target's request may be stamped after it.
      if (x.opcode === Op.INTERRUPT) for (const ix of ctx.state.lateInterrupts()) late(ix, ctx);
    },
    interruptedReply(x, tr) {
      if (x.opcode !== Op.INTERRUPT) report(x, tr, ctx);
    },
    end() {
      for (const ix of ctx.state.lateInterrupts(true)) late(ix, ctx);
      for (const tr of ctx.state.inflightTracks()) if (tr.x.interrupts > 0) report(tr.x, tr, ctx);
    },
  }),
});
