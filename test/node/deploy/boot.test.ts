// startAfterBoot (SPEC §7.7) over the fake runtime: what the hostile review
// found — a lock wait that ends must not reject (an unhandled rejection ends
// the agent), and an operator's stop during the boot start wins.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/lib/log.ts";
import { createLocks, deployService, startAfterBoot, stopService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { getService, openDb } from "../../../src/node/store/index.ts";

const IMAGE = "registry.example.net:8443/metacrypt:v1.0.0";
const comp = (name: string): ComponentSpec => ({ name, image: IMAGE, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });

async function setup(lockWaitMs = 5000) {
  let now = 1_000_000;
  const runtime = new FakeRuntime({ clock: { now: () => now } });
  runtime.addRemoteImage(IMAGE, { digest: `sha256:${"1".repeat(64)}` });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "rift", runtime, db, journal: createJournal(db), clock: { now: () => (now += 1000) }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 2000, defaultLockWaitMs: lockWaitMs,
  };
  for (const s of ["gone", "svc"]) {
    await deployService(deps, { service: { name: s, node: "rift", active: true, components: [comp("a")] }, component: "", force: false, lockWaitMs: 0 }, () => {});
  }
  await runtime.stop("svc-a", 1);
  await runtime.remove("gone-a");
  const state = (name: string) => runtime.dump().containers.find((c) => c.name === name);
  return { deps, db, runtime, state };
}

describe("startAfterBoot", () => {
  test("starts what is desired running and stopped, recreates what is gone, each an event", async () => {
    const { deps, db, state } = await setup();
    const r = await startAfterBoot(deps, state);
    expect(r).toEqual({ started: ["gone/a", "svc/a"], failed: [] });
    expect(state("svc-a")?.state).toBe("running");
    expect(state("gone-a")?.state).toBe("running");
    expect(getService(db, "svc")!.components[0]!.observed).toBe("running");
  });

  test("a lock it cannot get is a failure it reports, never a rejection", async () => {
    const { deps, state } = await setup(100);
    const release = await deps.locks.acquire("service svc", { waitMs: 0 });
    try {
      const r = await startAfterBoot(deps, state);
      expect(r.failed.map((f) => f.target)).toEqual(["svc/a"]);
    } finally {
      release();
    }
  });

  test("an operator's stop during the boot start wins: the component stays stopped", async () => {
    const { deps, db, state } = await setup();
    const [r] = await Promise.all([startAfterBoot(deps, state), stopService(deps, { service: "svc", component: "" })]);
    expect(getService(db, "svc")!.components[0]!.desired).toBe("stopped");
    expect(state("svc-a")?.state).not.toBe("running");
    expect(r.started).not.toContain("svc/a");
  });

  test("health checks after a boot run at most four at once (twelve components with cmd probes)", async () => {
    const { deps, runtime, state } = await setup();
    const withProbe = (name: string): ComponentSpec => ({ ...comp(name), health: { cmd: ["true"], intervalMs: 1000, timeoutMs: 1000, retries: 1 } });
    await deployService(deps, { service: { name: "many", node: "rift", active: true, components: Array.from({ length: 12 }, (_, i) => withProbe(`c${i}`)) }, component: "", force: false, lockWaitMs: 0 }, () => {});
    for (let i = 0; i < 12; i++) await runtime.stop(`many-c${i}`, 1);
    let inFlight = 0;
    let most = 0;
    const exec = runtime.exec.bind(runtime);
    runtime.exec = async (name, cmd, ms) => {
      most = Math.max(most, ++inFlight);
      await Bun.sleep(20);
      try {
        return await exec(name, cmd, ms);
      } finally {
        inFlight--;
      }
    };
    const r = await startAfterBoot(deps, state);
    expect(r.failed).toEqual([]);
    expect(r.started.filter((t) => t.startsWith("many/"))).toHaveLength(12);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
  });
});
