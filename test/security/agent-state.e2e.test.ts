// Issue 13: an operator token must never reach the agent's own state (SPEC
// §7.1), in the production layout where the agent lives in <srv>/mcp beside
// the services. Each attack asserts the refusal, its exit status and message,
// and that nothing changed on disk, in the registry or in podman.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, fingerprint, tarZst, type Actor } from "../support/attack.ts";
import { podmanAvailable, TEST_IMAGES } from "../support/image.ts";
import { tempDir } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (agent state) SKIPPED: podman is not available (${podman.reason})`);

const def = (name: string, extra = "") =>
  `name = "${name}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\n${extra}`;

describe.skipIf(!podman.ok)("security: the agent's state is out of an operator's reach", () => {
  let agent: TestAgent;
  let op: Actor;
  let local: string;

  beforeAll(async () => {
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    op = await actor(agent, "op", "operator");
    mkdirSync(join(agent.srvRoot, "app"), { recursive: true });
    mkdirSync(join(agent.srvRoot, "other"), { recursive: true });
    writeFileSync(join(agent.srvRoot, "other", "secret.txt"), "other's data\n");
    local = tempDir("mcp-attack-");
    writeFileSync(join(local, "evil.toml"), "[auth]\nmode = \"local\"\n");
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
  });

  /** Runs an attack through the CLI: it must be refused with this exit status and message, and change nothing. */
  async function refused(args: string[], code: number, message: RegExp, who: Actor = op) {
    const before = await fingerprint(agent);
    const r = await who.cli(args);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.stringMatching(message) });
    expect(r.stderr).not.toContain("internal error");
    expect(await fingerprint(agent)).toBe(before);
    return r;
  }

  test("a definition named mcp is refused by the CLI (exit 2) and by the agent itself", async () => {
    writeServiceDef(agent, "mcp", def("mcp"));
    await refused(["deploy", "mcp"], 2, /"mcp" is reserved/);
    const before = await fingerprint(agent);
    const c = op.client();
    try {
      const d = { name: "mcp", node: "local", active: true, components: [{ name: "web", image: TEST_IMAGES.v1, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] }] };
      await expect(c.deploy({ service: d, component: "", force: false, lockWaitMs: 0 }, () => {})).rejects.toThrow(/"mcp" is reserved/);
      await expect(c.syncDesiredState({ services: [d], dryRun: false, prune: false })).rejects.toThrow(/"mcp" is reserved/);
    } finally {
      c.close();
    }
    expect(await fingerprint(agent)).toBe(before);
  }, 30_000);

  for (const path of ["certs/ca-key.pem", "certs/key.pem", "mcp.db", "mcp-agent.toml", "registries/auth.json"]) {
    test(`pull mcp ${path} is refused`, async () => {
      await refused(["pull", "mcp", path, join(local, "stolen")], 2, /"mcp" is reserved/);
    });
  }

  test("push into the agent's config and restore over the agent's directory are refused", async () => {
    const config = readFileSync(agent.agentConfig, "utf8");
    await refused(["push", join(local, "evil.toml"), "mcp", "mcp-agent.toml"], 2, /"mcp" is reserved/);
    const archive = await tarZst(join(agent.srvRoot, "app"), join(local, "empty.tar.zst"));
    await refused(["restore", "mcp", archive, "--force"], 2, /"mcp" is reserved/);
    await refused(["snapshot", "mcp", "-o", join(local, "agent.tar.zst")], 2, /"mcp" is reserved/);
    expect(readFileSync(agent.agentConfig, "utf8")).toBe(config);
  }, 30_000);

  test("a service directory that is a symlink to the agent's directory is refused (exit 3)", async () => {
    symlinkSync(join(agent.srvRoot, "mcp"), join(agent.srvRoot, "alias"));
    writeServiceDef(agent, "alias", def("alias"));
    await refused(["pull", "alias", "certs/ca-key.pem", join(local, "stolen")], 3, /alias: its directory would reach the agent's directory/);
    await refused(["snapshot", "alias", "-o", join(local, "alias.tar.zst")], 3, /would reach the agent's directory/);
    await refused(["push", join(local, "evil.toml"), "alias", "mcp-agent.toml"], 3, /would reach the agent's directory/);
  }, 30_000);

  const policyCases: [string, string, RegExp][] = [
    ["the agent's directory", `volumes = ["SRV/mcp:/x"]`, /volumes\[0\]: SRV\/mcp reaches the agent's directory/],
    ["the CA key's directory", `volumes = ["SRV/mcp/certs:/x:ro"]`, /reaches the agent's directory/],
    ["the host's root", `volumes = ["/:/host"]`, /reaches the agent's directory/],
    ["/etc", `volumes = ["/etc:/host-etc"]`, /the host path \/etc is not allowed by the node's policy/],
    ["another service's directory", `volumes = ["SRV/other:/x"]`, /the host path SRV\/other is not allowed/],
    ["the srv root", `volumes = ["SRV:/x"]`, /reaches the agent's directory/],
    ["the podman socket", `volumes = ["/run/podman/podman.sock:/run/podman.sock"]`, /\/run\/podman\/podman\.sock is not allowed/],
    ["host network", `network = "host"`, /network mode "host" is not allowed/],
    ["another container's network", `network = "container:other-web"`, /network mode "container:other-web" is not allowed/],
    ["a namespace path", `network = "ns:/proc/1/ns/net"`, /is not allowed by the node's policy/],
    ["slirp4netns host loopback", `network = "slirp4netns:allow_host_loopback=true"`, /is not allowed by the node's policy/],
  ];
  for (const [what, extra, message] of policyCases) {
    test(`a component mounting or joining ${what} is refused before anything runs (exit 3)`, async () => {
      const srv = agent.srvRoot;
      writeServiceDef(agent, "app", def("app", `${extra.replaceAll("SRV", srv)}\n`));
      const r = await refused(["deploy", "app"], 3, new RegExp(message.source.replaceAll("SRV", srv.replaceAll("/", "\\/"))));
      expect(r.stderr).toMatch(/\[policy\] (host_paths|host_network)|whatever the policy/);
    }, 30_000);
  }

  test("a symlink planted in the service's own directory does not open the agent's directory", async () => {
    symlinkSync(join(agent.srvRoot, "mcp"), join(agent.srvRoot, "app", "data"));
    writeServiceDef(agent, "app", def("app", `volumes = ["${agent.srvRoot}/app/data:/data"]\n`));
    await refused(["deploy", "app"], 3, /reaches the agent's directory/);
  }, 30_000);

  test("a mount below another component's writable mount is refused (the outer container could swap it for a symlink before a restart)", async () => {
    mkdirSync(join(agent.srvRoot, "app", "d"), { recursive: true });
    const srv = agent.srvRoot;
    writeServiceDef(agent, "app", `${def("app", `volumes = ["${srv}/app:/data"]\n`)}\n[[components]]\nname = "job"\nimage = "${TEST_IMAGES.v1}"\nvolumes = ["${srv}/app/d:/m"]\n`);
    await refused(["deploy", "app"], 3, new RegExp(`component job mounts ${srv}/app/d \\(volumes\\[0\\]\\) below ${srv}/app, which component web mounts writable`));
    writeServiceDef(agent, "app", def("app", `volumes = ["${srv}/app/x/../../mcp:/m"]\n`));
    await refused(["deploy", "app"], 2, /is not in normal form/);
  }, 30_000);

  test("sync refuses a definition the policy forbids, so a later start cannot create it", async () => {
    for (const name of ["mcp", "alias"]) rmSync(join(agent.servicesDir, `${name}.toml`), { force: true });
    writeServiceDef(agent, "app", def("app", `volumes = ["/:/host"]\n`));
    await refused(["sync"], 3, /reaches the agent's directory/);
  }, 30_000);

  test("a restored symlink leaving the service's directory is refused; the next snapshot cannot carry the agent's registry", async () => {
    const tree = join(local, "tree");
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, "ok.txt"), "fine\n");
    symlinkSync("../mcp", join(tree, "link"));
    const archive = await tarZst(tree, join(local, "link.tar.zst"));
    await refused(["restore", "app", archive], 2, /link/);
    // The link planted on the node above (a container can write absolute links into its data): the snapshot says at once that it will not restore.
    writeServiceDef(agent, "app", def("app"));
    const snap = await op.cli(["snapshot", "app", "-o", join(local, "app.tar.zst")]);
    expect(snap.code).toBe(0);
    expect(snap.stderr).toContain(`warning: the symlink "data" -> "${join(agent.srvRoot, "mcp")}" leaves the service directory: a restore of this snapshot will refuse it`);
    const listed = (await $`tar --zstd -tvf ${join(local, "app.tar.zst")}`.text());
    expect(listed).not.toContain("mcp.db");
    expect(listed).not.toContain("ca-key.pem");
  }, 30_000);
});
