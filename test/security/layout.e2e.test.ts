// Issue 13: `mcp agent init` and the agent's start refuse a layout where a
// service directory could be, contain or sit inside the agent's directory
// (SPEC §7.1), before anything is written or served.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTomlKey } from "../support/agent.ts";
import { runMcp, tempDir } from "../support/mcp.ts";

const init = (dir: string, srvRoot: string) =>
  runMcp("binary", ["agent", "init", "--node", "rift", "--listen", "127.0.0.1:9444", "--dir", dir, "--srv-root", srvRoot]);

describe("security: the agent's directory is never a service's", () => {
  test("init: the production layout (<srv>/mcp beside the services) is accepted", async () => {
    const root = tempDir();
    const r = await init(join(root, "srv/mcp"), join(root, "srv"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  }, 30_000);

  const refusals: [string, (root: string) => [string, string], RegExp][] = [
    ["the srv root inside the agent's directory", (root) => [join(root, "agent"), join(root, "agent/services")], /lies inside the agent's directory/],
    ["the srv root equal to the agent's directory", (root) => [join(root, "agent"), join(root, "agent")], /lies inside the agent's directory/],
    ["the agent's directory where a service named agent would live", (root) => [join(root, "srv/agent"), join(root, "srv")], /which a service named agent would own/],
    ["the agent's directory deeper inside a would-be service directory", (root) => [join(root, "srv/ops/mcp"), join(root, "srv")], /which a service named ops would own/],
  ];
  for (const [what, paths, message] of refusals) {
    test(`init refuses ${what}, writing nothing (exit 1)`, async () => {
      const root = tempDir();
      const [dir, srv] = paths(root);
      const r = await init(dir, srv);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain("internal error");
      expect(existsSync(join(dir, "mcp-agent.toml"))).toBe(false);
    }, 30_000);
  }

  test("the agent refuses to start when its config puts the srv root around its own files", async () => {
    const root = tempDir();
    const dir = join(root, "srv/mcp");
    expect((await init(dir, join(root, "srv"))).code).toBe(0);
    const config = join(dir, "mcp-agent.toml");
    writeFileSync(config, setTomlKey(readFileSync(config, "utf8"), "database", "path", JSON.stringify(join(root, "srv/data/mcp.db"))));
    const r = await runMcp("binary", ["agent", "--config", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the registry's directory \(.*srv\/data\) lies under the srv root .* which a service named data would own/);
    expect(r.stderr).toMatch(/hint: keep the agent's files in .*srv\/mcp/);
  }, 30_000);
});
