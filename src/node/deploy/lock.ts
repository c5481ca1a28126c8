import { MAX_TIMER_MS } from "../../lib/duration.ts";
import { McpError } from "../../lib/errors.ts";

/** Releases a held lock. Idempotent. */
export type Release = () => void;

/**
 * Per-key FIFO locks: operations on one service are serialized, different
 * services run in parallel. A waiter gives up after `waitMs` with
 * deadline_exceeded, and is told (once) that it is waiting.
 */
export interface Locks {
  acquire(key: string, opts: { waitMs: number; onWait?: (heldForMs: number) => void; signal?: AbortSignal }): Promise<Release>;
  /** True while someone holds the key. */
  isHeld(key: string): boolean;
  /** When the key was last released (Unix ms), 0 if never. */
  releasedAt(key: string): number;
}

export function createLocks(now: () => number = Date.now): Locks {
  const tails = new Map<string, { done: Promise<void>; since: number }>();
  const released = new Map<string, number>();

  return {
    isHeld: (key) => tails.has(key),
    releasedAt: (key) => released.get(key) ?? 0,
    async acquire(key, opts) {
      const prev = tails.get(key);
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      const mine = { done, since: 0 };
      tails.set(key, mine);
      const free = () => {
        release();
        if (tails.get(key) === mine) tails.delete(key);
      };
      if (prev) {
        opts.onWait?.(now() - prev.since);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const cleanup = new AbortController();
        const gaveUp = new Promise<"timeout" | "aborted">((resolve) => {
          // Longer timers fire at once (a wait from the network is not trusted to be sane).
          timer = setTimeout(() => resolve("timeout"), Math.min(opts.waitMs, MAX_TIMER_MS));
          opts.signal?.addEventListener("abort", () => resolve("aborted"), { once: true, signal: cleanup.signal });
        });
        const got = await Promise.race([prev.done.then(() => "ok" as const), gaveUp]);
        clearTimeout(timer);
        cleanup.abort();
        if (got !== "ok") {
          // Keep the queue intact: whoever waits behind us waits for the one ahead of us.
          prev.done.then(free);
          if (got === "aborted") throw new McpError("aborted", `gave up waiting for ${key}: the request was cancelled`);
          throw new McpError(
            "deadline_exceeded",
            `another operation on ${key} is still running after ${Math.round(opts.waitMs / 1000)}s`,
            "try again when it has finished (mcp status shows it)",
          );
        }
      }
      mine.since = now();
      let done_ = false;
      return () => {
        if (done_) return;
        done_ = true;
        released.set(key, now());
        free();
      };
    },
  };
}
