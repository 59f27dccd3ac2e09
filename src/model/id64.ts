/**
 * 64-bit ids (uniques, nodeids, file handles, lock owners) and how every
 * output writes them. A value is a number while it is exact (at most
 * 2^53-1, which is almost always) and a bigint beyond; it is never rounded.
 */

/** A 64-bit id: a number while exact, else a bigint. */
export type Id = number | bigint;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The one representation of a 64-bit value: a number while exact (either sign), else the bigint itself. */
export function exactId(v: Id): Id {
  return typeof v === 'number' ? v : v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

/**
 * A 64-bit value for a format without big numbers (CSV, JSON Lines cells,
 * decoded dump fields): a number while exact, else its decimal string.
 */
export function idCell(v: Id): number | string {
  return typeof v === 'number' ? v : v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

/** `-` for no id, else the decimal digits (exact for bigints too). */
export const formatId = (id: Id | null | undefined): string => (id === null || id === undefined ? '-' : String(id));
