import type { Clock } from "../../lib/clock.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { HealthState } from "../runtime/types.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import { listServices, setHealth, type Db } from "../store/index.ts";
import type { Journal } from "./journal.ts";
import type { LiveState } from "./live.ts";
import { probeName, probeOnce } from "./probe.ts";

/** The longest a continuous probe may take (its slot is one of a few for the whole node). */
export const PROBE_TIMEOUT_CAP_MS = 30_000;

export interface ProberDeps {
  runtime: ContainerRuntime;
  db: Db;
  journal: Journal;
  clock: Clock;
  log: Logger;
  live: () => LiveState;
  /** mcp is operating on the service (its deploy gates it): no probes meanwhile. */
  busy: (service: string) => boolean;
  /** A verdict changed: the monitor evaluates (and alerts) now. */
  changed: () => void;
  /** Probes run every `interval`, but not more often than this (ms); default 10 s. */
  minIntervalMs?: number;
  /** At most this many probes at once on the node (cmd probes are podman processes); default 4. */
  maxInFlight?: number;
  /** How often due probes are looked for (ms); default a tenth of the minimum interval, between 100 ms and 1 s. */
  tickMs?: number;
}

/** What the prober remembers of one component's container. */
interface ProbeTrack {
  containerId: string;
  nextAt: number;
  failures: number;
  inFlight: boolean;
}

/**
 * Continuous probing (SPEC §7.5): after the deploy's gate, every component
 * with a probe, desired running and running, is probed every `interval`;
 * `retries` failures in a row (not counting those inside `start_period` of
 * the container's start) make it `unhealthy`, one pass makes it `healthy`
 * again. Verdict changes go to the registry and the history, and the
 * monitor's plan alerts on them like drift (an incident, `recovered`,
 * flapping). The agent's probes are the only ones: podman's healthcheck
 * timers are never used. A probe that cannot run because podman itself
 * fails is logged, never a verdict.
 */
export function startProber(d: ProberDeps): { stop(): void } {
  const tracks = new Map<string, ProbeTrack>();
  const maxInFlight = d.maxInFlight ?? 4;
  let inFlight = 0;
  const ac = new AbortController();

  function tick(): void {
    const now = d.clock.now();
    const live = d.live();
    const seen = new Set<string>();
    for (const s of listServices(d.db)) {
      for (const c of s.components) {
        const h = c.spec.health;
        const box = live.get(c.containerName);
        if (!h || c.desired !== "running" || box?.state !== "running" || d.busy(s.name)) continue;
        const key = `${s.name}/${c.name}`;
        seen.add(key);
        let t = tracks.get(key);
        if (!t || t.containerId !== `${box.id}@${box.startedAt}`) {
          // A new container (a deploy, a restart): counting starts again, first probe after one interval.
          t = { containerId: `${box.id}@${box.startedAt}`, nextAt: now + Math.max(h.intervalMs, d.minIntervalMs ?? 10_000), failures: 0, inFlight: false };
          tracks.set(key, t);
        }
        if (t.inFlight || now < t.nextAt || inFlight >= maxInFlight) continue;
        const track = t;
        track.inFlight = true;
        inFlight++;
        const startedAt = box.startedAt || now;
        // A continuous probe never holds a slot long: at most PROBE_TIMEOUT_CAP_MS whatever the definition says.
        probeOnce(d.runtime, c.containerName, { ...h, timeoutMs: Math.min(h.timeoutMs, PROBE_TIMEOUT_CAP_MS) }, ac.signal)
          .then((r) => {
            // A verdict about a container that was stopped, restarted or replaced meanwhile, or while mcp operates on the service, is dropped.
            const now = d.live().get(c.containerName);
            if (ac.signal.aborted || d.busy(s.name) || now?.state !== "running" || track.containerId !== `${now.id}@${now.startedAt}`) return;
            const at = d.clock.now();
            if (r.ok) {
              track.failures = 0;
              verdict(s.name, c.name, "healthy", "");
            } else {
              if (at >= startedAt + (h.startPeriodMs ?? 0)) track.failures++;
              if (track.failures >= h.retries) verdict(s.name, c.name, "unhealthy", `${probeName(h)} failed ${track.failures} times in a row: ${r.detail}`);
            }
          })
          .catch((err) => d.log.warn("probe could not run", { service: s.name, component: c.name, error: messageOf(err) }))
          .finally(() => {
            track.inFlight = false;
            track.nextAt = d.clock.now() + Math.max(h.intervalMs, d.minIntervalMs ?? 10_000);
            inFlight--;
          });
      }
    }
    for (const key of tracks.keys()) if (!seen.has(key)) tracks.delete(key);
  }

  function verdict(service: string, component: string, health: HealthState, detail: string): void {
    const now = d.clock.now();
    const before = setHealth(d.db, service, component, health, now);
    if (before === null || before === health) return;
    // "" → healthy is the first verdict after a start: not news.
    if (before !== "" || health !== "healthy") {
      d.journal.append({ time: now, service, component, kind: "health", message: `${before || "unknown"} → ${health}${detail ? `: ${detail.slice(0, 500)}` : ""}` });
    }
    d.changed();
  }

  const timer = setInterval(() => {
    try {
      tick();
    } catch (err) {
      d.log.error("prober failed", { error: messageOf(err) });
    }
    // The registry is read at each tick: no more often than the probes' floor needs.
  }, d.tickMs ?? Math.min(1000, Math.max(100, (d.minIntervalMs ?? 10_000) / 10)));
  return {
    stop() {
      ac.abort();
      clearInterval(timer);
    },
  };
}
