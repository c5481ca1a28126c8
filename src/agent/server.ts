import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import type { Clock } from "../lib/clock.ts";
import { McpError, messageOf } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { AgentApi } from "../rpc/index.ts";
import { createRpcServer, listen, type AuditEntry } from "../rpc/server.ts";
import type { Db } from "../store/index.ts";
import { createAuthenticator } from "./auth.ts";

export interface AgentServerOptions {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  /** Set: clients must present a certificate signed by this CA. */
  clientCa: string;
  authMode: "local" | "mcias";
  api: AgentApi;
  db: Db;
  clock: Clock;
  log: Logger;
}

export interface RunningServer {
  port: number;
  /** Stops accepting calls and waits (up to graceMs) for running ones. */
  close(graceMs?: number): Promise<void>;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new McpError("invalid_argument", `cannot read the ${what} ${path}: ${messageOf(err)}`, "check [server] in the agent config");
  }
}

/** Serves the agent's API over TLS 1.3 with bearer-token auth and an audit line per call. */
export async function startAgentServer(o: AgentServerOptions): Promise<RunningServer> {
  // grpc-js has no minimum-version option; node:tls's default applies to its secure contexts.
  tls.DEFAULT_MIN_VERSION = "TLSv1.3";
  const clientCa = o.clientCa ? read(o.clientCa, "client CA") : null;
  const creds = grpc.ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: read(o.tlsCert, "TLS certificate"), private_key: read(o.tlsKey, "TLS key") }],
    clientCa !== null,
  );
  const server = createRpcServer({
    api: o.api,
    authenticate: createAuthenticator({ db: o.db, clock: o.clock, mode: o.authMode }),
    audit: (e: AuditEntry) => o.log.info("rpc", { method: e.method, identity: e.identity, peer: e.peer, outcome: e.outcome, ms: e.durationMs }),
    log: o.log,
  });
  let port: number;
  try {
    port = await listen(server, o.listen, creds);
  } catch (err) {
    throw new McpError("unavailable", `cannot listen on ${o.listen}: ${messageOf(err)}`, "check [server] listen: the address must be this host's and the port free");
  }
  return {
    port,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
