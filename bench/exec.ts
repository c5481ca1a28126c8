// Exec benchmark (issue 16), run on demand, not in CI:
//   node_modules/.bin/bun scripts/build.ts && node_modules/.bin/bun bench/exec.ts [--runs N]
// Needs podman (scripts/setup-podman.sh) and, for the production shape, the
// mcp user (scripts/setup-rootless.sh); else the agent runs as root (said).
// Measures, in one run on this machine, alternating, median of N (20):
//  - `mcp exec svc -- true` (compiled binary on the "workstation": TLS 1.3,
//    token, the agent as mcp with rootless podman) vs `podman exec <ctr> true`
//    run on the node as the agent's user: the target is a ratio ≤ 1.5;
//  - where the time goes: the CLI's start (`mcp version`), one unary RPC
//    (`mcp ps`: start + config + TLS + a call answered from memory), the
//    agent's own time per exec (its audit line), and `podman exec` under the
//    subreaper the agent uses (catatonit) vs bare.
// Writes bench/results/exec-<timestamp>.json and prints a summary.
import { $ } from "bun";
import { startTestAgent, writeServiceDef } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../test/support/image.ts";
import { BINARY, ensureBinary } from "../test/support/mcp.ts";
import { AGENT_USER, P, SHAPE } from "../test/support/shape.ts";
import { median, numberFlag, percentile, round, timed, writeResult } from "./_stats.ts";

const RUNS = numberFlag("--runs", 20);
const SVC = "benchexec";
const CATATONIT = "/usr/libexec/podman/catatonit";

async function main(): Promise<void> {
  ensureBinary();
  await ensureTestImages(P);
  const agent = await startTestAgent({ flavor: "binary", user: AGENT_USER });
  const ctr = `${SVC}-api`;
  try {
    writeServiceDef(agent, SVC, `name = "${SVC}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\nuser = "1000:1000"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const d = await agent.cli(["deploy", SVC]);
    if (d.code !== 0) throw new Error(`deploy: ${d.stdout}${d.stderr}`);
    const cfg = ["--config", agent.cliConfig];
    const run = async (argv: string[]) => {
      const [ms, r] = await timed(() => $`${argv}`.nothrow().quiet());
      if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}: ${r.stderr}`);
      return ms;
    };
    const measures: Record<string, string[]> = {
      mcp: [BINARY, "exec", ...cfg, SVC, "--", "true"],
      podman: [...P, "exec", ctr, "true"],
      podmanUnderCatatonit: SHAPE === "rootless" ? [...P.slice(0, -1), CATATONIT, "--", "podman", "exec", ctr, "true"] : [CATATONIT, "--", "podman", "exec", ctr, "true"],
      mcpVersion: [BINARY, "version"],
      mcpPs: [BINARY, "ps", ...cfg],
    };
    // One warm-up each (page cache, podman's pause process, the agent's first call).
    for (const argv of Object.values(measures)) await run(argv).catch(() => run(argv));
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
    const agentMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [name, argv] of Object.entries(measures)) {
        const mark = agent.logs().length;
        times[name]!.push(await run(argv));
        if (name === "mcp") {
          // The agent's own time for this exec: its audit line (authenticate → exit status sent).
          const line = agent.logs().slice(mark).split("\n").find((l) => l.includes("method=Exec") || l.includes("Exec"));
          const m = line ? /ms[=:]\s*(\d+)/.exec(line) : null;
          if (m) agentMs.push(Number(m[1]));
        }
      }
    }
    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v))]));
    const at = new Date().toISOString();
    const load = (await $`cat /proc/loadavg`.text()).trim();
    const result = {
      bench: "exec", at, runs: RUNS, shape: SHAPE, load,
      medians_ms: med,
      p90_ms: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(percentile(v, 90))])),
      agent_exec_ms_median: agentMs.length ? round(median(agentMs)) : null,
      ratio: round(med.mcp! / med.podman!, 2),
      target: 1.5,
      runs_ms: times,
    };
    console.log(JSON.stringify({ ...result, runs_ms: undefined }, null, 2));
    console.log(`written: ${writeResult("exec", at, result)}`);
  } finally {
    await agent.stop();
    await removeContainers(SVC, P);
  }
}

await main();
