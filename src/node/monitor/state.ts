import type { DesiredState, ObservedContainer, ObservedState } from "../runtime/types.ts";

/** What the operator is told a component is: its observed state, or `unhealthy` when it runs but fails its probe (SPEC §7.5). */
export type ShownState = ObservedState | "unhealthy";

/**
 * The observed state of a component from its container (or its absence).
 * A container that is not running reads `stopped` when mcp was asked to stop
 * it (desired `stopped`) or when it was created but never started, and
 * `exited` when it ended on its own or behind mcp's back.
 */
export function observedStateOf(c: Pick<ObservedContainer, "state"> | null | undefined, desired: DesiredState): ObservedState {
  if (!c) return "removed";
  switch (c.state) {
    case "running":
      return "running";
    case "paused":
      return "paused";
    case "created":
      return "stopped";
    case "exited":
    case "stopping":
      return desired === "stopped" ? "stopped" : "exited";
    default:
      return "unknown";
  }
}

/**
 * Drift (SPEC §1): desired `running` but observed not `running`, or desired
 * `stopped` but observed `running`. `ignore` never drifts.
 */
export function isDrift(desired: DesiredState, observed: ObservedState): boolean {
  if (desired === "running") return observed !== "running";
  if (desired === "stopped") return observed === "running";
  return false;
}
