// Issue 9, item 4 (bad input), short version for CI; the long run is
// bench/fuzz.ts (10,000 mutations per input kind). Every mutated service
// definition, agent config and CLI config is accepted or refused with a
// located message (`file:line: key.path: problem`), never a crash; malformed
// protobuf, malformed gRPC framing and oversized messages to every RPC of a
// real agent end with a status, and the agent stays healthy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAgentConfig, parseCliConfig } from "../../src/config/index.ts";
import { listRpcMethods } from "../../src/rpc/index.ts";
import { parseServiceDef } from "../../src/servicedef/index.ts";
import { startTestAgent, type TestAgent } from "../support/agent.ts";
import {
  agentHealth, agentStartedAt, decodesAs, fuzzRpcs, fuzzToml, INPUT_KINDS, loadFuzzInputs, MUTATIONS, validRequest,
  type RpcFuzzStats, type RpcTarget,
} from "../support/fuzz.ts";
import { podmanAvailable, uniqueName } from "../support/image.ts";
import { tempDir } from "../support/mcp.ts";

const SEED = 9_0004;
const TRIALS = 490; // 70 per mutation kind

describe("bad input: mutated service definitions and configs", () => {
  const dir = tempDir("mcp-fuzz-");

  test("the starting texts are valid (so every refusal is the mutation's doing)", () => {
    const inputs = loadFuzzInputs();
    for (const text of inputs.servicedef) expect(() => parseServiceDef(text, "s.toml")).not.toThrow();
    for (const text of inputs["agent-config"]) expect(() => parseAgentConfig(text, "/a/mcp-agent.toml", { home: "/h", env: {} })).not.toThrow();
    for (const text of inputs["cli-config"]) expect(() => parseCliConfig(text, "/c/mcp.toml", { home: "/h" })).not.toThrow();
    // The definitions have no commented-out keys; each config is used as shipped and with them enabled.
    expect(Object.values(inputs).map((x) => x.length)).toEqual([2, 2, 2]);
  });

  for (const kind of INPUT_KINDS) {
    test(`${TRIALS} mutated ${kind} texts: each accepted or refused with a located message, none crashes or takes > 1 s`, async () => {
      const t0 = performance.now();
      const s = await fuzzToml({ kind, trials: TRIALS, seed: SEED, dir });
      console.log(
        `fuzz ${kind}: ${s.trials} trials, ${s.accepted} accepted, ${s.refused} refused with a located message, ` +
          `${s.unlocated} unlocated, ${s.crashes} crashes, ${s.slow} over 1 s (slowest ${Math.round(s.maxMs)} ms, run ${Math.round(performance.now() - t0)} ms); ` +
          `refusals ${JSON.stringify(s.refusals)}`,
      );
      if (s.acceptedReplaced.count > 0) console.log(`fuzz ${kind}: ${s.acceptedReplaced.count} accepted with invalid UTF-8 turned into U+FFFD in a value (e.g. trial ${s.acceptedReplaced.samples[0]!.trial}: ${s.acceptedReplaced.samples[0]!.what.join("; ")})`);
      for (const o of s.acceptedOdd.samples) console.log(`fuzz ${kind}: accepted, but ${o.odd.join("; ")} (trial ${o.trial}: ${o.what.join("; ")})`);
      expect(s.failures.map((f) => `trial ${f.trial} ${f.mutation} [${f.what.join("; ")}]: ${JSON.stringify(f.outcome)}`)).toEqual([]);
      expect(s.accepted + s.refused).toBe(TRIALS);
      // Invalid UTF-8 is refused (located), never turned into U+FFFD; nothing odd (a 25-day timer, an unencodable value) is accepted.
      expect(s.acceptedReplaced.count).toBe(0);
      expect(s.acceptedOdd.samples.map((o) => `trial ${o.trial}: ${o.odd.join("; ")}`)).toEqual([]);
      // Every mutation kind ran and was refused at least sometimes: the run exercised the refusals.
      for (const m of MUTATIONS) expect([m, s.byMutation[m].trials > 0, s.byMutation[m].refused > 0]).toEqual([m, true, true]);
    }, 60_000);
  }
});

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`fuzz RPC suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("bad input over gRPC: every RPC of a real agent", () => {
  let agent: TestAgent;
  let target: RpcTarget;
  const node = uniqueName("fuzz");
  const service = uniqueName("fz");
  let stats: RpcFuzzStats;
  let startedAt = "";
  const srvRoot = () => join(agent.dir, "srv");

  beforeAll(async () => {
    agent = await startTestAgent({ node });
    target = { address: agent.address, caPem: readFileSync(agent.caPath, "utf8"), serverName: node, token: agent.token };
    // The service's directory exists, so that pushes and restores of valid requests get past "no such service directory".
    mkdirSync(join(srvRoot(), service), { recursive: true });
    startedAt = await agentStartedAt(target);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    // Nothing should be there (the last test says so); if something is, it goes.
    const left = (await $`podman ps -a --filter label=mcp.node=${node} --format ${"{{.Names}}"}`.nothrow().quiet().text()).split("\n").filter(Boolean);
    if (left.length > 0) await $`podman rm -f -t 0 ${left}`.nothrow().quiet();
  });

  test("the requests the fuzzer starts from are valid for every RPC", () => {
    for (const m of listRpcMethods()) expect([m.name, decodesAs(m.name, validRequest(m.name, { service, node }))]).toEqual([m.name, true]);
  });

  test("random bytes, truncated requests, wrong wire types, malformed encodings and framing, oversized messages: each call ends with a status", async () => {
    const t0 = performance.now();
    stats = await fuzzRpcs(target, { seed: SEED, perMethod: 12, names: { service, node } });
    const figures = Object.fromEntries(Object.entries(stats.byCase).map(([c, v]) => [c, v.statuses]));
    console.log(`fuzz RPC: ${stats.calls} calls to ${listRpcMethods().length} RPCs in ${Math.round(performance.now() - t0)} ms; statuses per case ${JSON.stringify(figures)}`);
    console.log(`fuzz RPC: malformed encodings and framing ${JSON.stringify(stats.byName)}`);
    console.log(`fuzz RPC: INTERNAL messages ${JSON.stringify(stats.internal)}; mutating RPCs answering OK: ${stats.mutatingOk.map((x) => `${x.method}/${x.case}`).join(", ") || "none"}`);
    expect(stats.failures).toEqual([]);
    // Per RPC at least: the empty request, 12 random and 12 truncated ones (and 12 wrong wire types when it has fields),
    // 10 malformed encodings, 2 oversized messages, 6 framings.
    for (const m of listRpcMethods()) expect([m.name, stats.byMethod[m.name]!.calls >= 43]).toEqual([m.name, true]);
    expect(stats.byCase.oversized.statuses).toEqual({ RESOURCE_EXHAUSTED: listRpcMethods().length });
    expect(stats.byCase["oversized-gzip"].statuses).toEqual({ RESOURCE_EXHAUSTED: listRpcMethods().length });
  }, 120_000);

  test("afterwards the agent is healthy: the same process answers, mcp ps exits 0, nothing deployed, nothing half-written", async () => {
    expect(stats).toBeDefined();
    const h = await agentHealth(agent, target, srvRoot());
    console.log(`fuzz RPC: afterwards ${JSON.stringify(h)}`);
    const { internalErrorsLogged, ...rest } = h;
    expect(rest).toEqual({ startedAt, served: 1, ps: { code: 0, stderr: "" }, listServices: "OK", containers: [], leftovers: [] });
    // No unclassified exception: a malformed request is the caller's error, never an internal one logged with a stack.
    expect(internalErrorsLogged).toEqual({});
  }, 30_000);
});
