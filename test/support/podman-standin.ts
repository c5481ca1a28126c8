/**
 * A podman stand-in for fault tests (issue 9, item 2): a small sh script
 * that hangs on chosen subcommands and hands every other call to the real
 * podman (`exec`, so the pid, exit code and output are podman's own). Name it
 * in the agent config (`[agent] podman = "<path>"`) or put its directory
 * first on PATH. Which verbs hang is read from a control file at every call,
 * so a test switches hangs on and off while the agent runs.
 */
import { $ } from "bun";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { McpError } from "../../src/lib/errors.ts";
import { createAgentClient, type AgentClient } from "../../src/rpc/index.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "./agent.ts";
import { ensureTestImages, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "./image.ts";
import { tempDir, waitFor } from "./mcp.ts";

/** A written stand-in. */
export interface PodmanStandin {
  /** The script (`<dir>/podman`). */
  path: string;
  dir: string;
  /**
   * Makes these verbs hang from the next call on ([] = none). A verb is
   * podman's first word (`stop`, `pull`, `ps`, `logs`) or, for a group, two
   * words (`container inspect`, `image inspect`); `inspect` also matches
   * `container inspect` (what the agent runs).
   */
  hang(verbs: string[]): void;
  /** The calls that hung so far, oldest first. */
  hung(): { pid: number; verb: string }[];
  /** Every call so far (hung or passed on), oldest first. */
  calls(): { pid: number; verb: string; hung: boolean }[];
  /** Kills the hung calls still alive (the agent kills them at its deadline; this is for the agent's own exit). */
  release(): void;
}

/** How long a hung call sleeps when nobody kills it (a backstop: the agent kills it at its deadline). */
const HANG_SEC = 600;

/** Shell-quotes one word for the script (paths here are ours, but be exact). */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Writes the stand-in into dir (created if missing). `real` is the podman
 * to pass calls to (default: the one on PATH now, resolved once, so a PATH
 * that puts the stand-in first does not loop).
 */
export function writePodmanStandin(dir: string, opts: { real?: string } = {}): PodmanStandin {
  const real = opts.real ?? Bun.which("podman");
  if (!real) throw new Error("podman is not on PATH: the stand-in has nothing to pass calls to");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "podman");
  const control = join(dir, "hang");
  const log = join(dir, "calls.log");
  writeFileSync(control, "");
  writeFileSync(log, "");
  writeFileSync(path, `#!/bin/sh
# mcp test stand-in for podman: hangs on the verbs listed in ${control}, else runs the real podman.
verb="$1"
case "$1" in container|image|network|volume|pod|system|secret) verb="$1 $2" ;; esac
short="\${verb#container }"
if [ -s ${q(control)} ] && grep -qxF -e "$verb" -e "$short" ${q(control)}; then
  echo "$$ hang $verb" >> ${q(log)}
  exec sleep ${HANG_SEC}
fi
echo "$$ pass $verb" >> ${q(log)}
exec ${q(real)} "$@"
`);
  chmodSync(path, 0o755);

  const calls = () =>
    (existsSync(log) ? readFileSync(log, "utf8") : "")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [pid = "0", kind = "", ...verb] = line.split(" ");
        return { pid: Number(pid), verb: verb.join(" "), hung: kind === "hang" };
      });
  const hung = () => calls().filter((c) => c.hung).map(({ pid, verb }) => ({ pid, verb }));

  return {
    path,
    dir,
    hang: (verbs) => writeFileSync(control, verbs.map((v) => `${v}\n`).join("")),
    hung,
    calls,
    release() {
      for (const { pid } of hung()) {
        // Only our own hung calls, by pid, and only while they are still the stand-in's sleep.
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith(`sleep\0${HANG_SEC}`)) process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Hung-podman trials, shared by the short CI suite
// (test/reliability/hung-podman.e2e.test.ts) and the long run
// (bench/reliability-faults.ts).

/** The agent's deadlines in these trials: short, so that a hang costs seconds. */
export const HUNG_CALL_S = 3;
/** `stop_timeout`: a stop or restart gets HUNG_CALL_S + this. */
export const HUNG_STOP_S = 1;

/** The answers that must not wait on podman while it hangs. */
export interface StatusSamples {
  /** GetServiceStatus (what `mcp status` asks), the RPC alone, ms. */
  rpcStatus: number[];
  /** LiveCheck (what `mcp ps` asks), the RPC alone, ms. */
  rpcPs: number[];
  /** `mcp status` and `mcp ps`: the compiled CLI's whole round trip (process start, TLS, RPC), ms. */
  cliStatus: number[];
  cliPs: number[];
  /** Answers that were errors (there must be none). */
  errors: string[];
}

/** A running agent whose podman is the stand-in, a one-component service running v1, and an RPC client. */
export interface HungHarness {
  agent: TestAgent;
  standin: PodmanStandin;
  client: AgentClient;
  service: string;
  /** The container of the service's one component. */
  container: string;
  close(): Promise<void>;
}

/** What an operation ended with: a CLI's exit status and output, or an RPC's status. */
export interface HungOutcome {
  /** CLI exit status; undefined for an RPC made directly. */
  exit?: number;
  /** The RPC's error code ("ok" when it succeeded). */
  code?: string;
  /** stdout + stderr, or the error's message. */
  output: string;
}

/** One fault: which verbs hang, which operation runs into them, and what the operator must get. */
export interface HungScenario {
  name: string;
  hang: string[];
  /** When the hung calls reach the agent's deadlines, ms after the call (the answer must not come before). */
  deadlineMs: number;
  /** The latest acceptable answer, ms after the call (the deadline plus what the operation does after it). */
  budgetMs: number;
  /** Exit status (CLI) or error code (RPC) expected. */
  expectExit?: number;
  expectCode?: string;
  /** The message the operator must see. */
  expectOutput: (h: HungHarness) => RegExp;
  /** Brings the service to the scenario's starting point (nothing hangs yet). */
  prepare?: (h: HungHarness) => Promise<void>;
  run: (h: HungHarness) => Promise<HungOutcome>;
  /** Checks the state reached once nothing hangs; returns problems. */
  verify?: (h: HungHarness, before: { id: string }) => Promise<string[]>;
}

/** The outcome of one trial. */
export interface HungTrial {
  scenario: string;
  ok: boolean;
  problems: string[];
  /** From the call to its answer, ms. */
  elapsedMs: number;
  deadlineMs: number;
  /** The operator's message (first 300 characters). */
  message: string;
  samples: StatusSamples;
}

/** The definition of the trial service (one component, PID 1 that stops at once on SIGTERM). */
export function writeHungService(h: { agent: TestAgent; service: string }, image: string): void {
  writeServiceDef(h.agent, h.service, `name = "${h.service}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${image}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
}

/** The container's id, state and /VERSION, from podman itself (the real one). */
export async function containerFacts(name: string): Promise<{ id: string; state: string; version: string }> {
  const inspect = await $`podman container inspect --format ${"{{.Id}} {{.State.Status}}"} ${name}`.nothrow().quiet();
  if (inspect.exitCode !== 0) return { id: "", state: "missing", version: "" };
  const [id = "", state = ""] = inspect.stdout.toString().trim().split(" ");
  const version = state === "running" ? (await $`podman exec ${name} cat /VERSION`.nothrow().quiet()).stdout.toString().trim() : "";
  return { id, state, version };
}

/**
 * Starts the stand-in, an agent that runs podman through it (deadlines
 * HUNG_CALL_S, stop HUNG_STOP_S, resync 1 s so the monitor's `podman ps`
 * runs into a hung `ps` too), and deploys `<prefix>-…` at v1.
 */
export async function startHungHarness(prefix: string): Promise<HungHarness> {
  await ensureTestImages();
  const standin = writePodmanStandin(join(tempDir("mcp-standin-"), "bin"));
  const agent = await startTestAgent({
    flavor: "binary",
    settings: {
      agent: {
        podman: JSON.stringify(standin.path), podman_timeout: `"${HUNG_CALL_S}s"`, pull_timeout: `"${HUNG_CALL_S}s"`, stop_timeout: `"${HUNG_STOP_S}s"`,
      },
      monitor: { resync: `"1s"` },
    },
  });
  const service = uniqueName(prefix);
  const h: HungHarness = {
    agent, standin, service, container: `${service}-api`,
    client: createAgentClient({ node: agent.node, address: agent.address, caPem: readFileSync(agent.caPath, "utf8"), serverName: agent.node, token: agent.token }),
    async close() {
      standin.hang([]);
      h.client.close();
      await agent.stop();
      standin.release();
      await removeContainers(service);
      rmSync(dirname(standin.dir), { recursive: true, force: true });
    },
  };
  await resetHungService(h);
  return h;
}

/** Nothing hangs; the service is deployed at v1 and running (whatever the last trial left). */
export async function resetHungService(h: HungHarness): Promise<void> {
  h.standin.hang([]);
  writeHungService(h, TEST_IMAGES.v1);
  const r = await h.agent.cli(["deploy", h.service]);
  const facts = await containerFacts(h.container);
  if (r.code !== 0 || facts.state !== "running" || facts.version !== "v1") {
    throw new Error(`could not bring ${h.service} back to v1 (exit ${r.code}, ${facts.state} ${facts.version}): ${r.stdout}${r.stderr}`);
  }
}

/** The CLI as the operator runs it. */
async function cli(h: HungHarness, args: string[]): Promise<HungOutcome> {
  const r = await h.agent.cli(args);
  return { exit: r.code, output: r.stdout + r.stderr };
}

/** An RPC made directly: its error code, or "ok". */
export async function rpcOutcome(call: Promise<unknown>): Promise<HungOutcome> {
  try {
    await call;
    return { code: "ok", output: "" };
  } catch (err) {
    return { code: err instanceof McpError ? err.code : "not an McpError", output: err instanceof Error ? err.message : String(err) };
  }
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const CALL_MS = HUNG_CALL_S * 1000;
const STOP_MS = (HUNG_CALL_S + HUNG_STOP_S) * 1000;
/** What the agent does around the hung call (other podman calls, the RPC, the CLI's start): generous on a loaded CI machine. */
const SLACK_MS = 2500;

/** Nothing changed: the same container, running v1. */
async function sameContainer(h: HungHarness, before: { id: string }): Promise<string[]> {
  const now = await containerFacts(h.container);
  const problems: string[] = [];
  if (now.id !== before.id) problems.push(`the container changed (${before.id.slice(0, 12)} → ${now.id.slice(0, 12) || "none"})`);
  if (now.state !== "running" || now.version !== "v1") problems.push(`the container is ${now.state} ${now.version}, not running v1`);
  return problems;
}

/** Running v1 again (a new container: the put-back). */
async function runningV1(h: HungHarness): Promise<string[]> {
  const now = await containerFacts(h.container);
  return now.state === "running" && now.version === "v1" ? [] : [`the container is ${now.state} ${now.version}, not running v1`];
}

/** The faults, each against the service at v1. */
export const HUNG_SCENARIOS: HungScenario[] = [
  {
    name: "stop hangs: mcp stop",
    hang: ["stop"],
    deadlineMs: STOP_MS,
    budgetMs: STOP_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: (h) => new RegExp(`${esc(h.service)}\\s+api\\s+failed\\s+v1\\s+podman stop did not answer within ${STOP_MS / 1000}s`),
    run: (h) => cli(h, ["stop", h.service]),
    // The stand-in never ran `podman stop`: the container still runs (desired is now stopped: drift, which status shows).
    verify: sameContainer,
  },
  {
    name: "rm hangs: mcp deploy (v1 → v2) rolls back",
    // A deploy stops and removes the old container in one call (`rm -f -t <stop_timeout>`, or `run --replace`).
    hang: ["rm"],
    deadlineMs: STOP_MS,
    budgetMs: STOP_MS + 2 * SLACK_MS,
    expectExit: 1,
    expectOutput: (h) =>
      new RegExp(`rolled back: replacing the old container ${esc(h.container)}: podman rm did not answer within ${STOP_MS / 1000}s; v1 is still running \\(its container was never replaced\\)`),
    prepare: async (h) => writeHungService(h, TEST_IMAGES.v2),
    run: (h) => cli(h, ["deploy", h.service]),
    verify: (h) => runningV1(h),
  },
  {
    name: "restart hangs: mcp restart",
    hang: ["restart"],
    deadlineMs: STOP_MS,
    budgetMs: STOP_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: (h) => new RegExp(`${esc(h.service)}\\s+api\\s+failed\\s+v1\\s+podman restart did not answer within ${STOP_MS / 1000}s`),
    run: (h) => cli(h, ["restart", h.service]),
    verify: sameContainer,
  },
  {
    name: "pull hangs: mcp deploy of a registry image changes nothing",
    hang: ["pull"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: (h) => new RegExp(`${esc(h.service)}\\s+api\\s+failed\\s+v9\\s+pull failed: podman pull did not answer within ${HUNG_CALL_S}s`),
    // Never pulled for real: the stand-in answers `pull` by hanging.
    prepare: async (h) => writeHungService(h, "registry.invalid/mcp-test/busybox:v9"),
    run: (h) => cli(h, ["deploy", h.service]),
    verify: sameContainer,
  },
  {
    name: "image inspect hangs: mcp deploy changes nothing",
    hang: ["image inspect"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: (h) =>
      new RegExp(`${esc(h.service)}\\s+api\\s+failed\\s+v2\\s+cannot resolve ${esc(TEST_IMAGES.v2)}: podman image inspect did not answer within ${HUNG_CALL_S}s`),
    prepare: async (h) => writeHungService(h, TEST_IMAGES.v2),
    run: (h) => cli(h, ["deploy", h.service]),
    verify: sameContainer,
  },
  {
    name: "container inspect hangs: Logs RPC → DEADLINE_EXCEEDED",
    hang: ["inspect"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectCode: "deadline_exceeded",
    expectOutput: () => new RegExp(`^podman container inspect did not answer within ${HUNG_CALL_S}s$`),
    run: (h) => rpcOutcome(h.client.logs({ service: h.service, component: "", tail: 10, follow: false }, () => {})),
    verify: sameContainer,
  },
  {
    name: "container inspect hangs: mcp logs",
    hang: ["inspect"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: () => new RegExp(`^error: podman container inspect did not answer within ${HUNG_CALL_S}s\\nhint: podman may be stuck`),
    run: (h) => cli(h, ["logs", h.service]),
    verify: sameContainer,
  },
  {
    name: "ps hangs: AdoptContainers RPC → DEADLINE_EXCEEDED",
    hang: ["ps"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectCode: "deadline_exceeded",
    expectOutput: () => new RegExp(`^podman ps did not answer within ${HUNG_CALL_S}s$`),
    run: (h) => rpcOutcome(h.client.adoptContainers({ service: `${h.service}x`, knownServices: [] })),
    verify: sameContainer,
  },
  {
    name: "ps hangs: mcp sync --dry-run",
    hang: ["ps"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: () => new RegExp(`podman ps did not answer within ${HUNG_CALL_S}s`),
    run: (h) => cli(h, ["sync", "--dry-run"]),
    verify: sameContainer,
  },
  {
    name: "start hangs: mcp start",
    hang: ["start"],
    deadlineMs: CALL_MS,
    budgetMs: CALL_MS + SLACK_MS,
    expectExit: 1,
    expectOutput: (h) => new RegExp(`${esc(h.service)}\\s+api\\s+failed\\s+v1\\s+podman start did not answer within ${HUNG_CALL_S}s`),
    prepare: async (h) => {
      const r = await h.agent.cli(["stop", h.service]);
      if (r.code !== 0) throw new Error(`mcp stop failed: ${r.stdout}${r.stderr}`);
    },
    run: (h) => cli(h, ["start", h.service]),
  },
  {
    name: "run hangs: mcp deploy (v1 → v2), and the put-back's run hangs too",
    hang: ["run"],
    // Two hung calls, one after the other: the new container's run, then the put-back's.
    deadlineMs: 2 * CALL_MS,
    budgetMs: 2 * CALL_MS + 2 * SLACK_MS,
    expectExit: 1,
    expectOutput: (h) =>
      new RegExp(`rolled back: starting ${esc(h.container)} \\(${esc(TEST_IMAGES.v2)}\\): podman run did not answer within ${HUNG_CALL_S}s; putting v1 back failed too: podman run did not answer within ${HUNG_CALL_S}s`),
    prepare: async (h) => writeHungService(h, TEST_IMAGES.v2),
    run: (h) => cli(h, ["deploy", h.service]),
  },
];

/** The latencies must show that no answer waited on podman (its deadline here is HUNG_CALL_S). */
export const STATUS_LIMITS = {
  /** Median of the RPC alone (issue 9: "status keeps answering in < 50 ms"). */
  rpcMedianMs: 50,
  /** Any answer, RPC or CLI: far below the 3 s podman deadline, so none waited on podman. */
  anyMaxMs: 1000,
} as const;

/** p-th percentile (nearest rank) of xs, 0 for none. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : 0;
}

/** p50 / p99 / max of xs, rounded to 0.1 ms. */
export function latencySummary(xs: number[]): { n: number; p50: number; p99: number; max: number } {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: xs.length, p50: r(percentile(xs, 50)), p99: r(percentile(xs, 99)), max: r(xs.length ? Math.max(...xs) : 0) };
}

/**
 * Asks for status and ps (RPC alone, and every third round through the
 * CLI) until `pending` turns false; keeps only the answers that came while
 * it was still true (podman still hung), or, without `pending`, `rounds` rounds.
 */
export async function sampleStatus(h: HungHarness, o: { pending?: () => boolean; rounds?: number }): Promise<StatusSamples> {
  const s: StatusSamples = { rpcStatus: [], rpcPs: [], cliStatus: [], cliPs: [], errors: [] };
  const go = o.pending ?? (() => true);
  const timed = async (into: number[], what: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    try {
      const r = await fn();
      if (r && typeof r === "object" && "code" in r && (r as { code: number }).code !== 0) s.errors.push(`${what}: exit ${(r as { code: number }).code}`);
    } catch (err) {
      s.errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (go()) into.push(performance.now() - t);
  };
  for (let round = 0; o.pending ? o.pending() : round < (o.rounds ?? 10); round++) {
    await timed(s.rpcStatus, "GetServiceStatus", () => h.client.getServiceStatus({ service: "", eventLimit: 10 }));
    await timed(s.rpcPs, "LiveCheck", () => h.client.liveCheck());
    if (round % 3 === 0) {
      await timed(s.cliStatus, "mcp status", () => h.agent.cli(["status"]));
      await timed(s.cliPs, "mcp ps", () => h.agent.cli(["ps"]));
    }
  }
  return s;
}

/**
 * One trial: prepare, hang the scenario's verbs, run its operation, measure
 * status and ps while podman hangs, then check the answer (code, message,
 * not before the deadline, within the budget), the latencies, and (with
 * nothing hung any more) the state reached. Leaves the hang off.
 */
export async function hungTrial(h: HungHarness, sc: HungScenario): Promise<HungTrial> {
  const problems: string[] = [];
  await sc.prepare?.(h);
  const before = await containerFacts(h.container);
  const hungBefore = h.standin.hung().length;
  h.standin.hang(sc.hang);
  let outcome: HungOutcome = { output: "" };
  let samples: StatusSamples = { rpcStatus: [], rpcPs: [], cliStatus: [], cliPs: [], errors: [] };
  let elapsedMs = 0;
  try {
    let done = false;
    const t = performance.now();
    const op = sc.run(h).then((o) => {
      elapsedMs = performance.now() - t;
      done = true;
      return o;
    });
    await waitFor(() => h.standin.hung().length > hungBefore || done, `podman ${sc.hang.join("/")} to hang`, 10_000);
    if (done) problems.push("the operation ended before any podman call hung");
    samples = await sampleStatus(h, { pending: () => !done });
    outcome = await op;
  } finally {
    h.standin.hang([]);
  }

  if (sc.expectExit !== undefined && outcome.exit !== sc.expectExit) problems.push(`exit ${outcome.exit}, expected ${sc.expectExit}`);
  if (sc.expectCode !== undefined && outcome.code !== sc.expectCode) problems.push(`code ${outcome.code}, expected ${sc.expectCode}`);
  if (!sc.expectOutput(h).test(outcome.output)) problems.push(`unexpected message: ${outcome.output.trim().slice(0, 300)}`);
  if (elapsedMs < sc.deadlineMs) problems.push(`answered in ${Math.round(elapsedMs)} ms, before the ${sc.deadlineMs} ms deadline (did it hang at all?)`);
  if (elapsedMs > sc.budgetMs) problems.push(`answered in ${Math.round(elapsedMs)} ms, after its ${sc.budgetMs} ms budget`);

  if (samples.errors.length) problems.push(`status/ps failed while podman hung: ${samples.errors.slice(0, 3).join("; ")}`);
  const rpc = [...samples.rpcStatus, ...samples.rpcPs];
  const cliAll = [...samples.cliStatus, ...samples.cliPs];
  if (samples.rpcStatus.length < 3 || samples.cliStatus.length < 1) {
    problems.push(`too few answers while podman hung (${samples.rpcStatus.length} RPC, ${samples.cliStatus.length} CLI)`);
  }
  if (percentile(rpc, 50) >= STATUS_LIMITS.rpcMedianMs) problems.push(`status/ps RPC median ${Math.round(percentile(rpc, 50))} ms ≥ ${STATUS_LIMITS.rpcMedianMs} ms`);
  const slowest = Math.max(0, ...rpc, ...cliAll);
  if (slowest >= STATUS_LIMITS.anyMaxMs) problems.push(`a status/ps answer took ${Math.round(slowest)} ms while podman hung`);

  if (sc.verify) problems.push(...(await sc.verify(h, before)));
  return { scenario: sc.name, ok: problems.length === 0, problems, elapsedMs: Math.round(elapsedMs), deadlineMs: sc.deadlineMs, message: outcome.output.trim().slice(0, 300), samples };
}
