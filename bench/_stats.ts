// What every bench repeats: the statistics of its runs (median and
// percentiles, nearest rank, so each is a measured run and not an average of
// two), timing, numeric flags, and writing bench/results/<name>-<time>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../test/support/mcp.ts";

/** The p-th percentile (0–100) of xs by nearest rank: the value at index ⌊p/100 · n⌋ of the sorted runs (the last for p = 100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new Error("percentile of no runs");
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** The median by nearest rank (for an even count, the upper of the two middle runs). */
export const median = (xs: readonly number[]): number => percentile(xs, 50);

/** x rounded to `digits` decimals. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Applies f to each value of a record of runs (e.g. every measure's median). */
export function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** Runs fn and returns how long it took (ms) with its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

/** A whole-number flag `--name N` from the command line, or fallback when absent; anything else throws. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} needs a whole number`);
  return v;
}

/** Writes a bench's result as bench/results/<name>-<at, with : and . as ->.json; returns the path. */
export function writeResult(name: string, at: string, result: unknown): string {
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const file = join(ROOT, "bench/results", `${name}-${at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
