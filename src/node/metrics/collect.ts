/**
 * What GET /metrics answers (SPEC §7.8), from the registry, the journal's
 * counters, the podman call histogram, the notify channels and the prune
 * estimate: never a podman call, so a scrape costs a few SQLite reads.
 */
import { DESIRED_STATES, OBSERVED_STATES } from "../runtime/types.ts";
import { deploymentCounts, deploymentDurations, listServices, type Db } from "../store/index.ts";
import type { EventCounters } from "./counters.ts";
import { Exposition, type Histograms, type Labels } from "./text.ts";

/** Deploy duration buckets, in seconds. */
export const DEPLOY_BOUNDS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800] as const;
/** Podman call duration buckets, in seconds. */
export const PODMAN_BOUNDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** One notify channel's counters (src/node/notify). */
export interface NotifyFigures {
  label: string;
  sent: number;
  failed: number;
  dropped: number;
  errors: number;
  queued: number;
}

export interface MetricsSources {
  node: string;
  version: string;
  /** When the agent started (Unix ms). */
  startedAt: number;
  db: Db;
  counters: EventCounters;
  podman: Histograms;
  notify?: () => NotifyFigures[];
  /** Bytes a prune would free, if known (never waits). */
  reclaimable?: () => number | undefined;
}

export function collectMetrics(s: MetricsSources): string {
  const services = listServices(s.db);
  const components = services.flatMap((svc) => svc.components.map((c) => ({ svc, c, id: { service: svc.name, component: c.name } as Labels })));
  const x = new Exposition();
  x.family("mcp_agent_info", "gauge", "The agent: its node and version (always 1).", [[{ node: s.node, version: s.version }, 1]]);
  x.family("mcp_agent_start_time_seconds", "gauge", "When the agent started (Unix seconds).", [[{}, s.startedAt / 1000]]);
  x.family("mcp_component_state", "gauge", "A component's observed state (1 for the state it is in, 0 for the others).",
    components.flatMap(({ c, id }) => OBSERVED_STATES.map((st): [Labels, number] => [{ ...id, state: st }, c.observed === st ? 1 : 0])));
  x.family("mcp_component_desired_state", "gauge", "A component's desired state (1 for the one desired).",
    components.flatMap(({ c, id }) => DESIRED_STATES.map((st): [Labels, number] => [{ ...id, state: st }, c.desired === st ? 1 : 0])));
  x.family("mcp_component_active", "gauge", "Whether the component's service is active (1) or not (0).", components.map(({ svc, id }) => [id, svc.active ? 1 : 0]));
  x.family("mcp_component_health", "gauge", "A probed component's health verdict (1 for the verdict it has); components without a probe verdict have none.",
    components.flatMap(({ c, id }) => (c.health ? (["healthy", "unhealthy"] as const).map((h): [Labels, number] => [{ ...id, health: h }, c.health === h ? 1 : 0]) : [])));
  const counted = (f: (n: NonNullable<ReturnType<EventCounters["get"]>>) => number) =>
    components.map(({ svc, c, id }): [Labels, number] => {
      const n = s.counters.get(svc.name, c.name);
      return [id, n ? f(n) : 0];
    });
  x.family("mcp_component_restarts_total", "counter", "Starts of a component's container that mcp did not make (restart policy, someone else), since the agent started.", counted((n) => n.restarts));
  x.family("mcp_component_exits_total", "counter", "Times a component's container exited on its own or was killed, since the agent started.", counted((n) => n.exits));
  x.family("mcp_incidents_total", "counter", "Alerted incidents (drift, flapping, unhealthy) per component, since the agent started.",
    components.flatMap(({ svc, c, id }) => ["drift", "flapping", "unhealthy"].map((k): [Labels, number] => [{ ...id, kind: k }, s.counters.get(svc.name, c.name)?.incidents.get(k) ?? 0])));
  x.family("mcp_recoveries_total", "counter", "Alerted incidents that ended (recovered), since the agent started.", counted((n) => n.recoveries));
  x.family("mcp_deployments_total", "counter", "Deployments per component and outcome (ok, failed, rolled_back, pending), from the registry's history.",
    deploymentCounts(s.db).map((d): [Labels, number] => [{ service: d.service, component: d.component, outcome: d.outcome }, d.count]));
  x.histogram("mcp_deployment_duration_seconds", "How long finished deployments took (pull, replace and health gate), per service and outcome.",
    deploymentDurations(s.db, DEPLOY_BOUNDS.map((b) => b * 1000)).map((h) => [
      { service: h.service, outcome: h.outcome }, { bounds: DEPLOY_BOUNDS, counts: h.le, sum: h.sumMs / 1000, count: h.count },
    ]));
  x.histogram("mcp_podman_call_duration_seconds", "How long the agent's podman calls took, per verb and outcome (ok, error, timeout), since the agent started.", s.podman.entries());
  const reclaimable = s.reclaimable?.();
  x.family("mcp_images_reclaimable_bytes", "gauge", "Bytes `mcp node prune` would free (image sizes; layers shared with kept images count in each), when known.",
    reclaimable === undefined ? [] : [[{}, reclaimable]]);
  const channels = s.notify?.() ?? [];
  x.family("mcp_notify_sent_total", "counter", "Alerts a notify channel delivered.", channels.map((c) => [{ channel: c.label }, c.sent]));
  x.family("mcp_notify_failed_total", "counter", "Alerts a notify channel gave up on (retries used, or refused).", channels.map((c) => [{ channel: c.label }, c.failed]));
  x.family("mcp_notify_dropped_total", "counter", "Alerts dropped because a notify channel's queue was full.", channels.map((c) => [{ channel: c.label }, c.dropped]));
  x.family("mcp_notify_errors_total", "counter", "Failed tries of a notify channel, retries included.", channels.map((c) => [{ channel: c.label }, c.errors]));
  x.family("mcp_notify_queued_alerts", "gauge", "Alerts waiting in a notify channel's queue.", channels.map((c) => [{ channel: c.label }, c.queued]));
  return x.text();
}
