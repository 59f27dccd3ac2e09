/**
 * orphan-reply: a reply whose unique matches no pending request. Before the
 * connection's first request it only means the capture started late (info);
 * so does an ENOSYS reply in a capture whose writer leaves such requests out
 * (GlusterFS's --dump-fuse); otherwise the daemon answered something twice or
 * invented a unique.
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
      notWritten: 'reply to #{{unique}} ({{result}}) without its request on connection {{conn}}: GlusterFS\'s --dump-fuse does not write the requests of opcodes it does not know, which it answers ENOSYS',
    },
  },
  create: (ctx) => ({
    problem(p) {
      if (p.kind !== 'orphan-reply') return;
      const early = p.beforeFirstRequest === true;
      const notWritten = !early && p.requestNotWritten === true;
      const err = p.error ?? 0;
      ctx.report({
        messageId: early ? 'early' : notWritten ? 'notWritten' : 'orphan',
        severity: early || notWritten ? 'info' : 'warning',
        data: { unique: String(p.unique), result: err ? `-${errnoName(err)}` : 'OK', conn: p.conn },
        conn: p.conn, nodeid: null, path: null, t: p.t,
        uniques: [p.unique],
        details: { beforeFirstRequest: early, error: err, offset: p.offset, blockNo: p.blockNo, input: p.input, ...(notWritten ? { requestNotWritten: true } : {}) },
        shape: early ? 'reply before-first-request' : notWritten ? 'reply request-not-written' : `reply orphan ${err ? 'error' : 'ok'}`,
      });
    },
  }),
});
