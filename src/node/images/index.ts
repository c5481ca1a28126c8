/** Images on the node (SPEC §7.6): what `mcp node prune` removes, the removal, and the reclaimable-bytes estimate. */
export { planPrune, type KeptImage, type PruneInput, type PrunePlan } from "./plan.ts";
export { DEFAULT_KEEP, MAX_KEEP, planNodePrune, pruneImages, type PruneDeps, type PruneOutcome } from "./prune.ts";
export { createReclaimableEstimate, type ReclaimableEstimate } from "./estimate.ts";
