import { describe, expect, test } from "bun:test";
import { createLocks, deployService, rollbackService, rollbackTarget, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { isMcpError } from "../../../src/lib/errors.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { getService, listDeployments, openDb, type DeploymentRecord } from "../../../src/node/store/index.ts";

const V1 = "registry.example.net:8443/app:v1";
const V2 = "registry.example.net:8443/app:v2";
const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);

function setup() {
  const runtime = new FakeRuntime();
  runtime.addRemoteImage(V1, { digest: D1 });
  runtime.addRemoteImage(V2, { digest: D2 });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "n1", runtime, db, journal: createJournal(db), clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const comp = (name: string, image: string, extra: Partial<ComponentSpec> = {}): ComponentSpec => ({
    name, image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...extra,
  });
  const deploy = (...components: ComponentSpec[]) =>
    deployService(deps, { service: { name: "app", node: "n1", active: true, components }, component: "", force: false, lockWaitMs: 0 }, () => {});
  const rollback = (component = "") => rollbackService(deps, { service: "app", component, lockWaitMs: 0 }, () => {});
  /** From here on every pull fails: the registry is gone. */
  const registryDown = () => {
    let pulls = 0;
    runtime.pull = async () => {
      pulls++;
      throw new Error("dial tcp 127.0.0.1:5000: connect: connection refused");
    };
    return () => pulls;
  };
  return { runtime, db, deps, comp, deploy, rollback, registryDown };
}

function rec(id: number, outcome: DeploymentRecord["outcome"], specHash: string, imageDigest: string): DeploymentRecord {
  return { id, service: "s", component: "c", spec: {} as ComponentSpec, specHash, imageDigest, version: "", startedAt: 0, finishedAt: 0, outcome, message: "", batch: 1 };
}

describe("rollbackTarget", () => {
  test("the newest ok deployment that differs from what runs; failed and rolled-back ones are skipped", () => {
    const history = [rec(5, "ok", "h2", "d2"), rec(4, "rolled_back", "h3", "d3"), rec(3, "failed", "h4", "d4"), rec(2, "ok", "h1", "d1"), rec(1, "ok", "h0", "d0")];
    expect(rollbackTarget({ specHash: "h2", imageDigest: "d2" }, history)?.id).toBe(2);
    // A tag that moved: same spec, another digest, is a different deployment.
    expect(rollbackTarget({ specHash: "h1", imageDigest: "dX" }, [rec(1, "ok", "h1", "d1")])?.id).toBe(1);
    expect(rollbackTarget({ specHash: "h1", imageDigest: "d1" }, [rec(1, "ok", "h1", "d1")])).toBeNull();
  });
});

describe("rollback", () => {
  test("goes back to the previous version by digest, with the registry down, and records it", async () => {
    const { runtime, db, comp, deploy, rollback, registryDown } = setup();
    await deploy(comp("api", V1));
    await deploy(comp("api", V2));
    const pulls = registryDown();
    const r = await rollback();
    expect(pulls()).toBe(0);
    expect(r.results).toEqual([
      expect.objectContaining({ component: "api", status: "ok", version: "v1", message: expect.stringMatching(/^running v1 \(rollback to deployment #1\)$/) }),
    ]);
    const [c] = runtime.dump().containers;
    expect(c).toMatchObject({ state: "running", image: `registry.example.net:8443/app@${D1}` });
    expect(getService(db, "app")!.components[0]).toMatchObject({ version: "v1", imageDigest: D1, desired: "running", observed: "running" });
    expect(listDeployments(db, "app", "api").map((d) => [d.id, d.version, d.outcome])).toEqual([[3, "v1", "ok"], [2, "v2", "ok"], [1, "v1", "ok"]]);
  });

  test("a second rollback goes forward again (toggles between the last two)", async () => {
    const { runtime, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1));
    await deploy(comp("api", V2));
    await rollback();
    const r = await rollback();
    expect(r.results[0]).toMatchObject({ status: "ok", version: "v2" });
    expect(runtime.dump().containers[0]!.image).toBe(`registry.example.net:8443/app@${D2}`);
  });

  test("a redeploy of the rolled-back-to definition is unchanged (same spec label, same image)", async () => {
    const { runtime, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1));
    await deploy(comp("api", V2));
    await rollback();
    const before = runtime.dump().containers[0]!.id;
    const r = await deploy(comp("api", V1));
    expect(r.results[0]!.status).toBe("unchanged");
    expect(runtime.dump().containers[0]!.id).toBe(before);
  });

  test("a version rolled back by its own deploy is skipped: the target is the last one that was ok", async () => {
    const { runtime, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1));
    runtime.setImageBehaviour(V2, "exits", 3);
    expect((await deploy(comp("api", V2))).results[0]!.status).toBe("rolled_back");
    // v1 runs; its only earlier ok deployment is itself.
    await expect(rollback()).rejects.toThrow(/app has no earlier successful deployment to roll back to/);
  });

  test("a rollback whose target fails its gate puts the current version back (status rolled_back)", async () => {
    const { runtime, comp, deploy, rollback } = setup();
    const health = { cmd: ["true"], intervalMs: 5, timeoutMs: 50, retries: 2 };
    await deploy(comp("api", V1, { health }));
    await deploy(comp("api", V2, { health }));
    runtime.setProbe(`registry.example.net:8443/app@${D1}`, { code: 1, output: "not ready" });
    runtime.setProbe(V1, { code: 1, output: "not ready" });
    const r = await rollback();
    expect(r.results[0]).toMatchObject({ status: "rolled_back", version: "v2" });
    expect(runtime.dump().containers[0]).toMatchObject({ state: "running", image: `registry.example.net:8443/app@${D2}` });
  });

  test("per component: only the named one; components with nothing earlier are unchanged", async () => {
    const { runtime, db, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1), comp("web", V1));
    await deploy(comp("api", V2), comp("web", V1));
    await expect(rollback("web")).rejects.toThrow(/app\/web has no earlier successful deployment/);
    const all = await rollback();
    expect(all.results.map((x) => [x.component, x.status, x.version])).toEqual([["api", "ok", "v1"], ["web", "unchanged", "v1"]]);
    expect(runtime.dump().containers.length).toBe(2);
    expect(getService(db, "app")!.components.map((c) => c.version)).toEqual(["v1", "v1"]);
  });

  test("the whole service: only what the last deploy changed goes back; a named component goes back regardless", async () => {
    const { runtime, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1), comp("web", V1));
    await deploy(comp("api", V2), comp("web", V1));
    await deploy(comp("api", V2), comp("web", V2));
    const r = await rollback();
    expect(r.results.map((x) => [x.component, x.status, x.version])).toEqual([["api", "unchanged", "v2"], ["web", "ok", "v1"]]);
    expect(r.results[0]!.message).toBe("not changed by the last deploy (to roll it back anyway: mcp rollback app/api)");
    // Again: the rollback was the last change, so web goes forward again.
    expect((await rollback()).results.map((x) => [x.component, x.version])).toEqual([["api", "v2"], ["web", "v2"]]);
    expect((await rollback("api")).results).toEqual([expect.objectContaining({ component: "api", status: "ok", version: "v1" })]);
    expect(runtime.dump().containers.length).toBe(2);
  });

  test("refused: unknown service, unknown component, nothing earlier; nothing changes", async () => {
    const { runtime, db, deps, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1));
    const before = JSON.stringify(runtime.dump());
    const codeOf = async (p: Promise<unknown>) => p.then(() => "resolved", (e) => (isMcpError(e) ? e.code : String(e)));
    expect(await codeOf(rollbackService(deps, { service: "nope", component: "", lockWaitMs: 0 }, () => {}))).toBe("not_found");
    expect(await codeOf(rollback("nope"))).toBe("invalid_argument");
    expect(await codeOf(rollback())).toBe("failed_precondition");
    expect(JSON.stringify(runtime.dump())).toBe(before);
    expect(listDeployments(db, "app", "api").length).toBe(1);
  });

  test("an image no longer on the node fails that component clearly and touches nothing", async () => {
    const { runtime, comp, deploy, rollback } = setup();
    await deploy(comp("api", V1));
    await deploy(comp("api", V2));
    runtime.getImage = async () => null;
    const before = runtime.dump().containers[0]!.id;
    const r = await rollback();
    expect(r.results[0]).toMatchObject({ status: "failed", message: expect.stringMatching(/image of deployment #1 \(registry.example.net:8443\/app@sha256:1{64}\) is no longer on this node/) });
    expect(runtime.dump().containers[0]).toMatchObject({ id: before, state: "running" });
  });

  test("waits for a deploy of the same service, and gives up after its lock wait", async () => {
    const { deps, comp, deploy } = setup();
    await deploy(comp("api", V1));
    await deploy(comp("api", V2));
    const release = await deps.locks.acquire("service app", { waitMs: 10 });
    const said: string[] = [];
    await expect(rollbackService(deps, { service: "app", component: "", lockWaitMs: 30 }, (p) => said.push(p.message))).rejects.toThrow(
      /another operation on service app is still running after 0s/,
    );
    expect(said[0]).toMatch(/^waiting for another operation on app/);
    release();
    const r = await rollbackService(deps, { service: "app", component: "", lockWaitMs: 30 }, () => {});
    expect(r.results[0]!.version).toBe("v1");
  });
});
