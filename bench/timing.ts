/**
 * Timing helpers: medians over interleaved rounds, so that every system sees the same share of a busy
 * machine (the numbers are compared as ratios measured in one process).
 *
 * May import: nothing.
 */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds one call takes. */
export function timeOnce(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** A contender in a timed comparison: `enter` switches to it (backend), `run` is one timed unit of work. */
export interface Contender {
  readonly name: string;
  /** Timed calls per round (after one untimed warm call); 0 skips it. */
  readonly perRound: number;
  /** False skips the warm call (for contenders so slow that one step is plenty of warm-up). */
  readonly warm?: boolean;
  enter(): Promise<void>;
  run(): void;
}

/**
 * Runs `rounds` rounds; in each, every contender is entered, called once untimed (warm-up, backend
 * switch), then `perRound` times timed. Returns each contender's median time in ms (NaN when skipped).
 */
export async function compare(contenders: readonly Contender[], rounds: number): Promise<Map<string, number>> {
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of contenders) {
      if (c.perRound === 0) continue;
      await c.enter();
      if (c.warm !== false) c.run();
      for (let i = 0; i < c.perRound; i++) times.get(c.name)!.push(timeOnce(() => c.run()));
    }
  }
  return new Map([...times].map(([name, list]) => [name, list.length ? median(list) : NaN]));
}
