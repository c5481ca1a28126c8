import { describe, expect, test } from "bun:test";
import { createToken, hashToken, verifyLocalToken } from "../../src/auth/index.ts";
import { insertToken, listTokens, openDb, revokeToken } from "../../src/store/index.ts";

const clockAt = (t: number) => ({ now: () => t });

describe("local tokens", () => {
  test("only the SHA-256 is stored; the secret verifies", () => {
    const db = openDb(":memory:");
    const secret = createToken(db, { name: "admin", role: "admin", ttlMs: 0 }, clockAt(1000));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [rec] = listTokens(db);
    expect(rec!.hash).toBe(hashToken(secret));
    expect(JSON.stringify(listTokens(db))).not.toContain(secret);
    expect(verifyLocalToken(db, secret, clockAt(2000))).toEqual({ name: "admin", role: "admin" });
  });

  test("unknown, expired, revoked and guest tokens are refused", () => {
    const db = openDb(":memory:");
    expect(() => verifyLocalToken(db, "nope", clockAt(1))).toThrow(/not valid/);
    const s = createToken(db, { name: "short", role: "viewer", ttlMs: 1000 }, clockAt(0));
    expect(() => verifyLocalToken(db, s, clockAt(1000))).toThrow(/expired/);
    const r = createToken(db, { name: "gone", role: "operator", ttlMs: 0 }, clockAt(0));
    revokeToken(db, "gone", 5);
    expect(() => verifyLocalToken(db, r, clockAt(6))).toThrow(/revoked/);
    insertToken(db, { name: "guest", role: "guest", hash: hashToken("g"), expiresAt: 0 }, 0);
    expect(() => verifyLocalToken(db, "g", clockAt(1))).toThrow(/may not use/);
    expect(() => createToken(db, { name: "x", role: "guest", ttlMs: 0 }, clockAt(0))).toThrow(/not one of/);
    expect(() => createToken(db, { name: "short", role: "viewer", ttlMs: 0 }, clockAt(0))).toThrow(/exists/);
  });
});
