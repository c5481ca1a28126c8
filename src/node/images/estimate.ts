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
  /**
   * The last figure, recomputed in the background when older than maxAgeMs;
   * only the first call (no figure yet) waits for it, at most waitMs (then
   * undefined). A status call never waits on podman once there is a figure.
   */
  get(waitMs?: number): Promise<number | undefined>;
  /** The last figure without waiting (undefined before the first); starts a recomputation when it is old. */
  peek(): number | undefined;
  /** The figure is out of date (a prune removed images): recomputed now, in the background. */
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
      if (value === undefined) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([refresh(), new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
        clearTimeout(timer);
      } else if (stale()) {
        void refresh();
      }
      return value;
    },
    peek() {
      if (stale()) void refresh();
      return value;
    },
    invalidate() {
      at = -Infinity;
      // After the one running now (which may have listed before the change).
      void (running ?? Promise.resolve()).then(() => refresh());
    },
  };
}
