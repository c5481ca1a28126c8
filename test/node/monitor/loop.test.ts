import { afterEach, describe, expect, test } from "bun:test";
import { containerSpecFor, createLocks, deployService, startService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { createHandlers } from "../../../src/node/agent/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { createAlerter, createJournal, startMonitor, type ExecFn, type Monitor } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { getService, openDb } from "../../../src/node/store/index.ts";
import { waitFor } from "../../support/mcp.ts";

const IMG = "registry.example.net/app:v1";
const spec: ComponentSpec = { name: "api", image: IMG, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] };

let monitor: Monitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
});

async function setup(o: { reconcile?: boolean; exec?: ExecFn; log?: typeof silentLogger; beforeStart?: (r: FakeRuntime) => void } = {}) {
  const runtime = new FakeRuntime();
  runtime.addRemoteImage(IMG);
  const db = openDb(":memory:");
  const journal = createJournal(db);
  const clock = { now: () => Date.now() };
  const locks = createLocks();
  const deps: DeployDeps = { node: "n1", runtime, db, journal, clock, log: silentLogger, locks, stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000 };
  await deployService(deps, { service: { name: "app", node: "n1", active: true, components: [spec] }, component: "", force: false, lockWaitMs: 0 }, () => {});
  const calls: { argv: string[]; env: Record<string, string>; stdin: string }[] = [];
  const exec: ExecFn = o.exec ?? (async (argv, env, stdin) => void calls.push({ argv, env, stdin }));
  o.beforeStart?.(runtime);
  const log = o.log ?? silentLogger;
  monitor = await startMonitor({
    runtime, db, journal, clock, log,
    alerter: createAlerter({ command: ["notify", "--now"], exec, journal, log, clock, node: "n1" }),
    rules: { flapThreshold: 3, flapWindowMs: 60_000, cooldownMs: 900_000, driftGraceMs: 50, reconcile: !!o.reconcile },
    resyncMs: 60_000, retentionMs: 86_400_000,
    busy: (s) => locks.isHeld(`service ${s}`),
    reconcile: async (service, component) => void (await startService(deps, { service, component })),
  });
  return { runtime, db, journal, calls };
}

describe("the monitor loop (fake runtime)", () => {
  test("a crash becomes one drift alert: the command gets the MCP_* environment and the JSON on stdin", async () => {
    const { runtime, db, calls } = await setup();
    runtime.crash("app-api", 137);
    await waitFor(() => calls.length > 0, "the alert command");
    expect(calls[0]!.argv).toEqual(["notify", "--now"]);
    expect(calls[0]!.env).toMatchObject({ MCP_ALERT_KIND: "drift", MCP_NODE: "n1", MCP_SERVICE: "app", MCP_COMPONENT: "api", MCP_DESIRED: "running", MCP_OBSERVED: "exited", MCP_PREVIOUS: "running" });
    expect(JSON.parse(calls[0]!.stdin)).toMatchObject({ kind: "drift", service: "app", message: expect.stringContaining("drifted") });
    expect(getService(db, "app")!.components[0]!.observed).toBe("exited");
    expect(monitor!.live().get("app-api")?.state).toBe("exited");
  });

  test("live watchers of the journal see the observed change and the alert", async () => {
    const { runtime, journal } = await setup();
    const seen: string[] = [];
    journal.subscribe((e) => seen.push(e.kind));
    runtime.crash("app-api", 1);
    await waitFor(() => seen.includes("drift"), "the drift event");
    expect(seen).toEqual(["observed", "drift"]);
  });

  test("a failing or hanging alert command never stalls the monitor", async () => {
    let n = 0;
    const { runtime, db } = await setup({
      exec: async () => {
        n++;
        if (n === 1) await new Promise(() => {}); // hangs (the real one is killed after 30 s)
        throw new Error("boom");
      },
    });
    runtime.crash("app-api", 1);
    await waitFor(() => n === 1, "the first alert");
    await runtime.start("app-api");
    await waitFor(() => getService(db, "app")!.components[0]!.observed === "running", "the recovery to be recorded");
    await waitFor(() => n === 2, "the recovered alert despite the hung first command");
  });

  test("reconcile = true brings a crashed component back, and recreates a removed one", async () => {
    const { runtime, db } = await setup({ reconcile: true });
    runtime.crash("app-api", 1);
    await waitFor(() => runtime.dump().containers[0]?.state === "running" && getService(db, "app")!.components[0]!.observed === "running", "the restart");
    await runtime.remove("app-api");
    await waitFor(() => runtime.dump().containers[0]?.state === "running", "the recreation");
    expect(runtime.dump().containers[0]!.labels).toEqual(containerSpecFor("n1", "app", spec).labels);
  });
});

describe("the monitor loop: robustness and cost", () => {
  test("when the event stream dies it is restarted (after a listing), and events flow again", async () => {
    const warnings: string[] = [];
    const { runtime, db } = await setup({
      log: { ...silentLogger, warn: (m: string) => void warnings.push(m) },
      beforeStart: (r) => r.failNext("watch", new Error("podman events: broken pipe")),
    });
    await waitFor(() => warnings.includes("event stream ended; restarting it"), "the restart");
    // The restarted stream delivers: a crash is seen without waiting for a resync.
    await waitFor(async () => {
      if (getService(db, "app")!.components[0]!.observed === "exited") return true;
      if (runtime.dump().containers[0]!.state === "running") runtime.crash("app-api", 1);
      return false;
    }, "the crash through the restarted stream", 5000);
  });

  test("ps, status and list make no runtime call", async () => {
    const { runtime, db, journal } = await setup();
    const calls: string[] = [];
    const counting = new Proxy(runtime, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? (...a: unknown[]) => (calls.push(String(prop)), v.apply(target, a)) : v;
      },
    });
    const deps: DeployDeps = { node: "n1", runtime: counting, db, journal, clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(), stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000 };
    const api = createHandlers(deps, monitor!.live);
    const ctx = { method: "x", identity: { name: "t", role: "viewer" }, peer: "p", signal: new AbortController().signal };
    const ps = await api.liveCheck(ctx);
    expect(ps.components[0]).toMatchObject({ service: "app", component: "api", state: "running", version: "v1" });
    expect(ps.components[0]!.startedAt).toBeGreaterThan(0);
    await api.getServiceStatus({ service: "", eventLimit: 5 }, ctx);
    await api.listServices(ctx);
    expect(calls).toEqual([]);
  });
});

describe("the live view right after mcp's own operations", () => {
  test("a deploy's inspection reaches the live view at once (ps shows its uptime without waiting for events)", async () => {
    const { runtime, db, journal } = await setup();
    const live = monitor!.live();
    const deps: DeployDeps = {
      node: "n1", runtime, db, journal, clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(),
      stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000, seen: (c) => live.observe(c, Date.now()),
    };
    await monitor!.stop(); // no events from here on: only the deploy's own inspection can update the view
    monitor = undefined;
    await deployService(deps, { service: { name: "app", node: "n1", active: true, components: [spec] }, component: "", force: true, lockWaitMs: 0 }, () => {});
    const box = live.get("app-api")!;
    expect(box.state).toBe("running");
    expect(box.id).toBe(runtime.dump().containers[0]!.id);
    expect(box.startedAt).toBeGreaterThan(0);
  });
});
