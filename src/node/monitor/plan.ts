import type { HealthState } from "../runtime/types.ts";
import type { DesiredState, ObservedState } from "../runtime/types.ts";
import { isDrift, type ShownState } from "./state.ts";

/** The monitor's rules, from `[monitor]` in the agent config. */
export interface MonitorRules {
  flapThreshold: number;
  flapWindowMs: number;
  cooldownMs: number;
  /** A drift must last this long before it is alerted: a container that its restart policy brings straight back is not drift. */
  driftGraceMs: number;
  reconcile: boolean;
}

export type AlertKind = "drift" | "flapping" | "unhealthy" | "recovered";

/** An open incident of one component: alerted at most once. */
export interface Incident {
  kind: "drift" | "flapping" | "unhealthy";
  since: number;
  /** The observed state before the incident began. */
  previous: ShownState;
  /** The last observed state while the incident held (what a `recovered` alert says it was). */
  lastBad: ShownState;
  /** The alert was sent (so a `recovered` is owed). */
  alerted: boolean;
  /** An earlier kind of this incident was alerted: a `recovered` is owed even if this kind's alert never went out. */
  owed?: boolean;
  /** No alert will be sent for this incident (seen at start, or inside the cooldown). */
  quiet: boolean;
}

/** What the monitor remembers of one component between evaluations. */
export interface Tracker {
  observed: ObservedState;
  /** The probe's last verdict seen (SPEC §7.5); absent = none. */
  health?: HealthState;
  /** Times of observed-state changes inside the flap window. */
  changes: number[];
  incident: Incident | null;
  lastAlertAt: number;
  reconcileAttempts: number;
  nextReconcileAt: number;
}

/** One component as the plan sees it. */
export interface ComponentView {
  service: string;
  component: string;
  desired: DesiredState;
  /** From the live view. */
  observed: ObservedState;
  /** What the registry says now. */
  recorded: ObservedState;
  containerId: string;
  exitCode: number;
  /**
   * A restart policy may bring the container back by itself (always,
   * unless-stopped, on-failure): only then is a drift given the grace
   * (issue 15); unset = it may.
   */
  selfRestarting?: boolean;
  /** The probe's verdict from the registry (SPEC §7.5); absent = no probe. */
  health?: HealthState;
}

export type Action =
  | { type: "record"; service: string; component: string; from: ObservedState; to: ObservedState; containerId: string; exitCode: number }
  | { type: "alert"; kind: AlertKind; service: string; component: string; desired: DesiredState; observed: ShownState; previous: ShownState }
  | { type: "suppress"; kind: AlertKind; service: string; component: string; why: string }
  | { type: "reconcile"; service: string; component: string; desired: DesiredState; attempt: number };

export interface PlanInput {
  components: ComponentView[];
  trackers: ReadonlyMap<string, Tracker>;
  now: number;
  /** Record, never alert (tests; v1's first listing). */
  silent: boolean;
  /**
   * The first listing after the agent started (SPEC §7.7): changes are
   * recorded but not counted as flapping, and a drift found then is alerted
   * at once (no grace: no restart policy brings a container back at boot).
   */
  boot?: boolean;
  /** mcp itself is operating on the service (a deploy, stop, start…): its transitions are not the monitor's business. */
  busy: (service: string) => boolean;
  rules: MonitorRules;
}

export interface PlanOutput {
  actions: Action[];
  trackers: Map<string, Tracker>;
  /** When to evaluate again even if nothing happens (a grace or a flap window ending); null = not needed. */
  wakeAt: number | null;
}

export const trackerKey = (service: string, component: string) => `${service}/${component}`;

const RECONCILE_BACKOFF_CAP_MS = 5 * 60_000;

/** The monitor's decisions for one evaluation: pure, table-tested, no clock or I/O. */
export function plan(input: PlanInput): PlanOutput {
  const { now, rules } = input;
  const actions: Action[] = [];
  const trackers = new Map<string, Tracker>();
  let wakeAt: number | null = null;
  const wake = (t: number) => (wakeAt = wakeAt === null ? t : Math.min(wakeAt, t));

  for (const c of input.components) {
    const key = trackerKey(c.service, c.component);
    const before = input.trackers.get(key);
    const t: Tracker = before
      ? { ...before, changes: [...before.changes], incident: before.incident ? { ...before.incident } : null }
      : { observed: c.recorded, changes: [], incident: null, lastAlertAt: 0, reconcileAttempts: 0, nextReconcileAt: 0 };
    trackers.set(key, t);
    const ids = { service: c.service, component: c.component };

    if (input.busy(c.service)) {
      // Follow silently; the operation records its own outcome.
      t.observed = c.observed;
      continue;
    }
    if (c.observed !== c.recorded) {
      actions.push({ type: "record", ...ids, from: c.recorded, to: c.observed, containerId: c.containerId, exitCode: c.exitCode });
    }
    // The state before this evaluation: the registry's when it lags the live view (it also
    // covers a change the tracker followed silently while the service was busy).
    const previous = c.recorded !== c.observed ? c.recorded : t.observed;
    if (c.observed !== t.observed) {
      if (!input.silent && !input.boot) t.changes.push(now);
      t.observed = c.observed;
    }
    // A probe going unhealthy and back counts as a change too (flapping, SPEC §7.5).
    const health = c.health ?? "";
    if (health !== (t.health ?? "")) {
      if ((health === "unhealthy" || t.health === "unhealthy") && !input.silent && !input.boot) t.changes.push(now);
      t.health = health;
    }
    t.changes = t.changes.filter((at) => at > now - rules.flapWindowMs);
    if (t.changes.length > 0) wake(t.changes[0]! + rules.flapWindowMs);

    if (c.desired === "ignore") {
      t.incident = null;
      continue;
    }
    const drifting = isDrift(c.desired, c.observed);
    const unhealthy = c.desired === "running" && c.observed === "running" && health === "unhealthy";
    const flapping = t.changes.length >= rules.flapThreshold;
    const cond = flapping ? "flapping" : drifting ? "drift" : unhealthy ? "unhealthy" : null;
    // What the operator is told the component is: running but failing its probe reads `unhealthy`.
    const shown: ShownState = unhealthy ? "unhealthy" : c.observed;

    const alert = (kind: AlertKind, prev: ShownState) => {
      const inc = t.incident!;
      if (now - t.lastAlertAt < rules.cooldownMs && t.lastAlertAt > 0) {
        inc.quiet = true;
        actions.push({ type: "suppress", kind, ...ids, why: `inside the cooldown (last alert ${Math.round((now - t.lastAlertAt) / 1000)}s ago)` });
        return;
      }
      inc.alerted = true;
      t.lastAlertAt = now;
      actions.push({ type: "alert", kind, ...ids, desired: c.desired, observed: shown, previous: prev });
    };

    if (cond === null) {
      if (t.incident?.alerted || t.incident?.owed) {
        actions.push({ type: "alert", kind: "recovered", ...ids, desired: c.desired, observed: c.observed, previous: t.incident.lastBad });
      }
      t.incident = null;
      t.reconcileAttempts = 0;
      t.nextReconcileAt = 0;
      continue;
    }
    if (!t.incident) {
      t.incident = { kind: cond, since: now, previous, lastBad: shown, alerted: false, quiet: input.silent };
    } else if (t.incident.kind !== "flapping" && cond === "flapping") {
      t.incident.kind = "flapping";
    } else if (t.incident.kind !== cond && cond !== "flapping" && t.incident.kind !== "flapping") {
      // Unhealthy, then gone (or back but failing its probe): the new condition is news, alerted in its turn.
      t.incident = { ...t.incident, kind: cond, since: now, previous: t.incident.lastBad, alerted: false, owed: t.incident.alerted || t.incident.owed };
    }
    const inc = t.incident;
    inc.lastBad = shown;
    if (!inc.alerted && !inc.quiet) {
      // The probe's retries were the grace of an unhealthy component.
      if (inc.kind === "flapping" || inc.kind === "unhealthy") alert(inc.kind, inc.previous);
      else if (input.boot || c.selfRestarting === false || now >= inc.since + rules.driftGraceMs) alert("drift", inc.previous);
      else wake(inc.since + rules.driftGraceMs);
    }
    if (rules.reconcile && drifting && !input.silent && !input.boot) {
      if (now >= t.nextReconcileAt) {
        t.reconcileAttempts += 1;
        t.nextReconcileAt = now + Math.min(1000 * 2 ** (t.reconcileAttempts - 1), RECONCILE_BACKOFF_CAP_MS);
        actions.push({ type: "reconcile", ...ids, desired: c.desired, attempt: t.reconcileAttempts });
      }
      wake(t.nextReconcileAt);
    }
  }
  return { actions, trackers, wakeAt };
}
