// Reliability runs (issue 9 items 1, 5, 6), on demand, not in CI (short
// versions: test/reliability/core.e2e.test.ts):
//   node_modules/.bin/bun bench/reliability.ts [--quick] [--seed N]
// Needs podman. Writes bench/results/reliability-<timestamp>.json.
//  1. SIGKILL of the agent at 20 points spread at random over deploys (the
//     last podman verb before the kill is recorded), restart, checks;
//  5. 200 concurrent ListServices (10 rounds) during 10 concurrent deploys;
//  6. an agent restart with 100 running containers.
import { startTestAgent } from "../test/support/agent.ts";
import { ensureTestImages, removeContainers } from "../test/support/image.ts";
import { crashTrial, deployDuration, loadTrial, restartTrial, type CrashTrial } from "../test/support/reliability.ts";
import { writeResult } from "./_stats.ts";

const quick = process.argv.includes("--quick");
const seedArg = process.argv.indexOf("--seed");
let seed = seedArg > 0 ? Number(process.argv[seedArg + 1]) : Date.now() % 100_000;
const firstSeed = seed;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const PREFIX = "relbench";

async function main(): Promise<void> {
  await ensureTestImages();
  const agent = await startTestAgent({ flavor: "binary", settings: { log: { level: `"debug"` }, agent: { stop_timeout: `"2s"` } } });
  try {
    // 1. Crashes.
    const svc = `${PREFIX}-crash`;
    const span = await deployDuration(agent, svc);
    const crashes: CrashTrial[] = [];
    for (let i = 0; i < (quick ? 5 : 20); i++) {
      const t = await crashTrial(agent, svc, i % 2 === 0 ? "v1" : "v2", Math.round(random() * span * 1.1));
      crashes.push(t);
      console.log(`crash ${i + 1}: killed at ${t.delayMs} ms (${t.lastStep}): ${t.ok ? "ok" : t.problems.join("; ")}`);
    }
    // 5. Load.
    const load = await loadTrial(agent, `${PREFIX}-load`, quick ? { readers: 50, rounds: 3, deploys: 3 } : { readers: 200, rounds: 10, deploys: 10 });
    console.log(`load: ${load.calls} reads, p50 ${load.p50} ms, p99 ${load.p99} ms, max ${load.max} ms; errors ${load.readErrors.length}; deploy errors ${load.deployErrors.length}; containers ${load.containers} (${load.running} running)`);
    // 6. Restart.
    const restart = await restartTrial(agent, `${PREFIX}-rs`, quick ? 2 : 10, 10);
    console.log(`restart with ${restart.containers} containers: kept running ${restart.keptRunning}; serving after ${restart.servingMs} ms; state rebuilt after ${restart.rebuiltMs} ms`);

    const result = {
      bench: "reliability", at: new Date().toISOString(), quick, seed: firstSeed, deploy_ms: Math.round(span),
      crash: {
        trials: crashes.length, ok: crashes.filter((c) => c.ok).length,
        by_step: Object.entries(crashes.reduce<Record<string, number>>((m, c) => ((m[c.lastStep] = (m[c.lastStep] ?? 0) + 1), m), {})),
        failures: crashes.filter((c) => !c.ok),
        trials_detail: crashes.map((c) => ({ delay_ms: c.delayMs, last_step: c.lastStep, ok: c.ok })),
      },
      load: { ...load, readErrors: load.readErrors.slice(0, 5), deployErrors: load.deployErrors.slice(0, 5) },
      restart: { ...restart, target_ms: 2000 },
    };
    const file = writeResult("reliability", result.at, result);
    console.log(`written: ${file}`);
  } finally {
    await agent.stop();
    await removeContainers(PREFIX);
  }
}

await main();
