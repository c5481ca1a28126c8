// Adopt and the §7.2 keys: the spec keeps what the container was made with, without what podman
// or the image add by default (real podman output, captured by test/node/podman/fixtures/capture-keys.ts).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { adoptService, createLocks, specFromContainer, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { parseImageInspect, parseInspect } from "../../../src/node/podman/parse.ts";
import { FakeRuntime } from "../../../src/node/runtime/index.ts";
import { openDb } from "../../../src/node/store/index.ts";
import { parseServiceDef, serviceDefToToml } from "../../../src/servicedef/index.ts";

const fixture = (name: string) => Bun.file(join(import.meta.dir, "../podman/fixtures", name)).text();

describe("specFromContainer and the §7.2 keys", () => {
  test("every key of a hand-made container; its image's entrypoint and workdir left out, its own stop signal kept", async () => {
    const d = parseInspect(await fixture("inspect-keys-rootless-all.json"))!;
    const defaults = parseImageInspect(await fixture("image-inspect-keys.json"))!.defaults;
    const spec = specFromContainer("api", { ...d, imageEnv: ["PATH=/bin"], imageDefaults: defaults }, new Map([["mcpfixkeys-s", "db_pw"]]));
    expect(spec).toEqual({
      name: "api", image: d.image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: ["trap 'exit 0' TERM; sleep 3600 & wait"], env: [],
      init: true, stopSignal: "SIGINT", stopTimeoutMs: 30_000, memory: "256m", cpus: 0.5, pidsLimit: 200, readOnly: true,
      tmpfs: ["/run/secrets", "/run/x:size=1m,mode=1777"], capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], hostname: "api", devices: ["/dev/null:/dev/mynull"],
      labels: { tier: "gold" }, secrets: [{ name: "db_pw", env: "DB_PW" }, { name: "db_pw", file: "/run/secrets/pw" }],
    });
    // What export writes reads back as the same spec.
    const def = { name: "svc", node: "rift", active: true, components: [spec] };
    expect(parseServiceDef(serviceDefToToml(def), "svc.toml").def).toEqual(def);
  });

  test("against an image without an entrypoint, workdir or stop signal, the container's own are kept", async () => {
    const d = parseInspect(await fixture("inspect-keys-rootful-all.json"))!;
    const plainImage = parseImageInspect(await fixture("image-inspect.json"))!.defaults;
    const spec = specFromContainer("api", { ...d, imageEnv: [], imageDefaults: plainImage }, new Map([["mcpfixkeys-s", "db_pw"]]));
    expect(spec).toMatchObject({ entrypoint: ["/bin/sh", "-c"], workdir: "/www", stopSignal: "SIGINT" });
  });

  test("a plain container has none of the keys", async () => {
    const d = parseInspect(await fixture("inspect-keys-rootless-plain.json"))!;
    const plainImage = parseImageInspect(await fixture("image-inspect.json"))!.defaults;
    const spec = specFromContainer("api", { ...d, imageEnv: ["PATH=/bin"], imageDefaults: plainImage });
    expect(Object.keys(spec).sort()).toEqual(["cmd", "env", "image", "name", "network", "ports", "restart", "user", "volumes"]);
  });

  test("adopt through the port: the keys, the container's labels but mcp's", async () => {
    const runtime = new FakeRuntime();
    runtime.addImage("localhost/app:v1");
    const db = openDb(":memory:");
    const deps: DeployDeps = {
      node: "rift", runtime, db, journal: createJournal(db), clock: { now: () => 1 }, log: silentLogger, locks: createLocks(),
      stopTimeoutSec: 1, startTimeoutMs: 2000, defaultLockWaitMs: 5000,
    };
    await runtime.run({
      name: "app-web", image: "localhost/app:v1", labels: { "mcp.service": "app", "mcp.component": "web", tier: "gold" }, network: "", user: "", restart: "",
      ports: [], volumes: [], cmd: [], env: [], init: true, readOnly: true, tmpfs: ["/tmp"], capDrop: ["ALL"], memory: "64m",
    });
    const [rec] = await adoptService(deps, { service: "app", known: [] });
    expect(rec!.spec).toMatchObject({ init: true, readOnly: true, tmpfs: ["/tmp"], capDrop: ["ALL"], memory: "64m", labels: { tier: "gold" } });
  });
});
