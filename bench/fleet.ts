// Fleet benchmark (issue 17), run on demand, not in CI:
//   node_modules/.bin/bun scripts/build.ts && node_modules/.bin/bun bench/fleet.ts [--quick] [--runs N]
// Needs podman (scripts/setup-podman.sh, which also installs Debian's
// docker-compose) and dist/mcp. Measures, in one run on this machine:
//  1. `mcp deploy --all` of 20 unchanged one-component services spread over 4
//     agents (compiled binary, TLS, a token per node; every service
//     `unchanged`) vs `docker-compose up -d` of the same 20 containers (same
//     image and command) in one project, docker-compose talking to podman's
//     Docker-compatible socket (`podman system service`). Runs alternate;
//     medians compared. Target ratio ≤ 0.2.
//  2. `mcp ps` over 20 agents vs `mcp ps` over one of them, alternating,
//     medians. Target ≤ 1.3.
// Every agent is real (`mcp agent` on loopback, its own srv root, registry
// and certificates), as root with rootful podman, as bench/deploy.ts.
// Writes bench/results/fleet-<timestamp>.json and prints a summary.
import { $, type Subprocess } from "bun";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../test/support/image.ts";
import { BINARY, ensureBinary, runMcp, tempDir, waitFor } from "../test/support/mcp.ts";
import { median, numberFlag, percentile, round, timed, writeResult } from "./_stats.ts";

const quick = process.argv.includes("--quick");
const RUNS = numberFlag("--runs", quick ? 5 : 20);
const SERVICES = 20;
const DEPLOY_AGENTS = 4;
const PS_AGENTS = 20;
const PREFIX = "bfleet";
const PROJECT = "mcpfleetbench";

/** Adds `agent` to the CLI config of `to` (node add + login with its own token). */
async function addNode(to: TestAgent, config: string, agent: TestAgent): Promise<void> {
  const add = await runMcp("binary", ["node", "add", agent.node, agent.address, "--ca-cert", agent.caPath, "--config", config]);
  if (add.code !== 0) throw new Error(`node add ${agent.node}: ${add.stderr}`);
  const login = await runMcp("binary", ["login", "--node", agent.node, "--token-stdin", "--config", config], { stdin: `${agent.token}\n` });
  if (login.code !== 0) throw new Error(`login ${agent.node}: ${login.stderr}`);
}

/** A CLI config of its own that reaches the given agents (the first one's services directory). */
async function fleetConfig(agents: TestAgent[], name: string): Promise<string> {
  const config = join(tempDir(`mcp-bench-${name}-`), "mcp.toml");
  writeFileSync(config, `[services]\ndir = ${JSON.stringify(agents[0]!.servicesDir)}\n`);
  for (const a of agents) await addNode(agents[0]!, config, a);
  return config;
}

async function startPodmanService(dir: string): Promise<{ proc: Subprocess; host: string }> {
  const sock = join(dir, "podman.sock");
  const proc = Bun.spawn(["podman", "system", "service", "--time=0", `unix://${sock}`], { stdout: "ignore", stderr: "ignore" });
  await waitFor(() => existsSync(sock), "podman system service to listen", 15_000);
  return { proc, host: `unix://${sock}` };
}

/** Starts n agents, a few at a time (each init makes a CA and a registry). */
async function startAgents(n: number, from: number): Promise<TestAgent[]> {
  const out: TestAgent[] = [];
  for (let i = 0; i < n; i += 4) {
    out.push(...await Promise.all(Array.from({ length: Math.min(4, n - i) }, (_, k) => startTestAgent({ flavor: "binary", node: `n${from + i + k}` }))));
  }
  return out;
}

/** `mcp ps` with the compiled binary: exit code, stdout and the process's CPU time (user + system, ms). */
async function psWithCpu(config: string): Promise<{ code: number; stdout: string; cpuMs: number }> {
  const proc = Bun.spawn([BINARY, "ps", "--config", config], { stdout: "pipe", stderr: "ignore", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return { code, stdout, cpuMs: Number(proc.resourceUsage()?.cpuTime.total ?? 0n) / 1000 };
}

/** CPU time (user + system, ms) the given processes have used so far, from /proc (10 ms ticks). */
function cpuOf(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return sum + (Number(fields[11]) + Number(fields[12])) * 10;
  }, 0);
}

const stats = (xs: number[]) => ({ median: round(median(xs)), p95: round(percentile(xs, 95)), all: xs.map((x) => round(x)) });

async function main(): Promise<void> {
  if (!Bun.which("docker-compose")) throw new Error("docker-compose is not installed: bash scripts/setup-podman.sh (or apt-get install docker-compose)");
  ensureBinary();
  await ensureTestImages();
  const dir = tempDir("mcp-bench-fleet-");
  const agents: TestAgent[] = [];
  let service: Subprocess | undefined;
  try {
    agents.push(...await startAgents(DEPLOY_AGENTS, 0));
    const deployConfig = await fleetConfig(agents, "deploy");
    const names = Array.from({ length: SERVICES }, (_, i) => `${PREFIX}${i}`);
    names.forEach((name, i) => writeServiceDef(agents[0]!, name,
      `name = "${name}"\nnode = "n${i % DEPLOY_AGENTS}"\n\n[[components]]\nname = "app"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`));
    const mcp = (args: string[], config: string) => runMcp("binary", [...args, "--config", config]);
    const first = await mcp(["deploy", "--all"], deployConfig);
    if (first.code !== 0) throw new Error(`first deploy --all: ${first.stdout}${first.stderr}`);

    const started = await startPodmanService(dir);
    service = started.proc;
    const composeFile = join(dir, "docker-compose.yml");
    writeFileSync(composeFile, `version: "3"\nservices:\n${names.map((n) => `  ${n}:\n    image: ${TEST_IMAGES.v1}\n    command: ${JSON.stringify(SLEEP_CMD)}\n`).join("")}`);
    const compose = (...args: string[]) => $`docker-compose -p ${PROJECT} -f ${composeFile} ${args}`.env({ ...process.env, DOCKER_HOST: started.host }).nothrow().quiet();
    const up = await compose("up", "-d");
    if (up.exitCode !== 0) throw new Error(`first docker-compose up: ${up.stderr}`);

    // 1. deploy --all vs docker-compose up -d, both with nothing to change.
    const mcpMs: number[] = [];
    const composeMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [m, r] = await timed(() => mcp(["deploy", "--all"], deployConfig));
      if (r.code !== 0 || (r.stdout.match(/\bunchanged\b/g) ?? []).length !== SERVICES) throw new Error(`no-op deploy --all ${i}: ${r.stdout}${r.stderr}`);
      mcpMs.push(m);
      const [c, cr] = await timed(() => compose("up", "-d"));
      if (cr.exitCode !== 0 || (cr.stderr.toString().match(/is up-to-date/g) ?? []).length !== SERVICES) throw new Error(`no-op docker-compose up ${i}: ${cr.stderr}`);
      composeMs.push(c);
    }
    const deployAll = { services: SERVICES, agents: DEPLOY_AGENTS, runs: RUNS, mcp_ms: stats(mcpMs), compose_ms: stats(composeMs), ratio: round(median(mcpMs) / median(composeMs), 3), target_ratio: 0.2 };
    console.log(`deploy --all, ${SERVICES} unchanged services on ${DEPLOY_AGENTS} agents: mcp ${deployAll.mcp_ms.median} ms vs docker-compose up -d ${deployAll.compose_ms.median} ms, ratio ${deployAll.ratio}`);
    await compose("down", "-t", "0");
    service.kill();
    service = undefined;

    // 2. ps over 20 agents vs one.
    agents.push(...await startAgents(PS_AGENTS - DEPLOY_AGENTS, DEPLOY_AGENTS));
    const allConfig = await fleetConfig(agents, "ps20");
    const oneConfig = await fleetConfig([agents[0]!], "ps1");
    const manyMs: number[] = [];
    const oneMs: number[] = [];
    // The CLI's own CPU time too: on this one machine the 20 agents answer on the same 2 cores as the CLI.
    const manyCpu: number[] = [];
    const oneCpu: number[] = [];
    // And the agents' CPU time over all runs of each kind (they answer on the same cores).
    const pids = agents.map((a) => a.pid());
    let agentsMany = 0;
    let agentsOne = 0;
    for (let i = 0; i < RUNS; i++) {
      let before = cpuOf(pids);
      const [m, r] = await timed(() => psWithCpu(allConfig));
      agentsMany += cpuOf(pids) - before;
      if (r.code !== 0 || !r.stdout.includes(`${PREFIX}0`)) throw new Error(`ps over ${PS_AGENTS} agents failed`);
      manyMs.push(m);
      manyCpu.push(r.cpuMs);
      before = cpuOf(pids);
      const [o, r1] = await timed(() => psWithCpu(oneConfig));
      agentsOne += cpuOf(pids) - before;
      if (r1.code !== 0 || !r1.stdout.includes(`${PREFIX}0`)) throw new Error("ps over one agent failed");
      oneMs.push(o);
      oneCpu.push(r1.cpuMs);
    }
    const ps = {
      agents: PS_AGENTS, runs: RUNS, many_ms: stats(manyMs), one_ms: stats(oneMs), ratio: round(median(manyMs) / median(oneMs), 3), target_ratio: 1.3,
      cli_cpu_ms: { many: round(median(manyCpu)), one: round(median(oneCpu)) },
      // Per run, all agents together (includes their idle work during the run: monitors, probes).
      agents_cpu_ms: { many: round(agentsMany / RUNS), one: round(agentsOne / RUNS) },
      cpus: navigator.hardwareConcurrency,
    };
    console.log(`ps: ${PS_AGENTS} agents ${ps.many_ms.median} ms vs one agent ${ps.one_ms.median} ms, ratio ${ps.ratio}; CLI CPU ${ps.cli_cpu_ms.many} vs ${ps.cli_cpu_ms.one} ms; agents' CPU per run ${ps.agents_cpu_ms.many} vs ${ps.agents_cpu_ms.one} ms (${ps.cpus} CPUs)`);

    const podmanVersion = (await $`podman version --format ${"{{.Client.Version}}"}`.text()).trim();
    const composeVersion = (await $`docker-compose version --short`.nothrow().text()).trim();
    const load = (await Bun.file("/proc/loadavg").text()).trim();
    const at = new Date().toISOString();
    const result = { bench: "fleet", at, quick, podman: podmanVersion, docker_compose: composeVersion, loadavg_at_end: load, deploy_all: deployAll, ps };
    console.log(`wrote ${writeResult("fleet", at, result)}`);
  } finally {
    service?.kill();
    await Promise.all(agents.map((a) => a.stop()));
    await removeContainers(PREFIX);
  }
}

await main();
