/**
 * What a detector reports: one finding per event a user reads as one (a race
 * episode with every request involved), with its severity.
 */
import type { Id } from './id64.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
export const severityRank = (s: Severity): number => (s === 'error' ? 2 : s === 'warning' ? 1 : 0);

export interface Finding {
  kind: string;
  severity: Severity;
  conn: number;
  nodeid: Id | null;
  path: string | null;
  t: number;
  uniques: Id[];
  message: string;
  details: Record<string, unknown>;
  /** Stable across re-recordings (kind + path + shape), used by baseline/check. */
  fingerprint: string;
  /** Which of the detector's message templates produced `message` (docs/detectors/<kind>.md). */
  messageId?: string;
}
