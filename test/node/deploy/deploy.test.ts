import { describe, expect, test } from "bun:test";
import { createLocks, deployService, restartService, startService, stopService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { McpError } from "../../../src/lib/errors.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { FakeRuntime, type ComponentSpec, type ServiceDef } from "../../../src/node/runtime/index.ts";
import { getService, lastDeployment, listDeployments, openDb, recentEvents } from "../../../src/node/store/index.ts";

const IMG1 = "registry.example.net:8443/metacrypt:v1.0.0";
const IMG2 = "registry.example.net:8443/metacrypt:v1.1.0";

function comp(name: string, image = IMG1, extra: Partial<ComponentSpec> = {}): ComponentSpec {
  return { name, image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...extra };
}

function setup() {
  let now = 1_000_000;
  const runtime = new FakeRuntime({ clock: { now: () => now } });
  runtime.addRemoteImage(IMG1, { digest: "sha256:" + "1".repeat(64) });
  runtime.addRemoteImage(IMG2, { digest: "sha256:" + "2".repeat(64) });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "rift", runtime, db, journal: createJournal(db), clock: { now: () => (now += 1000) }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 2000, defaultLockWaitMs: 5000,
  };
  return { runtime, db, deps };
}

const svc = (components: ComponentSpec[], name = "metacrypt"): ServiceDef => ({ name, node: "rift", active: true, components });
const deploy = (deps: DeployDeps, def: ServiceDef, o: { component?: string; force?: boolean } = {}) =>
  deployService(deps, { service: def, component: o.component ?? "", force: o.force ?? false, lockWaitMs: 0 }, () => {});

describe("deploy", () => {
  test("creates labelled containers in definition order and records everything", async () => {
    const { runtime, db, deps } = setup();
    const out = await deploy(deps, svc([comp("api"), comp("web", IMG2)]));
    expect(out.results.map((r) => [r.component, r.status, r.version, r.containerName])).toEqual([
      ["api", "ok", "v1.0.0", "metacrypt-api"],
      ["web", "ok", "v1.1.0", "metacrypt-web"],
    ]);
    const c = runtime.dump().containers.find((x) => x.name === "metacrypt-api")!;
    expect(c.state).toBe("running");
    expect(c.labels).toMatchObject({ "mcp.node": "rift", "mcp.service": "metacrypt", "mcp.component": "api" });
    expect(c.labels["mcp.spec"]).toMatch(/^[0-9a-f]{16,}$/);
    const rec = getService(db, "metacrypt")!;
    expect(rec.components.map((x) => [x.name, x.desired, x.observed, x.version])).toEqual([
      ["api", "running", "running", "v1.0.0"],
      ["web", "running", "running", "v1.1.0"],
    ]);
    expect(rec.components[0]!.imageDigest).toBe("sha256:" + "1".repeat(64));
    expect(lastDeployment(db, "metacrypt", "api")!.outcome).toBe("ok");
  });

  test("a component named like its service gets the service's name as container name (mc-proxy)", async () => {
    const { runtime, deps } = setup();
    await deploy(deps, svc([comp("mc-proxy")], "mc-proxy"));
    expect(runtime.dump().containers.map((c) => c.name)).toEqual(["mc-proxy"]);
  });

  test("a second identical deploy is unchanged and creates no container; --force redeploys", async () => {
    const { runtime, deps } = setup();
    await deploy(deps, svc([comp("api")]));
    const id = runtime.dump().containers[0]!.id;
    const again = await deploy(deps, svc([comp("api")]));
    expect(again.results[0]!.status).toBe("unchanged");
    expect(runtime.dump().containers[0]!.id).toBe(id);
    const forced = await deploy(deps, svc([comp("api")]), { force: true });
    expect(forced.results[0]!.status).toBe("ok");
    expect(runtime.dump().containers[0]!.id).not.toBe(id);
    expect(runtime.dump().containers).toHaveLength(1);
  });

  test("unchanged is decided from one listing; when the listing fails, from an inspect; a container changed by hand is replaced", async () => {
    const { runtime, deps } = setup();
    const three = svc([comp("a"), comp("b"), comp("c")]);
    await deploy(deps, three);
    const ids = runtime.dump().containers.map((c) => c.id);
    runtime.failNext("list", new Error("podman ps hung"));
    expect((await deploy(deps, three)).results.map((r) => r.status)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(runtime.dump().containers.map((c) => c.id)).toEqual(ids);
    runtime.crash(`${three.name}-b`, 137);
    expect((await deploy(deps, three)).results.map((r) => r.status)).toEqual(["unchanged", "ok", "unchanged"]);
    expect(runtime.dump().containers).toHaveLength(3);
  });

  test("a step that stalls is named in the result, the old version goes back, and the outcome is recorded", async () => {
    const { runtime, db, deps } = setup();
    await deploy(deps, svc([comp("api")]));
    const before = runtime.dump().containers[0]!.id;
    runtime.failNext("remove", new McpError("deadline_exceeded", "podman rm did not answer within 30s"));
    const r = await deploy(deps, svc([comp("api", IMG1, { env: ["NEW=1"] })]));
    expect(r.results[0]!.status).toBe("rolled_back");
    expect(r.results[0]!.message).toMatch(/^rolled back: replacing the old container metacrypt-api: podman rm did not answer within 30s; v1.0.0 is still running \(its container was never replaced\)$/);
    expect(listDeployments(db, "metacrypt", "api")[0]).toMatchObject({ outcome: "rolled_back", message: expect.stringContaining("replacing the old container") });
    // The old container was never touched: it is left running, not created again.
    expect(runtime.dump().containers).toEqual([expect.objectContaining({ name: "metacrypt-api", state: "running", id: before })]);
  });

  test("a failed pull changes nothing: old container runs, deployed spec kept", async () => {
    const { runtime, db, deps } = setup();
    await deploy(deps, svc([comp("api")]));
    const before = runtime.dump().containers[0]!;
    const out = await deploy(deps, svc([comp("api", "registry.example.net:8443/metacrypt:v9-missing")]));
    expect(out.results[0]).toMatchObject({ status: "failed" });
    expect(out.results[0]!.message).toMatch(/^pull failed/);
    const after = runtime.dump().containers[0]!;
    expect(after).toMatchObject({ id: before.id, state: "running", image: IMG1 });
    expect(getService(db, "metacrypt")!.components[0]!.spec.image).toBe(IMG1);
    expect(listDeployments(db, "metacrypt", "api")).toHaveLength(1);
    expect(recentEvents(db, { limit: 5 }).at(-1)!.kind).toBe("deploy-failed");
  });

  test("a pull that fails for an image present locally deploys it, with a warning", async () => {
    const { runtime, deps } = setup();
    runtime.addImage("registry.example.net:8443/cached:v1");
    const out = await deploy(deps, svc([comp("api", "registry.example.net:8443/cached:v1")]));
    expect(out.results[0]!.status).toBe("ok");
    expect(out.warnings.join()).toMatch(/pull of registry.example.net:8443\/cached:v1 failed.*local image/);
  });

  test("localhost/ images are taken from local storage, never pulled", async () => {
    const { runtime, deps } = setup();
    runtime.addImage("localhost/built-here:v1");
    const out = await deploy(deps, svc([comp("api", "localhost/built-here:v1")]));
    expect(out).toMatchObject({ results: [{ status: "ok" }], warnings: [] });
    const missing = await deploy(deps, svc([comp("web", "localhost/not-built:v1")]));
    expect(missing.results[0]!.message).toMatch(/not in this node's local storage/);
  });

  test("a container that exits at once fails the component; others still deploy", async () => {
    const { runtime, db, deps } = setup();
    runtime.setImageBehaviour(IMG2, "exits", 3);
    const out = await deploy(deps, svc([comp("api", IMG2), comp("web")]));
    expect(out.results.map((r) => r.status)).toEqual(["failed", "ok"]);
    expect(out.results[0]!.message).toMatch(/exited at once \(exit code 3\)/);
    expect(lastDeployment(db, "metacrypt", "api")!.outcome).toBe("failed");
    // Nothing ever passed: recorded desired stopped, so nothing (a boot start, a reconcile) runs it again.
    expect(getService(db, "metacrypt")!.components[0]).toMatchObject({ desired: "stopped", observed: "stopped" });
  });

  test("a component filter deploys one component; one that matches nothing is refused", async () => {
    const { runtime, deps } = setup();
    await deploy(deps, svc([comp("api"), comp("web")]), { component: "web" });
    expect(runtime.dump().containers.map((c) => c.name)).toEqual(["metacrypt-web"]);
    await expect(deploy(deps, svc([comp("api")]), { component: "nope" })).rejects.toThrow(/has no component "nope"/);
  });

  test("deploys of one service are serialized; the second is told it waits", async () => {
    const { deps } = setup();
    const said: string[] = [];
    const a = deploy(deps, svc([comp("api")]));
    const b = deployService(deps, { service: svc([comp("api")]), component: "", force: true, lockWaitMs: 0 }, (p) => said.push(p.message));
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.results[0]!.status).toBe("ok");
    expect(rb.results[0]!.status).toBe("ok");
    expect(said[0]).toMatch(/^waiting for another operation on metacrypt/);
  });
});

describe("stop, start, restart", () => {
  test("stop sets desired stopped and stops; start brings it back; the service's active flag follows", async () => {
    const { runtime, db, deps } = setup();
    await deploy(deps, svc([comp("api")]));
    const stopped = await stopService(deps, { service: "metacrypt", component: "" });
    expect(stopped[0]!.status).toBe("ok");
    expect(runtime.dump().containers[0]!.state).toBe("exited");
    expect(getService(db, "metacrypt")).toMatchObject({ active: false, components: [{ desired: "stopped", observed: "stopped" }] });
    // Idempotent.
    expect((await stopService(deps, { service: "metacrypt", component: "" }))[0]!.status).toBe("ok");
    await startService(deps, { service: "metacrypt", component: "" });
    expect(getService(db, "metacrypt")).toMatchObject({ active: true, components: [{ desired: "running", observed: "running" }] });
  });

  test("per-component stop leaves the service active", async () => {
    const { db, deps } = setup();
    await deploy(deps, svc([comp("api"), comp("web")]));
    await stopService(deps, { service: "metacrypt", component: "web" });
    const s = getService(db, "metacrypt")!;
    expect(s.active).toBe(true);
    expect(s.components.map((c) => c.desired)).toEqual(["running", "stopped"]);
  });

  test("start recreates a component whose container is gone, from its deployed spec", async () => {
    const { runtime, deps } = setup();
    await deploy(deps, svc([comp("api", IMG1, { env: ["A=1"], ports: ["127.0.0.1:8080:80"] })]));
    await runtime.remove("metacrypt-api");
    const r = await startService(deps, { service: "metacrypt", component: "" });
    expect(r[0]!.message).toMatch(/recreated/);
    const c = await runtime.inspect("metacrypt-api");
    expect(c).toMatchObject({ state: "running", env: ["A=1"], ports: ["127.0.0.1:8080:80"] });
  });

  test("start recreates by the recorded digest, not the tag, which may have moved since (issue 15)", async () => {
    const { runtime, deps } = setup();
    await deploy(deps, svc([comp("api", IMG1)]));
    const deployedId = (await runtime.inspect("metacrypt-api"))!.imageId;
    // The tag moves to another image; the container goes.
    runtime.addImage(IMG1, { digest: `sha256:${"9".repeat(64)}` });
    await runtime.remove("metacrypt-api");
    const r = await startService(deps, { service: "metacrypt", component: "" });
    expect(r[0]!.message).toBe("recreated from its deployed spec (by digest) and started");
    const c = await runtime.inspect("metacrypt-api");
    expect(c!.imageId).toBe(deployedId);
    expect(c!.image).toMatch(/@sha256:/);
  });

  test("restart keeps desired state; a missing container is a clear failure", async () => {
    const { runtime, db, deps } = setup();
    await deploy(deps, svc([comp("api")]));
    expect((await restartService(deps, { service: "metacrypt", component: "" }))[0]!.status).toBe("ok");
    await runtime.remove("metacrypt-api");
    const r = await restartService(deps, { service: "metacrypt", component: "" });
    expect(r[0]).toMatchObject({ status: "failed" });
    expect(r[0]!.message).toMatch(/no container to restart/);
    expect(getService(db, "metacrypt")!.components[0]!.desired).toBe("running");
  });

  test("an unknown service is not_found", async () => {
    const { deps } = setup();
    const err = await stopService(deps, { service: "ghost", component: "" }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe("not_found");
  });
});
