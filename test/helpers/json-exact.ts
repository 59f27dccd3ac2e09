/**
 * JSON.parse that keeps integers beyond 2^53-1 exact, as bigint: fusetrace's
 * JSON outputs write 64-bit values as plain JSON numbers, which JSON.parse
 * would round.
 */
const MARK = '\u0000big:';

export function parseJsonExact<T = unknown>(text: string): T {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
      const lit = text.slice(i, j);
      if (/^-?[0-9]+$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
        out += text.slice(from, i) + JSON.stringify(MARK + lit);
        from = j;
      }
      i = j - 1;
    }
  }
  out += text.slice(from);
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v)) as T;
}
