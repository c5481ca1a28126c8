import type { Db } from "./db.ts";

/** A local-mode token as stored: only the SHA-256 of the secret is kept. */
export interface TokenRecord {
  id: number;
  name: string;
  role: string;
  hash: string;
  createdAt: number;
  expiresAt: number; // 0 = never
  lastUsedAt: number;
  revokedAt: number; // 0 = not revoked
  /** The services the token may act on; empty = every service. */
  services: string[];
}

interface Row {
  id: number;
  name: string;
  role: string;
  hash: string;
  created_at: number;
  expires_at: number;
  last_used_at: number;
  revoked_at: number;
  services: string;
}

const toRecord = (r: Row): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  hash: r.hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  services: r.services ? r.services.split(",") : [],
});

/**
 * Stores a new token, scoped to `services` when given (names, which cannot
 * hold a comma; empty = every service). Returns false when the name is taken.
 */
export function insertToken(db: Db, t: { name: string; role: string; hash: string; expiresAt: number; services?: readonly string[] }, now: number): boolean {
  if (t.services?.some((s) => !s || s.includes(","))) throw new Error("token services must be non-empty names without commas");
  const res = db.query("INSERT OR IGNORE INTO tokens (name, role, hash, created_at, expires_at, services) VALUES (?, ?, ?, ?, ?, ?)")
    .run(t.name, t.role, t.hash, now, t.expiresAt, (t.services ?? []).join(","));
  return res.changes > 0;
}

/** The token with this hash, or null. */
export function findTokenByHash(db: Db, hash: string): TokenRecord | null {
  const r = db.query("SELECT * FROM tokens WHERE hash = ?").get(hash) as Row | null;
  return r ? toRecord(r) : null;
}

/** Every token, oldest first. */
export function listTokens(db: Db): TokenRecord[] {
  return (db.query("SELECT * FROM tokens ORDER BY id").all() as Row[]).map(toRecord);
}

/** Marks a token revoked (effective at once). Returns false when no unrevoked token has that name. */
export function revokeToken(db: Db, name: string, now: number): boolean {
  return db.query("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at = 0").run(now, name).changes > 0;
}

/** Records a use of a token, at most once a minute per token to keep writes rare. */
export function touchToken(db: Db, id: number, now: number): void {
  db.query("UPDATE tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?").run(now, id, now - 60_000);
}
