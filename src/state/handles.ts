/**
 * Open file handles per connection: fh -> the FOPEN_* flags the daemon
 * answered in OPEN/CREATE/OPENDIR, from the reply to the RELEASE. Only
 * handles with non-zero flags are remembered (a handle not found has flags
 * 0): most daemons answer 0, and a large Map that keeps gaining new keys
 * costs V8's young-generation collector dearly (measured: 5x slower whole
 * analysis on a capture with 140k opens and no RELEASE). Bounded: a capture
 * that never shows RELEASE drops its oldest handles.
 */
import type { Id } from '../model/id64.js';

/** Open handles kept per connection. */
const MAX_HANDLES = 1 << 18;

export class HandleTable {
  private handles = new Map<Id, number>();
  peak = 0;
  dropped = 0;

  get size(): number {
    return this.handles.size;
  }

  open(fh: Id, fopen: number): void {
    if (fopen === 0) {
      if (this.handles.size > 0) this.handles.delete(fh);
      return;
    }
    this.handles.set(fh, fopen);
    if (this.handles.size > MAX_HANDLES) {
      this.handles.delete(this.handles.keys().next().value!);
      this.dropped++;
    }
    if (this.handles.size > this.peak) this.peak = this.handles.size;
  }

  /** FOPEN_* flags of an open handle, undefined when unknown or 0. */
  fopen(fh: Id | undefined): number | undefined {
    // Most daemons answer every open with flags 0: the table stays empty, and a lookup would still hash the key.
    return fh === undefined || this.handles.size === 0 ? undefined : this.handles.get(fh);
  }

  release(fh: Id | undefined): void {
    if (fh !== undefined && this.handles.size > 0) this.handles.delete(fh);
  }
}
