/**
 * Reliability trials shared by the short CI versions (test/reliability/) and
 * the long runs (bench/reliability.ts), issue 9 items 1, 5 and 6.
 */
import { $ } from "bun";
import { readFileSync } from "node:fs";
import { createAgentClient } from "../../src/rpc/index.ts";
import { writeServiceDef, type TestAgent } from "./agent.ts";
import { SLEEP_CMD, TEST_IMAGES } from "./image.ts";
import { mcpArgv, waitFor } from "./mcp.ts";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};
const round = (x: number) => Math.round(x * 10) / 10;

interface PsEntry {
  Id: string;
  Names: string[];
  State: string;
  Image: string;
  Labels: Record<string, string> | null;
}

async function ps(filters: string[]): Promise<PsEntry[]> {
  return JSON.parse((await $`podman ps -a ${filters} --format json`.text()) || "[]") as PsEntry[];
}

async function containersOf(service: string): Promise<{ name: string; state: string; image: string }[]> {
  return (await ps(["--filter", `label=mcp.service=${service}`])).map((c) => ({ name: c.Names[0] ?? "", state: c.State, image: c.Image }));
}

/** A one-component service with a short health gate, so that a deploy spans every step. */
export function crashService(agent: TestAgent, name: string, version: "v1" | "v2"): void {
  writeServiceDef(agent, name, `name = "${name}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES[version]}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n\n[components.health]\ncmd = ["sh", "-c", "sleep 0.2; cat /VERSION"]\ninterval = "100ms"\ntimeout = "2s"\nretries = 3\n`);
}

export interface CrashTrial {
  delayMs: number;
  /** The last podman verb the agent ran before it was killed (from its debug log). */
  lastStep: string;
  ok: boolean;
  problems: string[];
}

/**
 * Kills the agent with SIGKILL `delayMs` into a deploy, restarts it, and
 * checks: no deployment left pending, at most one container for the
 * component, the registry's container id (if any) exists, and the next
 * deploy succeeds with exactly one running container of the new version.
 * The agent must run with `[log] level = "debug"` (the podman argv lines
 * tell where it was).
 */
export async function crashTrial(agent: TestAgent, service: string, version: "v1" | "v2", delayMs: number): Promise<CrashTrial> {
  const problems: string[] = [];
  crashService(agent, service, version);
  const mark = agent.logs().length;
  const deploy = Bun.spawn([...mcpArgv("source"), "deploy", service, "--config", agent.cliConfig], { stdout: "ignore", stderr: "ignore" });
  await Bun.sleep(delayMs);
  agent.signal("SIGKILL");
  await deploy.exited;
  const tail = agent.logs().slice(mark);
  const verbs = [...tail.matchAll(/podman argv="(\S+)(?: (\S+))?/g)].map((m) => (["container", "image"].includes(m[1]!) ? `${m[1]} ${m[2]}` : m[1]!));
  const lastStep = verbs.at(-1) ?? "(before any podman call)";
  await agent.restart();
  // The registry after the restart.
  const st = JSON.parse((await agent.cli(["status", service, "--json"])).stdout || "{}");
  if (st.components?.[0]?.last_deployment?.outcome === "pending") problems.push("a deployment is still pending after the restart");
  const boxes = await containersOf(service);
  if (boxes.length > 1) problems.push(`${boxes.length} containers for one component`);
  const list = JSON.parse((await agent.cli(["list", "--json"])).stdout || "{}");
  const rec = list.services?.find((s: { name: string }) => s.name === service)?.components?.[0];
  if (rec?.container_id) {
    const exists = (await $`podman container exists ${rec.container_id}`.nothrow().quiet()).exitCode === 0;
    if (!exists && rec.observed === "running") problems.push("the registry says running with a container id that does not exist");
  }
  // The next deploy succeeds.
  const next = await agent.cli(["deploy", service]);
  if (next.code !== 0) problems.push(`the next deploy failed (${next.code}): ${next.stdout.trim()} ${next.stderr.trim()}`);
  const after = await containersOf(service);
  const running = after.filter((c) => c.state === "running");
  if (after.length !== 1 || running.length !== 1) problems.push(`after the next deploy: ${after.length} containers, ${running.length} running`);
  const inside = (await $`podman exec ${service}-api cat /VERSION`.nothrow().quiet()).stdout.toString().trim();
  if (inside !== version) problems.push(`the container runs ${inside || "nothing"}, not ${version}`);
  return { delayMs, lastStep, ok: problems.length === 0, problems };
}

/** How long one deploy of the crash service takes (to spread the kill points over it). */
export async function deployDuration(agent: TestAgent, service: string): Promise<number> {
  crashService(agent, service, "v1");
  await agent.cli(["deploy", service]);
  crashService(agent, service, "v2");
  const t = performance.now();
  const r = await agent.cli(["deploy", service]);
  if (r.code !== 0) throw new Error(`deploy failed: ${r.stdout}${r.stderr}`);
  return performance.now() - t;
}

/**
 * Load (item 5): `readers` concurrent ListServices calls, repeated `rounds`
 * times, while `deploys` deploys of one service run concurrently. Returns
 * the latencies and the errors that are not lock waits.
 */
export async function loadTrial(agent: TestAgent, service: string, o: { readers: number; rounds: number; deploys: number }) {
  const client = () => createAgentClient({
    node: agent.node, address: agent.address, caPem: readFileSync(agent.caPath, "utf8"), serverName: agent.node, token: agent.token,
  });
  const clients = Array.from({ length: Math.min(o.readers, 20) }, client);
  writeServiceDef(agent, service, `name = "${service}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
  const deployErrors: string[] = [];
  const deploys = Promise.all(Array.from({ length: o.deploys }, () => agent.cli(["deploy", service, "--force"]).then((r) => {
    if (r.code !== 0) deployErrors.push(`${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`);
  })));
  const latencies: number[] = [];
  const readErrors: string[] = [];
  for (let round = 0; round < o.rounds; round++) {
    await Promise.all(Array.from({ length: o.readers }, async (_, i) => {
      const t = performance.now();
      try {
        await clients[i % clients.length]!.listServices();
        latencies.push(performance.now() - t);
      } catch (err) {
        readErrors.push(String(err));
      }
    }));
  }
  await deploys;
  for (const c of clients) c.close();
  const boxes = await containersOf(service);
  return {
    calls: latencies.length + readErrors.length,
    readErrors,
    deployErrors,
    containers: boxes.length,
    running: boxes.filter((b) => b.state === "running").length,
    p50: round(pct(latencies, 50)),
    p99: round(pct(latencies, 99)),
    max: round(Math.max(0, ...latencies)),
  };
}

/**
 * Restart (item 6): `services` × `perService` running containers; the agent
 * is stopped (SIGTERM) and started again. Returns whether every container
 * kept running and how long the new agent took to serve and to show every
 * component running with no drift.
 */
export async function restartTrial(agent: TestAgent, prefix: string, services: number, perService: number) {
  for (let s = 0; s < services; s++) {
    const name = `${prefix}-${String(s).padStart(2, "0")}`;
    const comps = Array.from({ length: perService }, (_, i) => `[[components]]\nname = "c${i}"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`).join("\n");
    writeServiceDef(agent, name, `name = "${name}"\nnode = "local"\n\n${comps}`);
    const r = await agent.cli(["deploy", name]);
    if (r.code !== 0) throw new Error(`deploy ${name}: ${r.stdout}${r.stderr}`);
  }
  const total = services * perService;
  const ids = async () =>
    (await ps(["--filter", "status=running"])).filter((c) => (c.Labels?.["mcp.service"] ?? "").startsWith(`${prefix}-`)).map((c) => c.Id).sort();
  const before = await ids();
  const t = performance.now();
  await agent.restart();
  const serving = performance.now() - t;
  await waitFor(async () => {
    const st = JSON.parse((await agent.cli(["status", "--json"])).stdout);
    const mine = st.components.filter((c: { service: string }) => c.service.startsWith(`${prefix}-`));
    return mine.length === total && mine.every((c: { observed: string; drift: boolean }) => c.observed === "running" && !c.drift);
  }, "every component running with no drift", 30_000);
  const rebuilt = performance.now() - t;
  const after = await ids();
  const kept = before.filter((id) => after.includes(id)).length;
  return { containers: total, runningBefore: before.length, keptRunning: kept, servingMs: Math.round(serving), rebuiltMs: Math.round(rebuilt) };
}
