import { describe, expect, test } from "bun:test";
import {
  adoptService, containerSpecFor, createLocks, deployService, ownerOf, syncServices, type DeployDeps,
} from "../../../src/node/deploy/index.ts";
import { isMcpError } from "../../../src/lib/errors.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec, type ServiceDef } from "../../../src/node/runtime/index.ts";
import { getService, listServices, openDb } from "../../../src/node/store/index.ts";

const IMG = "registry.example.net/app:v1";

function setup() {
  const runtime = new FakeRuntime();
  runtime.addImage(IMG, { env: ["PATH=/bin", "LANG=C"] });
  const db = openDb(":memory:");
  const deps: DeployDeps = {
    node: "n1", runtime, db, journal: createJournal(db), clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const comp = (name: string, extra: Partial<ComponentSpec> = {}): ComponentSpec => ({
    name, image: IMG, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...extra,
  });
  /** A container started by hand (no mcp labels). */
  const byHand = async (name: string, extra: Partial<ComponentSpec> = {}) => {
    const spec = containerSpecFor("n1", "x", comp(name, extra));
    await runtime.run({ ...spec, name, labels: {} });
  };
  const def = (name: string, components: ComponentSpec[], active = true): ServiceDef => ({ name, node: "n1", active, components });
  return { runtime, db, deps, comp, byHand, def };
}

const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e) => (isMcpError(e) ? e.code : String(e)));

describe("ownerOf", () => {
  const box = (name: string, labels: Record<string, string> = {}) => ({ name, labels });
  test("labels first, then the longest known service that fits the name", () => {
    expect(ownerOf(box("mc-proxy"), ["mc", "mc-proxy"])).toEqual({ service: "mc-proxy", component: "mc-proxy", by: "name" });
    expect(ownerOf(box("mc-proxy"), ["mc"])).toEqual({ service: "mc", component: "proxy", by: "name" });
    expect(ownerOf(box("mcr-api"), ["mc", "mc-proxy", "mcr"])).toEqual({ service: "mcr", component: "api", by: "name" });
    expect(ownerOf(box("odd", { "mcp.service": "mcr", "mcp.component": "web" }), ["mcr"])).toEqual({ service: "mcr", component: "web", by: "label" });
    expect(ownerOf(box("mcr"), ["mc"])).toBeNull();
    expect(ownerOf(box("mc-"), ["mc"])).toBeNull();
  });
});

describe("adopt", () => {
  test("the complete spec from inspect; env only what differs from the image; desired mirrors what runs; containers untouched; idempotent", async () => {
    const { runtime, db, deps, byHand } = setup();
    await byHand("mcr-api", {
      network: "mcpnet", user: "1000:1000", restart: "unless-stopped", ports: ["127.0.0.1:8080:80", "8443:443"],
      volumes: ["/srv/a:/a", "/srv/b:/b:ro"], cmd: ["serve", "--port", "80"], env: ["MODE=prod"],
    });
    await byHand("mcr-web");
    await runtime.stop("mcr-web", 1);
    const before = JSON.stringify(runtime.dump().containers);
    const recs = await adoptService(deps, { service: "mcr", known: [] });
    expect(recs.map((r) => [r.name, r.desired, r.observed])).toEqual([["api", "running", "running"], ["web", "stopped", "stopped"]]);
    expect(recs[0]!.spec).toEqual({
      name: "api", image: IMG, network: "mcpnet", user: "1000:1000", restart: "unless-stopped", ports: ["127.0.0.1:8080:80", "8443:443"],
      volumes: ["/srv/a:/a", "/srv/b:/b:ro"], cmd: ["serve", "--port", "80"], env: ["MODE=prod"],
    });
    expect(JSON.stringify(runtime.dump().containers)).toBe(before);
    const again = await adoptService(deps, { service: "mcr", known: [] });
    expect(again.map((r) => r.specHash)).toEqual(recs.map((r) => r.specHash));
    expect(getService(db, "mcr")).toMatchObject({ active: true });
    expect(getService(db, "mcr")!.components).toHaveLength(2);
  });

  test("mc-proxy and mcr-api/mcr-web adopt as services mc-proxy and mcr; nothing left for mc", async () => {
    const { deps, byHand } = setup();
    for (const n of ["mc-proxy", "mcr-api", "mcr-web"]) await byHand(n);
    expect((await adoptService(deps, { service: "mc-proxy", known: ["mcr"] })).map((r) => r.name)).toEqual(["mc-proxy"]);
    expect((await adoptService(deps, { service: "mcr", known: ["mc-proxy"] })).map((r) => r.name)).toEqual(["api", "web"]);
    expect(await codeOf(adoptService(deps, { service: "mc", known: [] }))).toBe("not_found");
  });

  test("refused: no match; a container another registered service owns; a component name that is not a valid name", async () => {
    const { db, deps, byHand } = setup();
    expect(await codeOf(adoptService(deps, { service: "none", known: [] }))).toBe("not_found");
    await byHand("mc-proxy");
    await adoptService(deps, { service: "mc", known: [] });
    await expect(adoptService(deps, { service: "mc-proxy", known: [] })).rejects.toThrow(/container mc-proxy already belongs to service mc/);
    await byHand("web-Front_1");
    expect(await codeOf(adoptService(deps, { service: "web", known: [] }))).toBe("invalid_argument");
    expect(listServices(db).map((s) => s.name)).toEqual(["mc"]);
  });
});

describe("sync", () => {
  test("records new services and components (desired from active), starts nothing, reports a differing definition", async () => {
    const { runtime, db, deps, comp, def } = setup();
    await deployService(deps, { service: def("app", [comp("api")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    const changes = await syncServices(deps, {
      services: [def("app", [comp("api", { env: ["NEW=1"] }), comp("worker")]), def("site", [comp("web")])], dryRun: false, prune: false,
    });
    expect(changes.map((c) => [c.service, c.component, c.what, c.done])).toEqual([
      ["app", "api", "the definition differs from the deployed spec (see mcp diff app; mcp deploy applies it)", true],
      ["app", "worker", "new component, desired running (not deployed: mcp deploy app)", true],
      ["site", "", "new service (active)", true],
      ["site", "web", "new component, desired running (not deployed: mcp deploy site)", true],
    ]);
    expect(runtime.dump().containers.map((c) => c.name)).toEqual(["app-api"]);
    expect(getService(db, "app")!.components.find((c) => c.name === "api")!.spec.env).toEqual([]);
    expect(getService(db, "site")!.components[0]).toMatchObject({ desired: "running", observed: "removed" });
    // Again: nothing to change but the report of the differing definition.
    expect((await syncServices(deps, { services: [def("app", [comp("api", { env: ["NEW=1"] }), comp("worker")])], dryRun: false, prune: false })).map((c) => c.component)).toEqual(["api"]);
  });

  test("an inactive service's running containers are stopped; its desired state is stopped", async () => {
    const { runtime, db, deps, comp, def } = setup();
    await deployService(deps, { service: def("app", [comp("api"), comp("web")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    const changes = await syncServices(deps, { services: [def("app", [comp("api"), comp("web")], false)], dryRun: false, prune: false });
    expect(changes.map((c) => c.what)).toEqual([
      "active true → false", "desired running → stopped", "desired running → stopped",
      "stop app-api (the service is inactive)", "stop app-web (the service is inactive)",
    ]);
    expect(runtime.dump().containers.map((c) => c.state)).toEqual(["exited", "exited"]);
    expect(getService(db, "app")!.components.map((c) => c.desired)).toEqual(["stopped", "stopped"]);
  });

  test("dry run: the same report, nothing changes", async () => {
    const { runtime, db, deps, comp, def, byHand } = setup();
    await deployService(deps, { service: def("app", [comp("api")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    await byHand("stray");
    const snapshot = () => JSON.stringify([listServices(db), runtime.dump().containers]);
    const before = snapshot();
    const plan = await syncServices(deps, { services: [def("app", [comp("api")], false), def("new", [comp("x")])], dryRun: true, prune: true });
    expect(plan.every((c) => !c.done)).toBe(true);
    expect(plan.map((c) => c.what)).toContain("stop app-api (the service is inactive)");
    expect(plan.map((c) => c.what)).toContain("container stray belongs to no known service: recorded as ignore");
    expect(snapshot()).toBe(before);
  });

  test("containers of no known service are recorded as ignore; --prune forgets undefined services but keeps their containers", async () => {
    const { runtime, db, deps, comp, def, byHand } = setup();
    await deployService(deps, { service: def("old", [comp("api")]), component: "", force: false, lockWaitMs: 0 }, () => {});
    await byHand("stray");
    await byHand("Bad_Name");
    const changes = await syncServices(deps, { services: [], dryRun: false, prune: true });
    expect(changes.map((c) => c.what)).toEqual([
      "forget (no definition names it); its containers are left as they are: old-api",
      "container Bad_Name belongs to no service and its name is not a valid service name: not recorded",
      "container stray belongs to no known service: recorded as ignore",
    ]);
    expect(listServices(db).map((s) => [s.name, s.components.map((c) => c.desired)])).toEqual([["stray", ["ignore"]]]);
    expect(runtime.dump().containers.filter((c) => c.state === "running").map((c) => c.name).sort()).toEqual(["Bad_Name", "old-api", "stray"]);
    // old-api now belongs to no known service: the next sync records it as ignore; stray is not forgotten by --prune.
    const next = await syncServices(deps, { services: [], dryRun: false, prune: true });
    expect(next.map((c) => c.what)).toEqual([
      "container Bad_Name belongs to no service and its name is not a valid service name: not recorded",
      "container old-api belongs to no known service: recorded as ignore",
    ]);
  });
});

describe("a foreign container recorded as ignore is nobody's (issue 13: the container-name rule)", () => {
  test("a definition whose container is a foreign ignore entry may take it over; a registered service's container may not be taken", async () => {
    const { runtime, db, deps, comp, def, byHand } = setup();
    const { createHandlers } = await import("../../../src/node/agent/index.ts");
    const { LiveState } = await import("../../../src/node/monitor/index.ts");
    const api = createHandlers(deps, () => new LiveState());
    const ctx = { method: "Deploy", identity: { name: "op", role: "operator", services: [] as string[] }, peer: "p", signal: new AbortController().signal };
    await byHand("legacy-web");
    await syncServices(deps, { services: [], dryRun: false, prune: false });
    expect(listServices(db).map((s) => s.name)).toEqual(["legacy-web"]);
    const out = await api.deploy({ service: def("legacy", [comp("web")]), component: "", force: false, lockWaitMs: 0 }, ctx, () => {});
    expect(out.results.map((r) => r.status)).toEqual(["ok"]);
    expect(runtime.dump().containers.map((c) => c.name)).toEqual(["legacy-web"]);
    // legacy/web is registered now: no other service's component may claim its container.
    await expect(codeOf(api.deploy({ service: def("legacy-web", [comp("legacy-web")]), component: "", force: false, lockWaitMs: 0 }, ctx, () => {}))).resolves.toBe("failed_precondition");
    await expect(api.syncDesiredState({ services: [def("legacy-web", [comp("legacy-web")])], dryRun: false, prune: false }, ctx)).rejects.toThrow(/would run as container legacy-web, which is legacy\/web's/);
  });
});
