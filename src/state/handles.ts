/**
 * Open file handles per connection: (fh, nodeid) -> the FOPEN_* flags the
 * daemon answered in OPEN/CREATE/OPENDIR, from the reply to the RELEASE.
 * A daemon may answer the same fh for several opens at once (libfuse 2's
 * high-level API gives fh 0 to every open of a daemon that sets none, as
 * owfs does): each open is kept apart, by the node it opened, and a RELEASE
 * ends one of them, not the others. Only handles with non-zero flags are
 * remembered (a handle not found has flags 0): most daemons answer 0, and
 * a large Map that keeps gaining new keys costs V8's young-generation
 * collector dearly (measured: 5x slower whole analysis on a capture with
 * 140k opens and no RELEASE). Bounded: a capture that never shows RELEASE
 * drops its oldest handles, and counts them (`dropped`): from then on a
 * handle not found may be one whose flags were dropped.
 */
import type { Id } from '../model/id64.js';
import { removePairAt } from './files.js';

/** Open handles kept per connection (AnalyzeLimits `maxHandles`). */
export const MAX_HANDLES = 1 << 18;

/**
 * The live opens answered one fh, oldest first, as pairs: nodeid, FOPEN_*
 * flags. Opens answered flags 0 are in it too once it exists, so that a
 * RELEASE ends the open it belongs to.
 */
type Opens = (Id | number)[];

export class HandleTable {
  private handles = new Map<Id, Opens>();
  /** Live opens kept, over all fhs. */
  private opens = 0;
  peak = 0;
  /** Opens dropped by the bound, oldest first. */
  dropped = 0;

  /** `max`: opens kept, over all fhs, before the oldest is dropped. */
  constructor(readonly max = MAX_HANDLES) {}

  open(fh: Id, nodeid: Id, fopen: number): void {
    const list = this.handles.size === 0 ? undefined : this.handles.get(fh);
    if (list === undefined) {
      if (fopen === 0) return;
      this.handles.set(fh, [nodeid, fopen]);
    } else {
      list.push(nodeid, fopen);
    }
    this.opens++;
    if (this.opens > this.max) {
      const [oldest, l] = this.handles.entries().next().value!;
      removePairAt(l, 0);
      if (l.length === 0) this.handles.delete(oldest);
      this.opens--;
      this.dropped++;
    }
    if (this.opens > this.peak) this.peak = this.opens;
  }

  /** FOPEN_* flags of an open handle of `nodeid`, undefined when unknown or 0 (the newest open when several share fh and node). */
  fopen(fh: Id | undefined, nodeid: Id): number | undefined {
    // Most daemons answer every open with flags 0: the table stays empty, and a lookup would still hash the key.
    if (fh === undefined || this.handles.size === 0) return undefined;
    const list = this.handles.get(fh);
    if (list === undefined) return undefined;
    for (let i = list.length - 2; i >= 0; i -= 2) {
      if (list[i] === nodeid) return (list[i + 1] as number) || undefined;
    }
    return undefined;
  }

  /** The RELEASE of one open of `nodeid` with `fh` (the oldest, when several share fh and node). */
  release(fh: Id | undefined, nodeid: Id): void {
    if (fh === undefined || this.handles.size === 0) return;
    const list = this.handles.get(fh);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== nodeid) continue;
      removePairAt(list, i);
      this.opens--;
      if (list.length === 0) this.handles.delete(fh);
      return;
    }
  }
}
