// Issue 9, short versions for CI (the long runs: bench/reliability.ts):
// 1. the agent killed (SIGKILL) at points spread over deploys: the registry
//    stays consistent, no container is duplicated, the next deploy succeeds;
// 5. concurrent reads during concurrent deploys of one service;
// 6. an agent restart with running containers: none stops, state rebuilt.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestAgent, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, uniqueName } from "../support/image.ts";
import { crashTrial, deployDuration, loadTrial, restartTrial } from "../support/reliability.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`reliability suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("reliability (short)", () => {
  let agent: TestAgent;
  const prefix = uniqueName("rel");

  beforeAll(async () => {
    await ensureTestImages();
    agent = await startTestAgent({ settings: { log: { level: `"debug"` }, agent: { stop_timeout: `"2s"` } } });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(prefix);
  });

  test("SIGKILL during deploys at 4 points: consistent registry, one container, the next deploy succeeds", async () => {
    const svc = `${prefix}-crash`;
    const span = await deployDuration(agent, svc);
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await crashTrial(agent, svc, i % 2 === 0 ? "v1" : "v2", Math.round((span * (i + 0.5)) / 4)));
    }
    expect(results.filter((r) => !r.ok).map((r) => `${r.delayMs} ms (${r.lastStep}): ${r.problems.join("; ")}`)).toEqual([]);
  }, 120_000);

  test("50 concurrent reads × 3 rounds during 3 concurrent deploys: no errors, one container", async () => {
    const r = await loadTrial(agent, `${prefix}-load`, { readers: 50, rounds: 3, deploys: 3 });
    expect(r.readErrors).toEqual([]);
    expect(r.deployErrors).toEqual([]);
    expect([r.containers, r.running]).toEqual([1, 1]);
    expect(r.calls).toBe(150);
  }, 120_000);

  test("a restart with 12 running containers: every one keeps running; the state is rebuilt", async () => {
    const r = await restartTrial(agent, `${prefix}-rs`, 3, 4);
    expect(r.keptRunning).toBe(12);
    expect(r.runningBefore).toBeGreaterThanOrEqual(12);
  }, 120_000);
});
