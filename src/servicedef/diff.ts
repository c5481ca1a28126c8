import { formatDuration } from "../lib/duration.ts";
import type { ComponentSpec, HealthSpec } from "../model/index.ts";
import { isRedactedEnv, redactEnv } from "./fields.ts";

/** One difference between a local definition and what is deployed. */
export interface SpecChange {
  /** "" for the service itself. */
  component: string;
  field: string;
  kind: "added" | "removed" | "changed";
  /** The deployed value (changed, removed). */
  from?: string;
  /** The local value (changed, added). */
  to?: string;
}

const SCALARS = ["image", "network", "user", "restart"] as const;
const SETS = ["ports", "volumes", "env"] as const;

function health(h: HealthSpec | undefined): string {
  return h ? `${JSON.stringify(h.cmd)} every ${formatDuration(h.intervalMs)}, timeout ${formatDuration(h.timeoutMs)}, ${h.retries} tries` : "";
}

/** The per-field differences of one component: scalars changed, list entries added or removed, cmd and health as a whole. */
export function diffComponent(local: ComponentSpec, deployed: ComponentSpec): SpecChange[] {
  const out: SpecChange[] = [];
  const c = local.name;
  for (const f of SCALARS) {
    if (local[f] !== deployed[f]) out.push({ component: c, field: f, kind: "changed", from: deployed[f], to: local[f] });
  }
  for (const f of SETS) {
    // A viewer is sent env values as `KEY=…` (SPEC §7.1): then only keys can be compared.
    const blind = f === "env" && deployed.env.some(isRedactedEnv);
    const mine = blind ? local[f].map(redactEnv) : local[f];
    const before = new Set(deployed[f]);
    const after = new Set(mine);
    for (const v of mine) if (!before.has(v)) out.push({ component: c, field: f, kind: "added", to: v });
    for (const v of deployed[f]) if (!after.has(v)) out.push({ component: c, field: f, kind: "removed", from: v });
  }
  if (JSON.stringify(local.cmd) !== JSON.stringify(deployed.cmd)) {
    out.push({ component: c, field: "cmd", kind: "changed", from: JSON.stringify(deployed.cmd), to: JSON.stringify(local.cmd) });
  }
  if (health(local.health) !== health(deployed.health)) {
    out.push({ component: c, field: "health", kind: "changed", from: health(deployed.health), to: health(local.health) });
  }
  return out;
}

/**
 * What deploying the local definition would change, component by component
 * (in the definition's order, then components only deployed), plus the
 * service's active flag. `deployed` is null for a service never deployed.
 */
export function diffService(
  local: { active: boolean; components: ComponentSpec[] },
  deployed: { active: boolean; components: ComponentSpec[] } | null,
): SpecChange[] {
  if (!deployed) return local.components.map((c) => ({ component: c.name, field: "component", kind: "added" as const, to: c.image }));
  const out: SpecChange[] = [];
  if (local.active !== deployed.active) out.push({ component: "", field: "active", kind: "changed", from: String(deployed.active), to: String(local.active) });
  const byName = new Map(deployed.components.map((c) => [c.name, c]));
  for (const c of local.components) {
    const d = byName.get(c.name);
    if (d) out.push(...diffComponent(c, d));
    else out.push({ component: c.name, field: "component", kind: "added", to: c.image });
  }
  const names = new Set(local.components.map((c) => c.name));
  for (const d of deployed.components) {
    if (!names.has(d.name)) out.push({ component: d.name, field: "component", kind: "removed", from: d.image });
  }
  return out;
}
