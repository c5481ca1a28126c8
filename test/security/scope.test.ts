// Issue 13: service-scoped tokens (SPEC §7.1), against a real TLS agent
// server over the fake runtime, with a registry of two services (a and b).
// A token scoped to `a` gets past authorization on every RPC that names `a`
// (whatever the request then earns), is refused PERMISSION_DENIED for `b` on
// every RPC that names a service, sees only `a` in every listing, cannot sync
// with prune, and nothing of `b` changes meanwhile.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHandlers, startAgentServer, type RunningServer } from "../../src/node/agent/index.ts";
import { createCa, createToken, issueCert } from "../../src/node/auth/index.ts";
import { createLocks } from "../../src/node/deploy/index.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { createJournal, LiveState, type Journal } from "../../src/node/monitor/index.ts";
import { createAgentClient, type AgentClient } from "../../src/rpc/index.ts";
import { FakeRuntime, type ComponentSpec, type ServiceDef } from "../../src/node/runtime/index.ts";
import { getService, listAudit, openDb, putComponent, upsertService, type Db } from "../../src/node/store/index.ts";
import { tempDir } from "../support/mcp.ts";

let server: RunningServer;
let db: Db;
let journal: Journal;
let srv = "";
const ca = createCa({ commonName: "test CA" });
const cert = issueCert({ ca, commonName: "rift", dnsNames: ["rift"], ipAddresses: ["127.0.0.1"] });
const tokens: Record<string, string> = {};
const clients: AgentClient[] = [];

const spec = (service: string): ComponentSpec => ({
  name: "web", image: `registry.example/${service}:v1`, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [],
});
const def = (name: string): ServiceDef => ({ name, node: "rift", active: true, components: [spec(name)] });

beforeAll(async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem);
  srv = join(dir, "srv");
  for (const s of ["a", "b"]) {
    mkdirSync(join(srv, s), { recursive: true });
    writeFileSync(join(srv, s, "data.txt"), `${s}'s data\n`);
  }
  db = openDb(join(dir, "mcp.db"));
  const clock = { now: () => Date.now() };
  journal = createJournal(db);
  for (const s of ["a", "b"]) {
    upsertService(db, s, true, clock.now());
    putComponent(db, {
      service: s, name: "web", spec: spec(s), specHash: `h-${s}`, desired: "running", observed: "running", version: "v1", imageDigest: "",
      containerId: "", containerName: `${s}-web`, deployedAt: 1,
    }, clock.now());
    journal.append({ time: clock.now(), service: s, component: "web", kind: "deployed", message: `${s} deployed` });
  }
  journal.append({ time: clock.now(), service: "", component: "", kind: "agent", message: "node-wide" });
  tokens.ci = createToken(db, { name: "ci", role: "operator", ttlMs: 0, services: ["a"] }, clock);
  tokens.look = createToken(db, { name: "look", role: "viewer", ttlMs: 0, services: ["a"] }, clock);
  tokens.admin = createToken(db, { name: "admin", role: "admin", ttlMs: 0 }, clock);
  const deps = {
    node: "rift", runtime: new FakeRuntime(), db, journal, clock, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  server = await startAgentServer({
    listen: "127.0.0.1:0", tlsCert: join(dir, "cert.pem"), tlsKey: join(dir, "key.pem"), clientCa: "", authMode: "local",
    api: createHandlers(deps, () => new LiveState(), {
      node: "rift", agentVersion: "test", podmanVersion: "", srvRoot: srv, startedAt: Date.now(), certNotAfter: 0, maxTransferBytes: 1 << 20,
    }),
    db, clock, log: silentLogger,
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close(100);
});

function client(who: string): AgentClient {
  const c = createAgentClient({ node: "rift", address: `127.0.0.1:${server.port}`, caPem: ca.certPem, serverName: "rift", token: tokens[who]! });
  clients.push(c);
  return c;
}

/** "ok", or the refusal as "code: message | hint". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message} | ${(err as { hint?: string }).hint ?? ""}`;
  }
}

async function* bytes(text: string) {
  yield new TextEncoder().encode(text);
}

/** Every RPC that names a service, as a call naming `s`. */
const CALLS: Record<string, (c: AgentClient, s: string) => Promise<unknown>> = {
  Deploy: (c, s) => c.deploy({ service: def(s), component: "", force: false, lockWaitMs: 1000 }, () => {}),
  Rollback: (c, s) => c.rollback({ service: s, component: "", lockWaitMs: 1000 }, () => {}),
  StopService: (c, s) => c.stopService({ service: s, component: "web" }),
  StartService: (c, s) => c.startService({ service: s, component: "web" }),
  RestartService: (c, s) => c.restartService({ service: s, component: "" }),
  SyncDesiredState: (c, s) => c.syncDesiredState({ services: [def(s)], dryRun: true, prune: false }),
  AdoptContainers: (c, s) => c.adoptContainers({ service: s, knownServices: [] }),
  GetServiceStatus: (c, s) => c.getServiceStatus({ service: s, eventLimit: 10 }),
  PushFile: (c, s) => c.pushFile({ service: s, path: "pushed.txt", mode: 0 }, bytes("pushed\n")),
  PullFile: (c, s) => c.pullFile({ service: s, path: "data.txt" }, () => {}),
  Logs: (c, s) => c.logs({ service: s, component: "", tail: 10, follow: false }, () => {}),
  SnapshotService: (c, s) => c.snapshotService({ service: s }, () => {}),
  RestoreService: (c, s) => c.restoreService({ service: s, force: false }, bytes("not an archive")),
  Exec: (c, s) => c.exec({ service: s, component: "", argv: ["true"], stdin: false, tty: false, cols: 0, rows: 0 }, (async function* () {})(), () => {}),
};

describe("a token scoped to service a", () => {
  for (const [rpc, call] of Object.entries(CALLS)) {
    test(`${rpc}: a gets past authorization; b is PERMISSION_DENIED and nothing of b changes`, async () => {
      const before = { files: readdirSync(join(srv, "b")).sort(), svc: getService(db, "b") };
      const own = await outcome(call(client("ci"), "a"));
      console.log(`${rpc} naming a, scoped to a: ${own}`);
      expect([rpc, own]).not.toEqual([rpc, expect.stringMatching(/^permission_denied/)]);
      expect(await outcome(call(client("ci"), "b"))).toBe(
        'permission_denied: token "ci" is scoped to services a; it cannot act on service b | use a token whose --services include b');
      expect(readdirSync(join(srv, "b")).sort()).toEqual(before.files);
      expect(getService(db, "b")).toEqual(before.svc);
    });
  }

  test("the list RPCs show only a", async () => {
    const c = client("ci");
    expect((await c.listServices()).services.map((s) => s.name)).toEqual(["a"]);
    expect((await c.liveCheck()).components.map((x) => x.service)).toEqual(["a"]);
    const status = await c.getServiceStatus({ service: "", eventLimit: 100, historyLimit: 5 });
    expect(status.components.map((x) => x.service)).toEqual(["a"]);
    expect(status.events.length).toBeGreaterThan(0);
    expect(status.events.every((e) => e.service === "a")).toBe(true);
    expect(status.history.every((d) => d.service === "a")).toBe(true);
    // An unscoped token sees both, and the node-wide event.
    const all = await client("admin").getServiceStatus({ service: "", eventLimit: 100 });
    expect(new Set(all.components.map((x) => x.service))).toEqual(new Set(["a", "b"]));
    expect(all.events.some((e) => e.service === "")).toBe(true);
    // Node status is node-wide counts only.
    expect(await outcome(c.nodeStatus())).toBe("ok");
  });

  test("events: the backlog and followed events show only a; node-wide ones are hidden", async () => {
    const seen: { service: string; message: string }[] = [];
    const ac = new AbortController();
    let backlogIn = () => {};
    const inBacklog = new Promise<void>((resolve) => (backlogIn = resolve));
    const done = client("look").watchEvents({ backlog: 100, follow: true }, (e) => {
      seen.push({ service: e.service, message: e.message });
      if (e.message === "a deployed") backlogIn();
      if (e.message === "a later") ac.abort();
    }, ac.signal);
    // Once the backlog is in (a's deploy event), events are added after it; the last one is a's.
    await inBacklog;
    for (const [service, message] of [["b", "b later"], ["", "node later"], ["a", "a later"]] as const) {
      journal.append({ time: Date.now(), service, component: "", kind: "note", message });
    }
    await done;
    expect(seen.map((e) => e.service).every((s) => s === "a")).toBe(true);
    expect(seen.map((e) => e.message)).toContain("a later");
  });

  test("sync with prune is refused, and the registry keeps b", async () => {
    const r = await outcome(client("ci").syncDesiredState({ services: [def("a")], dryRun: false, prune: true }));
    expect(r).toBe('permission_denied: token "ci" is scoped to services a; it cannot use prune: sync --prune would forget services outside its scope | leave out --prune, or use a token without --services');
    expect(getService(db, "b")).not.toBeNull();
    const both = await outcome(client("ci").syncDesiredState({ services: [def("a"), def("b")], dryRun: true, prune: false }));
    expect(both).toMatch(/^permission_denied: .*cannot act on service b/);
  });

  test("a dry-run sync of a reports only a", async () => {
    const r = await client("ci").syncDesiredState({ services: [def("a")], dryRun: true, prune: false });
    expect(r.changes.every((x) => x.service === "a")).toBe(true);
  });

  test("a scoped viewer still cannot deploy, not even its own service; it may read a's logs but not b's", async () => {
    const look = client("look");
    expect(await outcome(CALLS.Deploy!(look, "a"))).toMatch(/^permission_denied: Deploy needs role operator; token "look" has viewer/);
    expect(await outcome(CALLS.Logs!(look, "a"))).not.toMatch(/^permission_denied/);
    expect(await outcome(CALLS.Logs!(look, "b"))).toMatch(/^permission_denied: token "look" is scoped to services a; it cannot act on service b/);
    expect(await outcome(look.listAudit({ since: 0, limit: 10 }))).toMatch(/^permission_denied/);
  });

  test("each refusal is in the audit trail under the token's name, one record each", () => {
    const records = listAudit(db, { since: 0, limit: 10_000 }).filter((r) => r.identity === "ci" && r.outcome === "PERMISSION_DENIED");
    for (const rpc of Object.keys(CALLS)) expect([rpc, records.some((r) => r.method === rpc)]).toEqual([rpc, true]);
  });
});
