// A real TLS gRPC agent server (grpc-js, the agent's own handlers) on a
// loopback port, over the fake runtime and an in-memory registry, with
// certificates made here for the name "rift": for tests of the rpc layer's
// two ends without podman or the compiled binary.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHandlers, startAgentServer, type RunningServer } from "../../src/node/agent/index.ts";
import { createCa, createToken, issueCert } from "../../src/node/auth/index.ts";
import { createLocks } from "../../src/node/deploy/index.ts";
import { createJournal, LiveState } from "../../src/node/monitor/index.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { FakeRuntime } from "../../src/node/runtime/index.ts";
import { openDb } from "../../src/node/store/index.ts";
import { tempDir } from "./mcp.ts";

export interface RpcAgent {
  server: RunningServer;
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  ca: ReturnType<typeof createCa>;
  /** A token of the agent's registry with this name and role. */
  token(name: string, role: "admin" | "operator" | "viewer"): string;
}

export async function startRpcAgent(): Promise<RpcAgent> {
  const ca = createCa({ commonName: "test CA" });
  const cert = issueCert({ ca, commonName: "rift", dnsNames: ["rift"], ipAddresses: ["127.0.0.1"] });
  const dir = tempDir();
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem);
  const db = openDb(":memory:");
  const clock = { now: () => Date.now() };
  const deps = {
    node: "rift", runtime: new FakeRuntime(), db, journal: createJournal(db), clock, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const server = await startAgentServer({
    listen: "127.0.0.1:0", tlsCert: join(dir, "cert.pem"), tlsKey: join(dir, "key.pem"), clientCa: "", authMode: "local",
    api: createHandlers(deps, () => new LiveState()), db, clock, log: silentLogger,
    // A refusal per RPC, answered at once however many RPCs there are (test/security/flood.test.ts holds them back).
    flood: { threshold: 1_000_000 },
  });
  return {
    server, port: server.port, address: `127.0.0.1:${server.port}`, ca,
    token: (name, role) => createToken(db, { name, role, ttlMs: 0 }, clock),
  };
}
