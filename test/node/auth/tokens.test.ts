import { describe, expect, test } from "bun:test";
import { createToken, hashToken, parseServiceList, verifyLocalToken } from "../../../src/node/auth/index.ts";
import { insertToken, listTokens, openDb, revokeToken } from "../../../src/node/store/index.ts";

const clockAt = (t: number) => ({ now: () => t });

describe("local tokens", () => {
  test("only the SHA-256 is stored; the secret verifies", () => {
    const db = openDb(":memory:");
    const secret = createToken(db, { name: "admin", role: "admin", ttlMs: 0 }, clockAt(1000));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [rec] = listTokens(db);
    expect(rec!.hash).toBe(hashToken(secret));
    expect(JSON.stringify(listTokens(db))).not.toContain(secret);
    expect(verifyLocalToken(db, secret, clockAt(2000))).toEqual({ name: "admin", role: "admin", services: [] });
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

  test("a token scoped to services verifies with them; admin tokens and empty or bad scopes are refused", () => {
    const db = openDb(":memory:");
    const s = createToken(db, { name: "ci", role: "operator", ttlMs: 0, services: ["a", " b", "a"] }, clockAt(0));
    expect(verifyLocalToken(db, s, clockAt(1))).toEqual({ name: "ci", role: "operator", services: ["a", "b"] });
    expect(listTokens(db).find((t) => t.name === "ci")!.services).toEqual(["a", "b"]);
    const err = (f: () => unknown) => {
      try {
        f();
        return "no error";
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message} | ${(e as { hint: string }).hint}`;
      }
    };
    expect(err(() => createToken(db, { name: "root", role: "admin", ttlMs: 0, services: ["a"] }, clockAt(0)))).toBe(
      "invalid_argument: an admin token cannot be scoped to services (an admin manages the whole node) | create an operator or viewer token with --services, or an admin token without it");
    expect(err(() => createToken(db, { name: "e", role: "viewer", ttlMs: 0, services: [] }, clockAt(0)))).toMatch(/^invalid_argument: --services names no service/);
    expect(err(() => parseServiceList(" , "))).toMatch(/^invalid_argument: --services names no service/);
    expect(err(() => parseServiceList("a,Bad_Name"))).toMatch(/^invalid_argument: --services: "Bad_Name" is not a valid service name/);
    expect(parseServiceList("web, db,web")).toEqual(["web", "db"]);
    expect(listTokens(db).map((t) => t.name)).toEqual(["ci"]);
  });
});
