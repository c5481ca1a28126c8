import type { Clock } from "../../lib/clock.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { DesiredState, ObservedContainer } from "../runtime/types.ts";
import { listServices, pruneAudit, pruneEvents, recentEvents, type Db, type EventRecord } from "../store/index.ts";
import type { Alerter } from "./alert.ts";
import type { Journal } from "./journal.ts";
import { LiveState } from "./live.ts";
import { applyActions } from "./apply.ts";
import { plan, trackerKey, type ComponentView, type MonitorRules, type Tracker } from "./plan.ts";
import { observedStateOf } from "./state.ts";
import { startProber } from "./prober.ts";

export interface MonitorDeps {
  runtime: ContainerRuntime;
  db: Db;
  journal: Journal;
  alerter: Alerter;
  clock: Clock;
  log: Logger;
  rules: MonitorRules;
  resyncMs: number;
  retentionMs: number;
  /** True while mcp operates on the service, and shortly after. */
  busy: (service: string) => boolean;
  /** After the deploy's gate, a probe runs every `interval` but not more often than this (SPEC §7.5); default 10 s. */
  minProbeIntervalMs?: number;
  /** Brings a drifted component back to its desired state (reconcile = true). */
  reconcile: (service: string, component: string, desired: DesiredState) => Promise<void>;
}

export interface Monitor {
  /** The live view: what `ps` shows, without asking podman. */
  live(): LiveState;
  /** Re-evaluates now (after mcp changed something). */
  poke(): void;
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * The thin loop: one full listing at start (drift found then is alerted at
 * once, SPEC §7.7; incidents alerted before a restart stay open, and get
 * their `recovered` when they ended meanwhile), then podman's event
 * stream (restarted with capped backoff when it ends, followed by a listing),
 * a listing every `resyncMs`, and a timer for the plan's next wake-up. Every
 * decision is `plan`'s; every effect is `applyActions`'s.
 */
export async function startMonitor(d: MonitorDeps): Promise<Monitor> {
  const live = new LiveState();
  const stop = new AbortController();
  let trackers = new Map<string, Tracker>();
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;

  // Changes inside the flap window before a restart still count.
  const since = d.clock.now() - d.rules.flapWindowMs;
  const recent = recentEvents(d.db, { limit: 10_000 });
  for (const e of recent) {
    if (e.kind !== "observed" || e.time < since) continue;
    const key = trackerKey(e.service, e.component);
    const t = trackers.get(key) ?? { observed: "unknown", changes: [], incident: null, lastAlertAt: 0, reconcileAttempts: 0, nextReconcileAt: 0 };
    t.changes.push(e.time);
    trackers.set(key, t);
  }
  // Incidents alerted before the agent stopped and never recovered stay open (no second alert; their
  // `recovered` is owed, also when they ended while the agent was down).
  const lastAlert = new Map<string, EventRecord>();
  for (const e of recent) {
    if (e.kind === "drift" || e.kind === "flapping" || e.kind === "unhealthy" || e.kind === "recovered") lastAlert.set(trackerKey(e.service, e.component), e);
  }
  for (const s of listServices(d.db)) {
    for (const c of s.components) {
      const key = trackerKey(s.name, c.name);
      const open = lastAlert.get(key);
      const t = trackers.get(key) ?? (open && open.kind !== "recovered" ? { observed: c.observed, changes: [], incident: null, lastAlertAt: 0, reconcileAttempts: 0, nextReconcileAt: 0 } : undefined);
      if (!t) continue;
      t.observed = c.observed;
      if (open && open.kind !== "recovered") {
        t.incident = { kind: open.kind as "drift" | "flapping" | "unhealthy", since: open.time, previous: "running", lastBad: open.kind === "unhealthy" ? "unhealthy" : c.observed, alerted: true, quiet: false };
        t.lastAlertAt = open.time;
      }
      trackers.set(key, t);
    }
  }

  function views(): ComponentView[] {
    return listServices(d.db).flatMap((s) =>
      s.components.map((c) => {
        const box: ObservedContainer | undefined = live.get(c.containerName);
        return {
          service: s.name, component: c.name, desired: c.desired, observed: observedStateOf(box, c.desired), recorded: c.observed,
          containerId: box?.id ?? "", exitCode: box?.exitCode ?? 0,
          // Without a restart policy nothing brings it back: a drift is alerted at once (no grace to wait).
          selfRestarting: /^(always|unless-stopped|on-failure)/.test(c.spec.restart),
          health: c.health ?? "",
        };
      }),
    );
  }

  function evaluate(boot = false): void {
    if (stop.signal.aborted) return;
    const components = views();
    const out = plan({ components, trackers, now: d.clock.now(), silent: false, boot, busy: d.busy, rules: d.rules });
    trackers = out.trackers;
    applyActions(out.actions, d);
    clearTimeout(wakeTimer);
    // A busy service is looked at again once it settles.
    const next = out.wakeAt ?? Infinity;
    const soon = components.some((v) => d.busy(v.service)) ? d.clock.now() + 500 : Infinity;
    const at = Math.min(next, soon);
    if (at !== Infinity) wakeTimer = setTimeout(() => evaluate(), Math.max(0, at - d.clock.now()));
  }

  async function resync(boot: boolean): Promise<void> {
    const listedAt = d.clock.now();
    const list = await d.runtime.list();
    live.replace(list, listedAt);
    evaluate(boot);
    d.log.debug("listed containers", { count: list.length, boot });
  }

  await resync(true);
  const prober = startProber({ runtime: d.runtime, db: d.db, journal: d.journal, clock: d.clock, log: d.log, live: () => live, busy: d.busy, changed: () => evaluate(), minIntervalMs: d.minProbeIntervalMs });

  const watching = (async () => {
    let backoff = 500;
    while (!stop.signal.aborted) {
      try {
        await d.runtime.watch((e) => {
          backoff = 500;
          if (live.apply(e)) evaluate();
        }, stop.signal);
      } catch (err) {
        if (stop.signal.aborted) break;
        d.log.warn("event stream ended; restarting it", { error: messageOf(err), retry_ms: backoff });
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 30_000);
        // Events may have been missed while the stream was down.
        await resync(false).catch((e) => d.log.warn("listing failed", { error: messageOf(e) }));
      }
    }
  })();

  const resyncTimer = setInterval(() => {
    resync(false).catch((err) => d.log.warn("listing failed", { error: messageOf(err) }));
  }, d.resyncMs);
  const prune = () => {
    const n = pruneEvents(d.db, d.clock.now() - d.retentionMs);
    if (n > 0) d.log.info("pruned old events", { count: n });
    // The audit trail is kept as long as the events.
    const a = pruneAudit(d.db, d.clock.now() - d.retentionMs);
    if (a > 0) d.log.info("pruned old audit records", { count: a });
  };
  prune();
  const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);

  return {
    live: () => live,
    poke: () => evaluate(),
    async stop() {
      stop.abort();
      prober.stop();
      clearInterval(resyncTimer);
      clearInterval(pruneTimer);
      clearTimeout(wakeTimer);
      await watching;
    },
  };
}
