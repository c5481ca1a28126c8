// mcp diff and deploy --dry-run against a real agent and podman: per-field
// differences between the local definition and the deployed spec.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e diff suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp diff and deploy --dry-run", () => {
  let agent: TestAgent;
  const svc = uniqueName("diff");
  const def = (image: string, volumes: string[], env: string[]) =>
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${image}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\nvolumes = ${JSON.stringify(volumes)}\nenv = ${JSON.stringify(env)}\n`);

  beforeAll(async () => {
    await ensureTestImages();
    agent = await startTestAgent();
    def(TEST_IMAGES.v1, [], ["A=1", "B=2"]);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc);
  });

  test("no differences right after a deploy", async () => {
    const r = await agent.cli(["diff", svc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${svc} on local: no differences\n`);
  });

  test("a changed image tag, an added volume and a removed env entry, field by field", async () => {
    def(TEST_IMAGES.v2, ["/tmp:/data:ro"], ["A=1"]);
    const r = await agent.cli(["diff", svc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${svc} on local:\\n  COMPONENT +FIELD +CHANGE +VALUE\\n`));
    expect(r.stdout).toMatch(/\n  api +image +changed +localhost\/mcp-test\/busybox:v1 → localhost\/mcp-test\/busybox:v2\n/);
    expect(r.stdout).toMatch(/\n  api +volumes +added +\/tmp:\/data:ro\n/);
    expect(r.stdout).toMatch(/\n  api +env +removed +B=2\n/);
    const j = JSON.parse((await agent.cli(["diff", svc, "--json"])).stdout);
    expect(j.services[0].changes.map((c: { field: string; kind: string }) => `${c.field}:${c.kind}`)).toEqual(["image:changed", "volumes:added", "env:removed"]);
  });

  test("deploy --dry-run prints the same plan and changes nothing", async () => {
    const before = (await $`podman inspect --format ${"{{.Id}}"} ${svc}-api`.text()).trim();
    const r = await agent.cli(["deploy", svc, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/api +image +changed/);
    expect(r.stderr).toContain("dry run: nothing was changed");
    expect((await $`podman inspect --format ${"{{.Id}} {{.ImageName}}"} ${svc}-api`.text()).trim()).toBe(`${before} ${TEST_IMAGES.v1}`);
    const list = JSON.parse((await agent.cli(["list", "--json"])).stdout);
    expect(list.services.find((s: { name: string }) => s.name === svc).components[0].spec.image).toBe(TEST_IMAGES.v1);
  });

  test("an unknown node in any definition is refused before anything is sent", async () => {
    writeServiceDef(agent, `${svc}-x`, `name = "${svc}-x"\nnode = "nowhere"\n\n[[components]]\nname = "api"\nimage = "x/y:v1"\n`);
    const r = await agent.cli(["diff"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown node "nowhere"/);
  });
});
