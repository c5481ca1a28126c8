// `mcp agent token create --services` and `token list`, run as a process on a
// node made by `mcp agent init`.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runMcp, tempDir } from "../../support/mcp.ts";

describe("mcp agent token: service scopes", () => {
  const root = tempDir();
  const cfg = ["--config", join(root, "state", "mcp-agent.toml")];

  beforeAll(async () => {
    const r = await runMcp("source", ["agent", "init", "--node", "rift", "--listen", "127.0.0.1:9444", "--dir", join(root, "state"), "--srv-root", join(root, "srv")]);
    expect(r.code).toBe(0);
  }, 30_000);

  test("a scoped operator token is created and listed with its services; unscoped ones show *", async () => {
    const c = await runMcp("source", ["agent", "token", "create", "--name", "ci", "--role", "operator", "--services", "web,db", ...cfg]);
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/token "ci" \(operator, services web, db, no expiry\) created/);
    expect(c.stdout.trimEnd().split("\n").at(-1)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const j = await runMcp("source", ["agent", "token", "list", "--json", ...cfg]);
    const tokens = JSON.parse(j.stdout).tokens as { name: string; services: string[] }[];
    expect(tokens.map((t) => [t.name, t.services])).toEqual([["admin", []], ["ci", ["web", "db"]]]);
    const t = await runMcp("source", ["agent", "token", "list", ...cfg]);
    expect(t.stdout).toMatch(/^NAME\s+ROLE\s+SERVICES\s+STATE/);
    expect(t.stdout).toMatch(/\nadmin\s+admin\s+\*\s+valid/);
    expect(t.stdout).toMatch(/\nci\s+operator\s+web,db\s+valid/);
  }, 30_000);

  test("an admin token cannot be scoped; an empty or bad --services is a usage error; nothing is created", async () => {
    const admin = await runMcp("source", ["agent", "token", "create", "--name", "root", "--role", "admin", "--services", "web", ...cfg]);
    expect([admin.code, admin.stderr.split("\n")[0]]).toEqual([2, "error: an admin token cannot be scoped to services (an admin manages the whole node)"]);
    const empty = await runMcp("source", ["agent", "token", "create", "--name", "e", "--role", "viewer", "--services", "", ...cfg]);
    expect([empty.code, empty.stderr.split("\n")[0]]).toEqual([2, "error: --services names no service"]);
    const bad = await runMcp("source", ["agent", "token", "create", "--name", "b", "--role", "viewer", "--services", "web,../x", ...cfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--services: "\.\.\/x" is not a valid service name/);
    const j = await runMcp("source", ["agent", "token", "list", "--json", ...cfg]);
    expect((JSON.parse(j.stdout).tokens as { name: string }[]).map((t) => t.name)).toEqual(["admin", "ci"]);
  }, 30_000);
});
