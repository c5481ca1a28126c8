// Issue 13 (found by the hostile review): a container that swaps a directory
// of its data for a symlink to the agent's directory, over and over, while
// the operator takes snapshots. Before, SQLite followed the swapped path:
// snapshots carried the agent's registry (tokens, audit) and once the
// registry lost rows. Now the copy runs in a process of its own, read-only,
// with every file it opens checked by descriptor: each snapshot is refused
// or clean, and the registry keeps every row.
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, type Actor } from "../support/attack.ts";
import { podmanAvailable, TEST_IMAGES } from "../support/image.ts";
import { tempDir } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (snapshot race) SKIPPED: podman is not available (${podman.reason})`);

const TRIALS = 25;

describe.skipIf(!podman.ok)("security: snapshots while a container swaps its directories for symlinks", () => {
  let agent: TestAgent;
  let op: Actor;
  const svc = `swap-${crypto.randomUUID().slice(0, 6)}`;

  beforeAll(async () => {
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    op = await actor(agent, "op", "operator");
    mkdirSync(join(agent.srvRoot, svc, "sub"), { recursive: true });
    // A harmless database named like the agent's registry, where the agent's would be after a swap.
    const seed = new Database(join(agent.srvRoot, svc, "sub/mcp.db"));
    seed.run("CREATE TABLE harmless (x)");
    seed.close();
    const toggle = `trap 'exit 0' TERM; while :; do mv /data/sub /data/sub.r; ln -s ${join(agent.srvRoot, "mcp")} /data/sub; rm /data/sub; mv /data/sub.r /data/sub; done`;
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "pal"\nimage = "${TEST_IMAGES.v1}"\nvolumes = ["${join(agent.srvRoot, svc)}:/data"]\ncmd = ["sh", "-c", ${JSON.stringify(toggle)}]\n`);
    const d = await op.cli(["deploy", svc]);
    if (d.code !== 0) throw new Error(`deploy failed: ${d.stdout}${d.stderr}`);
  }, 60_000);

  afterAll(async () => {
    await $`podman rm -f -t 0 ${svc}-pal`.nothrow().quiet();
    await agent?.stop();
  });

  test(`${TRIALS} snapshots: none carries the agent's registry or keys, and the registry keeps every token`, async () => {
    const out = tempDir("mcp-swap-");
    let clean = 0;
    const refusals: string[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const file = join(out, `s${i}.tar.zst`);
      const r = await op.cli(["snapshot", svc, "-o", file]);
      expect(r.stderr).not.toContain("internal error");
      if (r.code !== 0) {
        refusals.push(r.stderr.split("\n")[0]!);
        continue;
      }
      const x = join(out, `x${i}`);
      mkdirSync(x);
      await $`tar --zstd -xf ${file} -C ${x}`.quiet();
      const listed = await $`find ${x}`.text();
      expect(listed).not.toContain("ca-key.pem");
      expect(listed).not.toContain("mcp-agent.toml");
      for (const db of listed.split("\n").filter((p) => p.endsWith("mcp.db"))) {
        const copy = new Database(db, { readonly: true });
        const tables = (copy.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
        copy.close();
        expect(tables).not.toContain("tokens");
      }
      rmSync(x, { recursive: true });
      clean++;
    }
    console.log(`snapshot race: ${clean} clean snapshots, ${refusals.length} refused (${[...new Set(refusals.map((l) => l.replace(/"[^"]*"/g, "…")))].join(" | ")})`);
    // The agent's registry is whole: the operator's token (made by another process) still works.
    expect((await op.cli(["status", svc])).code).toBe(0);
    const reg = new Database(join(agent.stateDir, "mcp.db"), { readonly: true });
    expect((reg.query("SELECT name FROM tokens ORDER BY id").all() as { name: string }[]).map((t) => t.name)).toEqual(["admin", "op"]);
    reg.close();
  }, 180_000);
});
