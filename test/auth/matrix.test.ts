// Issue 7 acceptance 1: every RPC of the service descriptor × {no token, bad
// token, expired, revoked, guest, viewer, operator, admin} gives the expected
// status, against a real TLS agent server (over the fake runtime). The
// expected status comes from the one role table; RPCs that the role may call
// get past authorization (whatever the empty request then earns).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHandlers, startAgentServer, type RunningServer } from "../../src/agent/index.ts";
import { createCa, createToken, generateTokenSecret, hashToken, issueCert, requiredRole, roleAllows, type Role } from "../../src/auth/index.ts";
import { createLocks } from "../../src/deploy/index.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { createJournal, LiveState } from "../../src/monitor/index.ts";
import { listRpcMethods, SERVICE_NAME } from "../../src/rpc/index.ts";
import { FakeRuntime } from "../../src/runtime/index.ts";
import { insertToken, listAudit, openDb, revokeToken, type Db } from "../../src/store/index.ts";
import { tempDir } from "../support/mcp.ts";

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

const CALLERS = ["none", "bad", "expired", "revoked", "guest", "viewer", "operator", "admin"] as const;

function expected(method: string, caller: (typeof CALLERS)[number]): "UNAUTHENTICATED" | "PERMISSION_DENIED" | "allowed" {
  if (caller === "none" || caller === "bad" || caller === "expired" || caller === "revoked") return "UNAUTHENTICATED";
  if (caller === "guest") return "PERMISSION_DENIED";
  const need = requiredRole(method);
  return need && roleAllows(caller as Role, need) ? "allowed" : "PERMISSION_DENIED";
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

  test("every one of those calls is in the audit trail, with the identity and outcome", () => {
    const records = listAudit(db, { since: 0, limit: 100_000 });
    expect(records.length).toBe(listRpcMethods().length * CALLERS.length);
    const byOutcome = (o: string) => records.filter((r) => r.outcome === o).length;
    expect(byOutcome("UNAUTHENTICATED")).toBe(listRpcMethods().length * 4);
    // Refused callers are named: the guest, and a viewer calling an operator's RPC.
    expect(records.filter((r) => r.identity === "guest").map((r) => r.outcome)).toEqual(listRpcMethods().map(() => "PERMISSION_DENIED"));
    expect(records.some((r) => r.identity === "viewer" && r.method === "Deploy" && r.outcome === "PERMISSION_DENIED")).toBe(true);
    expect(records.filter((r) => r.outcome === "UNAUTHENTICATED").every((r) => r.identity === "-")).toBe(true);
    expect(records.every((r) => r.peer.startsWith("127.0.0.1:") || r.peer.startsWith("ipv4:127.0.0.1"))).toBe(true);
    // No token ever appears in it.
    const text = JSON.stringify(records);
    for (const t of Object.values(tokens)) expect(text).not.toContain(t);
  });
});
