/**
 * The plan of `mcp deploy --all` (SPEC §7.6), pure: which services deploy,
 * in which step, after which others; and the schedule that hands a node its
 * next service once those it comes after deployed, and skips the dependents
 * of a failure. No I/O: the runner (run.ts) and the command do that.
 */
import { McpError } from "../../lib/errors.ts";
import { isValidName, NAME_RULE_TEXT } from "../../lib/names.ts";
import type { ServiceDef } from "../../model/index.ts";

/** One service of the plan. */
export interface PlannedService {
  name: string;
  node: string;
  /** The active services it waits for (its `after`, without inactive ones, duplicates or itself). */
  after: string[];
  /** 1 for a service that waits for none; else one more than the latest step it waits for. */
  step: number;
}

/** What `deploy --all` will do. */
export interface FleetPlan {
  /** Active services by step, then node, then name: an order that respects every `after`. */
  services: PlannedService[];
  /** Inactive services: deployed by nothing. */
  inactive: string[];
  /** For the operator (stderr): an `after` that names an inactive service is not waited for. */
  notes: string[];
}

/**
 * Where a definition's `after` key (or its entry `index`) is written, for
 * messages: `<file>:<line>`. The default names the service alone.
 */
export type LocateAfter = (service: string, index?: number) => string;

const HINT_UNKNOWN = "`after` names other services of the services directory; fix the name, or add the service's definition";

/** A name as the operator wrote it, safe to print (quoted, escaped, cut short). */
const shown = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/**
 * Checks every definition's `after` and plans the active ones. Throws
 * invalid_argument located at the key (`<file>:<line>: after[i]: …`) for a
 * name that is not a service with a definition, and for a cycle (a service
 * after itself included), before anything runs. Inactive services are
 * checked too (a typo is a typo) but not planned; an `after` naming one is
 * not waited for and said in `notes`.
 */
export function planFleet(defs: readonly ServiceDef[], locate: LocateAfter = (s) => s): FleetPlan {
  const byName = new Map<string, ServiceDef>();
  for (const d of defs) {
    if (byName.has(d.name)) throw new McpError("invalid_argument", `service ${shown(d.name)} is defined twice`, "keep one definition per service");
    byName.set(d.name, d);
  }
  for (const d of defs) {
    (d.after ?? []).forEach((a, i) => {
      if (byName.has(a)) return;
      const why = isValidName(a) ? `no service ${shown(a)} is defined` : `${shown(a)} is not a service name (${NAME_RULE_TEXT})`;
      throw new McpError("invalid_argument", `${locate(d.name, i)}: after[${i}]: ${why}`, HINT_UNKNOWN);
    });
  }
  assertNoCycle(defs, byName, locate);

  const notes: string[] = [];
  const waits = new Map<string, string[]>();
  for (const d of defs) {
    if (!d.active) continue;
    const mine: string[] = [];
    for (const a of new Set(d.after ?? [])) {
      if (byName.get(a)!.active) mine.push(a);
      else notes.push(`${d.name}: after ${a}, which is inactive: not waited for`);
    }
    waits.set(d.name, mine);
  }
  const steps = new Map<string, number>();
  const stepOf = (name: string): number => {
    const known = steps.get(name);
    if (known !== undefined) return known;
    // Acyclic (checked above), so the recursion ends; its depth is at most the number of services.
    const s = 1 + Math.max(0, ...waits.get(name)!.map(stepOf));
    steps.set(name, s);
    return s;
  };
  const services = defs.filter((d) => d.active).map((d) => ({ name: d.name, node: d.node, after: waits.get(d.name)!, step: stepOf(d.name) }));
  services.sort((a, b) => a.step - b.step || cmp(a.node, b.node) || cmp(a.name, b.name));
  return { services, inactive: defs.filter((d) => !d.active).map((d) => d.name).sort(cmp), notes };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Throws for the first cycle of `after` (in name order), located at the entry that closes it from its first service. */
function assertNoCycle(defs: readonly ServiceDef[], byName: Map<string, ServiceDef>, locate: LocateAfter): void {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === "done") return null;
    if (s === "open") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "open");
    path.push(name);
    for (const a of [...new Set(byName.get(name)!.after ?? [])].sort(cmp)) {
      const cycle = visit(a);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const d of [...defs].sort((a, b) => cmp(a.name, b.name))) {
    const cycle = visit(d.name);
    if (!cycle) continue;
    const [first, second] = cycle as [string, string];
    const where = locate(first, (byName.get(first)!.after ?? []).indexOf(second));
    const what = cycle.length === 2 ? `${first} comes after itself` : `a cycle: ${cycle.join(" → ")}`;
    throw new McpError("invalid_argument", `${where}: after: ${what}`, "remove one `after` entry of the cycle; nothing was deployed");
  }
}

/** Where a service stands in a run. */
export type FleetState = "pending" | "running" | "ok" | "failed" | "skipped";

/** The state of a run of a plan: which service a node may start next, and what a failure skips. */
export interface FleetSchedule {
  /** The first pending service of `node` (in plan order) whose `after` all deployed: now running. null when none is ready. */
  next(node: string): PlannedService | null;
  /** Records a running service's end; a failure skips every service that waits for it, directly or not. Returns those skipped now. */
  finish(name: string, ok: boolean): string[];
  /** Services of `node` not started yet (ready or waiting). */
  pending(node: string): number;
  /** No service is running and none can start: the run is over. */
  over(): boolean;
  state(name: string): FleetState;
  /** Why a skipped service was not deployed: `after db, which failed` / `after api, skipped because db failed`. */
  reason(name: string): string;
}

/** A schedule over a plan, every service pending. */
export function createFleetSchedule(plan: FleetPlan): FleetSchedule {
  const states = new Map<string, FleetState>(plan.services.map((s) => [s.name, "pending"]));
  const reasons = new Map<string, string>();
  /** For each skipped service, the failed one at the root of it. */
  const roots = new Map<string, string>();
  const ready = (s: PlannedService) => s.after.every((a) => states.get(a) === "ok");
  return {
    next(node) {
      const s = plan.services.find((x) => x.node === node && states.get(x.name) === "pending" && ready(x));
      if (!s) return null;
      states.set(s.name, "running");
      return s;
    },
    finish(name, ok) {
      if (states.get(name) !== "running") throw new Error(`fleet schedule: ${name} is not running`);
      states.set(name, ok ? "ok" : "failed");
      if (ok) return [];
      const skipped: string[] = [];
      // Plan order is a topological order: a dependent comes after what it waits for, so one pass reaches every level.
      for (const s of plan.services) {
        if (states.get(s.name) !== "pending") continue;
        const by = s.after.find((a) => a === name || (states.get(a) === "skipped" && skipped.includes(a)));
        if (by === undefined) continue;
        states.set(s.name, "skipped");
        const root = roots.get(by) ?? by;
        roots.set(s.name, root);
        reasons.set(s.name, by === root ? `after ${by}, which failed` : `after ${by}, skipped because ${root} failed`);
        skipped.push(s.name);
      }
      return skipped;
    },
    pending: (node) => plan.services.filter((s) => s.node === node && states.get(s.name) === "pending").length,
    over() {
      if ([...states.values()].includes("running")) return false;
      return !plan.services.some((s) => states.get(s.name) === "pending" && ready(s));
    },
    state: (name) => states.get(name) ?? "pending",
    reason: (name) => reasons.get(name) ?? "",
  };
}
