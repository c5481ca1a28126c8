import { describe, expect, test } from "bun:test";
import { createLocks, deployService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { openDb } from "../../../src/node/store/index.ts";

const comp = (name: string, extra: Partial<ComponentSpec> = {}): ComponentSpec => ({
  name, image: "localhost/app:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...extra,
});

function deploy(limitsIgnored: boolean, components: ComponentSpec[]) {
  const runtime = new FakeRuntime();
  runtime.addImage("localhost/app:v1");
  const db = openDb(":memory:");
  let now = 1000;
  const deps: DeployDeps = {
    node: "rift", runtime, db, journal: createJournal(db), clock: { now: () => (now += 1000) }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000, limitsIgnored,
  };
  return deployService(deps, { service: { name: "app", node: "rift", active: true, components }, component: "", force: false, lockWaitMs: 0 }, () => {});
}

describe("resource limits podman cannot apply (rootless on cgroups v1)", () => {
  test("a deploy that sets them says which components run without them", async () => {
    const out = await deploy(true, [comp("api", { memory: "256m" }), comp("web"), comp("db", { pidsLimit: 100 })]);
    expect(out.results.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    expect(out.warnings).toEqual(["api, db: memory, cpus and pids_limit are not applied on node rift (rootless podman on cgroups v1 cannot; the containers run without those limits)"]);
  });

  test("no warning where podman applies them, or when none is set", async () => {
    expect((await deploy(false, [comp("api", { memory: "256m" })])).warnings).toEqual([]);
    expect((await deploy(true, [comp("api")])).warnings).toEqual([]);
  });
});
