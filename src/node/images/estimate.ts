/**
 * The bytes `mcp node prune` would free now (NodeStatus, /metrics): the
 * prune plan's total, computed in the background (two runtime calls) and
 * cached, so that neither a status call nor a scrape waits on podman long.
 */
import type { Clock } from "../../lib/clock.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { Db } from "../store/index.ts";
import { planNodePrune } from "./prune.ts";

export interface ReclaimableEstimate {
  /** The figure, recomputed first when older than maxAgeMs (waiting at most waitMs for it; then the last one, or undefined). */
  get(waitMs?: number): Promise<number | undefined>;
  /** The last figure without waiting (undefined before the first); starts a recomputation when it is old. */
  peek(): number | undefined;
  /** Forgets the figure's age: the next get or peek recomputes (after a prune or a deploy). */
  invalidate(): void;
}

export function createReclaimableEstimate(d: { runtime: ContainerRuntime; db: Db; keep: number; clock: Clock; log: Logger; maxAgeMs?: number }): ReclaimableEstimate {
  const maxAgeMs = d.maxAgeMs ?? 30_000;
  let value: number | undefined;
  let at = -Infinity;
  let running: Promise<void> | null = null;
  const refresh = (): Promise<void> => {
    running ??= planNodePrune(d, d.keep).then(
      (plan) => {
        value = plan.bytes;
        at = d.clock.now();
      },
      (err) => d.log.warn("cannot estimate reclaimable image bytes", { error: messageOf(err) }),
    ).finally(() => (running = null));
    return running;
  };
  const stale = () => d.clock.now() - at >= maxAgeMs;
  return {
    async get(waitMs = 3000) {
      if (stale()) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([refresh(), new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
        clearTimeout(timer);
      }
      return value;
    },
    peek() {
      if (stale()) void refresh();
      return value;
    },
    invalidate() {
      at = -Infinity;
    },
  };
}
