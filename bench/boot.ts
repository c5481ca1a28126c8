// Boot benchmark (issue 14, acceptance 3), run on demand, not in CI:
//   node_modules/.bin/bun scripts/build.ts && node_modules/.bin/bun bench/boot.ts [--rounds N]
// Needs podman (scripts/setup-podman.sh) and dist/mcp (scripts/build.ts).
// 100 components desired running: 20 services × 5 busybox sleep containers
// (the test image), deployed by a real agent with its default settings
// (`[monitor] on_boot = "start"`). Then, per round, both ways in turn (the
// first alternates between rounds), with every container stopped by
// `podman stop -t 0` and the agent stopped beforehand:
//  - mcp: the agent is started → the time from its spawn until the last of
//    the 100 is running (the latest `State.StartedAt` of the 100; the agent's
//    `boot start done` line is the signal to look);
//  - podman: `podman start` of the same 100 in one command → the time until
//    the last of the 100 is running, measured the same way.
// Target: mcp ≤ 15 s. Medians compared. Writes bench/results/boot-<timestamp>.json
// and prints a summary. Removes every container it made (names `bootbench-…`).
import { $ } from "bun";
import { cpus, loadavg } from "node:os";
import { startTestAgent, writeServiceDef, type TestAgent } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../test/support/image.ts";
import { ensureBinary, waitFor } from "../test/support/mcp.ts";
import { median, numberFlag, round, writeResult } from "./_stats.ts";

const ROUNDS = numberFlag("--rounds", 5);
const SERVICES = 20;
const PER_SERVICE = 5;
const PREFIX = "bootbench";
const TARGET_MS = 15_000;

const serviceName = (i: number) => `${PREFIX}-s${String(i).padStart(2, "0")}`;
const NAMES = Array.from({ length: SERVICES }, (_, s) => Array.from({ length: PER_SERVICE }, (_, c) => `${serviceName(s)}-c${c}`)).flat();

/** Deploys the 20 services, two at a time (this machine has two cores). */
async function deployAll(agent: TestAgent): Promise<void> {
  const comps = Array.from({ length: PER_SERVICE }, (_, i) =>
    `[[components]]\nname = "c${i}"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`).join("\n");
  for (let s = 0; s < SERVICES; s += 2) {
    await Promise.all([s, s + 1].map(async (i) => {
      const name = serviceName(i);
      writeServiceDef(agent, name, `name = "${name}"\nnode = "local"\n\n${comps}`);
      const r = await agent.cli(["deploy", name]);
      if (r.code !== 0) throw new Error(`deploy ${name}: ${r.stdout}${r.stderr}`);
    }));
  }
}

/** The 100 containers: how many run, and the latest start (Unix ms, from podman's own record). */
async function inspectAll(): Promise<{ running: number; lastStartMs: number }> {
  const out = await $`podman inspect --format ${"{{.State.Running}} {{.State.StartedAt.UnixNano}}"} ${NAMES}`.quiet().text();
  let running = 0;
  let lastStartMs = 0;
  for (const line of out.trim().split("\n")) {
    const [isRunning, ns] = line.split(" ");
    if (isRunning === "true") running++;
    lastStartMs = Math.max(lastStartMs, Number(BigInt(ns!) / 1_000_000n));
  }
  return { running, lastStartMs };
}

async function stopAll(): Promise<void> {
  await $`podman stop -t 0 ${NAMES}`.quiet();
  const { running } = await inspectAll();
  if (running !== 0) throw new Error(`${running} containers still run after podman stop`);
}

/** The agent (stopped) is started; resolves with the time until the last container runs, and until the agent served. */
async function mcpRound(agent: TestAgent): Promise<{ ms: number; servingMs: number }> {
  const mark = agent.logs().length;
  const t0 = Date.now();
  await agent.restart(); // the agent is stopped: this spawns it and waits until it serves
  const servingMs = Date.now() - t0;
  const done = (await waitFor(() => /boot start done.*/.exec(agent.logs().slice(mark))?.[0], "the agent's boot start", 120_000))!;
  if (!/started=100\b/.test(done) || !/failed=0\b/.test(done)) throw new Error(`boot start: ${done}`);
  const { running, lastStartMs } = await inspectAll();
  if (running !== NAMES.length) throw new Error(`after the boot start ${running} of ${NAMES.length} run`);
  return { ms: lastStartMs - t0, servingMs };
}

/** `podman start` of the 100 in one command; resolves with the time until the last one runs. */
async function podmanRound(): Promise<{ ms: number; commandMs: number }> {
  const t0 = Date.now();
  await $`podman start ${NAMES}`.quiet();
  const commandMs = Date.now() - t0;
  const { running, lastStartMs } = await inspectAll();
  if (running !== NAMES.length) throw new Error(`after podman start ${running} of ${NAMES.length} run`);
  return { ms: lastStartMs - t0, commandMs };
}

async function main(): Promise<void> {
  ensureBinary();
  await ensureTestImages();
  await removeContainers(`${PREFIX}-`);
  const at = new Date().toISOString();
  const load1AtStart = round(loadavg()[0]!, 2);
  const agent = await startTestAgent({ flavor: "binary" });
  const mcp: { ms: number; servingMs: number }[] = [];
  const podman: { ms: number; commandMs: number }[] = [];
  try {
    await deployAll(agent);
    const { running } = await inspectAll();
    if (running !== NAMES.length) throw new Error(`after the deploys ${running} of ${NAMES.length} run`);
    console.error(`deployed ${NAMES.length} components (${SERVICES} services × ${PER_SERVICE})`);
    await agent.stop();
    for (let round = 0; round < ROUNDS; round++) {
      for (const way of round % 2 === 0 ? ["mcp", "podman"] : ["podman", "mcp"]) {
        await stopAll();
        if (way === "mcp") {
          mcp.push(await mcpRound(agent));
          await agent.stop(); // stopping the agent never stops containers
        } else {
          podman.push(await podmanRound());
        }
        console.error(`round ${round + 1}, ${way}: ${way === "mcp" ? mcp.at(-1)!.ms : podman.at(-1)!.ms} ms`);
      }
    }
  } finally {
    await agent.stop();
    await removeContainers(`${PREFIX}-`);
  }
  const mcpMs = median(mcp.map((r) => r.ms));
  const podmanMs = median(podman.map((r) => r.ms));
  const result = {
    bench: "boot",
    at,
    command: `node_modules/.bin/bun bench/boot.ts --rounds ${ROUNDS}`,
    // Other work on the machine slows both ways: the load is recorded with the numbers.
    machine: { cpus: cpus().length, load1_at_start: load1AtStart, load1_at_end: round(loadavg()[0]!, 2), bun: Bun.version, podman: (await $`podman version --format ${"{{.Client.Version}}"}`.text()).trim() },
    components: NAMES.length,
    services: SERVICES,
    rounds: ROUNDS,
    mcp_ms: { median: mcpMs, max: Math.max(...mcp.map((r) => r.ms)), all: mcp.map((r) => r.ms), serving_ms_all: mcp.map((r) => r.servingMs) },
    podman_start_ms: { median: podmanMs, max: Math.max(...podman.map((r) => r.ms)), all: podman.map((r) => r.ms), command_ms_all: podman.map((r) => r.commandMs) },
    ratio: round(mcpMs / podmanMs, 2),
    target_ms: TARGET_MS,
    within_target: mcp.every((r) => r.ms <= TARGET_MS),
  };
  const file = writeResult("boot", at, result);
  console.log(`boot, ${NAMES.length} components stopped: agent start → all running ${round(mcpMs / 1000, 2)} s median (max ${round(result.mcp_ms.max / 1000, 2)} s; target ≤ ${TARGET_MS / 1000} s)`);
  console.log(`podman start of the same ${NAMES.length}: ${round(podmanMs / 1000, 2)} s median; ratio ${result.ratio}`);
  console.log(`written: ${file}`);
}

await main();
