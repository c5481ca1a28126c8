/**
 * `mcp node prune` on the node (SPEC §7.6): gathers the facts (the
 * runtime's images and containers, the registry's deployments), plans
 * (plan.ts) and removes. One prune at a time; none while an operation on a
 * service runs (a deploy may have pulled an image it has not run yet).
 */
import { isMcpError, McpError, messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { LocalImage } from "../runtime/types.ts";
import { deployedDigests, listServices, rollbackDigests, type Db } from "../store/index.ts";
import { planPrune, type PrunePlan } from "./plan.ts";

/** Deployments kept per component when neither the request nor `[prune] keep` says (SPEC §7.6). */
export const DEFAULT_KEEP = 3;
/** The most a request may keep (a bigger number keeps everything anyway). */
export const MAX_KEEP = 10_000;

export interface PruneDeps {
  runtime: ContainerRuntime;
  db: Db;
  log: Logger;
  /** The name of a service an operation (deploy, rollback, start…) runs on now, or null. */
  busyService: () => string | null;
}

/** What a prune did (or, dry, would do). */
export interface PruneOutcome {
  plan: PrunePlan;
  /** The images actually removed (all of plan.remove when dry). */
  removed: LocalImage[];
  reclaimedBytes: number;
  /** Why some planned removals were not done ("" when all were). */
  note: string;
}

/** Reads the facts and plans; nothing is changed. */
export async function planNodePrune(d: Pick<PruneDeps, "runtime" | "db">, keep: number): Promise<PrunePlan> {
  const [images, containers] = await Promise.all([d.runtime.listImages(), d.runtime.list()]);
  const needed = rollbackDigests(d.db, keep).map((r) => ({ who: `${r.service}/${r.component}`, digest: r.digest }));
  for (const s of listServices(d.db)) {
    for (const c of s.components) if (c.imageDigest) needed.push({ who: `${s.name}/${c.name}`, digest: c.imageDigest });
  }
  return planPrune({
    images,
    containerImageIds: new Set(containers.map((c) => c.imageId)),
    deployed: new Set(deployedDigests(d.db).keys()),
    needed,
  });
}

function assertIdle(d: PruneDeps): void {
  const busy = d.busyService();
  if (busy) {
    throw new McpError("failed_precondition", `an operation on service ${busy} is running (it may have pulled an image it has not run yet)`,
      "prune again when it has finished");
  }
}

/**
 * Plans with `keep` deployments per component and, unless dry, removes the
 * planned images one by one; an image a container took meanwhile is left
 * (and logged), and removal stops when an operation on a service begins.
 */
export async function pruneImages(d: PruneDeps, o: { keep: number; dryRun: boolean }): Promise<PruneOutcome> {
  if (!Number.isInteger(o.keep) || o.keep < 1 || o.keep > MAX_KEEP) {
    throw new McpError("invalid_argument", `keep ${o.keep} is out of range`, `keep between 1 and ${MAX_KEEP} deployments per component`);
  }
  assertIdle(d);
  const plan = await planNodePrune(d, o.keep);
  if (o.dryRun) return { plan, removed: plan.remove, reclaimedBytes: plan.bytes, note: "" };
  const removed: LocalImage[] = [];
  let note = "";
  for (const image of plan.remove) {
    const busy = d.busyService();
    if (busy) {
      note = `stopped early: an operation on service ${busy} began`;
      d.log.warn("prune stopped early", { service: busy, left: plan.remove.length - removed.length });
      break;
    }
    try {
      if (await d.runtime.removeImage(image.id)) removed.push(image);
    } catch (err) {
      if (!isMcpError(err, "failed_precondition")) throw err;
      d.log.info("prune left an image", { image: image.id.slice(0, 12), why: messageOf(err) });
    }
  }
  const reclaimedBytes = removed.reduce((n, i) => n + i.size, 0);
  d.log.info("pruned images", { removed: removed.length, bytes: reclaimedBytes, kept: plan.kept.length, keep: o.keep });
  return { plan, removed, reclaimedBytes, note };
}
