import { describe, expect, test } from "bun:test";
import { plan, type Action, type ComponentView, type MonitorRules, type Tracker } from "../../../src/node/monitor/index.ts";
import type { HealthState } from "../../../src/model/index.ts";
import type { DesiredState, ObservedState } from "../../../src/node/runtime/index.ts";

const RULES: MonitorRules = { flapThreshold: 3, flapWindowMs: 60_000, cooldownMs: 0, driftGraceMs: 500, reconcile: false };

/** Drives plan through observations (state + probe verdict) of one component and collects the alerts. */
function run(steps: [at: number, observed: ObservedState, health: HealthState][], o: { desired?: DesiredState; boot?: boolean; flapThreshold?: number; selfRestarting?: boolean } = {}) {
  let trackers = new Map<string, Tracker>();
  let recorded: ObservedState = "running";
  const alerts: string[] = [];
  const all: Action[] = [];
  steps.forEach(([at, observed, health], i) => {
    const c: ComponentView = { service: "svc", component: "api", desired: o.desired ?? "running", observed, recorded, containerId: "id", exitCode: 0, health, selfRestarting: o.selfRestarting ?? false };
    const out = plan({ components: [c], trackers, now: at, silent: false, boot: !!o.boot && i === 0, busy: () => false, rules: { ...RULES, flapThreshold: o.flapThreshold ?? RULES.flapThreshold } });
    trackers = out.trackers;
    for (const a of out.actions) {
      all.push(a);
      if (a.type === "record") recorded = a.to;
      if (a.type === "alert") alerts.push(`${at}:${a.kind}:${a.observed}<-${a.previous}`);
    }
  });
  return { alerts, all };
}

describe("monitor plan: probe verdicts (SPEC §7.5)", () => {
  test("running, then unhealthy: alerted at once (the probe's retries were the grace); healthy again: recovered", () => {
    const r = run([[0, "running", "healthy"], [1000, "running", "unhealthy"], [2000, "running", "unhealthy"], [9000, "running", "healthy"]]);
    expect(r.alerts).toEqual(["1000:unhealthy:unhealthy<-running", "9000:recovered:running<-unhealthy"]);
  });

  test("no probe verdict yet is not unhealthy; a stopped component's verdict does not matter", () => {
    expect(run([[0, "running", ""], [1000, "running", "healthy"]]).alerts).toEqual([]);
    expect(run([[0, "stopped", "unhealthy"], [1000, "stopped", "unhealthy"]], { desired: "stopped" }).alerts).toEqual([]);
  });

  test("unhealthy, then the container dies: the drift is news too; one recovered when it runs healthy again", () => {
    const r = run([[0, "running", "healthy"], [1000, "running", "unhealthy"], [2000, "exited", "unhealthy"], [3000, "running", "healthy"]], { flapThreshold: 10 });
    expect(r.alerts).toEqual(["1000:unhealthy:unhealthy<-running", "2000:drift:exited<-unhealthy", "3000:recovered:running<-exited"]);
  });

  test("a probe going unhealthy and back, again and again, is flapping", () => {
    const r = run([
      [0, "running", "healthy"], [1000, "running", "unhealthy"], [2000, "running", "healthy"], [3000, "running", "unhealthy"], [4000, "running", "healthy"],
    ]);
    expect(r.alerts).toContain("3000:flapping:unhealthy<-running");
  });

  test("unhealthy found at the agent's start is alerted at once", () => {
    expect(run([[0, "running", "unhealthy"]], { boot: true }).alerts).toEqual(["0:unhealthy:unhealthy<-running"]);
  });

  test("the verdict is never recorded as the observed state (the registry keeps podman's)", () => {
    const r = run([[0, "running", "healthy"], [1000, "running", "unhealthy"]]);
    expect(r.all.filter((a) => a.type === "record")).toEqual([]);
  });

  test("unhealthy alerted, then a crash its restart policy undoes within the grace, then healthy: the recovered is still sent", async () => {
    const r = run([[0, "running", "healthy"], [1000, "running", "unhealthy"], [2000, "exited", "unhealthy"], [2100, "running", "healthy"]], { flapThreshold: 10, selfRestarting: true });
    expect(r.alerts).toEqual(["1000:unhealthy:unhealthy<-running", "2100:recovered:running<-exited"]);
  });
});
