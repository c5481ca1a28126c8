/**
 * The PruneImages handler (SPEC §7.6, `mcp node prune`): one prune at a
 * time on the node, none while an operation on a service runs; the removal
 * is an event, and the reclaimable-bytes figure is recomputed after it.
 */
import type { DeployDeps } from "../deploy/index.ts";
import { DEFAULT_KEEP, pruneImages } from "../images/index.ts";
import type { LocalImage } from "../runtime/types.ts";
import type { AgentApi, PrunedImage } from "../../rpc/index.ts";
import { listServices } from "../store/index.ts";
import type { NodeFacts } from "./node-status.ts";

const pruned = (i: LocalImage): PrunedImage => ({ id: i.id, names: [...i.names], size: i.size });

/** Mebibytes with one decimal, for the event. */
const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;

export function createPruneHandlers(deps: DeployDeps, facts: NodeFacts): Pick<AgentApi, "pruneImages"> {
  const busyService = () => listServices(deps.db).find((s) => deps.locks.isHeld(`service ${s.name}`))?.name ?? null;
  return {
    async pruneImages(req, ctx) {
      // 0 = the node's `[prune] keep` (SPEC §7.6 default 3).
      const keep = req.keep === 0 ? facts.images?.keep ?? DEFAULT_KEEP : req.keep;
      const release = await deps.locks.acquire("node images", { waitMs: deps.defaultLockWaitMs, signal: ctx.signal });
      try {
        const out = await pruneImages({ runtime: deps.runtime, db: deps.db, log: deps.log, busyService }, { keep, dryRun: req.dryRun });
        if (!req.dryRun && out.removed.length > 0) {
          deps.journal.append({
            time: deps.clock.now(), service: "", component: "", kind: "images-pruned",
            message: `removed ${out.removed.length} image${out.removed.length === 1 ? "" : "s"} (${mib(out.reclaimedBytes)}), keeping ${keep} deployments per component${out.note ? `; ${out.note}` : ""}`,
          });
        }
        return { node: deps.node, removed: out.removed.map(pruned), reclaimedBytes: out.reclaimedBytes, kept: out.plan.kept.map((k) => pruned(k.image)) };
      } finally {
        release();
        if (!req.dryRun) facts.images?.estimate.invalidate();
      }
    },
  };
}
