// Safe deploys on real podman: a new version that exits at once, or never
// becomes healthy, ends with the previous version running again (by digest).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e rollback suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: health gate and automatic rollback (real podman)", () => {
  let agent: TestAgent;
  const svc = uniqueName("rb");
  const def = (image: string, extra: string) =>
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${image}"\n${extra}`);
  const versionInside = async () => (await $`podman exec ${svc}-api cat /VERSION`.text()).trim();

  beforeAll(async () => {
    await ensureTestImages();
    agent = await startTestAgent();
    def(TEST_IMAGES.v1, `cmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["true"]\ninterval = "100ms"\nretries = 3\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc);
  });

  const history = async () => {
    const st = JSON.parse((await agent.cli(["status", svc, "--json"])).stdout);
    return { last: st.components[0].last_deployment, events: st.events as { kind: string; message: string }[] };
  };

  test("a new image that exits at once: rolled back, v1 runs again, exit 1", async () => {
    def(TEST_IMAGES.v2, `cmd = ["sh", "-c", "echo v2 is broken; exit 5"]\n`);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/api\s+rolled back\s+v1\s+rolled back: the container exited at once \(exit code 5\); last log: v2 is broken; v1 is running again/);
    expect(await versionInside()).toBe("v1");
    const image = (await $`podman inspect --format ${"{{.ImageName}}"} ${svc}-api`.text()).trim();
    expect(image).toMatch(/^localhost\/mcp-test\/busybox@sha256:[0-9a-f]{64}$/);
    const h = await history();
    expect(h.last).toMatchObject({ outcome: "rolled_back", version: "v2" });
    expect(h.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["deployed", "rolled-back"]));
  }, 60_000);

  test("a health command that never succeeds: rolled back with the probe's output, v1 runs again", async () => {
    def(TEST_IMAGES.v2, `cmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["sh", "-c", "echo not ready; exit 1"]\ninterval = "200ms"\ntimeout = "2s"\nretries = 3\n`);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rolled back: the health check failed 3 times .*; v1 is running again/);
    expect(await versionInside()).toBe("v1");
    const ps = JSON.parse((await agent.cli(["ps", "--json"])).stdout).components.find((c: { service: string }) => c.service === svc);
    expect(ps).toMatchObject({ state: "running", version: "v1" });
  }, 60_000);

  test("a healthy v2 deploys", async () => {
    def(TEST_IMAGES.v2, `cmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["cat", "/VERSION"]\ninterval = "100ms"\nretries = 5\n`);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(0);
    expect(await versionInside()).toBe("v2");
  }, 60_000);
});
