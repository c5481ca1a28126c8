// Bad-input fuzz (issue 9, item 4), the long run; not in CI (the short
// version is test/reliability/fuzz.test.ts):
//   node_modules/.bin/bun bench/fuzz.ts [--seed N] [--trials 10000] [--rpc-per-method 200] [--no-rpc]
// 1. `--trials` mutations of each input kind (service definition, agent
//    config, CLI config), from the valid examples in examples/: deleted,
//    duplicated and retyped keys, wrong types, huge values, broken UTF-8, and
//    mixes. Each must be accepted or refused with an invalid_argument McpError
//    whose message locates the problem (`file:line: key.path: problem`);
//    anything else thrown, or a parse over 1 s, is a crash.
// 2. With podman: a real agent; to every RPC, as an admin, an empty request
//    and `--rpc-per-method` random byte strings, truncated valid requests and
//    requests with a field of the wrong wire type, hand-made malformed
//    encodings and gRPC framings, and messages over the 8 MiB receive limit
//    (plain, and a gzip bomb). Each must end with a status (an oversized one
//    with RESOURCE_EXHAUSTED); afterwards the same agent process answers,
//    `mcp ps` exits 0, no container carries the node's label, and no
//    temporary file of a push or restore is left.
// The same seed gives the same inputs. Writes bench/results/fuzz-<timestamp>.json.
import { $ } from "bun";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listRpcMethods } from "../src/rpc/index.ts";
import { startTestAgent } from "../test/support/agent.ts";
import {
  agentHealth, agentStartedAt, fuzzRpcs, fuzzToml, INPUT_KINDS, MUTATIONS, RPC_CASES, type InputKind, type RpcTarget, type TomlFuzzStats,
} from "../test/support/fuzz.ts";
import { podmanAvailable, uniqueName } from "../test/support/image.ts";
import { tempDir } from "../test/support/mcp.ts";
import { numberFlag, writeResult } from "./_stats.ts";

const SEED = numberFlag("--seed", 1);
const TRIALS = numberFlag("--trials", 10_000);
const RPC_PER_METHOD = numberFlag("--rpc-per-method", 200);
const NO_RPC = process.argv.includes("--no-rpc");

async function tomlPart(dir: string): Promise<Record<InputKind, TomlFuzzStats & { runMs: number }>> {
  const out = {} as Record<InputKind, TomlFuzzStats & { runMs: number }>;
  for (const kind of INPUT_KINDS) {
    const t0 = performance.now();
    const s = await fuzzToml({ kind, trials: TRIALS, seed: SEED, dir, maxFailures: 100 });
    out[kind] = { ...s, runMs: Math.round(performance.now() - t0) };
    console.log(
      `${kind.padEnd(12)} ${s.trials} trials: ${s.accepted} accepted, ${s.refused} refused with a located message, ` +
        `${s.unlocated} unlocated, ${s.crashes} crashes, ${s.slow} over 1 s; slowest ${Math.round(s.maxMs)} ms; ` +
        `${s.acceptedOdd.count} accepted with out-of-range values, ${s.acceptedReplaced.count} with U+FFFD for invalid UTF-8 (${out[kind].runMs} ms)`,
    );
  }
  return out;
}

async function rpcPart(): Promise<Record<string, unknown>> {
  const podman = await podmanAvailable();
  if (!podman.ok) return { skipped: `podman is not available (${podman.reason})` };
  const node = uniqueName("fuzz");
  const service = uniqueName("fz");
  const agent = await startTestAgent({ node });
  try {
    const target: RpcTarget = { address: agent.address, caPem: readFileSync(agent.caPath, "utf8"), serverName: node, token: agent.token };
    const srvRoot = join(agent.dir, "srv");
    mkdirSync(join(srvRoot, service), { recursive: true });
    const startedAt = await agentStartedAt(target);
    const t0 = performance.now();
    const stats = await fuzzRpcs(target, { seed: SEED, perMethod: RPC_PER_METHOD, names: { service, node }, onProgress: (m) => process.stdout.write(`${m} `) });
    const runMs = Math.round(performance.now() - t0);
    process.stdout.write("\n");
    const health = await agentHealth(agent, target, srvRoot);
    const healthy = health.startedAt === startedAt && health.served === 1 && health.ps.code === 0 && health.listServices === "OK" &&
      health.containers.length === 0 && health.leftovers.length === 0;
    const count = (pred: (status: string) => boolean) =>
      Object.values(stats.byCase).reduce((n, c) => n + Object.entries(c.statuses).filter(([s]) => pred(s)).reduce((m, [, k]) => m + k, 0), 0);
    const summary = {
      rpcs: listRpcMethods().length,
      calls: stats.calls,
      ok: count((s) => s === "OK"),
      open: count((s) => s === "OPEN"),
      refused: count((s) => s !== "OK" && s !== "OPEN" && !s.startsWith("NO_STATUS")),
      no_status: count((s) => s.startsWith("NO_STATUS")),
      failures: stats.failures.length,
      healthy,
    };
    console.log(`rpc          ${JSON.stringify(summary)} (${runMs} ms)`);
    return { ...summary, run_ms: runMs, started_at: startedAt, health, stats };
  } finally {
    await agent.stop();
    const left = (await $`podman ps -a --filter label=mcp.node=${node} --format ${"{{.Names}}"}`.nothrow().quiet().text()).split("\n").filter(Boolean);
    if (left.length > 0) await $`podman rm -f -t 0 ${left}`.nothrow().quiet();
  }
}

async function main(): Promise<void> {
  const at = new Date().toISOString();
  const dir = tempDir("mcp-bench-fuzz-");
  console.log(`fuzz: seed ${SEED}, ${TRIALS} mutations per input kind, ${NO_RPC ? "no RPCs" : `${RPC_PER_METHOD} per case per RPC`}`);
  const toml = await tomlPart(dir);
  rmSync(dir, { recursive: true, force: true });
  const rpc = NO_RPC ? { skipped: "--no-rpc" } : await rpcPart();
  const failures = INPUT_KINDS.reduce((n, k) => n + toml[k].unlocated + toml[k].crashes + toml[k].slow, 0) + (Number((rpc as { failures?: number }).failures) || 0);
  const result = {
    bench: "fuzz",
    at,
    seed: SEED,
    command: `node_modules/.bin/bun bench/fuzz.ts --seed ${SEED} --trials ${TRIALS}${NO_RPC ? " --no-rpc" : ` --rpc-per-method ${RPC_PER_METHOD}`}`,
    checked: {
      toml: `per input kind ${TRIALS} mutations (${MUTATIONS.join(", ")}; in turn) of the examples; accepted, or refused with an invalid_argument McpError located as file:line[:col] or file: key.path; anything else thrown or > 1 s per parse is a crash; accepted values that a timer or a safe integer cannot hold, and accepted values holding U+FFFD where the file had invalid UTF-8, are counted apart`,
      rpc: `every RPC, as an admin: ${RPC_CASES.join(", ")}; each call must end with a gRPC status (a read stream still open after 1 s counts as accepted), oversized ones with RESOURCE_EXHAUSTED, no stack or source path in a message; afterwards the same agent process answers, mcp ps exits 0, no container is labelled for the node, no .mcp-* temporary file is left under srv_root`,
    },
    toml: Object.fromEntries(INPUT_KINDS.map((k) => [k, toml[k]])),
    rpc,
    failures,
  };
  const file = writeResult("fuzz", at, result);
  console.log(`${failures === 0 ? "no failures" : `${failures} FAILURES`}; wrote ${file}`);
  if (failures > 0 || (rpc as { healthy?: boolean }).healthy === false) process.exitCode = 1;
}

await main();
