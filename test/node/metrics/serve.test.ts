// The metrics listener on real TLS with real tokens: who may scrape, what refusals cost (the agent's flood limiter and audit), a certificate reload.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "bun";
import { silentLogger } from "../../../src/lib/log.ts";
import { createCertSource } from "../../../src/node/agent/index.ts";
import { createCa, createFloodLimiter, createToken, describeCert, issueCert } from "../../../src/node/auth/index.ts";
import { startMetricsServer, type MetricsServer } from "../../../src/node/metrics/index.ts";
import { openDb } from "../../../src/node/store/index.ts";
import { tempDir, waitFor } from "../../support/mcp.ts";

const clock = { now: () => Date.now() };
const ca = createCa({ commonName: "mcp CA metrics" });
const pair = (cn: string) => issueCert({ ca, commonName: cn, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });

describe("the metrics listener", () => {
  const dir = tempDir("mcp-metrics-");
  const db = openDb(join(dir, "mcp.db"));
  const audit: { method: string; identity: string; outcome: string }[] = [];
  const summaries: { count: number }[] = [];
  const flood = createFloodLimiter({ clock, report: (s) => summaries.push(s), options: { threshold: 3, baseDelayMs: 30, maxDelayMs: 60 } });
  let server: MetricsServer;
  let certs: ReturnType<typeof createCertSource>;
  let scrapes = 0;
  const tokens: Record<string, string> = {};
  const get = (token: string | null, o: { path?: string; method?: string } = {}) =>
    fetch(`https://127.0.0.1:${server.port}${o.path ?? "/metrics"}`, {
      method: o.method ?? "GET", headers: token === null ? {} : { authorization: `Bearer ${token}` }, tls: { ca: ca.certPem },
    } as RequestInit);

  beforeAll(async () => {
    const first = pair("first");
    writeFileSync(join(dir, "cert.pem"), first.certPem);
    writeFileSync(join(dir, "key.pem"), first.keyPem, { mode: 0o600 });
    certs = createCertSource({ certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem"), clientCaFile: "", log: silentLogger });
    for (const [name, role, services] of [["viewer", "viewer", []], ["operator", "operator", []], ["admin", "admin", []], ["scoped", "viewer", ["app"]]] as const) {
      tokens[name] = createToken(db, { name, role, ttlMs: 0, ...(services.length > 0 ? { services: [...services] } : {}) }, clock);
    }
    server = await startMetricsServer({
      listen: "127.0.0.1:0", tls: certs, db, clock, mode: "local", flood, log: silentLogger,
      audit: (e) => audit.push(e),
      collect: () => `# HELP x_scrapes_total Scrapes.\n# TYPE x_scrapes_total counter\nx_scrapes_total ${++scrapes}\n`,
    });
  });
  afterAll(async () => {
    await server?.close();
    certs?.close();
  });

  test("viewer, operator and admin tokens scrape; the answer is the exposition with Prometheus's content type", async () => {
    for (const who of ["viewer", "operator", "admin"]) {
      const r = await get(tokens[who]!);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(await r.text()).toMatch(/^# HELP x_scrapes_total Scrapes\.\n# TYPE x_scrapes_total counter\nx_scrapes_total \d+\n$/);
    }
  });

  test("no token, a wrong one, a revoked-looking one: 401 with WWW-Authenticate, audited, never the metrics", async () => {
    const before = scrapes;
    for (const t of [null, "not-a-token", `${tokens.viewer}x`]) {
      const r = await get(t);
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe('Bearer realm="mcp"');
      expect(await r.text()).not.toContain("x_scrapes_total");
    }
    expect(scrapes).toBe(before);
    expect(audit.filter((a) => a.method === "GET /metrics" && a.outcome === "UNAUTHENTICATED").length).toBeGreaterThanOrEqual(1);
  });

  test("a token scoped to services is refused (403): the figures are node-wide", async () => {
    const r = await get(tokens.scoped!);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('token "scoped" is scoped to services');
    expect(audit).toContainEqual(expect.objectContaining({ identity: "scoped", outcome: "PERMISSION_DENIED" }));
  });

  test("only GET /metrics: another path is 404 and another method 405, without running the collection", async () => {
    const before = scrapes;
    expect((await get(tokens.viewer!, { path: "/" })).status).toBe(404);
    expect((await get(tokens.viewer!, { path: "/metrics/../admin" })).status).toBe(404);
    expect((await get(tokens.viewer!, { method: "POST" })).status).toBe(405);
    expect(scrapes).toBe(before);
  });

  test("refusals count in the agent's flood limiter: past its threshold they are answered late and summarized", async () => {
    const stats = flood.stats();
    for (let i = 0; i < 6; i++) expect((await get("wrong")).status).toBe(401);
    expect(flood.stats().refused).toBe(stats.refused + 6);
    expect(flood.stats().delayed).toBeGreaterThan(stats.delayed);
    flood.flush();
    expect(summaries.at(-1)?.count).toBeGreaterThan(0);
    // A valid token from the same peer still gets in at once.
    expect((await get(tokens.viewer!)).status).toBe(200);
  });

  test("TLS 1.3 only; a new certificate in place is served after a reload", async () => {
    const tls12 = await $`openssl s_client -tls1_2 -connect 127.0.0.1:${server.port} < /dev/null`.nothrow().quiet();
    expect(tls12.exitCode).not.toBe(0);
    const subject = async () => (await $`openssl s_client -connect 127.0.0.1:${server.port} < /dev/null`.nothrow().quiet()).stdout.toString();
    expect(await subject()).toContain("CN = first");
    const second = pair("second");
    writeFileSync(join(dir, "key.pem"), second.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, "cert.pem"), second.certPem);
    expect(certs.reload("test")).toBe(true);
    expect(describeCert(second.certPem).subject).toContain("second");
    await waitFor(async () => (await subject()).includes("CN = second"), "the new certificate");
    expect((await get(tokens.viewer!)).status).toBe(200);
  });
});
