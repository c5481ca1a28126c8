/**
 * An MCIAS-compatible server for the tests (SPEC §5.2), on loopback with TLS
 * from a CA made here: users with passwords, roles and optional TOTP codes;
 * tokens with expiry; counters of login and validate calls (to prove the
 * agent's cache).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueCert } from "../../src/node/auth/index.ts";
import { tempDir } from "./mcp.ts";
import { recordSecret } from "./scan.ts";

export interface MciasUser {
  password: string;
  roles: string[];
  totp?: string;
}

export interface TestMcias {
  url: string;
  caFile: string;
  caPem: string;
  calls: { login: number; validate: number };
  /** Issues a token directly (as a login would). */
  issue(username: string, ttlMs?: number): string;
  /** Makes the server answer 503 to everything (down = true) or normally. */
  setDown(down: boolean): void;
  stop(): void;
}

export function startMcias(users: Record<string, MciasUser>): TestMcias {
  const ca = createCa({ commonName: "test MCIAS CA" });
  const cert = issueCert({ ca, commonName: "127.0.0.1", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const dir = tempDir("mcp-mcias-");
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, ca.certPem);
  for (const u of Object.values(users)) recordSecret(u.password);
  const tokens = new Map<string, { username: string; expiresAt: number }>();
  const calls = { login: 0, validate: 0 };
  let down = false;
  const issue = (username: string, ttlMs = 3_600_000) => {
    const token = randomBytes(24).toString("hex");
    recordSecret(token);
    tokens.set(token, { username, expiresAt: Date.now() + ttlMs });
    return token;
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: cert.certPem, key: cert.keyPem },
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (down) return Response.json({ error: "down" }, { status: 503 });
      const body = (await req.json().catch(() => ({}))) as Record<string, string>;
      if (req.method === "POST" && path === "/v1/auth/login") {
        calls.login++;
        const u = users[body.username ?? ""];
        if (!u || u.password !== body.password) return Response.json({ error: "invalid credentials" }, { status: 401 });
        if (u.totp && !body.totp_code) return Response.json({ error: "totp_required" }, { status: 401 });
        if (u.totp && body.totp_code !== u.totp) return Response.json({ error: "invalid totp code" }, { status: 401 });
        const token = issue(body.username!);
        return Response.json({ token, expires_at: new Date(tokens.get(token)!.expiresAt).toISOString() });
      }
      if (req.method === "POST" && path === "/v1/token/validate") {
        calls.validate++;
        const t = tokens.get(body.token ?? "");
        if (!t || t.expiresAt <= Date.now()) return Response.json({ valid: false });
        return Response.json({ valid: true, username: t.username, roles: users[t.username]?.roles ?? [], expires_at: new Date(t.expiresAt).toISOString() });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return {
    url: `https://127.0.0.1:${server.port}`,
    caFile,
    caPem: ca.certPem,
    calls,
    issue,
    setDown: (d) => void (down = d),
    stop: () => void server.stop(true),
  };
}
