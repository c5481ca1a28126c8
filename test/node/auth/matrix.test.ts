// Issue 7 acceptance 1 (and issue 13's scoped tokens): every RPC of the
// service descriptor × {no token, bad token, expired, revoked, guest, viewer,
// operator, admin, viewer and operator scoped to service a} gives the
// expected status, against a real TLS agent server (over the fake runtime).
// The expected status comes from the one role table and the one scope table;
// RPCs that the caller may call get past authorization (whatever the empty
// request then earns). An empty request names no service: a scoped token may
// send it only where the scope table says the name may be left out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHandlers, startAgentServer, type RunningServer } from "../../../src/node/agent/index.ts";
import { createCa, createToken, generateTokenSecret, hashToken, issueCert, requiredRole, roleAllows, scopeRule, type Role } from "../../../src/node/auth/index.ts";
import { createLocks } from "../../../src/node/deploy/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { createJournal, LiveState } from "../../../src/node/monitor/index.ts";
import { listRpcMethods, SERVICE_NAME } from "../../../src/rpc/index.ts";
import { FakeRuntime } from "../../../src/node/runtime/index.ts";
import { insertToken, listAudit, openDb, revokeToken, type Db } from "../../../src/node/store/index.ts";
import { tempDir } from "../../support/mcp.ts";

let server: RunningServer;
let port = 0;
let db: Db;
const ca = createCa({ commonName: "test CA" });
const cert = issueCert({ ca, commonName: "rift", dnsNames: ["rift"], ipAddresses: ["127.0.0.1"] });
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem);
  db = openDb(":memory:");
  const clock = { now: () => Date.now() };
  for (const role of ["viewer", "operator", "admin"] as const) tokens[role] = createToken(db, { name: role, role, ttlMs: 0 }, clock);
  for (const role of ["viewer", "operator"] as const) tokens[`scoped-${role}`] = createToken(db, { name: `scoped-${role}`, role, ttlMs: 0, services: ["a"] }, clock);
  tokens.revoked = createToken(db, { name: "revoked", role: "admin", ttlMs: 0 }, clock);
  revokeToken(db, "revoked", clock.now());
  tokens.expired = generateTokenSecret();
  insertToken(db, { name: "expired", role: "admin", hash: hashToken(tokens.expired), expiresAt: clock.now() - 1000 }, clock.now() - 60_000);
  tokens.guest = generateTokenSecret();
  insertToken(db, { name: "guest", role: "guest", hash: hashToken(tokens.guest), expiresAt: 0 }, clock.now());
  tokens.bad = generateTokenSecret();
  const deps = {
    node: "rift", runtime: new FakeRuntime(), db, journal: createJournal(db), clock, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  server = await startAgentServer({
    listen: "127.0.0.1:0", tlsCert: join(dir, "cert.pem"), tlsKey: join(dir, "key.pem"), clientCa: "", authMode: "local",
    api: createHandlers(deps, () => new LiveState(), {
      node: "rift", agentVersion: "test", podmanVersion: "", srvRoot: join(dir, "srv"), startedAt: Date.now(), certNotAfter: 0, maxTransferBytes: 1 << 20,
    }),
    db, clock, log: silentLogger,
    // Every refused call here is answered at once (the flood limiter has its own suite).
    flood: { threshold: 1_000_000 },
  });
  port = server.port;
});

afterAll(() => server?.close(100));

/** One call with an empty request (or an empty stream); the status it ends with. */
function statusOf(method: string, token: string | null): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(ca.certPem)), {
    "grpc.ssl_target_name_override": "rift",
    "grpc.default_authority": "rift",
  });
  const md = new grpc.Metadata();
  if (token !== null) md.set("authorization", `Bearer ${token}`);
  const m = listRpcMethods().find((x) => x.name === method)!;
  const path = `/${SERVICE_NAME}/${method}`;
  const id = (b: Buffer) => b;
  return new Promise<number>((resolve) => {
    const done = (err: grpc.ServiceError | null) => resolve(err ? err.code : grpc.status.OK);
    if (m.clientStreaming) {
      client.makeClientStreamRequest(path, id, id, md, {}, (err) => done(err)).end();
    } else if (m.serverStreaming) {
      const call = client.makeServerStreamRequest(path, id, id, Buffer.alloc(0), md, {});
      call.on("data", () => {});
      call.on("error", (e: grpc.ServiceError) => done(e));
      call.on("end", () => done(null));
    } else {
      client.makeUnaryRequest(path, id, id, Buffer.alloc(0), md, {}, (err) => done(err));
    }
  }).finally(() => client.close());
}

const CALLERS = ["none", "bad", "expired", "revoked", "guest", "viewer", "operator", "admin", "scoped-viewer", "scoped-operator"] as const;
type Caller = (typeof CALLERS)[number];

/** Whether a token scoped to `a` may send an empty request, read from the scope table. */
function scopeAllowsEmpty(method: string): boolean {
  const rule = scopeRule(method);
  if (!rule || rule.unscopedOnly) return false;
  // A list of names may be empty; one name may be left out only where the table says so.
  return !rule.names || rule.names.includes("[]") || rule.optional === true;
}

function expected(method: string, caller: Caller): "UNAUTHENTICATED" | "PERMISSION_DENIED" | "allowed" {
  if (caller === "none" || caller === "bad" || caller === "expired" || caller === "revoked") return "UNAUTHENTICATED";
  if (caller === "guest") return "PERMISSION_DENIED";
  const need = requiredRole(method);
  const role = caller.replace("scoped-", "") as Role;
  if (!need || !roleAllows(role, need)) return "PERMISSION_DENIED";
  return caller.startsWith("scoped-") && !scopeAllowsEmpty(method) ? "PERMISSION_DENIED" : "allowed";
}

describe("every RPC × every kind of caller", () => {
  test("the descriptor has RPCs, and every one is in the role table", () => {
    expect(listRpcMethods().length).toBeGreaterThan(15);
    for (const m of listRpcMethods()) expect([m.name, requiredRole(m.name)]).not.toEqual([m.name, null]);
  });

  for (const m of listRpcMethods()) {
    test(`${m.name} (least role ${requiredRole(m.name)})`, async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const caller of CALLERS) {
        const code = await statusOf(m.name, caller === "none" ? null : tokens[caller]!);
        const e = expected(m.name, caller);
        want.push(`${caller}: ${e}`);
        const name = code === grpc.status.UNAUTHENTICATED ? "UNAUTHENTICATED" : code === grpc.status.PERMISSION_DENIED ? "PERMISSION_DENIED" : "allowed";
        got.push(`${caller}: ${name}`);
        if (name === "allowed") expect([m.name, caller, code === grpc.status.UNIMPLEMENTED]).toEqual([m.name, caller, false]);
      }
      expect(got).toEqual(want);
    });
  }

  test("every RPC is in the scope table too", () => {
    for (const m of listRpcMethods()) expect([m.name, scopeRule(m.name) !== null]).toEqual([m.name, true]);
  });

  test("every call holding a token is in the audit trail, with the identity and outcome; refused ones are counted", async () => {
    const n = listRpcMethods().length;
    let records = listAudit(db, { since: 0, limit: 100_000 });
    // The first refused (UNAUTHENTICATED) call of this peer is recorded; the others are counted.
    expect(records.length).toBe(n * (CALLERS.length - 4) + 1);
    const byOutcome = (o: string) => records.filter((r) => r.outcome === o).length;
    expect(byOutcome("UNAUTHENTICATED")).toBe(1);
    // Refused callers are named: the guest, and a viewer calling an operator's RPC.
    expect(records.filter((r) => r.identity === "guest").map((r) => r.outcome)).toEqual(listRpcMethods().map(() => "PERMISSION_DENIED"));
    expect(records.some((r) => r.identity === "viewer" && r.method === "Deploy" && r.outcome === "PERMISSION_DENIED")).toBe(true);
    expect(records.filter((r) => r.outcome === "UNAUTHENTICATED").every((r) => r.identity === "-")).toBe(true);
    expect(records.every((r) => r.peer.startsWith("127.0.0.1:") || r.peer.startsWith("ipv4:127.0.0.1"))).toBe(true);
    // Scoped tokens' refusals are named, one record each.
    for (const who of ["scoped-viewer", "scoped-operator"] as const) {
      const denied = listRpcMethods().filter((m) => expected(m.name, who) === "PERMISSION_DENIED").map((m) => m.name);
      expect(records.filter((r) => r.identity === who && r.outcome === "PERMISSION_DENIED").map((r) => r.method)).toEqual(denied);
    }
    // When the window ends (here: at shutdown), the counted ones become one summary record.
    await server.close(100);
    records = listAudit(db, { since: 0, limit: 100_000 });
    expect(records.at(-1)).toMatchObject({ method: "-", identity: "-", peer: "127.0.0.1", outcome: `UNAUTHENTICATED x${n * 4 - 1}` });
    // No token ever appears in it.
    const text = JSON.stringify(records);
    for (const t of Object.values(tokens)) expect(text).not.toContain(t);
  });
});
