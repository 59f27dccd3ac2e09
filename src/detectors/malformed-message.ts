/**
 * malformed-message: a message that cannot be decoded (too short, length
 * mismatch, impossible field); details give its byte offset in the capture.
 */
import { fromProblem } from './common.js';

export default fromProblem({
  id: 'malformed-message',
  meta: {
    summary: 'A message that cannot be decoded',
    severity: 'error',
    messages: {
      malformed: '{{what}} (input {{input}}, block #{{block}} at byte {{offset}})',
    },
  },
  unknownOp: 'message',
  finding: (p, op) => ({
    messageId: 'malformed',
    data: { what: p.message, input: p.input, block: p.blockNo, offset: p.offset },
    uniques: p.unique !== 0 ? [p.unique] : [],
    details: { opcode: p.opcode !== undefined ? op : null, problem: p.message, problemId: p.problemId ?? null, offset: p.offset, blockNo: p.blockNo, input: p.input },
    // The problem's id, not its text: the numbers in the text differ between occurrences of one problem.
    shape: `${op} ${p.problemId ?? 'unknown'}`,
  }),
});
