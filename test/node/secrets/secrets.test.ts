// Secrets on the node (SPEC §7.3) against the FakeRuntime and a real SQLite registry: naming that keeps
// services apart, set/ls/rm, versions, the deploy's pre-flight check and hash, adopt. No value anywhere.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adoptService, createLocks, deployService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { isMcpError, McpError } from "../../../src/lib/errors.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { FakeRuntime, type ComponentSpec, type ServiceDef } from "../../../src/node/runtime/index.ts";
import { deployHash, listSecrets, podmanSecretName, removeSecret, setSecret } from "../../../src/node/secrets/index.ts";
import { specHash } from "../../../src/servicedef/index.ts";
import { getService, listDeployments, openDb, recentEvents } from "../../../src/node/store/index.ts";
import { tempDir } from "../../support/mcp.ts";

const IMG = "localhost/app:v1";
const VALUE = "correct-horse-battery-staple-1";
const VALUE2 = "correct-horse-battery-staple-2";
const bytes = (s: string) => new TextEncoder().encode(s);

function setup() {
  const path = join(tempDir("mcp-secrets-"), "mcp.db");
  const runtime = new FakeRuntime();
  runtime.addImage(IMG);
  const db = openDb(path);
  let now = 1_000_000;
  const deps: DeployDeps = {
    node: "rift", runtime, db, journal: createJournal(db), clock: { now: () => (now += 1000) }, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 2000, defaultLockWaitMs: 5000,
  };
  const text = () => readFileSync(path, "latin1") + (() => {
    try {
      return readFileSync(`${path}-wal`, "latin1");
    } catch {
      return "";
    }
  })();
  return { runtime, db, deps, text };
}

async function failure(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

const comp = (over: Partial<ComponentSpec> = {}): ComponentSpec => ({
  name: "api", image: IMG, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...over,
});
const svc = (c: ComponentSpec): ServiceDef => ({ name: "app", node: "rift", active: true, components: [c] });
const deploy = (deps: DeployDeps, def: ServiceDef) => deployService(deps, { service: def, component: "", force: false, lockWaitMs: 0 }, () => {});
const decode = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

describe("podman names of secrets", () => {
  test("readable when podman takes it; one service never gets another's name", () => {
    expect(podmanSecretName("app", "db_password")).toBe("mcp.app.db_password");
    // Dashes in both names: the dot keeps them apart.
    expect(podmanSecretName("a", "b-c")).not.toBe(podmanSecretName("a-b", "c"));
    expect(podmanSecretName("a", "b-c")).toBe("mcp.a.b-c");
    expect(podmanSecretName("a-b", "c")).toBe("mcp.a-b.c");
  });

  test("too long for podman, or ending in _ or -: hashed under mcp- (never mcp.), distinct per service", () => {
    const long = "s".repeat(63);
    const a = podmanSecretName(long, "x");
    expect(a).toMatch(/^mcp-[0-9a-f]{40}$/);
    expect(podmanSecretName("s".repeat(62), "x")).not.toBe(a);
    expect(podmanSecretName("app", "key_")).toMatch(/^mcp-[0-9a-f]{40}$/);
    expect(podmanSecretName("app", "key_")).not.toBe(podmanSecretName("ap", "p/key_"));
    // Every name podman gets is one it takes.
    for (const n of [a, podmanSecretName("app", "db_password"), podmanSecretName("app", "key_")]) expect(n).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9]$/);
  });
});

describe("set, ls, rm", () => {
  test("set stores the value in podman only; the registry, the events and the answer carry size and version", async () => {
    const { runtime, deps, text } = setup();
    const r = await setSecret(deps, { service: "app", name: "db_password", value: bytes(VALUE) });
    expect(r.created).toBe(true);
    expect(r.secret).toMatchObject({ service: "app", name: "db_password", size: VALUE.length });
    expect(r.secret.version).toMatch(/^[0-9a-f]{16}$/);
    expect(decode(runtime.secretStore.valueOf("mcp.app.db_password"))).toBe(VALUE);
    expect(await listSecrets(deps, "app")).toEqual([r.secret]);
    expect(await listSecrets(deps, "")).toEqual([r.secret]);
    expect(await listSecrets(deps, "other")).toEqual([]);
    expect(JSON.stringify(recentEvents(deps.db, { limit: 10 }))).not.toContain(VALUE);
    expect(recentEvents(deps.db, { limit: 10 }).map((e) => e.kind)).toEqual(["secret-set"]);
    expect(text()).not.toContain(VALUE);
  });

  test("a secret podman lost (the agent killed between the remove and the create of a replacement, or a podman secret rm) is listed as missing, never as there; setting it again heals it", async () => {
    const { runtime, deps } = setup();
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    // A replacement whose create fails after the remove: what a crash at that point leaves.
    runtime.failNext("createSecret", new Error("podman died"));
    await expect(setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) })).rejects.toThrow();
    expect(await runtime.listSecrets()).toEqual([]);
    const [listed] = await listSecrets(deps, "app");
    expect(listed).toMatchObject({ service: "app", name: "pw", missing: true });
    const again = await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) });
    expect(again.created).toBe(false);
    expect(await listSecrets(deps, "app")).toEqual([again.secret]);
    expect(decode(runtime.secretStore.valueOf("mcp.app.pw"))).toBe(VALUE2);
  });

  test("the same value again changes nothing; a new value is a new version and replaces podman's", async () => {
    const { runtime, deps } = setup();
    const first = await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    const again = await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    expect(again).toEqual({ secret: first.secret, created: false });
    const rotated = await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) });
    expect(rotated.created).toBe(false);
    expect(rotated.secret.version).not.toBe(first.secret.version);
    expect(decode(runtime.secretStore.valueOf("mcp.app.pw"))).toBe(VALUE2);
    // Lost by podman (removed by hand): the same value makes it again.
    await runtime.removeSecret("mcp.app.pw");
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) });
    expect(decode(runtime.secretStore.valueOf("mcp.app.pw"))).toBe(VALUE2);
  });

  test("rm removes it from podman and the registry; again is not_found", async () => {
    const { runtime, deps } = setup();
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    await removeSecret(deps, { service: "app", name: "pw" });
    expect(runtime.secretStore.valueOf("mcp.app.pw")).toBeUndefined();
    expect(await listSecrets(deps, "app")).toEqual([]);
    const e = await failure(removeSecret(deps, { service: "app", name: "pw" }));
    expect(e.code).toBe("not_found");
  });

  test("a create that fails after the old secret was removed: deploys say podman lost it; the next set of the same value makes it again", async () => {
    const { runtime, deps } = setup();
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    runtime.failNext("createSecret", new McpError("unavailable", "podman does not answer", ""));
    expect((await failure(setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) }))).code).toBe("unavailable");
    expect(runtime.secretStore.valueOf("mcp.app.pw")).toBeUndefined();
    const e = await failure(deploy(deps, svc(comp({ secrets: [{ name: "pw", env: "PW" }] }))));
    expect(e.message).toBe("service app, component api: secrets[0]: secret pw does not exist on node rift (podman lost it); nothing was changed");
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) });
    expect(decode(runtime.secretStore.valueOf("mcp.app.pw"))).toBe(VALUE2);
  });

  test("hostile names, empty and oversized values are invalid_argument and change nothing", async () => {
    const { runtime, deps } = setup();
    for (const name of ["..", "../other/pw", "a/b", "a.b", "x".repeat(65), "a\u0000b", "a\u001bb", "-a", ""]) {
      const e = await failure(setSecret(deps, { service: "app", name, value: bytes(VALUE) }));
      expect(e.code).toBe("invalid_argument");
      expect(e.message).toStartWith("secret name: ");
      expect(e.message).not.toContain("\u001b");
      expect((await failure(removeSecret(deps, { service: "app", name }))).code).toBe("invalid_argument");
    }
    expect((await failure(setSecret(deps, { service: "app", name: "pw", value: new Uint8Array(0) }))).code).toBe("invalid_argument");
    const big = await failure(setSecret(deps, { service: "app", name: "pw", value: new Uint8Array(512_000) }));
    expect(big.message).toContain("podman takes at most 511999");
    expect(await runtime.listSecrets()).toEqual([]);
    expect(await listSecrets(deps, "")).toEqual([]);
  });
});

describe("deploys and secrets", () => {
  const uses = comp({ secrets: [{ name: "pw", env: "DB_PASSWORD" }, { name: "pw", file: "/run/secrets/pw" }] });

  test("a spec without secrets hashes as before", () => {
    const { db } = setup();
    expect(deployHash(db, "app", comp())).toBe(specHash(comp()));
  });

  test("a missing secret fails the deploy before anything stops: the old container runs on, nothing is recorded", async () => {
    const { runtime, deps, db } = setup();
    await deploy(deps, svc(comp()));
    const before = runtime.dump().containers[0]!;
    const e = await failure(deploy(deps, svc(uses)));
    expect(e.code).toBe("failed_precondition");
    expect(e.message).toBe("service app, component api: secrets[0]: secret pw does not exist on node rift; nothing was changed");
    expect(e.hint).toBe("set it first: mcp secret set app pw < value-file");
    expect(runtime.dump().containers).toEqual([before]);
    expect(listDeployments(db, "app", "api", 10)).toHaveLength(1);
  });

  test("the container gets the service's own secrets by podman name; a changed secret replaces it, the same value does not", async () => {
    const { runtime, deps } = setup();
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    expect((await deploy(deps, svc(uses))).results[0]!.status).toBe("ok");
    const c = runtime.dump().containers[0]!;
    expect(c.spec.secrets).toEqual([{ name: "mcp.app.pw", env: "DB_PASSWORD" }, { name: "mcp.app.pw", file: "/run/secrets/pw" }]);
    expect((await deploy(deps, svc(uses))).results[0]!.status).toBe("unchanged");
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    expect((await deploy(deps, svc(uses))).results[0]!.status).toBe("unchanged");
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE2) });
    expect((await deploy(deps, svc(uses))).results[0]!.status).toBe("ok");
    expect(runtime.dump().containers[0]!.id).not.toBe(c.id);
    expect(JSON.stringify(getService(deps.db, "app"))).not.toContain(VALUE2);
  });
});

describe("adopt and secrets", () => {
  test("a container using the service's own secrets is adopted with their names; another podman secret is refused", async () => {
    const { runtime, deps } = setup();
    await setSecret(deps, { service: "app", name: "pw", value: bytes(VALUE) });
    await runtime.run({ ...comp({ secrets: [{ name: "mcp.app.pw", env: "PW" }] }), name: "app-api", labels: {} });
    const [rec] = await adoptService(deps, { service: "app", known: [] });
    expect(rec!.spec.secrets).toEqual([{ name: "pw", env: "PW" }]);
    await runtime.createSecret("hand-made", bytes("x"), {});
    await runtime.run({ ...comp({ secrets: [{ name: "hand-made", file: "/run/secrets/x" }] }), name: "other-api", labels: {} });
    const e = await failure(adoptService(deps, { service: "other", known: [] }));
    expect(e.message).toBe("container other-api uses the podman secret hand-made, which is not a secret of service other");
    // Nor can one service adopt a container that uses another's secret.
    await runtime.run({ ...comp({ secrets: [{ name: "mcp.app.pw", env: "PW" }] }), name: "thief-api", labels: {} });
    expect((await failure(adoptService(deps, { service: "thief", known: [] }))).message).toContain("uses the podman secret mcp.app.pw, which is not a secret of service thief");
  });
});
