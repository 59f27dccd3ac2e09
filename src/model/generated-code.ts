/**
 * Functions generated once from a declaration (a struct layout, a table's
 * columns) so that the per-message work is straight-line code V8 can
 * optimise: the struct readers (protocol/struct-json.ts), dump's text and
 * JSON writers (report/dump-format.ts, dump-json.ts) and the export row
 * writers (report/csv.ts). Values the generated code calls or reads
 * (functions, tables, buffers) are handed in as parameters `d0`, `d1`, ...
 * rather than written into the source.
 */
export class GeneratedCode {
  private readonly deps: unknown[] = [];

  /** The parameter name under which the generated source reaches `v`. */
  dep(v: unknown): string {
    this.deps.push(v);
    return `d${this.deps.length - 1}`;
  }

  /** Runs `src` (which returns the function) with every dependency bound. */
  compile<F>(src: string): F {
    const make = new Function(...this.deps.map((_, i) => `d${i}`), src) as (...d: unknown[]) => F;
    return make(...this.deps);
  }
}
