import { describe, expect, test } from "bun:test";
import { containerSpecFor, createLocks, deployService, recoverInterruptedDeployments, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { specHash } from "../../../src/servicedef/index.ts";
import { beginDeployment, getService, listDeployments, openDb } from "../../../src/node/store/index.ts";

const V1 = "registry.example.net/app:v1";
const V2 = "registry.example.net/app:v2";

function setup() {
  const runtime = new FakeRuntime();
  runtime.addImage(V1, { digest: "sha256:" + "1".repeat(64) });
  runtime.addImage(V2, { digest: "sha256:" + "2".repeat(64) });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "n1", runtime, db, journal: createJournal(db), clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const comp = (image: string): ComponentSpec => ({ name: "api", image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
  return { runtime, db, deps, comp };
}

describe("deployments an agent left pending", () => {
  test("the new container had been created: the registry takes its spec; the deployment is failed, saying it runs unchecked", async () => {
    const { runtime, db, deps, comp } = setup();
    await deployService(deps, { service: { name: "app", node: "n1", active: true, components: [comp(V1)] }, component: "", force: false, lockWaitMs: 0 }, () => {});
    // What a killed agent leaves: a pending deployment of v2, and the v2 container already in place.
    const v2 = comp(V2);
    beginDeployment(db, { service: "app", component: "api", spec: v2, specHash: specHash(v2), imageDigest: "sha256:" + "2".repeat(64), version: "v2" }, Date.now());
    await runtime.remove("app-api");
    await runtime.run(containerSpecFor("n1", "app", v2));
    expect(await recoverInterruptedDeployments(deps)).toBe(1);
    const rec = getService(db, "app")!.components[0]!;
    expect(rec).toMatchObject({ version: "v2", specHash: specHash(v2), observed: "running" });
    expect(rec.containerId).toBe(runtime.dump().containers[0]!.id);
    expect(listDeployments(db, "app", "api")[0]).toMatchObject({ outcome: "failed", message: expect.stringContaining("runs without its health gate") });
  });

  test("killed before the new container was created: the record stays; the deployment is failed as interrupted", async () => {
    const { db, deps, comp } = setup();
    await deployService(deps, { service: { name: "app", node: "n1", active: true, components: [comp(V1)] }, component: "", force: false, lockWaitMs: 0 }, () => {});
    const v2 = comp(V2);
    beginDeployment(db, { service: "app", component: "api", spec: v2, specHash: specHash(v2), imageDigest: "", version: "v2" }, Date.now());
    expect(await recoverInterruptedDeployments(deps)).toBe(1);
    expect(getService(db, "app")!.components[0]).toMatchObject({ version: "v1" });
    expect(listDeployments(db, "app", "api")[0]).toMatchObject({ outcome: "failed", message: "interrupted: the agent stopped before the new container was created" });
    expect(await recoverInterruptedDeployments(deps)).toBe(0);
  });
});
