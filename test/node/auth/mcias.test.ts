// The MCIAS protocol module against an MCIAS-compatible server on loopback:
// login (with TOTP), token validation, roles, expiry, the cache keyed by the
// token's SHA-256 (validation calls counted), failing closed.
import { afterAll, describe, expect, test } from "bun:test";
import { createMciasValidator, mciasLogin, roleFrom, TotpRequired } from "../../../src/node/auth/index.ts";
import { isMcpError } from "../../../src/lib/errors.ts";
import { startMcias } from "../../support/mcias.ts";

const mcias = startMcias({
  alice: { password: "correct horse", roles: ["operator"] },
  bob: { password: "battery staple", roles: ["guest"], totp: "424242" },
  root: { password: "pw", roles: ["viewer", "admin"] },
});
afterAll(() => mcias.stop());
const server = { serverUrl: mcias.url, caPem: mcias.caPem };

const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e) => (isMcpError(e) ? e.code : String(e)));

describe("MCIAS", () => {
  test("login: a token; wrong password refused; TOTP asked for and checked", async () => {
    const r = await mciasLogin(server, { username: "alice", password: "correct horse", serviceName: "mcp" });
    expect(r.token).toMatch(/^[0-9a-f]{48}$/);
    expect(r.expiresAt).toBeGreaterThan(Date.now());
    expect(await codeOf(mciasLogin(server, { username: "alice", password: "wrong", serviceName: "mcp" }))).toBe("unauthenticated");
    await expect(mciasLogin(server, { username: "bob", password: "battery staple", serviceName: "mcp" })).rejects.toBeInstanceOf(TotpRequired);
    expect(await codeOf(mciasLogin(server, { username: "bob", password: "battery staple", totpCode: "000000", serviceName: "mcp" }))).toBe("unauthenticated");
    expect((await mciasLogin(server, { username: "bob", password: "battery staple", totpCode: "424242", serviceName: "mcp" })).token).toBeTruthy();
  });

  test("the errors never carry the password", async () => {
    const err = await mciasLogin(server, { username: "alice", password: "s3cr3t-pw", serviceName: "mcp" }).catch((e) => e);
    expect(`${err.message} ${err.hint}`).not.toContain("s3cr3t-pw");
  });

  test("validate: identity and highest role; cached for cache_ttl (one call), then asked again", async () => {
    let now = Date.now();
    const validate = createMciasValidator({ ...server, cacheTtlMs: 30_000, clock: { now: () => now } });
    const token = mcias.issue("root");
    const before = mcias.calls.validate;
    expect(await validate(token)).toEqual({ name: "root", role: "admin", services: [] });
    expect(await validate(token)).toEqual({ name: "root", role: "admin", services: [] });
    expect(mcias.calls.validate - before).toBe(1);
    now += 31_000;
    await validate(token);
    expect(mcias.calls.validate - before).toBe(2);
  });

  test("invalid, expired, and guest-only tokens are refused; refusals are not cached", async () => {
    const validate = createMciasValidator({ ...server, cacheTtlMs: 30_000, clock: { now: () => Date.now() } });
    expect(await codeOf(validate("not-a-token"))).toBe("unauthenticated");
    const expired = mcias.issue("alice", -1000);
    expect(await codeOf(validate(expired))).toBe("unauthenticated");
    const guest = mcias.issue("bob");
    const err = await validate(guest).catch((e) => e);
    expect([err.code, err.identity]).toEqual(["permission_denied", "bob"]);
    const before = mcias.calls.validate;
    await validate("not-a-token").catch(() => {});
    expect(mcias.calls.validate - before).toBe(1);
  });

  test("fails closed: MCIAS down or unreachable refuses a token it has not seen (unavailable)", async () => {
    const validate = createMciasValidator({ ...server, cacheTtlMs: 30_000, clock: { now: () => Date.now() } });
    const token = mcias.issue("alice");
    mcias.setDown(true);
    try {
      expect(await codeOf(validate(token))).toBe("unavailable");
    } finally {
      mcias.setDown(false);
    }
    const nowhere = createMciasValidator({ serverUrl: "https://127.0.0.1:1", caPem: mcias.caPem, cacheTtlMs: 1000, clock: { now: () => Date.now() } });
    expect(await codeOf(nowhere(token))).toBe("unavailable");
    // A wrong CA is not a way around it either.
    const wrongCa = createMciasValidator({ serverUrl: mcias.url, caPem: "", cacheTtlMs: 1000, clock: { now: () => Date.now() } });
    expect(await codeOf(wrongCa(token))).toBe("unavailable");
  });

  test("roleFrom: the highest of admin, operator, viewer; guest and unknown roles are none", () => {
    expect(roleFrom(["viewer", "operator"])).toBe("operator");
    expect(roleFrom(["guest"])).toBeNull();
    expect(roleFrom(["Admin"])).toBeNull();
    expect(roleFrom("admin")).toBeNull();
  });
});
