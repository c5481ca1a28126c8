// The agent's own commands, run as a process: init, token create/list/revoke,
// and the environment checks at start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { podmanAvailable } from "../support/image.ts";
import { runMcp, tempDir } from "../support/mcp.ts";

describe("mcp agent init", () => {
  const dir = join(tempDir(), "state");
  let out = "";

  beforeAll(async () => {
    const r = await runMcp("source", ["agent", "init", "--node", "rift", "--listen", "100.95.252.120:9444", "--dir", dir, "--srv-root", "/srv"]);
    expect(r.code).toBe(0);
    out = r.stdout;
  });

  test("prints what the workstation needs, the token alone on the last line", () => {
    expect(out).toContain("mcp node add rift 100.95.252.120:9444 --ca-cert");
    expect(out).toContain("mcp login --node rift --token-stdin");
    expect(out.trimEnd().split("\n").at(-1)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test("writes a config that names the node and listen address, and private keys 0600", () => {
    const cfg = readFileSync(join(dir, "mcp-agent.toml"), "utf8");
    expect(cfg).toMatch(/^listen = "100\.95\.252\.120:9444"/m);
    expect(cfg).toMatch(/^node_name = "rift"/m);
    expect(statSync(join(dir, "certs/key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "certs/ca-key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "mcp.db")).mode & 0o777).toBe(0o600);
  });

  test("the certificate carries the node name and the listen IP, signed by the new CA", () => {
    const cert = new X509Certificate(readFileSync(join(dir, "certs/cert.pem")));
    const ca = new X509Certificate(readFileSync(join(dir, "certs/ca.pem")));
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.checkHost("rift")).toBe("rift");
    expect(cert.checkIP("100.95.252.120")).toBe("100.95.252.120");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  test("refuses to overwrite an existing setup, changing nothing", async () => {
    const before = readFileSync(join(dir, "certs/ca.pem"), "utf8");
    const r = await runMcp("source", ["agent", "init", "--node", "rift", "--listen", "127.0.0.1:9444", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*mcp-agent\.toml exists: this node is already set up/);
    expect(readFileSync(join(dir, "certs/ca.pem"), "utf8")).toBe(before);
  });

  test("bad flags are usage errors", async () => {
    const d = join(tempDir(), "x");
    expect((await runMcp("source", ["agent", "init", "--node", "Rift!", "--listen", "127.0.0.1:9444", "--dir", d])).stderr).toMatch(/--node: "Rift!" is not a valid name/);
    const r = await runMcp("source", ["agent", "init", "--node", "rift", "--listen", "9444", "--dir", d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--listen: "9444" is not host:port/);
    expect((await runMcp("source", ["agent", "init", "--listen", "127.0.0.1:1", "--dir", d])).code).toBe(2);
  });

  test("token create / list / revoke on the node", async () => {
    const cfg = ["--config", join(dir, "mcp-agent.toml")];
    const c = await runMcp("source", ["agent", "token", "create", "--name", "ci", "--role", "operator", "--ttl", "90d", ...cfg]);
    expect(c.code).toBe(0);
    const secret = c.stdout.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.stderr).toMatch(/token "ci" \(operator, expires \d{4}-/);
    const l = await runMcp("source", ["agent", "token", "list", "--json", ...cfg]);
    const tokens = JSON.parse(l.stdout).tokens;
    expect(tokens.map((t: { name: string; role: string; state: string }) => [t.name, t.role, t.state])).toEqual([["admin", "admin", "valid"], ["ci", "operator", "valid"]]);
    expect(l.stdout).not.toContain(secret);
    expect((await runMcp("source", ["agent", "token", "revoke", "ci", ...cfg])).code).toBe(0);
    expect((await runMcp("source", ["agent", "token", "revoke", "ci", ...cfg])).code).toBe(2);
    expect((await runMcp("source", ["agent", "token", "create", "--name", "g", "--role", "guest", ...cfg])).stderr).toMatch(/role "guest" is not one of/);
  });
});

describe("the agent's start checks say plainly what is missing", () => {
  const dir = join(tempDir(), "state");

  beforeAll(async () => {
    await runMcp("source", ["agent", "init", "--node", "n1", "--listen", "127.0.0.1:1", "--dir", dir]);
  });

  test("no HOME", async () => {
    const r = await runMcp("source", ["agent", "--config", join(dir, "mcp-agent.toml")], { env: { HOME: undefined } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: the agent cannot start: HOME is not set/);
  });

  test("podman that does not answer", async () => {
    const cfg = join(dir, "mcp-agent.toml");
    writeFileSync(cfg, readFileSync(cfg, "utf8").replace(/^\[agent\]\n/m, `[agent]\npodman = "/nonexistent/podman"\n`));
    const r = await runMcp("source", ["agent", "--config", cfg]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: the agent cannot start: podman does not answer: cannot run podman: \/nonexistent\/podman not found/);
    expect(r.stderr).toMatch(/\nhint: /);
  });
});

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e token-enforcement suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("tokens against a running agent", () => {
  let agent: TestAgent;
  beforeAll(async () => {
    agent = await startTestAgent();
  }, 60_000);
  afterAll(() => agent?.stop());

  const tokenFile = () => join(agent.dir, "cli/tokens/local");
  const withToken = async (token: string, args: string[]) => {
    const good = readFileSync(tokenFile(), "utf8");
    writeFileSync(tokenFile(), token);
    try {
      return await agent.cli(args);
    } finally {
      writeFileSync(tokenFile(), good);
    }
  };
  const create = async (name: string, role: string) =>
    (await runMcp("source", ["agent", "token", "create", "--name", name, "--role", role, "--config", agent.agentConfig])).stdout.trim();

  test("a viewer may read but not change anything (exit 3, names the role)", async () => {
    const viewer = await create("viewer1", "viewer");
    expect((await withToken(viewer, ["ps"])).code).toBe(0);
    writeServiceDef(agent, "viewed", 'name = "viewed"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "localhost/x:v1"\n');
    const r = await withToken(viewer, ["restart", "viewed"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: RestartService needs role operator; token "viewer1" has viewer\nhint: /);
  });

  test("revocation is effective at once", async () => {
    const t = await create("temp", "operator");
    expect((await withToken(t, ["ps"])).code).toBe(0);
    await runMcp("source", ["agent", "token", "revoke", "temp", "--config", agent.agentConfig]);
    const r = await withToken(t, ["ps"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: node local: token "temp" was revoked\nhint: /);
  });
});

describe("mcp node add / list / remove keep the config's comments", () => {
  test("round trip", async () => {
    const cfg = join(tempDir(), "mcp.toml");
    writeFileSync(cfg, "# my fleet\n[services]\ndir = \"~/svc\"   # where my files are\n");
    expect((await runMcp("source", ["node", "add", "rift", "100.95.252.120:9444", "--config", cfg])).code).toBe(0);
    expect((await runMcp("source", ["node", "add", "vade", "[::1]:9444", "--server-name", "vade.lan", "--config", cfg])).code).toBe(0);
    const dup = await runMcp("source", ["node", "add", "rift", "1.2.3.4:1", "--config", cfg]);
    expect(dup.code).toBe(2);
    const list = await runMcp("source", ["node", "list", "--offline", "--json", "--config", cfg]);
    expect(JSON.parse(list.stdout).nodes.map((n: { name: string; server_name: string }) => [n.name, n.server_name])).toEqual([["rift", "rift"], ["vade", "vade.lan"]]);
    expect((await runMcp("source", ["node", "remove", "rift", "--config", cfg])).code).toBe(0);
    expect((await runMcp("source", ["node", "remove", "rift", "--config", cfg])).code).toBe(2);
    const text = readFileSync(cfg, "utf8");
    expect(text.startsWith("# my fleet\n[services]\ndir = \"~/svc\"   # where my files are\n")).toBe(true);
    expect(text).not.toContain("rift");
    expect(text).toContain('name = "vade"');
  });
});
