import type { Clock } from "../lib/clock.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { ObservedContainer } from "../runtime/types.ts";
import { appendEvent, listServices, setObserved, type Db } from "../store/index.ts";
import { observedStateOf } from "./state.ts";

/**
 * Lists the node's containers once and records every registry component's
 * observed state, appending an event for each change. Returns the listing by
 * container name so callers can report live details without a second call.
 */
export async function refreshObserved(runtime: ContainerRuntime, db: Db, clock: Clock): Promise<Map<string, ObservedContainer>> {
  const containers = await runtime.list();
  const byName = new Map(containers.map((c) => [c.name, c]));
  const now = clock.now();
  db.transaction(() => {
    for (const svc of listServices(db)) {
      for (const comp of svc.components) {
        const c = byName.get(comp.containerName);
        const observed = observedStateOf(c, comp.desired);
        const prev = setObserved(db, svc.name, comp.name, observed, c?.id ?? "", now);
        if (prev !== null && prev !== observed) {
          appendEvent(db, { time: now, service: svc.name, component: comp.name, kind: "observed", message: `${prev} → ${observed}` });
        }
      }
    }
  })();
  return byName;
}
