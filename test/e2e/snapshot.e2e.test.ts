// mcp snapshot / mcp restore through the CLI against a real agent and a
// deployed service that mounts its data directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_USER, giveToAgent, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e snapshot suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp snapshot and mcp restore", () => {
  let agent: TestAgent;
  const svc = uniqueName("snap");
  let dir: string;

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    dir = join(agent.dir, "srv", svc);
    mkdirSync(join(dir, "db"), { recursive: true });
    writeFileSync(join(dir, "app.conf"), "v = 1\n");
    const db = new Database(join(dir, "db", "app.db"));
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v); INSERT INTO t VALUES ('before')");
    db.close();
    giveToAgent(dir);
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\nvolumes = ["${dir}:/data"]\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  test("snapshot → change → restore refused while running, --force restores and restarts; the container sees the restored data", async () => {
    const out = join(agent.dir, "snap.tar.zst");
    const s = await agent.cli(["snapshot", svc, "-o", out]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(new RegExp(`^wrote ${out} \\(.+, sha256 [0-9a-f]{64}; databases: db/app\\.db\\)\\n$`));
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await agent.cli(["snapshot", svc, "-o", out])).code).toBe(2); // exists, no --force

    writeFileSync(join(dir, "app.conf"), "v = 2\n");
    const refused = await agent.cli(["restore", svc, out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: service ${svc} is running (${svc}-api)\nhint: stop it first (mcp stop ${svc}), or restore with --force, which restarts it afterwards\n`);
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("v = 2\n");

    const forced = await agent.cli(["restore", svc, out, "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^restored .* databases checked: db\/app\.db\)\nrestarted: api\n$/);
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("v = 1\n");
    expect((await $`${P} exec ${svc}-api cat /data/app.conf`.text())).toBe("v = 1\n");
  }, 60_000);

  test("a stopped service restores without --force; a corrupted archive is refused and changes nothing", async () => {
    expect((await agent.cli(["stop", svc])).code).toBe(0);
    const out = join(agent.dir, "snap2.tar.zst");
    expect((await agent.cli(["snapshot", svc, "-o", out])).code).toBe(0);
    writeFileSync(join(dir, "app.conf"), "v = 3\n");
    const bytes = readFileSync(out);
    const bad = join(agent.dir, "bad.tar.zst");
    writeFileSync(bad, bytes.subarray(0, bytes.length - 40));
    const r = await agent.cli(["restore", svc, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the archive is damaged or truncated: /);
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("v = 3\n");
    expect(readdirSync(join(agent.dir, "srv")).filter((f) => f.startsWith("."))).toEqual([]);
    const ok = await agent.cli(["restore", svc, out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain("restarted");
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("v = 1\n");
  }, 60_000);
});
