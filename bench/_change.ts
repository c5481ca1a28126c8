// Issue 15's measures, part of bench/deploy.ts (or alone: `bun bench/deploy.ts --only change`):
//  1. a change deploy (new tag, health gate with a 100 ms interval, a
//     TERM-handling process) with `mcp deploy` (compiled binary, TLS,
//     token) vs a hand-written stop-first replace on the same images in
//     the same podman: `podman rm -f`, `podman run` (with --health-cmd),
//     then `podman healthcheck run` until it passes. Alternating, median.
//  2. kill → alert for a component without a restart policy: `podman kill`
//     → the alert command has run (20 trials, p50/p95).
// The agent runs in the production shape where it can (the mcp user,
// rootless podman; see test/support/shape.ts), and the baseline uses the
// same podman.
import { $ } from "bun";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_USER, P, SHAPE } from "../test/support/shape.ts";
import { startTestAgent, writeServiceDef } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../test/support/image.ts";
import { tempDir, waitFor } from "../test/support/mcp.ts";
import { median, percentile, round, timed } from "./_stats.ts";

const SVC = "benchchg";
const HAND = "benchhand";
const KILL = "benchkill";

export async function benchChange(runs: number, killTrials: number): Promise<Record<string, unknown>> {
  await ensureTestImages(P);
  const dir = tempDir("mcp-bench-change-");
  chmodSync(dir, 0o777);
  const alerts = join(dir, "alerts.log");
  writeFileSync(alerts, "");
  chmodSync(alerts, 0o666);
  const agent = await startTestAgent({
    flavor: "binary",
    user: AGENT_USER,
    settings: {
      monitor: {
        cooldown: `"0s"`,
        flap_threshold: "1000",
        alert_command: JSON.stringify(["sh", "-c", `echo "$MCP_SERVICE/$MCP_COMPONENT $MCP_ALERT_KIND $(date +%s%N)" >> ${alerts}`]),
      },
    },
  });
  const images = [TEST_IMAGES.v1, TEST_IMAGES.v2];
  const def = (i: number) =>
    writeServiceDef(agent, SVC, `name = "${SVC}"\nnode = "local"\n\n[[components]]\nname = "a"\nimage = "${images[i % 2]}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n\n` +
      `[components.health]\ncmd = ["true"]\ninterval = "100ms"\nretries = 50\n`);
  const hand = async (i: number) => {
    await $`${P} rm -f -t 10 ${HAND}`.quiet();
    await $`${P} run -d --name ${HAND} --health-cmd true --health-interval 0 ${images[i % 2]!} ${SLEEP_CMD}`.quiet();
    for (let t = 0; t < 100; t++) {
      if ((await $`${P} healthcheck run ${HAND}`.nothrow().quiet()).exitCode === 0) return;
      await Bun.sleep(100);
    }
    throw new Error("the hand-written replace never became healthy");
  };
  try {
    def(0);
    const first = await agent.cli(["deploy", SVC]);
    if (first.code !== 0) throw new Error(`first deploy: ${first.stdout}${first.stderr}`);
    await hand(0);
    const mcpMs: number[] = [];
    const handMs: number[] = [];
    for (let i = 1; i <= runs; i++) {
      def(i);
      const [m, r] = await timed(() => agent.cli(["deploy", SVC]));
      if (r.code !== 0 || !/\sok\s/.test(r.stdout)) throw new Error(`change deploy ${i}: ${r.stdout}${r.stderr}`);
      const [h] = await timed(() => hand(i));
      // Alternate which goes first.
      if (i % 2) {
        mcpMs.push(m);
        handMs.push(h);
      } else {
        handMs.push(h);
        mcpMs.push(m);
      }
    }
    const change = {
      runs, shape: SHAPE,
      mcp_ms: { median: round(median(mcpMs)), p95: round(percentile(mcpMs, 95)), all: mcpMs.map((x) => round(x)) },
      hand_ms: { median: round(median(handMs)), p95: round(percentile(handMs, 95)), all: handMs.map((x) => round(x)) },
      ratio: round(median(mcpMs) / median(handMs), 2),
      target_ratio: 1.2,
    };
    console.log(`change deploy: mcp ${change.mcp_ms.median} ms vs hand-written ${change.hand_ms.median} ms, ratio ${change.ratio} (${SHAPE})`);

    // 2. kill → alert, no restart policy.
    writeServiceDef(agent, KILL, `name = "${KILL}"\nnode = "local"\n\n[[components]]\nname = "a"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const k = await agent.cli(["deploy", KILL]);
    if (k.code !== 0) throw new Error(`kill service deploy: ${k.stdout}${k.stderr}`);
    const lat: number[] = [];
    for (let i = 0; i < killTrials; i++) {
      const before = readFileSync(alerts, "utf8").length;
      const t0 = BigInt(Date.now()) * 1_000_000n;
      await $`${P} kill ${KILL}-a`.quiet();
      const line = await waitFor(() => readFileSync(alerts, "utf8").slice(before).split("\n").find((l) => l.startsWith(`${KILL}/a drift`)), "the alert", 15_000);
      lat.push(Number(BigInt(line!.split(" ")[2]!) - t0) / 1e6);
      await $`${P} start ${KILL}-a`.quiet();
      await waitFor(() => readFileSync(alerts, "utf8").slice(before).includes(`${KILL}/a recovered`), "recovery", 15_000);
    }
    const killAlert = { trials: lat.length, p50_ms: Math.round(percentile(lat, 50)), p95_ms: Math.round(percentile(lat, 95)), max_ms: Math.round(Math.max(...lat)), all_ms: lat.map(Math.round), target_p50_ms: 300 };
    console.log(`kill → alert, no restart policy: p50 ${killAlert.p50_ms} ms, p95 ${killAlert.p95_ms} ms`);
    return { change, kill_alert: killAlert };
  } finally {
    await agent.stop();
    await removeContainers(SVC, P);
    await removeContainers(HAND, P);
    await removeContainers(KILL, P);
  }
}
