/**
 * Every detector, imported by name (style.md: an explicit index, no folder
 * scanning). The id of each is its file name and its doc is
 * docs/detectors/<id>.md (a meta-test checks both).
 */
import type { Detector } from './define.js';
import duplicateUnique from './duplicate-unique.js';
import inconsistentSizeReport from './inconsistent-size-report.js';
import interrupted from './interrupted.js';
import malformedMessage from './malformed-message.js';
import orphanReply from './orphan-reply.js';
import overlappingParallelWrites from './overlapping-parallel-writes.js';
import parallelWriteBeyondSize from './parallel-write-beyond-size.js';
import readPastSize from './read-past-size.js';
import reorderedHandleOps from './reordered-handle-ops.js';
import replyRejected from './reply-rejected.js';
import shortWrite from './short-write.js';
import sizeShrankExternally from './size-shrank-externally.js';
import sizeGrewExternally from './size-grew-externally.js';
import staleAttrReply from './stale-attr-reply.js';
import staleSizeWrite from './stale-size-write.js';
import truncateSizeMismatch from './truncate-size-mismatch.js';
import unansweredRequest from './unanswered-request.js';
import writeTruncateRace from './write-truncate-race.js';

export const DETECTORS: readonly Detector[] = [
  parallelWriteBeyondSize,
  overlappingParallelWrites,
  writeTruncateRace,
  staleSizeWrite,
  sizeShrankExternally,
  sizeGrewExternally,
  inconsistentSizeReport,
  truncateSizeMismatch,
  readPastSize,
  staleAttrReply,
  reorderedHandleOps,
  unansweredRequest,
  orphanReply,
  duplicateUnique,
  shortWrite,
  replyRejected,
  interrupted,
  malformedMessage,
];

export const DETECTOR_IDS: readonly string[] = DETECTORS.map((d) => d.id);
