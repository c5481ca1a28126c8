// mcp logs against a real agent and real podman: the last lines per
// component, and -f streaming that ends (on the agent too) when the CLI leaves.
// Lines podman stores as partial records: logs-partial.e2e.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";
import { AGENT_USER, P } from "../support/shape.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e logs suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp logs", () => {
  let agent: TestAgent;
  const svc = uniqueName("logs");
  const ticker = (name: string) =>
    JSON.stringify(["sh", "-c", `trap 'exit 0' TERM; echo ${name}-first; echo ${name}-oops >&2; i=0; while true; do echo ${name}-tick-$i; i=$((i+1)); sleep 0.3; done`]);

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${ticker("api")}\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${ticker("web")}\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  test("the last lines of each component, prefixed; stderr lines included; one component alone unprefixed", async () => {
    await waitFor(async () => (await agent.cli(["logs", svc, "-n", "0"])).stdout.includes("web-tick-2"), "a few ticks", 15_000);
    const all = await agent.cli(["logs", svc, "-n", "0"]);
    expect(all.code).toBe(0);
    // Each line says whose it is: service/component (issue 17).
    expect(all.stdout).toMatch(new RegExp(`^${svc}/api \\| api-first$`, "m"));
    expect(all.stdout).toMatch(new RegExp(`^${svc}/api \\| api-oops$`, "m"));
    expect(all.stdout).toMatch(new RegExp(`^${svc}/web \\| web-tick-0$`, "m"));
    const two = await agent.cli(["logs", `${svc}/api`, "-n", "2"]);
    expect(two.code).toBe(0);
    const lines = two.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => /^api-tick-\d+$/.test(l))).toBe(true);
    const bad = await agent.cli(["logs", `${svc}/nope`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/has no component "nope"/);
  }, 30_000);

  test("-f streams new lines; when the CLI is killed the agent stops following (its podman wait ends)", async () => {
    const proc = Bun.spawn([...mcpArgv("source"), "logs", `${svc}/api`, "-n", "1", "-f", "--config", agent.cliConfig], { stdout: "pipe", stderr: "pipe" });
    let out = "";
    const decoder = new TextDecoder();
    void (async () => {
      for await (const chunk of proc.stdout) out += decoder.decode(chunk);
    })();
    await waitFor(() => (out.match(/api-tick-\d+/g) ?? []).length >= 3, "three new lines", 15_000);
    // The agent reads the log file itself and runs `podman wait` to learn when the container stops: one per followed log.
    const followers = async () => (await $`pgrep -f ${`podman wait ${svc}-api$`}`.nothrow().quiet()).stdout.toString().trim();
    expect(await followers()).not.toBe("");
    proc.kill("SIGINT");
    await proc.exited;
    await waitFor(async () => (await followers()) === "", "the agent's podman wait to end", 10_000);
  }, 40_000);
});
