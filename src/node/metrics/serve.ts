/**
 * The metrics endpoint (SPEC §7.8): HTTPS (TLS 1.3) with the agent's own
 * certificate, reloaded with it (and, with `client_ca`, mutual TLS as for
 * gRPC); GET /metrics only, with a bearer token of role viewer or better
 * that is not scoped to services (the figures are node-wide). Refused
 * tokens go through the agent's flood limiter and audit trail like refused
 * RPCs; successful scrapes are only logged at debug (a scrape every 15 s
 * would otherwise fill the audit trail).
 */
import http from "node:http";
import tls from "node:tls";
import type { Clock } from "../../lib/clock.ts";
import { McpError, messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { identifyToken, roleAllows, type FloodLimiter, type Identity } from "../auth/index.ts";
import type { Db } from "../store/index.ts";

/** The method name refused and audited calls are recorded under. */
export const METRICS_METHOD = "GET /metrics";

export interface MetricsServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  /** The agent's TLS material (src/node/agent/tls.ts): read now and after each change. */
  tls: { pem(): { cert: Buffer; key: Buffer; ca: Buffer | null }; onChange(l: () => void): () => void };
  db: Db;
  clock: Clock;
  mode: "local" | "mcias";
  mcias?: (token: string) => Promise<Identity>;
  flood: Pick<FloodLimiter, "refuse" | "release">;
  audit: (e: { time: number; method: string; identity: string; peer: string; outcome: string; durationMs: number }) => void;
  /** The exposition; called once per accepted scrape. */
  collect: () => string;
  log: Logger;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

/** Checks a scrape's token: unauthenticated (401) or permission_denied (403) as McpError; the caller otherwise. */
async function authorize(o: MetricsServerOptions, token: string | null): Promise<Identity> {
  const who = await identifyToken(o, token, "send Authorization: Bearer <token> (a viewer token: mcp agent token create --role viewer)");
  if (!roleAllows(who.role, "viewer")) throw new McpError("permission_denied", `${METRICS_METHOD} needs role viewer; token "${who.name}" has ${who.role}`, "", { identity: who.name });
  if (who.services.length > 0) {
    throw new McpError("permission_denied", `token "${who.name}" is scoped to services; the metrics are node-wide`, "scrape with an unscoped viewer token", { identity: who.name });
  }
  return who;
}

const STATUS: Record<string, number> = { unauthenticated: 401, permission_denied: 403, unavailable: 503 };

export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const m = /^(?:\[(.+)\]|(.+)):(\d+)$/.exec(o.listen);
  if (!m) throw new McpError("invalid_argument", `[metrics] listen ${JSON.stringify(o.listen)} is not host:port`, "for example 127.0.0.1:9464");
  const host = m[1] ?? m[2]!;
  const contextOf = () => {
    const p = o.tls.pem();
    return { cert: p.cert, key: p.key, ...(p.ca ? { ca: p.ca } : {}), minVersion: "TLSv1.3" as const };
  };
  const mutual = o.tls.pem().ca !== null;

  const app = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    const started = o.clock.now();
    const addr = req.socket.remoteAddress ?? "?";
    // As gRPC writes peers (the flood limiter counts by address without port): IPv6 in brackets.
    const peer = `${addr.includes(":") ? `[${addr}]` : addr}:${req.socket.remotePort ?? 0}`;
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics") return answer(404, "not found: the agent serves GET /metrics only\n");
    if (req.method !== "GET" && req.method !== "HEAD") return answer(405, "method not allowed: GET /metrics\n", { allow: "GET, HEAD" });
    authorize(o, bearer(req.headers.authorization)).then(
      (who) => {
        let body: string;
        try {
          body = o.collect();
        } catch (err) {
          o.log.error("metrics collection failed", { error: messageOf(err) });
          return answer(500, "metrics collection failed; see the agent's log\n");
        }
        o.log.debug("metrics scraped", { identity: who.name, peer, ms: o.clock.now() - started });
        answer(200, body, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      },
      (err) => {
        const code = err instanceof McpError ? err.code : "internal";
        const status = STATUS[code] ?? 500;
        if (status === 500) o.log.error("metrics authentication failed", { error: messageOf(err) });
        const outcome = code === "unauthenticated" ? "UNAUTHENTICATED" : code === "permission_denied" ? "PERMISSION_DENIED" : "UNAVAILABLE";
        const identity = err instanceof McpError && err.identity ? err.identity : "-";
        const verdict = status === 401 ? o.flood.refuse(peer, METRICS_METHOD) : { record: true, delayMs: 0 };
        if (verdict.record) o.audit({ time: started, method: METRICS_METHOD, identity, peer, outcome, durationMs: o.clock.now() - started });
        const send = () => answer(status, `${err instanceof McpError ? err.message : "internal error"}\n`, status === 401 ? { "www-authenticate": 'Bearer realm="mcp"' } : {});
        if (verdict.delayMs <= 0) return send();
        setTimeout(() => {
          o.flood.release();
          send();
        }, verdict.delayMs);
      },
    );
  });
  // A slow client does not hold a connection for long.
  app.headersTimeout = 10_000;
  app.requestTimeout = 15_000;
  app.keepAliveTimeout = 30_000;

  const server = tls.createServer({ ...contextOf(), requestCert: mutual, rejectUnauthorized: mutual }, (socket) => app.emit("connection", socket));
  server.maxConnections = 64;
  server.on("tlsClientError", (err) => o.log.debug("metrics TLS handshake failed", { error: messageOf(err) }));
  const unsubscribe = o.tls.onChange(() => {
    try {
      server.setSecureContext(contextOf());
    } catch (err) {
      o.log.error("metrics endpoint kept its previous certificate", { error: messageOf(err) });
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(m[3]), host, () => {
      server.off("error", reject);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : 0);
    });
  }).catch((err) => {
    unsubscribe();
    throw new McpError("unavailable", `cannot listen on ${o.listen} for metrics: ${messageOf(err)}`, "check [metrics] listen: the address must be this host's and the port free");
  });
  server.on("error", (err) => o.log.error("metrics endpoint error", { error: messageOf(err) }));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        app.closeAllConnections?.();
        setTimeout(resolve, 2000).unref();
      }),
  };
}
