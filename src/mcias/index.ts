import { createHash } from "node:crypto";
import type { Clock } from "../lib/clock.ts";
import { McpError, messageOf } from "../lib/errors.ts";
import { isRole, ROLES, type Role } from "../rpc/roles.ts";
import type { Identity } from "../rpc/roles.ts";

/**
 * The MCIAS protocol, in one module so that it can follow MCIAS (SPEC §5.2):
 *
 *   POST <server_url>/v1/auth/login     {username, password, totp_code?, service_name}
 *     200 {token, expires_at?}          (expires_at: RFC 3339 or Unix seconds)
 *     401 {error: "totp_required"}      a TOTP code is needed: ask and post again
 *     401 {error: …}                    wrong credentials
 *   POST <server_url>/v1/token/validate {token}
 *     200 {valid: true, username, roles: [...], expires_at?}
 *     200 {valid: false} or 401         not valid
 *
 * Requests carry no secret in the URL; errors never contain the token or
 * the password.
 */

export interface MciasServer {
  serverUrl: string;
  /** PEM of the CA that signed MCIAS's certificate; "" = the system's roots. */
  caPem: string;
  /** Per request. */
  timeoutMs?: number;
}

type Fetch = (url: string, init: RequestInit & { tls?: { ca?: string } }) => Promise<Response>;

async function post(s: MciasServer, path: string, body: unknown, fetchFn: Fetch): Promise<Response> {
  const url = `${s.serverUrl.replace(/\/+$/, "")}${path}`;
  try {
    return await fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(s.timeoutMs ?? 10_000),
      ...(s.caPem ? { tls: { ca: s.caPem } } : {}),
    });
  } catch (err) {
    throw new McpError("unavailable", `MCIAS at ${s.serverUrl} cannot be reached: ${messageOf(err)}`, "check [mcias] server_url and that MCIAS runs");
  }
}

async function json(res: Response): Promise<Record<string, unknown>> {
  try {
    const v = (await res.json()) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function expiry(v: unknown): number {
  if (typeof v === "number") return v * 1000;
  if (typeof v === "string" && v) return Date.parse(v) || 0;
  return 0;
}

/** Thrown by mciasLogin when the account needs a TOTP code and none was given. */
export class TotpRequired extends McpError {
  constructor() {
    super("unauthenticated", "MCIAS asks for a TOTP code", "enter the code from your authenticator");
  }
}

/** Logs in to MCIAS; returns the token. */
export async function mciasLogin(
  s: MciasServer,
  c: { username: string; password: string; totpCode?: string; serviceName: string },
  fetchFn: Fetch = fetch as Fetch,
): Promise<{ token: string; expiresAt: number }> {
  const res = await post(s, "/v1/auth/login", {
    username: c.username, password: c.password, ...(c.totpCode ? { totp_code: c.totpCode } : {}), service_name: c.serviceName,
  }, fetchFn);
  const body = await json(res);
  if (res.status === 200 && typeof body.token === "string" && body.token) return { token: body.token, expiresAt: expiry(body.expires_at) };
  const why = typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
  if (res.status === 401 && /totp/i.test(why) && !c.totpCode) throw new TotpRequired();
  if (res.status === 401 || res.status === 403) throw new McpError("unauthenticated", `MCIAS refused the login: ${why}`, "check the username, password and TOTP code");
  throw new McpError("unavailable", `MCIAS answered the login with ${why}`, "try again; check MCIAS's log");
}

/** The highest mcp role among MCIAS roles; null when none is one mcp accepts (`guest` etc.). */
export function roleFrom(roles: unknown): Role | null {
  const list = Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
  for (const r of ROLES) if (list.includes(r) && isRole(r)) return r;
  return null;
}

/**
 * The agent's check of an MCIAS token: asks MCIAS, and keeps a valid answer
 * for `cacheTtlMs` (never past the token's own expiry) keyed by the token's
 * SHA-256, so the token itself is never kept. Fails closed: when MCIAS
 * cannot be reached and no valid cached answer exists, the call is refused
 * (`unavailable`). Invalid answers are not cached.
 */
export function createMciasValidator(o: MciasServer & { cacheTtlMs: number; clock: Clock; fetchFn?: Fetch }) {
  const cache = new Map<string, { identity: Identity; until: number }>();
  const fetchFn = o.fetchFn ?? (fetch as Fetch);
  return async (token: string): Promise<Identity> => {
    const key = createHash("sha256").update(token).digest("hex");
    const now = o.clock.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.identity;
    if (hit) cache.delete(key);
    const res = await post(o, "/v1/token/validate", { token }, fetchFn);
    if (res.status >= 500) throw new McpError("unavailable", `MCIAS could not validate the token (HTTP ${res.status})`, "try again; check MCIAS");
    const body = await json(res);
    if (res.status !== 200 || body.valid !== true) throw new McpError("unauthenticated", "MCIAS says the token is not valid", "log in again: mcp login");
    const expiresAt = expiry(body.expires_at);
    if (expiresAt && expiresAt <= now) throw new McpError("unauthenticated", "the MCIAS token has expired", "log in again: mcp login");
    const name = typeof body.username === "string" && body.username ? body.username : "mcias-user";
    const role = roleFrom(body.roles);
    if (!role) {
      throw new McpError("permission_denied", `MCIAS user ${name} has no mcp role (admin, operator or viewer)`, "ask an MCIAS admin for a role", { identity: name });
    }
    // MCIAS has no service scopes: its users act on every service their role allows.
    const identity: Identity = { name, role, services: [] };
    cache.set(key, { identity, until: Math.min(now + o.cacheTtlMs, expiresAt || Infinity) });
    // Keep the cache small: drop expired entries now and then.
    if (cache.size > 1000) for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
    return identity;
  };
}
