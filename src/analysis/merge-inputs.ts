/**
 * Output of several captures merged by time, for `dump`: each input's items
 * wait in a queue of their own and leave in the order of their times, the
 * earliest head first (ties: the first input), once every input that can
 * still produce has something waiting; so each capture keeps its own order
 * (block order, which is not time order across daemon threads) and captures
 * of two mounts interleave as their messages happened. Memory: what waits
 * is bounded by about one read chunk per input, since the reader steps the
 * input that is furthest behind (src/capture/open.ts `readMerged`).
 */
export class InputMerger<T> {
  private readonly times: number[][];
  private readonly items: T[][];
  private readonly heads: number[];

  constructor(inputs: number, private readonly emit: (item: T) => void) {
    this.times = Array.from({ length: inputs }, () => []);
    this.items = Array.from({ length: inputs }, () => []);
    this.heads = new Array<number>(inputs).fill(0);
  }

  push(input: number, t: number, item: T): void {
    this.times[input]!.push(t);
    this.items[input]!.push(item);
  }

  /** Releases items while every input for which `producing(i)` holds has one waiting. */
  release(producing: (input: number) => boolean): void {
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.items.length; i++) {
        if (this.heads[i]! === this.items[i]!.length) {
          if (producing(i)) return;
          continue;
        }
        if (best < 0 || this.times[i]![this.heads[i]!]! < this.times[best]![this.heads[best]!]!) best = i;
      }
      if (best < 0) return;
      this.take(best);
    }
  }

  /** Releases everything (end of input). */
  flush(): void {
    this.release(() => false);
  }

  private take(i: number): void {
    const items = this.items[i]!;
    const times = this.times[i]!;
    const h = this.heads[i]!;
    const item = items[h]!;
    items[h] = undefined as unknown as T;
    if (h + 1 === items.length) {
      items.length = 0;
      times.length = 0;
      this.heads[i] = 0;
    } else {
      this.heads[i] = h + 1;
    }
    this.emit(item);
  }
}
