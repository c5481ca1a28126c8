/**
 * Counters the registry does not keep, counted from the node's journal since
 * the agent started (Prometheus counters may start again from 0 with the
 * process): state changes the monitor saw that mcp did not make (a restart
 * policy, a crash, someone's podman command) and alerted incidents.
 */
import type { EventRecord } from "../store/index.ts";

/** Per `service/component`. */
export interface ComponentCounters {
  /** Into running (a restart mcp did not do). */
  restarts: number;
  /** Into exited (the container ended on its own or was killed). */
  exits: number;
  /** Alerted incidents by kind: drift, flapping, unhealthy. */
  incidents: Map<string, number>;
  recoveries: number;
}

const INCIDENT_KINDS = new Set(["drift", "flapping", "unhealthy"]);

export class EventCounters {
  readonly byComponent = new Map<string, ComponentCounters>();

  private of(service: string, component: string): ComponentCounters {
    const key = `${service}/${component}`;
    let c = this.byComponent.get(key);
    if (!c) {
      c = { restarts: 0, exits: 0, incidents: new Map(), recoveries: 0 };
      this.byComponent.set(key, c);
    }
    return c;
  }

  /** Counts one journal event (the monitor records `observed` events as `<from> → <to>[ (exit code N)]`). */
  count(e: Pick<EventRecord, "service" | "component" | "kind" | "message">): void {
    if (!e.service || !e.component) return;
    if (e.kind === "observed") {
      const to = /→ (\w+)/.exec(e.message)?.[1];
      if (to === "running") this.of(e.service, e.component).restarts++;
      else if (to === "exited") this.of(e.service, e.component).exits++;
    } else if (INCIDENT_KINDS.has(e.kind)) {
      const c = this.of(e.service, e.component);
      c.incidents.set(e.kind, (c.incidents.get(e.kind) ?? 0) + 1);
    } else if (e.kind === "recovered") {
      this.of(e.service, e.component).recoveries++;
    }
  }

  get(service: string, component: string): ComponentCounters | undefined {
    return this.byComponent.get(`${service}/${component}`);
  }
}
