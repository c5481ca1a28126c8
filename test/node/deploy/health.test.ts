import { describe, expect, test } from "bun:test";
import { createLocks, deployService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { imageByDigest } from "../../../src/node/deploy/health.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { getService, listDeployments, openDb } from "../../../src/node/store/index.ts";

const V1 = "registry.example.net:8443/app:v1";
const V2 = "registry.example.net:8443/app:v2";
const V3 = "registry.example.net:8443/app:v3";
const D1 = "sha256:" + "1".repeat(64);
const HEALTH = { cmd: ["wget", "-qO-", "http://127.0.0.1:8080/healthz"], intervalMs: 5, timeoutMs: 50, retries: 3 };

function setup() {
  const runtime = new FakeRuntime();
  runtime.addRemoteImage(V1, { digest: D1 });
  runtime.addRemoteImage(V2, { digest: "sha256:" + "2".repeat(64) });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "n1", runtime, db, journal: createJournal(db), clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const comp = (image: string, extra: Partial<ComponentSpec> = {}): ComponentSpec => ({
    name: "api", image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...extra,
  });
  const deploy = (spec: ComponentSpec) =>
    deployService(deps, { service: { name: "app", node: "n1", active: true, components: [spec] }, component: "", force: false, lockWaitMs: 0 }, () => {});
  return { runtime, db, deploy, comp };
}

describe("health gate and automatic rollback", () => {
  test("a healthy new version is ok", async () => {
    const { deploy, comp } = setup();
    const r = await deploy(comp(V1, { health: HEALTH }));
    expect(r.results[0]).toMatchObject({ status: "ok", version: "v1" });
  });

  test("a new image that exits at once: the previous spec runs again, by digest, and the history shows both", async () => {
    const { runtime, db, deploy, comp } = setup();
    await deploy(comp(V1));
    runtime.setImageBehaviour(V2, "exits", 2);
    const r = await deploy(comp(V2));
    expect(r.results[0]!.status).toBe("rolled_back");
    expect(r.results[0]!.version).toBe("v1");
    expect(r.results[0]!.message).toMatch(/^rolled back: the container exited at once \(exit code 2\); last log: started .*app:v2 \| exited with code 2; v1 is running again$/);
    const [c] = runtime.dump().containers;
    expect(c).toMatchObject({ state: "running", image: `registry.example.net:8443/app@${D1}` });
    expect(getService(db, "app")!.components[0]).toMatchObject({ version: "v1", observed: "running", imageDigest: D1 });
    expect(getService(db, "app")!.components[0]!.spec.image).toBe(V1);
    expect(listDeployments(db, "app", "api").map((d) => [d.version, d.outcome])).toEqual([["v2", "rolled_back"], ["v1", "ok"]]);
  });

  test("a health command that never succeeds: rolled back, with the probe's output", async () => {
    const { runtime, deploy, comp } = setup();
    await deploy(comp(V1, { health: HEALTH }));
    runtime.setProbe(V2, { code: 1, output: "wget: can't connect to remote host: Connection refused" });
    const r = await deploy(comp(V2, { health: HEALTH }));
    expect(r.results[0]!.status).toBe("rolled_back");
    expect(r.results[0]!.message).toMatch(/the health check \(cmd wget -qO- http:\/\/127.0.0.1:8080\/healthz\) failed 3 times .*; probe: wget: can't connect to remote host: Connection refused; last log: started/);
    expect(runtime.dump().containers[0]!.image).toBe(`registry.example.net:8443/app@${D1}`);
  });

  test("a probe that hangs counts as a failed try", async () => {
    const { runtime, deploy, comp } = setup();
    await deploy(comp(V1));
    runtime.setProbe(V2, "hang");
    const r = await deploy(comp(V2, { health: HEALTH }));
    expect(r.results[0]!.status).toBe("rolled_back");
    expect(r.results[0]!.message).toMatch(/probe: no answer within/);
  });

  test("a run that fails after the old container was removed puts the old one back", async () => {
    const { runtime, deploy, comp } = setup();
    await deploy(comp(V1));
    runtime.failNext("run", new Error("port 127.0.0.1:8080 is already in use"));
    const r = await deploy(comp(V2));
    expect(r.results[0]).toMatchObject({ status: "rolled_back", version: "v1" });
    expect(runtime.dump().containers[0]).toMatchObject({ state: "running" });
  });

  test("with no version that passed its gate the component fails, its container stopped and left for inspection (SPEC §7.7)", async () => {
    const { runtime, deploy, comp } = setup();
    runtime.setProbe(V2, { code: 1, output: "not yet" });
    const r = await deploy(comp(V2, { health: HEALTH }));
    expect(r.results[0]!.status).toBe("failed");
    expect(r.results[0]!.message).toMatch(/\(no version that passed its gate to go back to: left stopped\)$/);
    expect(runtime.dump().containers).toHaveLength(1);
    expect(runtime.dump().containers[0]!.state).not.toBe("running");
  });

  test("issue 15: a first version that failed, then a second that fails: nothing that never passed is put back", async () => {
    const { runtime, deploy, comp } = setup();
    runtime.setProbe(V2, { code: 1, output: "not yet" });
    await deploy(comp(V2, { health: HEALTH }));
    runtime.addRemoteImage(V3, { digest: `sha256:${"3".repeat(64)}` });
    runtime.setProbe(V3, { code: 1, output: "nor this" });
    const r = await deploy(comp(V3, { health: HEALTH }));
    expect(r.results[0]!.status).toBe("failed");
    expect(r.results[0]!.message).not.toMatch(/running again/);
    expect(runtime.dump().containers.filter((c) => c.state === "running")).toEqual([]);
  });

  test("imageByDigest", () => {
    expect(imageByDigest("registry.example.net:8443/app:v1", D1)).toBe(`registry.example.net:8443/app@${D1}`);
    expect(imageByDigest("registry.example.net:8443/app", D1)).toBe(`registry.example.net:8443/app@${D1}`);
    expect(imageByDigest(`r/app@${"sha256:" + "9".repeat(64)}`, D1)).toBe(`r/app@${D1}`);
    expect(imageByDigest("r/app:v1", "")).toBe("r/app:v1");
  });
});
