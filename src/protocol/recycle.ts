/**
 * Reusing per-request records (the Exchange, the state's Track) instead of
 * allocating one per request: a resetter made from the record's field
 * initialisers, and a poison that makes any later use of a record given back
 * throw (tests prove with it that nothing reads a record after its release).
 */

/**
 * A function that sets every own field of a record back to its value in
 * `fresh` (a newly constructed record): generated once, so the class's field
 * initialisers stay the one list of fields and defaults. The stores keep each
 * field's representation, so a reused record allocates nothing for its numbers.
 */
export function resetterOf<T extends object>(fresh: T, what: string): (r: T) => void {
  const fields = fresh as unknown as Record<string, unknown>;
  const literal = (k: string, v: unknown): string => {
    if (v === undefined) return 'undefined';
    if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new Error(`${what}.${k}: only primitive defaults can be reset`);
  };
  const body = Object.keys(fields).map((k) => `r.${k} = ${literal(k, fields[k])};`).join('\n');
  return new Function('r', body) as (r: T) => void;
}

/** Any read or write through a poisoned record throws. */
const POISONED: object = new Proxy({}, {
  get(_t, k) {
    throw new Error(`recycled record read after release (${String(k)})`);
  },
  set(_t, k) {
    throw new Error(`recycled record written after release (${String(k)})`);
  },
});

/** Empties a record and makes every later use of it throw (in place of reusing it, in tests). */
export function poisonRecord(r: object): void {
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) delete o[k];
  Object.setPrototypeOf(r, POISONED);
}

/**
 * Records given back for reuse, up to a bound (about what is in flight at
 * once: more would only hold memory). With `poison` (tests) a given-back
 * record is poisoned instead and never reused.
 */
export class RecordPool<T extends object> {
  private readonly free: T[] = [];
  constructor(private readonly reset: (r: T) => void, private readonly max: number, private readonly poison = false) {}

  /** A record to fill (every field at its default), or undefined: make a new one. */
  take(): T | undefined {
    return this.free.pop();
  }

  /** The caller and everything it handed the record to are done with it. */
  give(r: T): void {
    if (this.poison) {
      poisonRecord(r);
      return;
    }
    if (this.free.length >= this.max) return;
    this.reset(r);
    this.free.push(r);
  }
}
