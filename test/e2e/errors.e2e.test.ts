// Exit codes and messages of the CLI against a real agent (run from source):
// 3 for a wrong or missing token, 4 for an unreachable node (the others still
// print), 2 for a bad definition or config — and then nothing is sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { freePort, runMcp, tempDir } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e error-path suite SKIPPED: podman is not available (${podman.reason})`);

/** The two lines an error prints: what went wrong, what to do next. */
function expectOneError(stderr: string, what: RegExp) {
  const lines = stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(what);
  expect(lines[1]).toMatch(/^hint: /);
  expect(stderr).not.toMatch(/\n\s+at /); // never a stack trace
}

describe.skipIf(!podman.ok)("e2e: exit codes and messages", () => {
  let agent: TestAgent;
  let counter: Server;
  let connections = 0;
  let counterPort = 0;
  const svc = uniqueName("errs");

  beforeAll(async () => {
    await ensureTestImages();
    agent = await startTestAgent();
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "${svc}"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const d = await agent.cli(["deploy", svc]);
    if (d.code !== 0) throw new Error(d.stderr);
    // A TCP listener that counts connections: proof that nothing was sent.
    counter = createServer((s) => {
      connections++;
      s.destroy();
    });
    counterPort = await freePort();
    await new Promise<void>((r) => counter.listen(counterPort, "127.0.0.1", r));
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    counter?.close();
    await removeContainers(svc);
  });

  test("a component named like its service runs as a container of that name (mc-proxy lesson)", async () => {
    const ps = JSON.parse((await agent.cli(["ps", "--json"])).stdout);
    expect(ps.components.find((c: { service: string }) => c.service === svc)).toMatchObject({ component: svc, container: svc, state: "running" });
  });

  test("wrong token → exit 3 and one clear error", async () => {
    const tokenFile = join(agent.dir, "cli/tokens/local");
    const good = readFileSync(tokenFile, "utf8");
    writeFileSync(tokenFile, "not-the-token\n");
    try {
      const r = await agent.cli(["ps"]);
      expect(r.code).toBe(3);
      expectOneError(r.stderr, /token is not valid/);
    } finally {
      writeFileSync(tokenFile, good);
    }
  });

  test("missing token → exit 3", async () => {
    const cfg = join(tempDir(), "mcp.toml");
    await runMcp("source", ["node", "add", "local", agent.address, "--ca-cert", agent.caPath, "--config", cfg]);
    const r = await runMcp("source", ["ps", "--config", cfg]);
    expect(r.code).toBe(3);
    expectOneError(r.stderr, /no token for node local/);
    expect(r.stderr).toContain("mcp login --node local --token-stdin");
  });

  test("a token file with a trailing newline (and blank lines) works", async () => {
    const tokenFile = join(agent.dir, "cli/tokens/local");
    const good = readFileSync(tokenFile, "utf8");
    writeFileSync(tokenFile, `${agent.token}\n\n`);
    try {
      expect((await agent.cli(["ps"])).code).toBe(0);
    } finally {
      writeFileSync(tokenFile, good);
    }
  });

  test("unreachable node → exit 4, and ps still prints the reachable node", async () => {
    const cfg = join(agent.dir, "cli/mcp.toml");
    const before = readFileSync(cfg, "utf8");
    const dead = await freePort();
    writeFileSync(cfg, `${before}\n[[nodes]]\nname = "dead"\naddress = "127.0.0.1:${dead}"\nca_cert = "${agent.caPath}"\ntoken_path = "${join(agent.dir, "cli/tokens/local")}"\n`);
    try {
      const r = await agent.cli(["ps"]);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(new RegExp(`${svc}\\s+${svc}\\s+local\\s+running`));
      expectOneError(r.stderr, /node dead is unreachable/);
      const j = await agent.cli(["ps", "--json"]);
      expect(j.code).toBe(4);
      expect(JSON.parse(j.stdout).unreachable).toEqual([{ node: "dead", error: expect.stringContaining("unreachable") }]);
    } finally {
      writeFileSync(cfg, before);
    }
  });

  test("the certificate is verified by node name when dialing an IP; a wrong name fails TLS (exit 4)", async () => {
    const cfg = join(tempDir(), "mcp.toml");
    await runMcp("source", ["node", "add", "local", agent.address, "--ca-cert", agent.caPath, "--server-name", "not-in-cert", "--config", cfg,
      "--token-path", join(agent.dir, "cli/tokens/local")]);
    const r = await runMcp("source", ["ps", "--config", cfg]);
    expect(r.code).toBe(4);
    expectOneError(r.stderr, /TLS|certificate/);
  });

  describe("bad definitions and configs → exit 2 with file:line:key, and nothing is sent", () => {
    const dir = tempDir("mcp-bad-");
    const services = join(dir, "services");
    const cfg = join(dir, "mcp.toml");
    mkdirSync(services);

    beforeAll(() => {
      writeFileSync(cfg, `[services]\ndir = "${services}"\n\n[[nodes]]\nname = "rift"\naddress = "127.0.0.1:${counterPort}"\nca_cert = "${agent.caPath}"\ntoken_path = "${join(agent.dir, "cli/tokens/local")}"\n`);
    });

    const cases: [string, string, RegExp][] = [
      ["badtoml", `name = "badtoml"\nnode = "rift"\n[[components]\n`, /badtoml\.toml:3/],
      ["unknownkey", `name = "unknownkey"\nnode = "rift"\n\n[[components]]\nname = "api"\nimage = "x/y:v1"\nimagee = "typo"\n`, /unknownkey\.toml:7: components\[0\]\.imagee: unknown key/],
      ["badname", `name = "badname"\nnode = "rift"\n\n[[components]]\nname = "Bad_Name"\nimage = "x/y:v1"\n`, /badname\.toml:5: components\[0\]\.name: "Bad_Name" is not a valid name/],
      ["unknownnode", `name = "unknownnode"\nnode = "nowhere"\n\n[[components]]\nname = "api"\nimage = "x/y:v1"\n`, /unknown node "nowhere"/],
    ];
    for (const [name, text, want] of cases) {
      test(`${name}`, async () => {
        writeFileSync(join(services, `${name}.toml`), text);
        const before = connections;
        for (const cmd of [["deploy", name], ["stop", name], ["status", name]]) {
          const r = await runMcp("source", [...cmd, "--config", cfg]);
          expect(r.code).toBe(2);
          expectOneError(r.stderr, want);
          expect(r.stdout).toBe("");
        }
        expect(connections).toBe(before);
      });
    }

    test("an unknown key in the CLI config names file, line and key", async () => {
      const bad = join(dir, "bad.toml");
      writeFileSync(bad, `[services]\ndir = "${services}"\n\n[tls]\nca_crt = "x"\n`);
      const r = await runMcp("source", ["ps", "--config", bad]);
      expect(r.code).toBe(2);
      expectOneError(r.stderr, /bad\.toml:5: tls\.ca_crt: unknown key/);
    });

    test("a bad target and an unknown command are usage errors", async () => {
      expect((await runMcp("source", ["deploy", "a/b/c", "--config", cfg])).code).toBe(2);
      const r = await runMcp("source", ["frobnicate"]);
      expect(r.code).toBe(2);
      expectOneError(r.stderr, /unknown command "frobnicate"/);
    });
  });
});

describe("the CLI's default config path", () => {
  test("honours XDG_CONFIG_HOME, else ~/.config/mcp/mcp.toml", async () => {
    const xdg = tempDir();
    const home = tempDir();
    mkdirSync(join(xdg, "mcp"));
    writeFileSync(join(xdg, "mcp/mcp.toml"), `[[nodes]]\nname = "from-xdg"\naddress = "127.0.0.1:9444"\n`);
    mkdirSync(join(home, ".config/mcp"), { recursive: true });
    writeFileSync(join(home, ".config/mcp/mcp.toml"), `[[nodes]]\nname = "from-home"\naddress = "127.0.0.1:9444"\n`);
    const a = await runMcp("source", ["node", "list", "--offline"], { env: { XDG_CONFIG_HOME: xdg, HOME: home } });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^from-xdg\s+127\.0\.0\.1:9444/m);
    const b = await runMcp("source", ["node", "list", "--offline"], { env: { XDG_CONFIG_HOME: "", HOME: home } });
    expect(b.stdout).toMatch(/^from-home\s+/m);
  });
});
