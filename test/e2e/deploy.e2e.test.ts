// End to end with the COMPILED binary: agent init into a temp dir, the agent
// on a loopback port with real TLS, the CLI dialing 127.0.0.1 and verifying
// the certificate by node name, real podman underneath.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { ensureBinary } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e deploy suite SKIPPED: podman is not available (${podman.reason})`);

// PID 1 ignores SIGTERM: every stop waits for the agent's stop_timeout (2 s
// here), which makes a deploy long enough to overlap a second one.
const SLOW_STOP_CMD = `["sh", "-c", "trap '' TERM; sleep 3600 & wait"]`;

describe.skipIf(!podman.ok)("e2e: deploy, ps, stop, start, restart (compiled binary, real podman)", () => {
  let agent: TestAgent;
  const svc = uniqueName("e2e");

  beforeAll(async () => {
    ensureBinary();
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER, flavor: "binary", settings: { agent: { stop_timeout: `"2s"` } } });
    writeServiceDef(agent, svc, [
      "# the e2e service: comments must survive stop and start",
      `name = "${svc}"`,
      `node = "${agent.node}"   # pinned`,
      "",
      "[[components]]",
      'name = "api"',
      `image = "${TEST_IMAGES.v1}"`,
      `cmd = ${SLOW_STOP_CMD}`,
      'env = ["GREETING=hello"]',
      "",
    ].join("\n"));
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  const psRow = async () => {
    const r = await agent.cli(["ps", "--json"]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { components: Record<string, unknown>[] }).components.find((c) => c.service === svc);
  };

  test("deploy → ps shows the component running with its version", async () => {
    const r = await agent.cli(["deploy", svc]);
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^SERVICE\\s+COMPONENT\\s+RESULT\\s+VERSION\\s+DETAIL\\n${svc}\\s+api\\s+ok\\s+v1\\s+running v1\\n$`));
    // localhost/ images live in the node's storage: no pull is tried, nothing to warn about.
    expect(r.stderr).toBe("");
    const row = await psRow();
    expect(row).toMatchObject({ component: "api", node: agent.node, state: "running", version: "v1", container: `${svc}-api` });
    const table = await agent.cli(["ps"]);
    expect(table.stdout).toMatch(new RegExp(`^SERVICE\\s+COMPONENT\\s+NODE\\s+STATE\\s+VERSION\\s+UPTIME\\n`));
    expect(table.stdout).toMatch(new RegExp(`${svc}\\s+api\\s+local\\s+running\\s+v1\\s+\\d+s`));
    const labels = (await $`${P} inspect --format ${"{{json .Config.Labels}}"} ${svc}-api`.text()).trim();
    expect(JSON.parse(labels)).toMatchObject({ "mcp.node": "local", "mcp.service": svc, "mcp.component": "api" });
  });

  test("stop → observed and desired stopped, and the file says active = false with its comments", async () => {
    const r = await agent.cli(["stop", svc]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("active = false");
    expect((await psRow())!.state).toBe("stopped");
    const st = await agent.cli(["status", svc, "--json"]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout).components[0]).toMatchObject({ component: "api", desired: "stopped", observed: "stopped", drift: false });
    const file = readFileSync(`${agent.servicesDir}/${svc}.toml`, "utf8");
    expect(file).toContain("# the e2e service: comments must survive stop and start\n");
    expect(file).toContain(`node = "${agent.node}"   # pinned\nactive = false\n`);
    expect((await $`${P} inspect --format ${"{{.State.Status}}"} ${svc}-api`.text()).trim()).toBe("exited");
  }, 30_000);

  test("deploy of an inactive service is refused before anything is sent", async () => {
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: service .* is inactive/);
  });

  test("start → running again and active = true; restart keeps it running", async () => {
    const s = await agent.cli(["start", svc]);
    expect(s.code).toBe(0);
    expect((await psRow())!.state).toBe("running");
    expect(readFileSync(`${agent.servicesDir}/${svc}.toml`, "utf8")).toContain("active = true\n");
    const before = (await $`${P} inspect --format ${"{{.State.StartedAt}}"} ${svc}-api`.text()).trim();
    const r = await agent.cli(["restart", svc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/api\s+ok\s+v1\s+restarted/);
    const after = (await $`${P} inspect --format ${"{{.State.StartedAt}}"} ${svc}-api`.text()).trim();
    expect(after).not.toBe(before);
    expect((await psRow())!.state).toBe("running");
  }, 30_000);

  test("a second deploy of the same service while one runs waits, then succeeds", async () => {
    const [a, b] = await Promise.all([agent.cli(["deploy", svc, "--force"]), agent.cli(["deploy", svc, "--force"])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stderr + b.stderr).toMatch(new RegExp(`${svc}: waiting for another operation on ${svc}`));
    const names = (await $`${P} ps -a --filter name=^${svc}- --format ${"{{.Names}}"}`.text()).trim().split("\n");
    expect(names).toEqual([`${svc}-api`]);
  }, 60_000);

  test("a failed pull leaves the running container and the deployed spec untouched", async () => {
    const before = (await $`${P} inspect --format ${"{{.Id}}"} ${svc}-api`.text()).trim();
    const path = `${agent.servicesDir}/${svc}.toml`;
    const good = readFileSync(path, "utf8");
    writeFileSync(path, good.replace(TEST_IMAGES.v1, "127.0.0.1:1/mcp-test/does-not-exist:v9"));
    try {
      const r = await agent.cli(["deploy", svc]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/api\s+failed\s+v9\s+pull failed/);
      expect((await $`${P} inspect --format ${"{{.Id}} {{.State.Status}}"} ${svc}-api`.text()).trim()).toBe(`${before} running`);
      const list = JSON.parse((await agent.cli(["list", "--json"])).stdout);
      const comp = list.services.find((s: { name: string }) => s.name === svc).components[0];
      expect(comp.spec.image).toBe(TEST_IMAGES.v1);
      expect(comp.version).toBe("v1");
    } finally {
      writeFileSync(path, good);
    }
  }, 30_000);

  test("two identical deploys of a 3-component service: the second is unchanged for every component and creates no container", async () => {
    const three = `${svc}-x3`;
    writeServiceDef(agent, three, `name = "${three}"\nnode = "${agent.node}"\n\n${["a", "b", "c"]
      .map((n) => `[[components]]\nname = "${n}"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${SLOW_STOP_CMD}\n`).join("\n")}`);
    try {
      expect((await agent.cli(["deploy", three])).code).toBe(0);
      const ids = async () => (await $`${P} ps -a --filter label=mcp.service=${three} --format ${"{{.Names}} {{.ID}}"}`.text()).trim().split("\n").sort();
      const before = await ids();
      expect(before).toHaveLength(3);
      const r = await agent.cli(["deploy", three]);
      expect(r.code).toBe(0);
      expect(r.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/\s+/).slice(1, 3))).toEqual([["a", "unchanged"], ["b", "unchanged"], ["c", "unchanged"]]);
      expect(await ids()).toEqual(before);
    } finally {
      await removeContainers(three, P);
    }
  }, 60_000);
});
