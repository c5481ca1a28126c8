import { describe, expect, test } from "bun:test";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  appendEvent, beginDeployment, failPendingDeployments, findTokenByHash, finishDeployment, getService, insertToken, lastDeployment,
  listServices, nextBatch, openDb, pruneEvents, putComponent, recentEvents, revokeToken, setDesired, setObserved, upsertService,
} from "../../../src/node/store/index.ts";
import type { ComponentSpec } from "../../../src/node/runtime/index.ts";
import { MIGRATIONS } from "../../../src/node/store/migrations.ts";
import { Database } from "bun:sqlite";

const spec: ComponentSpec = { name: "api", image: "r/x:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] };

function tempDb() {
  const dir = mkdtempSync(join(tmpdir(), "mcp-store-"));
  return { path: join(dir, "mcp.db"), db: openDb(join(dir, "mcp.db")) };
}

describe("store", () => {
  test("a new registry is private (0600), in WAL mode, and migrated", () => {
    const { path, db } = tempDb();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(MIGRATIONS.length);
  });

  test("a registry at schema 1 is migrated in place: its deployments keep their rows, batch 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "mcp-store-"));
    const path = join(dir, "mcp.db");
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.exec("PRAGMA user_version = 1");
    old.query("INSERT INTO deployments (service, component, spec_json, spec_hash, started_at, outcome) VALUES ('s', 'c', ?, 'h', 1, 'ok')").run(JSON.stringify(spec));
    old.close();
    const db = openDb(path);
    expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(MIGRATIONS.length);
    expect(lastDeployment(db, "s", "c")).toMatchObject({ outcome: "ok", batch: 0 });
    expect(nextBatch(db, "s")).toBe(1);
    db.close();
    // Reopening applies nothing twice.
    openDb(path).close();
  });

  test("a registry from a newer mcp is refused", () => {
    const { path, db } = tempDb();
    db.exec("PRAGMA user_version = 99");
    db.close();
    expect(() => openDb(path)).toThrow(/newer than this mcp/);
  });

  test("services and components round-trip with their full spec", () => {
    const { db } = tempDb();
    upsertService(db, "metacrypt", true, 1000);
    putComponent(db, {
      service: "metacrypt", name: "api", spec: { ...spec, ports: ["127.0.0.1:1:2"], health: { cmd: ["true"], intervalMs: 1, timeoutMs: 2, retries: 3 } },
      specHash: "h", desired: "running", observed: "running", version: "v1", imageDigest: "sha256:abc", containerId: "c1",
      containerName: "metacrypt-api", deployedAt: 1000,
    }, 1000);
    const svc = getService(db, "metacrypt")!;
    expect(svc.active).toBe(true);
    expect(svc.components[0]!.spec.ports).toEqual(["127.0.0.1:1:2"]);
    expect(svc.components[0]!.spec.health?.retries).toBe(3);
    expect(setDesired(db, "metacrypt", "api", "stopped", 2000)).toBe(true);
    expect(setDesired(db, "metacrypt", "nope", "stopped", 2000)).toBe(false);
    expect(setObserved(db, "metacrypt", "api", "stopped", "c1", 3000)).toBe("running");
    expect(setObserved(db, "ghost", "api", "stopped", "", 3000)).toBeNull();
    expect(listServices(db)[0]!.components[0]).toMatchObject({ desired: "stopped", observed: "stopped", observedAt: 3000 });
    expect(() => db.query("UPDATE components SET desired = 'sideways'").run()).toThrow();
  });

  test("deployments: pending ones are failed at start; newest first", () => {
    const { db } = tempDb();
    const a = beginDeployment(db, { service: "s", component: "c", spec, specHash: "h1", imageDigest: "d1", version: "v1" }, 1);
    finishDeployment(db, a, "ok", "", 2);
    beginDeployment(db, { service: "s", component: "c", spec, specHash: "h2", imageDigest: "d2", version: "v2" }, 3);
    expect(failPendingDeployments(db, "agent stopped", 4)).toBe(1);
    const last = lastDeployment(db, "s", "c")!;
    expect(last).toMatchObject({ version: "v2", outcome: "failed", message: "agent stopped", finishedAt: 4 });
  });

  test("events are kept in order and filtered by service", () => {
    const { db } = tempDb();
    appendEvent(db, { time: 1, service: "a", component: "x", kind: "deployed", message: "1" });
    appendEvent(db, { time: 2, service: "b", component: "y", kind: "deployed", message: "2" });
    appendEvent(db, { time: 3, service: "a", component: "x", kind: "stop", message: "3" });
    expect(recentEvents(db, { limit: 10 }).map((e) => e.message)).toEqual(["1", "2", "3"]);
    expect(recentEvents(db, { service: "a", limit: 1 }).map((e) => e.message)).toEqual(["3"]);
    // Retention: events older than the cut are pruned, the rest kept.
    expect(pruneEvents(db, 3)).toBe(2);
    expect(recentEvents(db, { limit: 10 }).map((e) => e.message)).toEqual(["3"]);
  });

  test("tokens: unique names, revocation", () => {
    const { db } = tempDb();
    expect(insertToken(db, { name: "ci", role: "operator", hash: "aa", expiresAt: 0 }, 1)).toBe(true);
    expect(insertToken(db, { name: "ci", role: "viewer", hash: "bb", expiresAt: 0 }, 1)).toBe(false);
    expect(revokeToken(db, "ci", 5)).toBe(true);
    expect(revokeToken(db, "ci", 6)).toBe(false);
    expect(findTokenByHash(db, "aa")?.revokedAt).toBe(5);
  });

  test("tokens: a service scope round-trips; names with commas are refused", () => {
    const { db } = tempDb();
    expect(insertToken(db, { name: "ci", role: "operator", hash: "aa", expiresAt: 0, services: ["web", "db"] }, 1)).toBe(true);
    expect(insertToken(db, { name: "all", role: "viewer", hash: "bb", expiresAt: 0 }, 1)).toBe(true);
    expect(findTokenByHash(db, "aa")?.services).toEqual(["web", "db"]);
    expect(findTokenByHash(db, "bb")?.services).toEqual([]);
    expect(() => insertToken(db, { name: "x", role: "viewer", hash: "cc", expiresAt: 0, services: ["a,b"] }, 1)).toThrow(/without commas/);
  });

  test("a registry at schema 3 keeps its tokens, unscoped", () => {
    const dir = mkdtempSync(join(tmpdir(), "mcp-store-"));
    const path = join(dir, "mcp.db");
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.exec("PRAGMA user_version = 3");
    old.query("INSERT INTO tokens (name, role, hash, created_at) VALUES ('admin', 'admin', 'aa', 1)").run();
    old.close();
    const db = openDb(path);
    expect(findTokenByHash(db, "aa")).toMatchObject({ name: "admin", role: "admin", services: [] });
    db.close();
  });
});
