// A dying agent and a dying CLI during mcp node prune (issue 17), on real
// rootless podman: the agent SIGKILLed while it removes images leaves every
// image a rollback needs, the next prune finishes the job, and a rollback
// works; a CLI killed mid-call leaves a prune that finishes on the node.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { makeDistinctImage } from "../support/distinct-image.ts";
import { podmanAvailable, removeContainers, SLEEP_CMD, uniqueName } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`reliability suite (prune) SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("reliability: prune with a dying agent or CLI (real podman, rootless agent)", () => {
  let agent: TestAgent;
  const svc = uniqueName("prr");
  const repo = `localhost/${svc}/app`;
  const tags = ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"];
  const ids: string[] = [];
  const exists = async (tag: string) => (await $`${P} image exists ${repo}:${tag}`.nothrow().quiet()).exitCode === 0;
  const present = async () => (await Promise.all(tags.map(async (t) => ((await exists(t)) ? t : null)))).filter((t) => t !== null);
  const idInside = async () => (await $`${P} exec ${svc}-api cat /ID`.text()).split(" ")[0];

  beforeAll(async () => {
    agent = await startTestAgent({ user: AGENT_USER });
    for (const tag of tags) {
      ids.push(await makeDistinctImage(`${repo}:${tag}`, P));
      writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${repo}:${tag}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
      const d = await agent.cli(["deploy", svc]);
      if (d.code !== 0) throw new Error(d.stdout + d.stderr);
    }
  }, 180_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
    await $`${P} image rm -i ${ids}`.nothrow().quiet();
  });

  test("SIGKILL of the agent while it removes: the kept images stay, the next prune finishes, a rollback works", async () => {
    // keep 5: v4…v8 stay; v1, v2, v3 go (one podman image rm each).
    const cli = Bun.spawn([...mcpArgv("source"), "node", "prune", "local", "--keep", "5", "--config", agent.cliConfig], { stdout: "pipe", stderr: "pipe" });
    await waitFor(async () => (await present()).length < tags.length || cli.exitCode !== null, "the first removal");
    agent.signal("SIGKILL");
    await cli.exited;
    for (const t of ["v4", "v5", "v6", "v7", "v8"]) expect(await exists(t)).toBe(true);
    await agent.restart();
    const again = await agent.cli(["node", "prune", "local", "--keep", "5"]);
    expect(again.code).toBe(0);
    expect(await present()).toEqual(["v4", "v5", "v6", "v7", "v8"]);
    expect((await agent.cli(["rollback", svc])).code).toBe(0);
    expect(await idInside()).toBe(`${repo}:v7`);
  }, 120_000);

  test("a CLI killed during its prune call: the prune finishes on the node", async () => {
    const cli = Bun.spawn([...mcpArgv("source"), "node", "prune", "local", "--keep", "2", "--config", agent.cliConfig], { stdout: "pipe", stderr: "pipe" });
    // Now v7 runs (after the rollback): keep 2 = v7, v8; v4, v5, v6 go.
    await waitFor(async () => (await present()).length < 5 || cli.exitCode !== null, "the first removal");
    cli.kill("SIGKILL");
    await cli.exited;
    await waitFor(async () => (await present()).length === 2, "the prune to finish without its caller", 30_000);
    expect(await present()).toEqual(["v7", "v8"]);
    expect((await agent.cli(["node", "prune", "local", "--keep", "2", "--dry-run"])).stdout).toMatch(/^local: would remove 0 images/);
  }, 120_000);
});
