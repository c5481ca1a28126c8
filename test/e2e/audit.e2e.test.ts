// mcp audit against a real agent: an admin reads who called what (including
// a refused call, named), and a token's last use is recorded.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, type TestAgent } from "../support/agent.ts";
import { podmanAvailable } from "../support/image.ts";
import { runMcp } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e audit suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp audit", () => {
  let agent: TestAgent;

  beforeAll(async () => {
    agent = await startTestAgent();
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
  });

  test("an admin sees every call with identity and outcome; a viewer's refused call is named; a viewer may not read it", async () => {
    expect((await agent.cli(["ps"])).code).toBe(0);
    const made = await runMcp("source", ["agent", "token", "create", "--name", "watcher", "--role", "viewer", "--config", agent.agentConfig]);
    const viewer = made.stdout.trimEnd().split("\n").at(-1)!;
    const tokenFile = join(agent.dir, "cli", "tokens", "local");
    const admin = readFileSync(tokenFile, "utf8");
    writeFileSync(tokenFile, `${viewer}\n`);
    try {
      expect((await agent.cli(["restart", "nothing"])).code).not.toBe(0);
      const denied = await agent.cli(["audit"]);
      expect(denied.code).toBe(3);
    } finally {
      writeFileSync(tokenFile, admin);
    }
    const r = await agent.cli(["audit", "--json", "--since", "1h"]);
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout).records as { method: string; identity: string; outcome: string; peer: string; node: string }[];
    expect(records).toContainEqual(expect.objectContaining({ method: "LiveCheck", identity: "admin", outcome: "OK", node: "local" }));
    expect(records).toContainEqual(expect.objectContaining({ method: "ListAudit", identity: "watcher", outcome: "PERMISSION_DENIED" }));
    expect(records.every((x) => /127\.0\.0\.1/.test(x.peer))).toBe(true);
    const table = await agent.cli(["audit"]);
    expect(table.stdout).toMatch(/^TIME\s+NODE\s+METHOD\s+IDENTITY\s+PEER\s+OUTCOME\s+MS\s+DETAIL\n/);
    const tokens = JSON.parse((await runMcp("source", ["agent", "token", "list", "--json", "--config", agent.agentConfig])).stdout);
    const list = (tokens.tokens ?? tokens) as { name: string; last_used: string }[];
    expect(list.find((t) => t.name === "watcher")!.last_used).not.toBe("-");
  }, 60_000);
});
