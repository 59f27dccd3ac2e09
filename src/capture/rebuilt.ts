/**
 * Messages a recorder rebuilt from kernel state instead of seeing them cross
 * /dev/fuse (capture-format.md §1, "Rebuilt messages"): `fusetrace record
 * --bpf` rebuilds FUSE-over-io_uring traffic at the kernel's fuse tracepoints
 * and says so in the message's opt_comment.
 */

/** How an opt_comment marking a rebuilt message starts. */
const REBUILT_COMMENT_PREFIX = 'rebuilt from ';

/** Whether a message's comment marks it as rebuilt. */
export function isRebuilt(comment: string | undefined): boolean {
  return comment !== undefined && comment.startsWith(REBUILT_COMMENT_PREFIX);
}
