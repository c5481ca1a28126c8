// mcp node prune on real rootless podman (issue 17, acceptance 3): an unused
// image goes, every image a rollback of the last `keep` deployments needs
// stays, a rollback after the prune works with no registry (local images are
// never pulled), --dry-run changes nothing, images mcp never deployed stay.
// The images are this test's own (test/support/distinct-image.ts): a prune
// never touches the shared test images other suites use at the same time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { makeDistinctImage } from "../support/distinct-image.ts";
import { podmanAvailable, removeContainers, SLEEP_CMD, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e prune suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp node prune (real podman, rootless agent)", () => {
  let agent: TestAgent;
  const svc = uniqueName("prn");
  const repo = `localhost/${svc}/app`;
  const ids = new Map<string, string>();
  const exists = async (ref: string) => (await $`${P} image exists ${ref}`.nothrow().quiet()).exitCode === 0;
  const idInside = async () => (await $`${P} exec ${svc}-api cat /ID`.text()).split(" ")[0];
  const deploy = async (tag: string) => {
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${repo}:${tag}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(`deploy ${tag}: ${r.stdout}${r.stderr}`);
  };

  beforeAll(async () => {
    agent = await startTestAgent({ user: AGENT_USER });
    for (const tag of ["v1", "v2", "v3", "v4"]) ids.set(tag, await makeDistinctImage(`${repo}:${tag}`, P));
    ids.set("other", await makeDistinctImage(`localhost/${svc}/built-by-hand:v1`, P));
    for (const tag of ["v1", "v2", "v3", "v4"]) await deploy(tag);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
    await $`${P} image rm -i ${[...ids.values()]}`.nothrow().quiet();
  });

  test("--dry-run names what would go and how much, and changes nothing; node status shows the reclaimable bytes", async () => {
    const r = await agent.cli(["node", "prune", "local", "--dry-run", "--keep", "2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^local: would remove 2 images, [\d.]+ MiB \(dry run: nothing was removed\)\n/);
    expect(r.stdout).toContain(`${repo}:v1`);
    expect(r.stdout).toContain(`${repo}:v2`);
    expect(r.stdout).toMatch(new RegExp(`kept for rollbacks and deployed versions \\(images in use are not listed\\): 1 image[^\\n]*\\n[^]*${repo}:v3`));
    for (const tag of ["v1", "v2", "v3", "v4"]) expect(await exists(`${repo}:${tag}`)).toBe(true);
    const st = await agent.cli(["node", "status", "local", "--json"]);
    // With the default keep (3) only v1 is reclaimable.
    const reclaimable = JSON.parse(st.stdout).nodes[0].reclaimable_bytes;
    expect(reclaimable).toBeGreaterThan(1_000_000);
    expect((await agent.cli(["node", "status", "local"])).stdout).toMatch(/reclaimable +[\d.]+ MiB of images \(mcp node prune local\)/);
  }, 60_000);

  test("prune --keep 2 removes the images no rollback needs; a rollback after it works without any registry", async () => {
    const r = await agent.cli(["node", "prune", "local", "--keep", "2", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.removed.map((i: { names: string[] }) => i.names).sort()).toEqual([[`${repo}:v1`], [`${repo}:v2`]]);
    expect(out.reclaimed_bytes).toBe(out.removed.reduce((n: number, i: { size: number }) => n + i.size, 0));
    expect(await exists(`${repo}:v1`)).toBe(false);
    expect(await exists(`${repo}:v2`)).toBe(false);
    expect(await exists(`${repo}:v3`)).toBe(true);
    expect(await exists(`${repo}:v4`)).toBe(true);
    // Never deployed by mcp: not its to remove.
    expect(await exists(`localhost/${svc}/built-by-hand:v1`)).toBe(true);
    expect(await idInside()).toBe(`${repo}:v4`);
    const rb = await agent.cli(["rollback", svc]);
    expect(rb.code).toBe(0);
    expect(await idInside()).toBe(`${repo}:v3`);
    // And back: the newest deployment's image stayed too.
    expect((await agent.cli(["rollback", svc])).code).toBe(0);
    expect(await idInside()).toBe(`${repo}:v4`);
    expect((await agent.cli(["events", "-n", "50"])).stdout).toContain("removed 2 images");
  }, 90_000);

  test("with the default keep (3) nothing more goes: every image left is a rollback's", async () => {
    const r = await agent.cli(["node", "prune", "local"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^local: removed 0 images, 0 B\n/);
    expect(await exists(`${repo}:v3`)).toBe(true);
  }, 60_000);

  test("bad --keep is refused before anything is sent", async () => {
    for (const k of ["0", "-1", "two", "1.5", "10001"]) {
      const r = await agent.cli(["node", "prune", "local", "--keep", k]);
      expect({ k, code: r.code }).toEqual({ k, code: 2 });
      expect(r.stderr).toContain("--keep");
    }
    expect(await exists(`${repo}:v3`)).toBe(true);
  }, 60_000);
});
