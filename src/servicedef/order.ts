import { McpError } from "../lib/errors.ts";
import type { ServiceDef } from "../model/index.ts";

/** Something that may name others it comes after (components of a service; services). */
interface Ordered {
  name: string;
  after?: string[];
}

/**
 * A cycle of `after` among items, as the names along it with the first
 * repeated at the end (`["a", "b", "a"]`), or null. Names that are not items
 * are ignored (the rules report them on their own). Pure.
 */
export function findCycle(items: readonly Ordered[]): string[] | null {
  const byName = new Map(items.map((i) => [i.name, i]));
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === "done") return null;
    if (state.get(name) === "open") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "open");
    path.push(name);
    for (const next of byName.get(name)?.after ?? []) {
      if (!byName.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const i of items) {
    const cycle = visit(i.name);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Items in an order where each comes after those its `after` names
 * (topological), keeping the given order wherever `after` leaves a choice:
 * the earliest item whose predecessors are all placed goes next. Names that
 * are not items are ignored. Throws invalid_argument naming the cycle when
 * there is one. Pure.
 */
export function orderByAfter<T extends Ordered>(items: readonly T[], what: string): T[] {
  const cycle = findCycle(items);
  if (cycle) throw new McpError("invalid_argument", `${what}: after forms a cycle: ${cycle.join(" → ")}`, "remove one of the after entries of the cycle");
  const names = new Set(items.map((i) => i.name));
  const placed = new Set<string>();
  const out: T[] = [];
  while (out.length < items.length) {
    const next = items.find((i) => !placed.has(i.name) && (i.after ?? []).every((a) => placed.has(a) || !names.has(a) || a === i.name));
    // Unreachable without a cycle; kept so a bug can never loop forever.
    if (!next) throw new McpError("internal", `${what}: cannot order by after`, "report this");
    placed.add(next.name);
    out.push(next);
  }
  return out;
}

/**
 * The components of a service in start order (SPEC §7.2 `after`): each after
 * the components it names, otherwise in definition order. For a
 * definition that passed the rules (no cycle, every name a component).
 * Throws invalid_argument naming a cycle.
 */
export function componentOrder<T extends Ordered>(def: { name: string; components: readonly T[] }): T[] {
  return orderByAfter(def.components, `service ${def.name}`);
}

/** The service level `after` of definitions, as a start order of their names (for `mcp deploy --all`, SPEC §7.6). */
export function serviceOrder(defs: readonly ServiceDef[]): ServiceDef[] {
  return orderByAfter(defs, "services");
}
