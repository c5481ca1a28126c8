import { formatBytes } from "./units.ts";
import type { CliIO } from "../lib/io.ts";

export interface Progress {
  /** Bytes done so far. */
  update(done: number): void;
  /** Clears the line. */
  finish(): void;
}

/**
 * A one-line progress meter on stderr for long transfers: shown only when
 * stderr is a terminal (SPEC §5.1: quiet otherwise), redrawn at most ten
 * times a second. `total` 0 = unknown.
 */
export function createProgress(io: CliIO, label: string, total: number, now: () => number = Date.now): Progress {
  if (!io.errIsTTY) return { update() {}, finish() {} };
  const started = now();
  let last = 0;
  let shown = false;
  return {
    update(done) {
      const t = now();
      if (t - last < 100 && done < total) return;
      last = t;
      const rate = done / Math.max(0.001, (t - started) / 1000);
      const pct = total > 0 ? ` ${Math.floor((done / total) * 100)}%` : "";
      io.err(`\r\x1b[2K${label}: ${formatBytes(done)}${total > 0 ? ` of ${formatBytes(total)}` : ""}${pct}, ${formatBytes(Math.round(rate))}/s`);
      shown = true;
    },
    finish() {
      if (shown) io.err("\r\x1b[2K");
    },
  };
}
