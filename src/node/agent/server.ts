import * as grpc from "@grpc/grpc-js";
import tls from "node:tls";
import type { Clock } from "../../lib/clock.ts";
import { McpError, messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { AgentApi } from "../../rpc/index.ts";
import { createRpcServer, listen, type AuditEntry } from "../../rpc/server.ts";
import { appendAudit, type Db } from "../store/index.ts";
import { createFloodLimiter, type FloodLimiter, type FloodOptions, type FloodStats, type Identity } from "../auth/index.ts";
import { createAuthenticator } from "./auth.ts";
import { createCertSource, type CertSource } from "./tls.ts";

export interface AgentServerOptions {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  /** Set: clients must present a certificate signed by this CA. */
  clientCa: string;
  authMode: "local" | "mcias";
  /** Validates MCIAS tokens (auth mode mcias). */
  mcias?: (token: string) => Promise<Identity>;
  api: AgentApi;
  /** Tuning of the unauthenticated-flood limiter (SPEC §7.1); FLOOD_DEFAULTS otherwise. */
  flood?: Partial<FloodOptions>;
  db: Db;
  clock: Clock;
  log: Logger;
}

export interface RunningServer {
  port: number;
  /** Reads the TLS files again (SIGHUP); false when they are unusable (the old ones stay). */
  reloadTls(why: string): boolean;
  /** The served certificate's expiry (Unix ms). */
  certNotAfter(): number;
  /** The unauthenticated-flood limiter's counters. */
  floodStats(): FloodStats;
  /** What another listener of the agent (the metrics endpoint) shares: its TLS material, the flood limiter, the audit trail. */
  shared: { tls: Pick<CertSource, "pem" | "onChange">; flood: FloodLimiter; audit: (e: AuditEntry) => void };
  /** Stops accepting calls and waits (up to graceMs) for running ones. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves the agent's API over TLS 1.3 with bearer-token auth and an audit
 * record per call, except refused (UNAUTHENTICATED) calls: per peer, the
 * first of a window is recorded and the rest counted into one summary record
 * (`UNAUTHENTICATED x<count>`, identity "-") when the window ends.
 */
export async function startAgentServer(o: AgentServerOptions): Promise<RunningServer> {
  // grpc-js has no minimum-version option; node:tls's default applies to its secure contexts.
  tls.DEFAULT_MIN_VERSION = "TLSv1.3";
  const certs = createCertSource({ certFile: o.tlsCert, keyFile: o.tlsKey, clientCaFile: o.clientCa, log: o.log });
  const creds = certs.credentials;
  const audit = (e: AuditEntry) => {
    o.log.info("rpc", { method: e.method, identity: e.identity, peer: e.peer, outcome: e.outcome, ms: e.durationMs, ...(e.detail ? { detail: e.detail } : {}) });
    try {
      appendAudit(o.db, { time: e.time, method: e.method, identity: e.identity, peer: e.peer, outcome: e.outcome, durationMs: e.durationMs, detail: e.detail ?? "" });
    } catch (err) {
      o.log.error("cannot write the audit record", { method: e.method, error: messageOf(err) });
    }
  };
  const flood = createFloodLimiter({
    clock: o.clock,
    ...(o.flood ? { options: o.flood } : {}),
    report: (s) => audit({ time: s.from, method: s.method, identity: "-", peer: s.peer, outcome: `UNAUTHENTICATED x${s.count}`, durationMs: s.to - s.from }),
  });
  // Windows also end without a next refusal: their summaries are written within a few seconds of it.
  const sweeper = setInterval(() => flood.sweep(), Math.min(o.flood?.windowMs ?? 60_000, 5_000));
  sweeper.unref();
  const server = createRpcServer({
    api: o.api,
    authenticate: createAuthenticator({ db: o.db, clock: o.clock, mode: o.authMode, ...(o.mcias ? { mcias: o.mcias } : {}) }),
    audit,
    flood,
    log: o.log,
  });
  let port: number;
  try {
    port = await listen(server, o.listen, creds);
  } catch (err) {
    clearInterval(sweeper);
    certs.close();
    throw new McpError("unavailable", `cannot listen on ${o.listen}: ${messageOf(err)}`, "check [server] listen: the address must be this host's and the port free");
  }
  return {
    port,
    reloadTls: (why) => certs.reload(why),
    certNotAfter: () => certs.notAfter(),
    floodStats: () => flood.stats(),
    shared: { tls: certs, flood, audit },
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        certs.close();
        clearInterval(sweeper);
        // Counted refusals are written before the caller closes the registry.
        const stopped = () => {
          flood.flush();
          resolve();
        };
        const timer = setTimeout(() => {
          server.forceShutdown();
          stopped();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          stopped();
        });
      }),
  };
}
