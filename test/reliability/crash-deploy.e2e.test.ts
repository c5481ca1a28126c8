// Issue 15 / SPEC §7.7: kill -9 of the agent at every step of a deploy, 20
// trials on real podman (the agent as the mcp user, rootless). After each
// crash the agent is started again and the same definition deployed: the
// deploy converges (exit 0, the new spec runs, nothing unverified, no
// drift), and it never says `unchanged` for a component the crash left
// unverified — nor for one whose gate never passed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`crash-deploy suite SKIPPED: podman is not available (${podman.reason})`);

const TRIALS = 20;
// The gate passes at the third try (~1 s with podman exec): the kills spread over pull, replace, run and gate.
const GATE = `[components.health]\ncmd = ["sh", "-c", "n=$(cat /n 2>/dev/null || echo 0); echo $((n+1)) > /n; [ $n -ge 2 ]"]\ninterval = "150ms"\nretries = 10\n`;

describe.skipIf(!podman.ok)("reliability: kill -9 of the agent during a deploy (real podman)", () => {
  let agent: TestAgent;
  const svc = uniqueName("crash");
  const def = (trial: number) =>
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${trial % 2 ? TEST_IMAGES.v2 : TEST_IMAGES.v1}"\n` +
      `cmd = ${JSON.stringify(SLEEP_CMD)}\nenv = ["TRIAL=${trial}"]\n\n${GATE}`);
  const status = async () => {
    const r = await agent.cli(["status", svc, "--json"]);
    return JSON.parse(r.stdout) as { components: { observed: string; unverified: boolean; drift: boolean; last_deployment: { outcome: string } | null }[] };
  };
  const trialInside = async () => (await $`${P} exec ${svc}-api sh -c ${"echo $TRIAL"}`.nothrow().text()).trim();

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    def(0);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  test(`${TRIALS} trials: the next deploy converges and never says unchanged for an unverified component`, async () => {
    const seen = { unverified: 0, completedBeforeKill: 0, cut: 0 };
    for (let trial = 1; trial <= TRIALS; trial++) {
      def(trial);
      // Kill points spread from the request's arrival to past the gate's end.
      const delay = 50 + Math.round(((trial - 1) / (TRIALS - 1)) * 1600);
      const deploying = agent.cli(["deploy", svc]);
      await Bun.sleep(delay);
      agent.signal("SIGKILL");
      const first = await deploying;
      if (first.code === 0) seen.completedBeforeKill++;
      else seen.cut++;
      await agent.restart();

      const before = (await status()).components[0]!;
      if (before.unverified) seen.unverified++;
      const again = await agent.cli(["deploy", svc]);
      const where = `trial ${trial} (kill after ${delay} ms; first deploy exit ${first.code}; status before: ${JSON.stringify(before)}):\n${again.stdout}${again.stderr}`;
      expect(again.code, where).toBe(0);
      // Unchanged only when the first deploy's gate passed and was recorded before the kill.
      if (before.unverified || before.last_deployment?.outcome !== "ok") expect(again.stdout, where).not.toMatch(/unchanged/);
      const after = (await status()).components[0]!;
      expect({ observed: after.observed, unverified: after.unverified, drift: after.drift }, where).toEqual({ observed: "running", unverified: false, drift: false });
      expect(await trialInside(), where).toBe(String(trial));
    }
    console.log(`crash-deploy: ${JSON.stringify(seen)}`);
    // The kills did land inside deploys (else this test proves nothing).
    expect(seen.cut, JSON.stringify(seen)).toBeGreaterThan(TRIALS / 2);
    expect(seen.unverified, JSON.stringify(seen)).toBeGreaterThan(0);
  }, 20 * 60_000);
});
