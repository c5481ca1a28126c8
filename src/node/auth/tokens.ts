import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { McpError, mcpError } from "../../lib/errors.ts";
import type { Clock } from "../../lib/clock.ts";
import { isValidName, NAME_RULE_TEXT } from "../../lib/names.ts";
import { findTokenByHash, insertToken, touchToken, type Db, type TokenRecord } from "../store/index.ts";
import { isRole, type Identity } from "../../rpc/roles.ts";

export type { Identity };


/** A new random 256-bit token secret, base64url (43 characters). */
export function generateTokenSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The SHA-256 (hex) of a token; the only form in which tokens are stored or used as keys. */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Parses `--services a,b`: comma-separated service names (spaces around them
 * are dropped, repeats kept once). Fails invalid_argument for a name that
 * breaks the naming rule or a list that names no service.
 */
export function parseServiceList(text: string): string[] {
  const names = [...new Set(text.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
  if (names.length === 0) {
    throw mcpError("invalid_argument", "--services names no service", "pass --services <service>[,<service>…], or leave --services out for every service");
  }
  const bad = names.find((n) => !isValidName(n));
  if (bad !== undefined) throw mcpError("invalid_argument", `--services: ${JSON.stringify(bad)} is not a valid service name (${NAME_RULE_TEXT})`, "name services as their definitions do");
  return names;
}

/**
 * Creates a local-mode token and returns its secret (shown once, never stored).
 * `services`, when given, scopes it to those services (SPEC §7.1); it must
 * name at least one, and an admin token cannot be scoped (an admin manages
 * tokens and the node, which no service scope can contain).
 * Fails invalid_argument for a bad role, name or scope, already_exists for a taken name.
 */
export function createToken(db: Db, opts: { name: string; role: string; ttlMs: number; services?: readonly string[] }, clock: Clock): string {
  if (!isRole(opts.role)) {
    throw mcpError("invalid_argument", `role "${opts.role}" is not one of admin, operator, viewer`, "pass --role admin|operator|viewer");
  }
  if (!opts.name.trim()) throw mcpError("invalid_argument", "a token needs a --name", "pass --name <who or what uses it>");
  const services = opts.services === undefined ? [] : parseServiceList(opts.services.join(","));
  if (services.length > 0 && opts.role === "admin") {
    throw mcpError("invalid_argument", "an admin token cannot be scoped to services (an admin manages the whole node)",
      "create an operator or viewer token with --services, or an admin token without it");
  }
  const secret = generateTokenSecret();
  const now = clock.now();
  const ok = insertToken(db, { name: opts.name, role: opts.role, hash: hashToken(secret), expiresAt: opts.ttlMs > 0 ? now + opts.ttlMs : 0, services }, now);
  if (!ok) throw mcpError("already_exists", `a token named "${opts.name}" exists`, "choose another --name, or revoke the old one first");
  return secret;
}

/**
 * Checks a bearer token against the registry: unknown, revoked and expired
 * tokens fail `unauthenticated`, a token whose role mcp does not accept fails
 * `permission_denied`. The stored hash is compared in constant time.
 */
export function verifyLocalToken(db: Db, secret: string, clock: Clock): Identity {
  const hash = hashToken(secret);
  const rec: TokenRecord | null = findTokenByHash(db, hash);
  if (!rec || !timingSafeEqual(Buffer.from(rec.hash, "hex"), Buffer.from(hash, "hex"))) {
    throw mcpError("unauthenticated", "the token is not valid on this node", "log in again: mcp login --node <node> --token-stdin");
  }
  const now = clock.now();
  if (rec.revokedAt > 0) throw mcpError("unauthenticated", `token "${rec.name}" was revoked`, "ask an admin for a new token");
  if (rec.expiresAt > 0 && rec.expiresAt <= now) throw mcpError("unauthenticated", `token "${rec.name}" has expired`, "ask an admin for a new token");
  if (!isRole(rec.role)) {
    throw new McpError("permission_denied", `role "${rec.role}" may not use this agent`, "ask an admin for an operator or viewer token", { identity: rec.name });
  }
  touchToken(db, rec.id, now);
  return { name: rec.name, role: rec.role, services: rec.services };
}

/** How the agent checks tokens: its own registry, or an MCIAS server (`[auth] mode`). */
export interface TokenCheck {
  db: Db;
  clock: Clock;
  mode: "local" | "mcias";
  mcias?: (token: string) => Promise<Identity>;
}

/**
 * Who a bearer token is, by the agent's auth mode: a missing token fails
 * `unauthenticated` with `noTokenHint`; the rest is verifyLocalToken's or
 * the MCIAS validator's. Roles and scopes are the caller's to check (gRPC
 * by its RPC table, /metrics its own rule).
 */
export async function identifyToken(o: TokenCheck, token: string | null, noTokenHint: string): Promise<Identity> {
  if (!token) throw new McpError("unauthenticated", "no token was sent", noTokenHint);
  if (o.mode !== "mcias") return verifyLocalToken(o.db, token, o.clock);
  if (!o.mcias) throw new McpError("unavailable", "auth mode mcias has no [mcias] server", "set [mcias] server_url in the agent config");
  return o.mcias(token);
}
