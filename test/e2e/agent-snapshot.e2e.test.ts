// `mcp agent snapshot`, run as a process on a node set up by `mcp agent init`
// (no podman needed): the registry backup, its retention, and its errors.
import { beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTomlKey } from "../support/agent.ts";
import { freePort, runMcp, tempDir } from "../support/mcp.ts";

describe("mcp agent snapshot", () => {
  const root = tempDir("mcp-snapshot-");
  const state = join(root, "state");
  const config = join(state, "mcp-agent.toml");
  const backups = join(state, "backups");

  beforeAll(async () => {
    const port = await freePort();
    const init = await runMcp("source", ["agent", "init", "--node", "n1", "--listen", `127.0.0.1:${port}`, "--dir", state, "--srv-root", join(root, "srv")]);
    expect(init.code).toBe(0);
  });

  test("backs up the registry to <state>/backups/mcp-<UTC time>.db (0600) and prints the path last", async () => {
    const r = await runMcp("source", ["agent", "snapshot", "--config", config]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const path = r.stdout.trimEnd().split("\n").at(-1)!;
    expect(path).toMatch(new RegExp(`^${backups}/mcp-\\d{8}T\\d{6}Z(-\\d+)?\\.db$`));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(backups).mode & 0o777).toBe(0o700);

    const copy = new Database(path, { readonly: true });
    try {
      expect(copy.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'services'").all()).toEqual([{ name: "services" }]);
      // init's admin token is in the registry, so it is in the copy.
      expect((copy.query("SELECT count(*) AS n FROM tokens").get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      copy.close();
    }
  });

  test("keeps the newest 7 and says on stderr which old ones it removed; other files stay", async () => {
    mkdirSync(backups, { recursive: true });
    const old = ["mcp-20200101T000000Z.db", "mcp-20200102T000000Z.db", "mcp-20200103T000000Z.db", "mcp-20200104T000000Z.db", "mcp-20200105T000000Z.db", "mcp-20200106T000000Z.db", "mcp-20200107T000000Z.db"];
    for (const f of old) writeFileSync(join(backups, f), "");
    writeFileSync(join(backups, "README"), "mine");

    const r = await runMcp("source", ["agent", "snapshot", "--config", config]);
    expect(r.code).toBe(0);
    const path = r.stdout.trimEnd().split("\n").at(-1)!;
    expect(existsSync(path)).toBe(true);
    // The one from the first test, seven old ones and this one: the two oldest go.
    expect(r.stderr).toBe("removed 2 old backups: mcp-20200101T000000Z.db, mcp-20200102T000000Z.db\n");
    const left = readdirSync(backups);
    expect(left.filter((f) => f.startsWith("mcp-"))).toHaveLength(7);
    expect(left).not.toContain(old[0]);
    expect(readFileSync(join(backups, "README"), "utf8")).toBe("mine");
  });

  test("a missing config: exit 2, what went wrong and what to do next, nothing on stdout", async () => {
    const r = await runMcp("source", ["agent", "snapshot", "--config", join(root, "nope.toml")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: .*nope\.toml: no such file$/);
    expect(lines[1]).toMatch(/^hint: /);
  });

  test("a config whose registry does not exist: exit 1, no registry at <path>", async () => {
    const other = join(root, "other.toml");
    const missing = join(root, "elsewhere/mcp.db");
    writeFileSync(other, setTomlKey(readFileSync(config, "utf8"), "database", "path", JSON.stringify(missing)));
    const r = await runMcp("source", ["agent", "snapshot", "--config", other]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`error: no registry at ${missing}\nhint: is this the agent's config? run mcp agent init first\n`);
    expect(existsSync(join(root, "elsewhere"))).toBe(false);
  });
});
