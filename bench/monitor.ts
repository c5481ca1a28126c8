// Monitor benchmark (issue 3), run on demand, not in CI:
//   node_modules/.bin/bun bench/monitor.ts [--quick]
// Needs podman (scripts/setup-podman.sh) and dist/mcp (scripts/build.ts).
// Measures, in one run on this machine:
//  1. drift detection latency: `podman kill` → the alert command has run (20 trials, p50/p95);
//  2. `mcp ps` (compiled binary, TLS, token) vs `podman ps -a --format json`, 100 containers;
//  3. agent CPU and RSS over 60 s idle with 10, 100 and 300 containers.
// Writes bench/results/monitor-<timestamp>.json and prints a summary.
import { $ } from "bun";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../test/support/image.ts";
import { ensureBinary, ROOT, waitFor } from "../test/support/mcp.ts";
import { median, percentile, writeResult } from "./_stats.ts";

const quick = process.argv.includes("--quick");
const IDLE_MS = quick ? 10_000 : 60_000;
const COUNTS = quick ? [10, 100] : [10, 100, 300];
const PREFIX = "bench";
const PER_SERVICE = 10;
const TICKS = 100; // USER_HZ on Linux

const ms = (ns: bigint | number) => Number(ns) / 1e6;

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}
function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Deploys services bench-sNN with PER_SERVICE components each until `total` containers exist. */
async function growTo(agent: TestAgent, total: number, have: number): Promise<number> {
  const jobs: Promise<void>[] = [];
  for (let n = have; n < total; n += PER_SERVICE) {
    const name = `${PREFIX}-s${String(n / PER_SERVICE).padStart(2, "0")}`;
    const comps = Array.from({ length: PER_SERVICE }, (_, i) =>
      `[[components]]\nname = "c${i}"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`).join("\n");
    writeServiceDef(agent, name, `name = "${name}"\nnode = "local"\n\n${comps}`);
    jobs.push(agent.cli(["deploy", name]).then((r) => {
      if (r.code !== 0) throw new Error(`${name}: ${r.stdout}${r.stderr}`);
    }));
    // Two at a time: this machine has two cores.
    if (jobs.length === 2) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  return total;
}

async function main() {
  ensureBinary();
  await ensureTestImages();
  await removeContainers(`${PREFIX}-`);
  const results: Record<string, unknown> = { date: new Date().toISOString(), quick, podman: (await $`podman --version`.text()).trim() };

  const alertsDir = join(ROOT, "bench/results");
  mkdirSync(alertsDir, { recursive: true });
  const alertLog = join(alertsDir, ".alerts.tmp");
  writeFileSync(alertLog, "");
  process.env.MCP_BENCH_ALERTS = alertLog;
  const agent = await startTestAgent({
    flavor: "binary",
    settings: {
      monitor: {
        cooldown: `"0s"`,
        alert_command: JSON.stringify(["sh", "-c", 'echo "$MCP_SERVICE/$MCP_COMPONENT $MCP_ALERT_KIND $(date +%s%N)" >> "$MCP_BENCH_ALERTS"']),
      },
    },
  });
  const agentPid = Number(/pid=(\d+)/.exec(agent.logs())?.[1] ?? 0) || findAgentPid(agent);
  try {
    let have = 0;
    // 1 + 3: idle cost at each size (and 2 at 100).
    const idle: Record<string, unknown>[] = [];
    for (const count of COUNTS) {
      have = await growTo(agent, count, have);
      await waitFor(async () => (await $`podman ps -q --filter name=^${PREFIX}-`.text()).trim().split("\n").length >= count, "containers", 60_000);
      const kids = childPids(agentPid);
      const t0 = cpuTicks(agentPid);
      const k0 = kids.map(cpuTicks);
      const started = performance.now();
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const secs = (performance.now() - started) / 1000;
      const agentCpu = (cpuTicks(agentPid) - t0) / TICKS / secs;
      const kidCpu = kids.reduce((s, k, i) => s + (cpuTicks(k) - k0[i]!), 0) / TICKS / secs;
      idle.push({ containers: count, seconds: Math.round(secs), agent_cpu_pct: +(agentCpu * 100).toFixed(3), children_cpu_pct: +(kidCpu * 100).toFixed(3), rss_mb: +(rssKb(agentPid) / 1024).toFixed(1) });
      console.error(`idle ${count}:`, idle.at(-1));

      if (count === 100) {
        // 2: mcp ps vs podman ps, same host, 100 containers.
        const time = (argv: string[]) => {
          const t = process.hrtime.bigint();
          const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
          if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${p.stderr}`);
          return ms(process.hrtime.bigint() - t);
        };
        const mcpPs = [join(ROOT, "dist/mcp"), "ps", "--config", agent.cliConfig];
        const podmanPs = ["podman", "ps", "-a", "--format", "json"];
        for (let i = 0; i < 3; i++) time(mcpPs), time(podmanPs); // warm up
        const mt: number[] = [];
        const pt: number[] = [];
        for (let i = 0; i < 20; i++) {
          mt.push(time(mcpPs));
          pt.push(time(podmanPs));
        }
        results.ps = { containers: count, runs: 20, mcp_ps_ms_median: +median(mt).toFixed(1), podman_ps_ms_median: +median(pt).toFixed(1), ratio: +(median(mt) / median(pt)).toFixed(3) };
        console.error("ps:", results.ps);

        // 1: drift latency, 20 trials on 20 different components.
        const lat: number[] = [];
        for (let i = 0; i < 20; i++) {
          const svc = `${PREFIX}-s${String(Math.floor(i / PER_SERVICE)).padStart(2, "0")}`;
          const name = `${svc}-c${i % PER_SERVICE}`;
          const before = readFileSync(alertLog, "utf8").length;
          const t0 = BigInt(Date.now()) * 1_000_000n;
          await $`podman kill ${name}`.quiet();
          const line = await waitFor(() => readFileSync(alertLog, "utf8").slice(before).split("\n").find((l) => l.startsWith(`${svc}/c${i % PER_SERVICE} drift`)), "the alert", 15_000);
          lat.push(ms(BigInt(line!.split(" ")[2]!) - t0));
          await $`podman start ${name}`.quiet();
          await waitFor(() => readFileSync(alertLog, "utf8").includes(`${svc}/c${i % PER_SERVICE} recovered`), "recovery", 15_000);
        }
        results.drift_latency = { trials: lat.length, p50_ms: Math.round(percentile(lat, 50)), p95_ms: Math.round(percentile(lat, 95)), max_ms: Math.round(Math.max(...lat)), all_ms: lat.map(Math.round) };
        console.error("drift latency:", results.drift_latency);
      }
    }
    results.idle = idle;
  } finally {
    await agent.stop();
    await removeContainers(`${PREFIX}-`);
  }
  const out = writeResult("monitor", new Date().toISOString(), results);
  console.log(JSON.stringify(results, null, 2));
  console.error(`written to ${out}`);
}

/** The agent process: the newest `mcp agent --config <this agent's config>`. */
function findAgentPid(agent: TestAgent): number {
  const out = Bun.spawnSync(["pgrep", "-n", "-f", `agent --config ${agent.agentConfig}`]).stdout.toString().trim();
  if (!out) throw new Error("cannot find the agent's pid");
  return Number(out);
}

await main();
