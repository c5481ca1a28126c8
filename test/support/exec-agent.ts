/**
 * A real TLS agent server over the FakeRuntime with running services for
 * Exec tests (test/rpc/exec.test.ts, test/security/exec.test.ts): services
 * `a` (components web, db) and `b` (web), each container running in the
 * fake and in the live view; `a/stopped` is recorded but not running.
 * Tokens: admin, op (operator), look (viewer), ci (operator scoped to a).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHandlers, startAgentServer, type RunningServer } from "../../src/node/agent/index.ts";
import { createCa, createToken, issueCert } from "../../src/node/auth/index.ts";
import { createLocks } from "../../src/node/deploy/index.ts";
import type { Logger } from "../../src/lib/log.ts";
import { createJournal, LiveState } from "../../src/node/monitor/index.ts";
import { createAgentClient, type AgentClient } from "../../src/rpc/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../src/node/runtime/index.ts";
import { openDb, putComponent, upsertService, type Db } from "../../src/node/store/index.ts";
import { SLEEP_CMD } from "./image.ts";
import { tempDir } from "./mcp.ts";

export interface ExecAgent {
  server: RunningServer;
  runtime: FakeRuntime;
  db: Db;
  ca: { certPem: string };
  tokens: Record<"admin" | "op" | "look" | "ci", string>;
  /** Every line the agent logged, as "message key=value…". */
  logged: string[];
  client(who: keyof ExecAgent["tokens"]): AgentClient;
  close(): Promise<void>;
}

const IMAGE = "localhost/mcp-test/busybox:v1";

export async function startExecAgent(): Promise<ExecAgent> {
  const dir = tempDir();
  const ca = createCa({ commonName: "test CA" });
  const cert = issueCert({ ca, commonName: "rift", dnsNames: ["rift"], ipAddresses: ["127.0.0.1"] });
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem);
  const db = openDb(join(dir, "mcp.db"));
  const clock = { now: () => Date.now() };
  const runtime = new FakeRuntime();
  runtime.addImage(IMAGE, { env: ["PATH=/bin"] });
  const live = new LiveState();
  const spec = (name: string): ComponentSpec => ({ name, image: IMAGE, network: "", user: "1000:1000", restart: "", ports: [], volumes: [], cmd: SLEEP_CMD, env: [] });
  for (const [service, components] of [["a", ["web", "db", "stopped"]], ["b", ["web"]]] as const) {
    upsertService(db, service, true, clock.now());
    for (const c of components) {
      const containerName = `${service}-${c}`;
      if (c !== "stopped") {
        await runtime.run({ ...spec(c), name: containerName, labels: { "mcp.service": service, "mcp.component": c } });
        live.observe((await runtime.list()).find((x) => x.name === containerName)!, clock.now());
      }
      putComponent(db, {
        service, name: c, spec: spec(c), specHash: "h", desired: "running", observed: c === "stopped" ? "exited" : "running", version: "v1", imageDigest: "",
        containerId: "", containerName, deployedAt: 1,
      }, clock.now());
    }
  }
  const tokens = {
    admin: createToken(db, { name: "admin", role: "admin", ttlMs: 0 }, clock),
    op: createToken(db, { name: "op", role: "operator", ttlMs: 0 }, clock),
    look: createToken(db, { name: "look", role: "viewer", ttlMs: 0 }, clock),
    ci: createToken(db, { name: "ci", role: "operator", ttlMs: 0, services: ["a"] }, clock),
  };
  const logged: string[] = [];
  const line = (m: string, c?: Record<string, unknown>) => void logged.push(`${m} ${Object.entries(c ?? {}).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const log: Logger = { debug: line, info: line, warn: line, error: line };
  const deps = {
    node: "rift", runtime, db, journal: createJournal(db), clock, log, locks: createLocks(), stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const server = await startAgentServer({
    listen: "127.0.0.1:0", tlsCert: join(dir, "cert.pem"), tlsKey: join(dir, "key.pem"), clientCa: "", authMode: "local",
    api: createHandlers(deps, () => live), db, clock, log, flood: { threshold: 1_000_000 },
  });
  const clients: AgentClient[] = [];
  return {
    server, runtime, db, ca, tokens, logged,
    client(who) {
      const c = createAgentClient({ node: "rift", address: `127.0.0.1:${server.port}`, caPem: ca.certPem, serverName: "rift", token: tokens[who] });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close(100);
    },
  };
}

/** An input stream that yields `items`, then stays open until `until` resolves (as a CLI's does). */
export async function* inputOf<T>(items: T[], until: Promise<unknown> = Promise.resolve()): AsyncGenerator<T> {
  for (const i of items) yield i;
  await until;
}
