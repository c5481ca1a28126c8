// Safe deploys on real podman: a new version that exits at once, or never
// becomes healthy, ends with the previous version running again (by digest).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { waitFor } from "../support/mcp.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e rollback suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: health gate and automatic rollback (real podman)", () => {
  let agent: TestAgent;
  const svc = uniqueName("rb");
  const def = (image: string, extra: string) =>
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${image}"\n${extra}`);
  const versionInside = async () => (await $`${P} exec ${svc}-api cat /VERSION`.text()).trim();

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    def(TEST_IMAGES.v1, `cmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["true"]\ninterval = "100ms"\nretries = 3\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
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
    const image = (await $`${P} inspect --format ${"{{.ImageName}}"} ${svc}-api`.text()).trim();
    expect(image).toMatch(/^localhost\/mcp-test\/busybox@sha256:[0-9a-f]{64}$/);
    const h = await history();
    expect(h.last).toMatchObject({ outcome: "rolled_back", version: "v2" });
    expect(h.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["deployed", "rolled-back"]));
  }, 60_000);

  test("a health command that never succeeds: rolled back with the probe's output, v1 runs again", async () => {
    def(TEST_IMAGES.v2, `cmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["sh", "-c", "echo not ready; exit 1"]\ninterval = "200ms"\ntimeout = "2s"\nretries = 3\n`);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rolled back: the health check \(cmd sh -c echo not ready; exit 1\) failed 3 times .*; v1 is running again/);
    expect(await versionInside()).toBe("v1");
    const ps = JSON.parse((await agent.cli(["ps", "--json"])).stdout).components.find((c: { service: string }) => c.service === svc);
    expect(ps).toMatchObject({ state: "running", version: "v1" });
    // The history shows both failed deployments and the one they fell back to.
    const history = JSON.parse((await agent.cli(["rollback", "--list", svc, "--json"])).stdout).deployments;
    expect(history.map((d: { version: string; outcome: string }) => [d.version, d.outcome])).toEqual([["v2", "rolled_back"], ["v2", "rolled_back"], ["v1", "ok"]]);
  }, 60_000);

  test("a healthy v2 deploys", async () => {
    def(TEST_IMAGES.v2, `cmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["cat", "/VERSION"]\ninterval = "100ms"\nretries = 5\n`);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(0);
    expect(await versionInside()).toBe("v2");
  }, 60_000);
});

describe.skipIf(!podman.ok)("e2e: mcp rollback and rollback --list (real podman)", () => {
  let agent: TestAgent;
  const svc = uniqueName("rbl");
  const def = (image: string, cmd: string[]) =>
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${image}"\ncmd = ${JSON.stringify(cmd)}\n`);
  const versionInside = async () => (await $`${P} exec ${svc}-api cat /VERSION`.text()).trim();

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  test("nothing earlier: refused with a hint, exit 1, nothing touched", async () => {
    def(TEST_IMAGES.v1, SLEEP_CMD);
    expect((await agent.cli(["deploy", svc])).code).toBe(0);
    const id = (await $`${P} inspect --format ${"{{.Id}}"} ${svc}-api`.text()).trim();
    const r = await agent.cli(["rollback", svc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${svc} has no earlier successful deployment to roll back to\nhint: see its history: mcp rollback --list ${svc}\n`);
    expect((await $`${P} inspect --format ${"{{.Id}}"} ${svc}-api`.text()).trim()).toBe(id);
  }, 60_000);

  test("after a failed v2 (rolled back) and a good v2: rollback runs v1 again; the history shows every deployment", async () => {
    def(TEST_IMAGES.v2, ["sh", "-c", "exit 4"]);
    expect((await agent.cli(["deploy", svc])).code).toBe(1);
    def(TEST_IMAGES.v2, SLEEP_CMD);
    expect((await agent.cli(["deploy", svc])).code).toBe(0);
    expect(await versionInside()).toBe("v2");

    const r = await agent.cli(["rollback", svc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SERVICE\s+COMPONENT\s+RESULT\s+VERSION\s+DETAIL\n/);
    expect(r.stdout).toMatch(/api\s+ok\s+v1\s+running v1 \(rollback to deployment #1\)/);
    expect(await versionInside()).toBe("v1");

    const list = await agent.cli(["rollback", "--list", svc]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^SERVICE\s+COMPONENT\s+NODE\s+ID\s+STARTED\s+VERSION\s+DIGEST\s+OUTCOME\s+DETAIL$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(3, 4).concat(l.split(/\s{2,}/).slice(5, 8)))).toEqual([
      ["4", "v1", expect.stringMatching(/^sha256:[0-9a-f]{12}$/), "ok"],
      ["3", "v2", expect.stringMatching(/^sha256:/), "ok"],
      ["2", "v2", expect.stringMatching(/^sha256:/), "rolled back"],
      ["1", "v1", expect.stringMatching(/^sha256:/), "ok"],
    ]);
    expect(lines[3]).toMatch(/rolled back\s+the container exited at once \(exit code 4\)/);

    // Every service of every node, as JSON; -n limits per component.
    const all = JSON.parse((await agent.cli(["rollback", "--list", "--json", "-n", "2"])).stdout);
    expect(all.deployments.filter((d: { service: string }) => d.service === svc).map((d: { id: number }) => d.id)).toEqual([4, 3]);
    expect(all.unreachable).toEqual([]);
  }, 90_000);

  test("--wait 0: a deploy or rollback of a busy service fails at once, naming the lock; the running deploy is not disturbed", async () => {
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v2}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["sh", "-c", "sleep 3"]\ntimeout = "10s"\nretries = 1\n`);
    const slow = agent.cli(["deploy", svc]);
    // Until the slow deploy holds the lock, a --wait 0 deploy may still get it: wait for the new container.
    await waitFor(async () => (await $`${P} exec ${svc}-api cat /VERSION`.nothrow().quiet()).stdout.toString().trim() === "v2", "the slow deploy to start v2");
    const started = Date.now();
    const [dep, rb] = await Promise.all([agent.cli(["deploy", svc, "--wait", "0"]), agent.cli(["rollback", svc, "--wait", "0"])]);
    expect(Date.now() - started).toBeLessThan(2500);
    for (const r of [dep, rb]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^${svc}: waiting for another operation on ${svc} \\(running for \\d+s\\)\nerror: another operation on service ${svc} is still running after 0s\nhint: `));
    }
    const done = await slow;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/api\s+ok\s+v2/);
  }, 60_000);

  test("bad usage exits 2 with a located message", async () => {
    for (const [args, msg] of [
      [["rollback"], /^error: rollback needs a service\n/],
      [["rollback", "--list", "-n", "0"], /^error: -n: "0" is not a whole number from 1 to 1000\n/],
      [["rollback", svc, "--wait", "soon"], /^error: --wait: "soon" is not a duration\n/],
      [["rollback", "no-such-service"], /^error: .*no-such-service/],
    ] as const) {
      const r = await agent.cli([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  }, 30_000);
});
