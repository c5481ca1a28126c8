import { describe, expect, test } from "bun:test";
import { plan, type Action, type ComponentView, type MonitorRules, type Tracker } from "../../../src/node/monitor/index.ts";
import type { DesiredState, ObservedState } from "../../../src/node/runtime/index.ts";

const RULES: MonitorRules = { flapThreshold: 3, flapWindowMs: 60_000, cooldownMs: 900_000, driftGraceMs: 500, reconcile: false };

/**
 * Drives plan through a timeline of observations of one component, carrying
 * trackers from step to step like the loop does, and collects the alerts.
 */
function run(
  steps: [at: number, observed: ObservedState][],
  o: { desired?: DesiredState; rules?: Partial<MonitorRules>; silentFirst?: boolean; busyAt?: (t: number) => boolean; recorded?: ObservedState } = {},
) {
  let trackers = new Map<string, Tracker>();
  let recorded: ObservedState = o.recorded ?? "running";
  const actions: (Action & { at: number })[] = [];
  const wakes: (number | null)[] = [];
  steps.forEach(([at, observed], i) => {
    const c: ComponentView = { service: "svc", component: "api", desired: o.desired ?? "running", observed, recorded, containerId: "id", exitCode: 0 };
    const out = plan({
      components: [c], trackers, now: at, silent: !!o.silentFirst && i === 0, busy: () => o.busyAt?.(at) ?? false, rules: { ...RULES, ...o.rules },
    });
    trackers = out.trackers;
    wakes.push(out.wakeAt);
    for (const a of out.actions) {
      actions.push({ ...a, at });
      if (a.type === "record") recorded = a.to;
    }
  });
  const alerts = actions.filter((a) => a.type === "alert").map((a) => `${a.at}:${a.type === "alert" ? a.kind : ""}`);
  return { actions, alerts, wakes, trackers };
}

describe("monitor plan", () => {
  test("a steady running component produces nothing", () => {
    const r = run([[0, "running"], [1000, "running"], [60_000, "running"]]);
    expect(r.actions).toEqual([]);
  });

  test("a kill: drift is recorded at once, alerted once after the grace, with the previous state", () => {
    const r = run([[0, "running"], [1000, "exited"], [1200, "exited"], [1500, "exited"], [5000, "exited"], [70_000, "exited"]]);
    expect(r.alerts).toEqual(["1500:drift"]);
    const alert = r.actions.find((a) => a.type === "alert")!;
    expect(alert).toMatchObject({ desired: "running", observed: "exited", previous: "running" });
    expect(r.actions.filter((a) => a.type === "record").map((a) => a.at)).toEqual([1000]);
    expect(r.wakes[1]).toBe(1500); // the loop is asked to come back when the grace ends
  });

  test("drift then recovery: one drift alert, one recovered alert", () => {
    const r = run([[0, "running"], [1000, "exited"], [1600, "exited"], [3000, "running"], [4000, "running"]]);
    expect(r.alerts).toEqual(["1600:drift", "3000:recovered"]);
    expect(r.actions.find((a) => a.type === "alert" && a.kind === "recovered")).toMatchObject({ observed: "running", previous: "exited" });
  });

  test("a restart policy bringing the container straight back is not drift", () => {
    const r = run([[0, "running"], [1000, "exited"], [1115, "running"], [5000, "running"]]);
    expect(r.alerts).toEqual([]);
    expect(r.actions.filter((a) => a.type === "record")).toHaveLength(2);
  });

  test("a restart loop: one flapping alert, then recovered once stable for the flap window", () => {
    const loop: [number, ObservedState][] = [[0, "running"]];
    for (let t = 1000; t <= 6000; t += 1000) loop.push([t, "exited"], [t + 115, "running"]);
    loop.push([20_000, "running"], [61_115, "running"], [66_200, "running"]);
    const r = run(loop);
    expect(r.alerts).toEqual(["2000:flapping", "66200:recovered"]);
  });

  test("desired stopped and stopped: nothing; desired stopped but running: drift", () => {
    expect(run([[0, "stopped"], [1000, "stopped"]], { desired: "stopped", recorded: "stopped" }).actions).toEqual([]);
    expect(run([[0, "stopped"], [1000, "running"], [2000, "running"]], { desired: "stopped", recorded: "stopped" }).alerts).toEqual(["2000:drift"]);
  });

  test("ignore never alerts, whatever happens", () => {
    const r = run([[0, "running"], [1, "exited"], [2, "running"], [3, "exited"], [10_000, "removed"]], { desired: "ignore" });
    expect(r.alerts).toEqual([]);
  });

  test("the first listing after start records but never alerts, even later, for what it found", () => {
    const r = run([[0, "exited"], [1000, "exited"], [600_000, "exited"]], { silentFirst: true, recorded: "running" });
    expect(r.alerts).toEqual([]);
    expect(r.actions.filter((a) => a.type === "record")).toHaveLength(1);
  });

  test("a second incident inside the cooldown is suppressed (and so is its recovery)", () => {
    const r = run([[0, "running"], [1000, "exited"], [2000, "exited"], [3000, "running"], [100_000, "exited"], [101_000, "exited"], [102_000, "running"]]);
    expect(r.alerts).toEqual(["2000:drift", "3000:recovered"]);
    expect(r.actions.filter((a) => a.type === "suppress").map((a) => a.at)).toEqual([101_000]);
  });

  test("after the cooldown a new incident alerts again", () => {
    const r = run([[0, "running"], [1000, "exited"], [2000, "exited"], [3000, "running"], [2_000_000, "exited"], [2_001_000, "exited"]]);
    expect(r.alerts).toEqual(["2000:drift", "3000:recovered", "2001000:drift"]);
  });

  test("while mcp operates on the service (busy), its transitions count for nothing", () => {
    const r = run([[0, "running"], [1000, "exited"], [1100, "removed"], [1300, "running"], [5000, "running"]], { busyAt: (t) => t >= 900 && t < 3000 });
    expect(r.actions).toEqual([]);
    expect(r.trackers.get("svc/api")!.changes).toEqual([]);
  });

  test("reconcile: asks to bring the component back, with capped exponential backoff", () => {
    const steps: [number, ObservedState][] = [[0, "running"], [1000, "exited"], [1500, "exited"], [2000, "exited"], [3000, "exited"], [5000, "exited"], [9000, "exited"]];
    const r = run(steps, { rules: { reconcile: true } });
    expect(r.actions.filter((a) => a.type === "reconcile").map((a) => `${a.at}#${a.type === "reconcile" ? a.attempt : 0}`)).toEqual(["1000#1", "2000#2", "5000#3", "9000#4"]);
  });
});

describe("monitor plan: what the alerts say was before", () => {
  test("a drift first seen while the service was busy still names the state before it (from the registry)", () => {
    const r = run([[0, "running"], [1000, "exited"], [4000, "exited"], [4600, "exited"]], { busyAt: (t) => t < 3000 });
    expect(r.alerts).toEqual(["4600:drift"]);
    expect(r.actions.find((a) => a.type === "alert")).toMatchObject({ observed: "exited", previous: "running" });
  });

  test("recovered names the state it recovered from", () => {
    const r = run([[0, "running"], [1000, "exited"], [1600, "exited"], [3000, "running"]]);
    expect(r.actions.filter((a) => a.type === "alert").map((a) => (a.type === "alert" ? `${a.kind}:${a.previous}→${a.observed}` : ""))).toEqual([
      "drift:running→exited",
      "recovered:exited→running",
    ]);
  });
});

describe("drift grace only where a restart policy may bring the container back (issue 15)", () => {
  const view = (selfRestarting: boolean): ComponentView => ({
    service: "s", component: "c", desired: "running", observed: "exited", recorded: "running", containerId: "id", exitCode: 137, selfRestarting,
  });
  const rules: MonitorRules = { flapThreshold: 3, flapWindowMs: 600_000, cooldownMs: 900_000, driftGraceMs: 500, reconcile: false };
  test("no restart policy: the drift is alerted at once", () => {
    const out = plan({ components: [view(false)], trackers: new Map(), now: 1000, silent: false, busy: () => false, rules });
    expect(out.actions.filter((a) => a.type === "alert").map((a) => (a as { kind: string }).kind)).toEqual(["drift"]);
  });
  test("a restart policy: it waits the grace first", () => {
    const out = plan({ components: [view(true)], trackers: new Map(), now: 1000, silent: false, busy: () => false, rules });
    expect(out.actions.filter((a) => a.type === "alert")).toEqual([]);
    expect(out.wakeAt).toBe(1500);
  });
});
