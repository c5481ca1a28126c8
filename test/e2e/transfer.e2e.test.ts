// mcp push / mcp pull against a real agent over TLS: round trip, hostile
// paths refused, and a push whose client is killed mid-stream leaves the
// previous file byte-identical (issue 6 acceptance 2).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_USER, giveToAgent, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { podmanAvailable, TEST_IMAGES } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";
import { recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e transfer suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp push and mcp pull", () => {
  let agent: TestAgent;
  let svcDir: string;

  beforeAll(async () => {
    agent = await startTestAgent({ user: AGENT_USER, flavor: "binary" });
    writeServiceDef(agent, "files", `name = "files"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\n`);
    svcDir = join(agent.dir, "srv", "files");
    mkdirSync(svcDir, { recursive: true });
    giveToAgent(svcDir);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
  });

  test("push then pull: same bytes and mode; the file is replaced atomically", async () => {
    const local = join(agent.dir, "app.conf");
    writeFileSync(local, "listen = 8080\n", { mode: 0o640 });
    const r = await agent.cli(["push", local, "files", "conf/app.conf"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pushed 14 B to files:conf\/app\.conf on local \(mode 0640, sha256 [0-9a-f]{64}\)\n$/);
    expect(readFileSync(join(svcDir, "conf", "app.conf"), "utf8")).toBe("listen = 8080\n");
    expect(statSync(join(svcDir, "conf", "app.conf")).mode & 0o777).toBe(0o640);

    const back = join(agent.dir, "back.conf");
    const p = await agent.cli(["pull", "files", "conf/app.conf", back]);
    expect(p.code).toBe(0);
    expect(readFileSync(back, "utf8")).toBe("listen = 8080\n");
    expect(statSync(back).mode & 0o777).toBe(0o640);
    // Content that must never show in a log or an error (the scan of a full run checks).
    const secret = `pushed-content-${crypto.randomUUID()}`;
    recordSecret(secret);
    writeFileSync(join(agent.dir, "secret.conf"), secret);
    expect((await agent.cli(["push", join(agent.dir, "secret.conf"), "files", "conf/secret.conf"])).code).toBe(0);
    expect((await agent.cli(["pull", "files", "conf/secret.conf", join(agent.dir, "secret-back.conf")])).code).toBe(0);
    expect(readFileSync(join(agent.dir, "secret-back.conf"), "utf8")).toBe(secret);
    // Into a directory: the file's own name there.
    const q = await agent.cli(["pull", "files", "conf/app.conf", agent.dir]);
    expect(q.code).toBe(0);
    expect(readFileSync(join(agent.dir, "app.conf"), "utf8")).toBe("listen = 8080\n");
  }, 30_000);

  test("hostile paths are refused by the CLI (exit 2, nothing sent) and by the agent", async () => {
    const local = join(agent.dir, "app.conf");
    for (const path of ["../escape", "/etc/passwd", "conf/../../x", "%2e%2e/x"]) {
      const r = await agent.cli(["push", local, "files", path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: path .* is refused: /);
    }
    expect(existsSync(join(agent.dir, "srv", "escape"))).toBe(false);
    const missing = await agent.cli(["pull", "files", "no/such/file"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no\/such\/file does not exist in the service's directory\n/);
  }, 30_000);

  test("a push whose client is killed mid-stream leaves the previous file byte-identical and no temporary file", async () => {
    const target = join(svcDir, "data.bin");
    const old = Buffer.alloc(1 << 20, 1);
    writeFileSync(target, old);
    const local = join(agent.dir, "huge.bin");
    writeFileSync(local, Buffer.alloc(512 << 20, 2)); // 512 MiB: long enough to be killed in the middle
    const proc = Bun.spawn([...mcpArgv("binary"), "push", local, "files", "data.bin", "--config", agent.cliConfig], { stdout: "pipe", stderr: "pipe" });
    // Wait until the agent has started writing the temporary file, then kill the client.
    await waitFor(() => readdirSync(svcDir).some((f) => f.startsWith(".data.bin.mcp-")), "the push to start writing", 20_000);
    proc.kill("SIGKILL");
    await proc.exited;
    await waitFor(() => !readdirSync(svcDir).some((f) => f.startsWith(".data.bin.mcp-")), "the agent to drop the temporary file", 20_000);
    expect(readFileSync(target).equals(old)).toBe(true);
    expect(readdirSync(svcDir).filter((f) => f.startsWith("."))).toEqual([]);
  }, 60_000);
});
