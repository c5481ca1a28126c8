// Issue 15 on real podman, the agent as the mcp user (rootless): probes
// that keep running after the gate (http and tcp going unhealthy and
// recovering while the container runs), an image without any shell tools
// gated by an http probe, and the truth of put-back and start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { waitFor } from "../support/mcp.ts";
import { ensureTestImages, freePort, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { ensureNoShellImage, NOSHELL_IMAGE } from "../support/noshell.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e probes suite SKIPPED: podman is not available (${podman.reason})`);

/** httpd on 8080 in a loop that /off stops (pkill) and its removal starts again; /www/healthz exists until removed. */
const SWITCHABLE_HTTP = ["sh", "-c", "trap 'exit 0' TERM; echo ok > /www/healthz; (while :; do [ -f /off ] || httpd -f -p 8080 -h /www; sleep 0.2; done) & wait"];

interface Status {
  components: { component: string; observed: string; health: string; unverified: boolean; drift: boolean; desired: string }[];
  events: { kind: string; component: string; message: string }[];
}

describe.skipIf(!podman.ok)("e2e: probes and the truth of deploys (real podman, issue 15)", () => {
  let agent: TestAgent;
  const prefix = uniqueName("pr");
  const status = async (svc: string) => JSON.parse((await agent.cli(["status", svc, "--json"])).stdout) as Status;
  const health = async (svc: string) => (await status(svc)).components[0]!.health;
  const def = (svc: string, body: string) => writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n${body}`);
  const containerId = async (name: string) => (await $`${P} inspect --format ${"{{.Id}}"} ${name}`.text()).trim();

  beforeAll(async () => {
    await ensureTestImages(P);
    await ensureNoShellImage(P);
    // Probes keep running at their 200 ms interval (the default floor is 10 s).
    agent = await startTestAgent({ user: AGENT_USER, settings: { monitor: { min_probe_interval: `"100ms"`, cooldown: `"0s"` }, agent: { stop_timeout: `"1s"` } } });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(prefix, P);
  });

  for (const kind of ["http", "tcp"] as const) {
    test(`a ${kind} probe goes unhealthy and recovers while the container runs: alerted, shown, recovered`, async () => {
      const svc = `${prefix}-${kind}`;
      const port = await freePort();
      const probe = kind === "http" ? `http = "http://127.0.0.1:${port}/healthz"` : `tcp = "127.0.0.1:${port}"`;
      def(svc, `[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SWITCHABLE_HTTP)}\nports = ["127.0.0.1:${port}:8080"]\n\n` +
        `[components.health]\n${probe}\ninterval = "200ms"\ntimeout = "1s"\nretries = 2\n`);
      const r = await agent.cli(["deploy", svc]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const id = await containerId(`${svc}-web`);
      expect(await health(svc)).toBe("healthy");

      // http: the endpoint answers 404; tcp: nothing listens behind the published port (rootless port forwarding still accepts).
      if (kind === "http") await $`${P} exec ${svc}-web rm /www/healthz`.quiet();
      else await $`${P} exec ${svc}-web sh -c ${"touch /off; killall httpd"}`.quiet();
      await waitFor(async () => (await health(svc)) === "unhealthy", `${svc} unhealthy`, 20_000);
      const ps = JSON.parse((await agent.cli(["ps", "--json"])).stdout).components.find((c: { service: string }) => c.service === svc);
      expect(ps).toMatchObject({ state: "running", health: "unhealthy" });
      const table = (await agent.cli(["ps"])).stdout;
      expect(table).toMatch(new RegExp(`${svc}\\s+web\\s+local\\s+unhealthy`));
      const st = await status(svc);
      expect(st.events.filter((e) => e.kind === "unhealthy")).toHaveLength(1);
      expect((await agent.cli(["status", svc])).stdout).toMatch(/Unhealthy \(running, but the health probe keeps failing\):\n {2}.*\/web on local/);

      if (kind === "http") await $`${P} exec ${svc}-web sh -c ${"echo ok > /www/healthz"}`.quiet();
      else await $`${P} exec ${svc}-web rm /off`.quiet();
      await waitFor(async () => (await health(svc)) === "healthy", `${svc} healthy again`, 20_000);
      await waitFor(async () => (await status(svc)).events.some((e) => e.kind === "recovered"), `${svc} recovered event`, 10_000);
      // All along the same container, running: the probe, not podman, saw it.
      expect(await containerId(`${svc}-web`)).toBe(id);
      expect((await status(svc)).events.filter((e) => e.kind === "unhealthy")).toHaveLength(1);
    }, 90_000);
  }

  test("an image without any shell tools is gated by an http probe; a version whose probe fails goes back by digest", async () => {
    const svc = `${prefix}-noshell`;
    const port = await freePort();
    const body = (path: string) =>
      `[[components]]\nname = "web"\nimage = "${NOSHELL_IMAGE}"\nports = ["127.0.0.1:${port}:8080"]\nenv = ["PROBE=${path}"]\n\n` +
      `[components.health]\nhttp = "http://127.0.0.1:${port}${path}"\ninterval = "200ms"\nretries = 5\n`;
    def(svc, body("/healthz"));
    const ok = await agent.cli(["deploy", svc]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    // Nothing to run a cmd probe with.
    expect((await $`${P} exec ${svc}-web sh -c true`.nothrow().quiet()).exitCode).not.toBe(0);
    def(svc, body("/missing"));
    const bad = await agent.cli(["deploy", svc]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/rolled back: the health check \(GET http:\/\/127\.0\.0\.1:\d+\/missing\) failed 5 times/);
    const image = (await $`${P} inspect --format ${"{{.ImageName}}"} ${svc}-web`.text()).trim();
    expect(image).toMatch(/^localhost\/mcp-test\/noshell@sha256:[0-9a-f]{64}$/);
  }, 90_000);

  test("a new service whose v2 and then v3 fail their gates: failed, left stopped, never reported running (SPEC §7.7)", async () => {
    const svc = `${prefix}-chain`;
    const failing = (v: string) =>
      `[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v2}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\nenv = ["V=${v}"]\n\n` +
      `[components.health]\ncmd = ["false"]\ninterval = "100ms"\nretries = 2\n`;
    for (const v of ["v2", "v3"]) {
      def(svc, failing(v));
      const r = await agent.cli(["deploy", svc]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/failed .*no version that passed its gate to go back to: left stopped/);
      expect(r.stdout).not.toMatch(/running again/);
      const c = (await status(svc)).components[0]!;
      expect({ desired: c.desired, observed: c.observed }).toEqual({ desired: "stopped", observed: "stopped" });
      const ps = JSON.parse((await agent.cli(["ps", "--json"])).stdout).components.find((x: { service: string }) => x.service === svc);
      expect(ps.state).not.toBe("running");
    }
  }, 90_000);

  test("a component only sync recorded (no digest) whose first deploy fails is left stopped, not started by tag", async () => {
    const svc = `${prefix}-sync`;
    def(svc, `[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const s = await agent.cli(["sync"]);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    def(svc, `[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v2}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["false"]\ninterval = "100ms"\nretries = 2\n`);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/left stopped/);
    const running = (await $`${P} ps --filter ${`name=^${svc}-api$`} --format ${"{{.Names}}"}`.text()).trim();
    expect(running).toBe("");
  }, 90_000);

  test("start recreates a missing container by the recorded digest", async () => {
    const svc = `${prefix}-start`;
    def(svc, `[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    expect((await agent.cli(["deploy", svc])).code).toBe(0);
    await agent.cli(["stop", svc]);
    await $`${P} rm -f -t 0 ${svc}-api`.quiet();
    const r = await agent.cli(["start", svc]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const image = (await $`${P} inspect --format ${"{{.ImageName}}"} ${svc}-api`.text()).trim();
    expect(image).toMatch(/^localhost\/mcp-test\/busybox@sha256:[0-9a-f]{64}$/);
  }, 90_000);
});
