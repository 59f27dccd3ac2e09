/**
 * orphan-reply: a reply whose unique matches no pending request. Before the
 * connection's first request it only means the capture started late (info);
 * afterwards the daemon answered something twice or invented a unique.
 */
import { errnoName } from '../model/format.js';
import { defineDetector } from './define.js';

export default defineDetector({
  id: 'orphan-reply',
  meta: {
    summary: 'A reply that matches no pending request',
    severity: 'warning',
    messages: {
      early: 'reply to #{{unique}} ({{result}}) before the first request of connection {{conn}}: its request came before the capture started',
      orphan: 'reply to #{{unique}} ({{result}}) matches no pending request on connection {{conn}}: answered twice, or a unique the kernel never sent',
    },
  },
  create: (ctx) => ({
    problem(p) {
      if (p.kind !== 'orphan-reply') return;
      const early = p.beforeFirstRequest === true;
      const err = p.error ?? 0;
      ctx.report({
        messageId: early ? 'early' : 'orphan',
        severity: early ? 'info' : 'warning',
        data: { unique: String(p.unique), result: err ? `-${errnoName(err)}` : 'OK', conn: p.conn },
        conn: p.conn, nodeid: null, path: null, t: p.t,
        uniques: [p.unique],
        details: { beforeFirstRequest: early, error: err, offset: p.offset, blockNo: p.blockNo, input: p.input },
        shape: early ? 'reply before-first-request' : `reply orphan ${err ? 'error' : 'ok'}`,
      });
    },
  }),
});
