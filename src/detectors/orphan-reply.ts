/**
 * orphan-reply: a reply whose unique matches no pending request. Before the
 * connection's first request it only means the capture started late (info);
 * so does an ENOSYS reply in a capture whose writer leaves such requests out
 * (GlusterFS's --dump-fuse); a reply to a request that takes none (FORGET,
 * BATCH_FORGET) is named as such; otherwise the daemon answered something
 * twice or invented a unique.
 */
import { errnoName } from '../model/format.js';
import { opcodeName } from '../protocol/opcodes.js';
import { ENOSYS_REPLY } from '../pairing/pairer.js';
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
      noReply: 'reply to #{{unique}} ({{result}}) answers {{op}} #{{unique}} on connection {{conn}}, a request that takes no reply: {{refused}}{{why}}',
    },
  },
  create: (ctx) => ({
    problem(p) {
      if (p.kind !== 'orphan-reply') return;
      const early = p.beforeFirstRequest === true;
      const notWritten = !early && p.requestNotWritten === true;
      const noReply = !early && !notWritten && p.answersNoReply === true && p.opcode !== undefined;
      const err = p.error ?? 0;
      const op = p.opcode !== undefined ? opcodeName(p.opcode) : '';
      ctx.report({
        messageId: early ? 'early' : notWritten ? 'notWritten' : noReply ? 'noReply' : 'orphan',
        severity: early || notWritten ? 'info' : 'warning',
        data: {
          unique: String(p.unique), result: err ? `-${errnoName(err)}` : 'OK', conn: p.conn, op,
          // The capture shows the kernel's answer when its recorder marks failed writes (capture-format.md §1).
          refused: p.errno !== undefined && p.errno > 0 ? `the kernel refused it (the write failed with ${errnoName(p.errno)})` : p.errno === -1 ? 'the kernel refused it' : 'the kernel refuses such a reply',
          why: err === ENOSYS_REPLY ? `; ENOSYS: the daemon does not implement ${op}` : '',
        },
        conn: p.conn, nodeid: null, path: null, t: p.t,
        uniques: [p.unique],
        details: {
          beforeFirstRequest: early, error: err, offset: p.offset, blockNo: p.blockNo, input: p.input,
          ...(notWritten ? { requestNotWritten: true } : {}), ...(noReply ? { answers: op } : {}),
        },
        shape: early ? 'reply before-first-request' : notWritten ? 'reply request-not-written' : noReply ? `reply no-reply ${op} ${err ? 'error' : 'ok'}` : `reply orphan ${err ? 'error' : 'ok'}`,
      });
    },
  }),
});
