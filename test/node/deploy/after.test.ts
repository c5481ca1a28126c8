import { describe, expect, test } from "bun:test";
import { createLocks, deployService, startAfterBoot, startService, stopService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { FakeRuntime, type ComponentSpec, type ServiceDef } from "../../../src/node/runtime/index.ts";
import { openDb } from "../../../src/node/store/index.ts";

const IMG = "localhost/app:v1";
const BAD = "localhost/app:bad";
const comp = (name: string, after: string[] = [], image = IMG, extra: Partial<ComponentSpec> = {}): ComponentSpec => ({
  name, image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...(after.length ? { after } : {}), ...extra,
});

function setup() {
  let now = 1_000_000;
  const runtime = new FakeRuntime({ clock: { now: () => now } });
  runtime.addImage(IMG);
  runtime.addImage(BAD);
  runtime.setProbe(BAD, { code: 1, output: "not ready" });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "rift", runtime, db, journal: createJournal(db), clock: { now: () => (now += 1000) }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 2000, defaultLockWaitMs: 5000,
  };
  return { runtime, deps };
}
const svc = (components: ComponentSpec[]): ServiceDef => ({ name: "app", node: "rift", active: true, components });
const HEALTH = { cmd: ["ready"], intervalMs: 1, timeoutMs: 100, retries: 2 };

describe("component after (SPEC §7.2)", () => {
  test("a deploy starts components after those they name, whatever the definition's order", async () => {
    const { runtime, deps } = setup();
    const out = await deployService(deps, { service: svc([comp("web", ["api"]), comp("api", ["db"]), comp("db")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    expect(out.results.map((r) => r.component)).toEqual(["db", "api", "web"]);
    const created = runtime.dump().containers.sort((a, b) => a.startedAt - b.startedAt).map((c) => c.name);
    expect(created).toEqual(["app-db", "app-api", "app-web"]);
  });

  test("a component whose after failed its gate is not deployed, and says why", async () => {
    const { deps } = setup();
    const def = svc([comp("db", [], BAD, { health: HEALTH }), comp("web", ["db"])]);
    const out = await deployService(deps, { service: def, component: "", force: false, lockWaitMs: 0 }, () => {});
    expect(out.results.map((r) => [r.component, r.status])).toEqual([["db", "failed"], ["web", "failed"]]);
    expect(out.results[1]!.message).toBe("not deployed: db, which it comes after, did not deploy");
  });

  test("start goes in after order and stop the other way", async () => {
    const { deps } = setup();
    await deployService(deps, { service: svc([comp("web", ["db"]), comp("db")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    expect((await stopService(deps, { service: "app", component: "" })).map((r) => r.component)).toEqual(["web", "db"]);
    expect((await startService(deps, { service: "app", component: "" })).map((r) => r.component)).toEqual(["db", "web"]);
  });

  test("after a reboot, a service with after starts in that order", async () => {
    const { runtime, deps } = setup();
    await deployService(deps, { service: svc([comp("web", ["api"]), comp("api", ["db"]), comp("db")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    for (const c of await runtime.list()) await runtime.stop(c.name, 0);
    const listed = new Map((await runtime.list()).map((c) => [c.name, c]));
    const r = await startAfterBoot(deps, (n) => listed.get(n));
    expect(r).toEqual({ started: ["app/db", "app/api", "app/web"], failed: [] });
    const started = (await runtime.list()).sort((a, b) => a.startedAt - b.startedAt).map((c) => c.name);
    expect(started).toEqual(["app-db", "app-api", "app-web"]);
  });

  test("a first version that failed its gate, started by hand, is never unchanged: the next deploy runs the gate again", async () => {
    const { runtime, deps } = setup();
    const def = svc([comp("db", [], BAD, { health: HEALTH })]);
    const first = await deployService(deps, { service: def, component: "", force: false, lockWaitMs: 0 }, () => {});
    expect(first.results[0]!.status).toBe("failed");
    await startService(deps, { service: "app", component: "" }).catch(() => []);
    runtime.setProbe(BAD, { code: 0, output: "" });
    const again = await deployService(deps, { service: def, component: "", force: false, lockWaitMs: 0 }, () => {});
    expect(again.results[0]!.status).toBe("ok");
  });
});
