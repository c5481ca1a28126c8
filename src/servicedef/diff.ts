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
  if (!h) return "";
  const probe = h.http !== undefined ? `http ${h.http}` : h.tcp !== undefined ? `tcp ${h.tcp}` : JSON.stringify(h.cmd);
  const start = h.startPeriodMs ? `, start period ${formatDuration(h.startPeriodMs)}` : "";
  return `${probe} every ${formatDuration(h.intervalMs)}, timeout ${formatDuration(h.timeoutMs)}, ${h.retries} tries${start}`;
}

/** The single-valued keys of SPEC §7.2 as their file writes them; undefined when unset. */
const KEY_SCALARS: readonly [string, (c: ComponentSpec) => string | undefined][] = [
  ["entrypoint", (c) => (c.entrypoint === undefined ? undefined : JSON.stringify(c.entrypoint))],
  ["init", (c) => (c.init === undefined ? undefined : String(c.init))],
  ["stop_signal", (c) => c.stopSignal],
  ["stop_timeout", (c) => (c.stopTimeoutMs === undefined ? undefined : formatDuration(c.stopTimeoutMs))],
  ["memory", (c) => c.memory],
  ["cpus", (c) => (c.cpus === undefined ? undefined : String(c.cpus))],
  ["pids_limit", (c) => (c.pidsLimit === undefined ? undefined : String(c.pidsLimit))],
  ["read_only", (c) => (c.readOnly === undefined ? undefined : String(c.readOnly))],
  ["hostname", (c) => c.hostname],
  ["workdir", (c) => c.workdir],
];

/** The keys of SPEC §7.2 and §7.3 compared as sets of entries (labels as `k=v`, secrets as `name → target`). */
const KEY_SETS: readonly [string, (c: ComponentSpec) => readonly string[]][] = [
  ["tmpfs", (c) => c.tmpfs ?? []],
  ["cap_drop", (c) => c.capDrop ?? []],
  ["cap_add", (c) => c.capAdd ?? []],
  ["devices", (c) => c.devices ?? []],
  ["after", (c) => c.after ?? []],
  ["labels", (c) => Object.entries(c.labels ?? {}).map(([k, v]) => `${k}=${v}`)],
  ["secrets", (c) => (c.secrets ?? []).map((r) => `${r.name} → ${r.env !== undefined ? `env ${r.env}` : `file ${r.file}`}`)],
];

/** Entries added and removed between two lists, as changes of one field. */
function setChanges(component: string, field: string, mine: readonly string[], theirs: readonly string[]): SpecChange[] {
  const out: SpecChange[] = [];
  const before = new Set(theirs);
  const after = new Set(mine);
  for (const v of mine) if (!before.has(v)) out.push({ component, field, kind: "added", to: v });
  for (const v of theirs) if (!after.has(v)) out.push({ component, field, kind: "removed", from: v });
  return out;
}

/**
 * The per-field differences of one component: scalars changed (the keys of
 * SPEC §7.2 also added or removed), list entries, labels and secret uses
 * added or removed, cmd, entrypoint and health as a whole.
 */
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
    out.push(...setChanges(c, f, mine, deployed[f]));
  }
  if (JSON.stringify(local.cmd) !== JSON.stringify(deployed.cmd)) {
    out.push({ component: c, field: "cmd", kind: "changed", from: JSON.stringify(deployed.cmd), to: JSON.stringify(local.cmd) });
  }
  if (health(local.health) !== health(deployed.health)) {
    out.push({ component: c, field: "health", kind: "changed", from: health(deployed.health), to: health(local.health) });
  }
  for (const [field, get] of KEY_SCALARS) {
    const [mine, theirs] = [get(local), get(deployed)];
    if (mine === theirs) continue;
    if (theirs === undefined) out.push({ component: c, field, kind: "added", to: mine! });
    else if (mine === undefined) out.push({ component: c, field, kind: "removed", from: theirs });
    else out.push({ component: c, field, kind: "changed", from: theirs, to: mine });
  }
  for (const [field, get] of KEY_SETS) out.push(...setChanges(c, field, get(local), get(deployed)));
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
