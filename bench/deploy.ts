// Deploy benchmark (issue 4), run on demand, not in CI:
//   node_modules/.bin/bun bench/deploy.ts [--quick]
// Needs podman (scripts/setup-podman.sh), Debian's docker-compose
// (apt-get install docker-compose) and dist/mcp (scripts/build.ts).
// Measures, in one run on this machine:
//  1. a no-op redeploy of a 3-component service (`mcp deploy`, compiled binary,
//     TLS, token: every component `unchanged`) vs `docker-compose up -d` on three
//     unchanged containers of the same image and command, with docker-compose
//     talking to podman's Docker-compatible socket (`podman system service`).
//     Runs alternate between the two; medians compared.
//  2. a bad deploy (a health command that never succeeds; an image that exits at
//     once): time from `mcp deploy` to the `rolled back` result, vs the health
//     deadline (retries × (interval + timeout)) + 5 s.
//  3. (issue 15, bench/_change.ts) a change deploy vs a hand-written stop-first
//     replace, and kill → alert for a component without a restart policy;
//     `--only change` runs just these.
// Writes bench/results/deploy-<timestamp>.json and prints a summary.
import { $, type Subprocess } from "bun";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../test/support/image.ts";
import { ensureBinary, tempDir, waitFor } from "../test/support/mcp.ts";
import { median, percentile, round, timed, writeResult } from "./_stats.ts";
import { benchChange } from "./_change.ts";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 5 : 20;
const BAD_TRIALS = quick ? 2 : 5;
const SVC = "benchdep";
const BAD = "benchbad";
const PROJECT = "mcpbench";
const HEALTH = { intervalMs: 1000, timeoutMs: 1000, retries: 3 };


function serviceText(image: string, cmd: string[], health = "", name = SVC, components = ["a", "b", "c"]): string {
  return `name = "${name}"\nnode = "local"\n\n${components
    .map((n) => `[[components]]\nname = "${n}"\nimage = "${image}"\ncmd = ${JSON.stringify(cmd)}\n${n === "a" ? health : ""}`)
    .join("\n")}`;
}

async function startPodmanService(dir: string): Promise<{ proc: Subprocess; host: string }> {
  const sock = join(dir, "podman.sock");
  const proc = Bun.spawn(["podman", "system", "service", "--time=0", `unix://${sock}`], { stdout: "ignore", stderr: "ignore" });
  await waitFor(() => existsSync(sock), "podman system service to listen", 15_000);
  return { proc, host: `unix://${sock}` };
}

async function main(): Promise<void> {
  await ensureBinary();
  // Issue 15: change deploys vs a hand-written replace, kill → alert without a restart policy.
  const change = await benchChange(quick ? 5 : 15, quick ? 5 : 20);
  if (process.argv.includes("--only") && process.argv.includes("change")) {
    const at = new Date().toISOString();
    console.log(`written: ${writeResult("deploy-change", at, { bench: "deploy", at, quick, ...change })}`);
    return;
  }
  if (!Bun.which("docker-compose")) throw new Error("docker-compose is not installed: apt-get install docker-compose");
  await ensureBinary();
  await ensureTestImages();
  const dir = tempDir("mcp-bench-deploy-");
  const agent: TestAgent = await startTestAgent({ flavor: "binary" });
  const { proc: service, host } = await startPodmanService(dir);
  const composeFile = join(dir, "docker-compose.yml");
  writeFileSync(composeFile, `version: "3"\nservices:\n${["a", "b", "c"]
    .map((n) => `  ${n}:\n    image: ${TEST_IMAGES.v1}\n    command: ${JSON.stringify(SLEEP_CMD)}\n`)
    .join("")}`);
  const compose = (...args: string[]) =>
    $`docker-compose -p ${PROJECT} -f ${composeFile} ${args}`.env({ ...process.env, DOCKER_HOST: host }).nothrow().quiet();

  try {
    // 1. No-op redeploys.
    writeServiceDef(agent, SVC, serviceText(TEST_IMAGES.v1, SLEEP_CMD));
    const first = await agent.cli(["deploy", SVC]);
    if (first.code !== 0) throw new Error(`first deploy: ${first.stdout}${first.stderr}`);
    const up = await compose("up", "-d");
    if (up.exitCode !== 0) throw new Error(`first docker-compose up: ${up.stderr}`);
    const mcpMs: number[] = [];
    const composeMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [m, r] = await timed(() => agent.cli(["deploy", SVC]));
      if (r.code !== 0 || (r.stdout.match(/unchanged/g) ?? []).length !== 3) throw new Error(`no-op deploy ${i}: ${r.stdout}${r.stderr}`);
      mcpMs.push(m);
      const [c, cr] = await timed(() => compose("up", "-d"));
      if (cr.exitCode !== 0 || (cr.stderr.toString().match(/is up-to-date/g) ?? []).length !== 3) {
        throw new Error(`no-op docker-compose up ${i}: ${cr.stderr}`);
      }
      composeMs.push(c);
    }
    const noop = {
      runs: RUNS,
      mcp_ms: { median: round(median(mcpMs)), p95: round(percentile(mcpMs, 95)), all: mcpMs.map((x) => round(x)) },
      compose_ms: { median: round(median(composeMs)), p95: round(percentile(composeMs, 95)), all: composeMs.map((x) => round(x)) },
      ratio: round(median(mcpMs) / median(composeMs), 2),
      target_ratio: 0.2,
    };
    console.log(`no-op redeploy, 3 components: mcp ${noop.mcp_ms.median} ms vs docker-compose ${noop.compose_ms.median} ms, ratio ${noop.ratio}`);

    // 2. Bad deploys, rolled back. v1 with a health check is the good version.
    const health = (cmd: string[]) =>
      `\n[components.health]\ncmd = ${JSON.stringify(cmd)}\ninterval = "${HEALTH.intervalMs}ms"\ntimeout = "${HEALTH.timeoutMs}ms"\nretries = ${HEALTH.retries}\n`;
    // A one-component service: the time is the bad component's alone.
    const badText = (image: string, cmd: string[], h: string) => serviceText(image, cmd, h, BAD, ["a"]);
    writeServiceDef(agent, BAD, badText(TEST_IMAGES.v1, SLEEP_CMD, health(["true"])));
    const good = await agent.cli(["deploy", BAD]);
    if (good.code !== 0) throw new Error(`good deploy: ${good.stdout}${good.stderr}`);
    const deadlineMs = HEALTH.retries * (HEALTH.intervalMs + HEALTH.timeoutMs);
    const bad: Record<string, number[]> = { "health never succeeds": [], "exits at once": [] };
    for (let i = 0; i < BAD_TRIALS; i++) {
      for (const [kind, text] of [
        ["health never succeeds", badText(TEST_IMAGES.v2, SLEEP_CMD, health(["sh", "-c", "exit 1"]))],
        ["exits at once", badText(TEST_IMAGES.v2, ["sh", "-c", "exit 3"], health(["true"]))],
      ] as const) {
        writeServiceDef(agent, BAD, text);
        const [ms, r] = await timed(() => agent.cli(["deploy", BAD]));
        if (r.code !== 1 || !/a\s+rolled back\s+v1/.test(r.stdout)) throw new Error(`bad deploy (${kind}): ${r.stdout}${r.stderr}`);
        const running = (await $`podman exec ${BAD}-a cat /VERSION`.text()).trim();
        if (running !== "v1") throw new Error(`after a bad deploy (${kind}) ${running} runs`);
        bad[kind]!.push(ms);
      }
    }
    const badDeploys = Object.fromEntries(Object.entries(bad).map(([k, xs]) => [k, {
      trials: xs.length, max_ms: round(Math.max(...xs)), median_ms: round(median(xs)), limit_ms: deadlineMs + 5000,
      within: xs.every((x) => x <= deadlineMs + 5000),
    }]));
    for (const [k, v] of Object.entries(badDeploys)) {
      console.log(`bad deploy (${k}): rolled back in ${v.median_ms} ms median, ${v.max_ms} ms max; limit ${v.limit_ms} ms (deadline ${deadlineMs} + 5000)`);
    }

    const podmanVersion = (await $`podman version --format ${"{{.Client.Version}}"}`.text()).trim();
    const composeVersion = (await $`docker-compose version --short`.nothrow().text()).trim();
    const result = { bench: "deploy", at: new Date().toISOString(), quick, podman: podmanVersion, docker_compose: composeVersion, noop, bad_deploys: badDeploys, health_deadline_ms: deadlineMs, ...change };
    const out = writeResult("deploy", result.at, result);
    console.log(`written: ${out}`);
  } finally {
    await compose("down");
    service.kill();
    await agent.stop();
    await removeContainers(SVC);
    await removeContainers(BAD);
  }
}

await main();
