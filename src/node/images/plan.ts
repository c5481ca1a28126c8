/**
 * What `mcp node prune` removes (SPEC §7.6), decided without I/O: of the
 * images mcp brought to the node (a digest some deployment recorded), those
 * that no container uses and that no component needs, i.e. neither its
 * deployed version nor one of its newest `keep` successful deployments (a
 * rollback's targets) nor a deployment still running. Images mcp never
 * deployed (built by hand, an adopted container's, podman's own) are not
 * its to remove.
 */
import type { LocalImage } from "../runtime/types.ts";

/** An image the plan keeps for components, and which. */
export interface KeptImage {
  image: LocalImage;
  /** `service/component` names whose deployed version or rollback targets use it. */
  neededBy: string[];
}

export interface PrunePlan {
  /** Unused, unneeded images mcp deployed once; biggest first. */
  remove: LocalImage[];
  /** Unused images that a component's deployed version or a rollback needs. */
  kept: KeptImage[];
  /** Bytes the removals would free (the runtime's image sizes). */
  bytes: number;
}

export interface PruneInput {
  images: readonly LocalImage[];
  /** Image ids of every container the runtime has, in any state. */
  containerImageIds: ReadonlySet<string>;
  /** Every digest any deployment recorded: what mcp brought to the node. */
  deployed: ReadonlySet<string>;
  /** Digests components need (deployed versions, the newest `keep` ok deployments, pending ones), by `service/component`. */
  needed: readonly { who: string; digest: string }[];
}

/** The plan; pure (table-tested in test/node/images/plan.test.ts). */
export function planPrune(input: PruneInput): PrunePlan {
  const neededBy = new Map<string, Set<string>>();
  for (const n of input.needed) {
    const set = neededBy.get(n.digest) ?? new Set<string>();
    set.add(n.who);
    neededBy.set(n.digest, set);
  }
  const remove: LocalImage[] = [];
  const kept: KeptImage[] = [];
  for (const image of input.images) {
    if (image.containers > 0 || input.containerImageIds.has(image.id) || input.containerImageIds.has(`sha256:${image.id}`)) continue;
    if (!image.digests.some((d) => input.deployed.has(d))) continue;
    const who = new Set(image.digests.flatMap((d) => [...(neededBy.get(d) ?? [])]));
    if (who.size > 0) kept.push({ image, neededBy: [...who].sort() });
    else remove.push(image);
  }
  remove.sort((a, b) => b.size - a.size || a.id.localeCompare(b.id));
  kept.sort((a, b) => a.neededBy[0]!.localeCompare(b.neededBy[0]!) || a.image.id.localeCompare(b.image.id));
  return { remove, kept, bytes: remove.reduce((n, i) => n + i.size, 0) };
}
