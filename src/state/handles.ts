/**
 * Open file handles per connection: fh -> nodeid, the FOPEN_* flags the
 * daemon answered in OPEN/CREATE and the open(2) flags of the request.
 * An entry lives from the OPEN/CREATE reply to the RELEASE request.
 */
import type { Id } from '../pairing/exchange.js';

export interface Handle {
  fh: Id;
  nodeid: Id;
  /** fuse_open_out.open_flags (FOPEN_*). */
  fopen: number;
  /** open(2) flags of the OPEN/CREATE request. */
  openFlags: number;
  tOpen: number;
}

/** Open handles kept per connection; beyond, the oldest is dropped (a capture that never shows RELEASE). */
const MAX_HANDLES = 1 << 18;

export class HandleTable {
  private handles = new Map<Id, Handle>();
  peak = 0;
  dropped = 0;

  get size(): number {
    return this.handles.size;
  }

  open(fh: Id, nodeid: Id, fopen: number, openFlags: number, t: number): Handle {
    const h: Handle = { fh, nodeid, fopen, openFlags, tOpen: t };
    this.handles.set(fh, h);
    if (this.handles.size > MAX_HANDLES) {
      this.handles.delete(this.handles.keys().next().value!);
      this.dropped++;
    }
    if (this.handles.size > this.peak) this.peak = this.handles.size;
    return h;
  }

  get(fh: Id | undefined): Handle | undefined {
    return fh === undefined ? undefined : this.handles.get(fh);
  }

  release(fh: Id | undefined): void {
    if (fh !== undefined) this.handles.delete(fh);
  }
}
