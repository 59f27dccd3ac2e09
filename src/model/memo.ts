/**
 * A function's results kept by argument, for the few values a capture repeats
 * on message after message (error names, flag names, key plans): the first
 * 4096 distinct arguments are kept, later ones computed each time, so a
 * hostile capture cannot grow the cache without bound.
 */
export function memoized<K, V>(compute: (k: K) => V, max = 4096): (k: K) => V {
  const kept = new Map<K, V>();
  return (k) => {
    let v = kept.get(k);
    if (v === undefined) {
      v = compute(k);
      if (kept.size < max) kept.set(k, v);
    }
    return v;
  };
}
