/**
 * Parsers for `npm run bench:cost` (bench/cost.ts): the totals valgrind's
 * cachegrind prints, and callgrind's per-instruction costs attributed to the
 * functions V8 compiled (its perf map, `--perf-basic-prof`). Separate from
 * the runner so that tests can feed them text without valgrind.
 */

/**
 * The L2 of `--l2 KIB[,WAYS]` (8 ways unless given), or undefined when
 * valgrind would refuse it: it needs a whole number of sets of 64-byte
 * lines, and a power of two of them.
 */
export function parseL2(text: string): { bytes: number; ways: number } | undefined {
  const m = /^([1-9]\d*)(?:,([1-9]\d*))?$/.exec(text);
  if (m === null) return undefined;
  const bytes = Number(m[1]) * 1024;
  const ways = Number(m[2] ?? 8);
  const sets = bytes / (ways * 64);
  if (!Number.isSafeInteger(sets) || (sets & (sets - 1)) !== 0 || sets > 2 ** 30) return undefined;
  return { bytes, ways };
}

/** Totals of one cachegrind run: instructions and data misses (undefined when the cache was not simulated). */
export interface CacheCounts {
  instructions: number;
  d1Misses?: number;
  llMisses?: number;
}

/** Reads `I refs`, `D1  misses` and `LLd misses` from cachegrind's summary on stderr. */
export function parseCachegrindSummary(stderr: string): CacheCounts | undefined {
  const num = (label: RegExp): number | undefined => {
    const m = label.exec(stderr);
    return m ? Number(m[1]!.replace(/,/g, '')) : undefined;
  };
  const instructions = num(/I\s+refs:\s+([\d,]+)/);
  if (instructions === undefined) return undefined;
  return { instructions, d1Misses: num(/D1\s+misses:\s+([\d,]+)/), llMisses: num(/LLd\s+misses:\s+([\d,]+)/) };
}

/**
 * One compiled unit's share: V8's name for it (`JS:*f file:line` TurboFan,
 * `JS:^f` baseline, `JS:~f` interpreted) or a native function; its L1 and L2
 * data misses when callgrind simulated the caches (`--cache-sim=yes`).
 */
export interface UnitCost extends CacheCounts {
  name: string;
}

/** A unit of no cost yet, with miss counts when `misses` (the caches were simulated). */
function emptyUnit(name: string, misses: boolean): UnitCost {
  return misses ? { name, instructions: 0, d1Misses: 0, llMisses: 0 } : { name, instructions: 0 };
}

/**
 * `a` less `b`, count by count (`bench:cost --base`: a larger capture's
 * counts less a smaller one's); a miss count only where both have one.
 */
export function lessCounts<T extends CacheCounts>(a: T, b: CacheCounts): T {
  const out = { ...a, instructions: a.instructions - b.instructions };
  if (a.d1Misses !== undefined) {
    if (b.d1Misses !== undefined) out.d1Misses = a.d1Misses - b.d1Misses;
    else delete out.d1Misses;
  }
  if (a.llMisses !== undefined) {
    if (b.llMisses !== undefined) out.llMisses = a.llMisses - b.llMisses;
    else delete out.llMisses;
  }
  return out;
}

interface CodeRange {
  start: number;
  end: number;
  name: string;
}

/** The ranges of a perf map (`/tmp/perf-PID.map`: `start size name` in hex), sorted by start. */
export function parsePerfMap(text: string): CodeRange[] {
  const out: CodeRange[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a <= 0 || b <= a) continue;
    const start = parseInt(line.slice(0, a), 16);
    const size = parseInt(line.slice(a + 1, b), 16);
    if (Number.isNaN(start) || Number.isNaN(size)) continue;
    out.push({ start, end: start + size, name: line.slice(b + 1) });
  }
  return out.sort((x, y) => x.start - y.start);
}

function rangeAt(ranges: CodeRange[], addr: number): CodeRange | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.start <= addr) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = ranges[hi];
  return r !== undefined && addr < r.end ? r : undefined;
}

/**
 * Self costs per compiled unit from a callgrind profile written with
 * `--dump-instr=yes --compress-pos=no --compress-strings=no` (each cost line
 * `0xADDR LINE` and one number per event of the `events:` line, trailing
 * zeros left out; the line after a `calls=` line is the call's inclusive
 * cost, skipped). Code valgrind has no symbol for (`fn=???`: what V8
 * compiled) is named from the perf map. Inlined functions count in the
 * unit they were compiled into. `total` is the instructions of all units.
 */
export function attributeCallgrind(profile: string, perfMap: string): { total: number; units: UnitCost[] } {
  const ranges = parsePerfMap(perfMap);
  const by = new Map<string, UnitCost>();
  let ir = 2;
  let d1: number[] = [];
  let ll: number[] = [];
  let fn = '';
  let afterCall = false;
  let total = 0;
  for (const line of profile.split('\n')) {
    if (line.startsWith('events:')) {
      // Columns after the address and the line number, in the order the events are named.
      const events = line.slice(7).trim().split(/\s+/);
      const col = (e: string): number[] => (events.includes(e) ? [2 + events.indexOf(e)] : []);
      ir = col('Ir')[0] ?? 2;
      d1 = [...col('D1mr'), ...col('D1mw')];
      ll = [...col('DLmr'), ...col('DLmw')];
    } else if (line.startsWith('fn=')) {
      fn = line.slice(3);
      afterCall = false;
    } else if (line.startsWith('calls=')) {
      afterCall = true;
    } else if (line.startsWith('0x')) {
      if (afterCall) {
        afterCall = false;
        continue;
      }
      const parts = line.split(' ');
      const at = (i: number): number => Number(parts[i] ?? 0) || 0;
      const n = at(ir);
      const m1 = d1.reduce((s, i) => s + at(i), 0);
      const m2 = ll.reduce((s, i) => s + at(i), 0);
      if (n === 0 && m1 === 0) continue;
      total += n;
      let name: string;
      if (fn === '???' || fn.startsWith('0x')) name = rangeAt(ranges, parseInt(parts[0]!, 16))?.name ?? '(unnamed JIT code)';
      else name = `[native] ${fn}`;
      let u = by.get(name);
      if (u === undefined) by.set(name, (u = emptyUnit(name, d1.length > 0)));
      u.instructions += n;
      if (u.d1Misses !== undefined) {
        u.d1Misses += m1;
        u.llMisses! += m2;
      }
    }
  }
  const units = [...by.values()].sort((a, b) => b.instructions - a.instructions);
  return { total, units };
}

/**
 * What a stage's units cost for the messages a larger capture has over a
 * smaller one (`bench:cost --base`): each unit's counts in `large` less those
 * in `small` (`attributeCallgrind` gives one unit per name: a function V8
 * compiled more than once is added up). Starting Node and V8's compiling
 * cost about the same at both sizes, so what remains is the steady cost of
 * the work; it can be below zero for a unit (the compiler did more at the
 * smaller size).
 */
export function steadyCost(large: readonly UnitCost[], small: readonly UnitCost[]): UnitCost[] {
  const before = new Map(small.map((u) => [u.name, u]));
  const out = large.map((u) => lessCounts(u, before.get(u.name) ?? emptyUnit(u.name, u.d1Misses !== undefined)));
  const seen = new Set(large.map((u) => u.name));
  for (const u of small) if (!seen.has(u.name)) out.push(lessCounts(emptyUnit(u.name, u.d1Misses !== undefined), u));
  return out.sort((a, b) => b.instructions - a.instructions);
}

/** Instructions of the units by kind: TurboFan code, baseline and interpreter, V8's builtins, its optimizing compiler, the rest. */
export function costByKind(units: UnitCost[]): Record<string, number> {
  const out: Record<string, number> = { turbofan: 0, baseline: 0, interpreted: 0, builtins: 0, compiler: 0, other: 0 };
  for (const u of units) {
    const n = u.name;
    const k = n.startsWith('JS:*') ? 'turbofan' : n.startsWith('JS:^') ? 'baseline' : n.startsWith('JS:~') ? 'interpreted'
      : n.startsWith('[native] Builtins_') || n.startsWith('Builtin:') ? 'builtins' : n.includes('::compiler::') ? 'compiler' : 'other';
    out[k]! += u.instructions;
  }
  return out;
}
