/**
 * One corpus fixture through both tools (issue 18): docker-compose up →
 * inspect → remove; then `mcp import compose` → `mcp deploy` → inspect; and,
 * when asked, `mcp service export --format kube` → `podman kube play` →
 * inspect → `podman kube down`. One after the other: they publish the same
 * host ports and (kube play) take the same container names.
 */
import { $ } from "bun";
import { cpSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { ServiceDef } from "../../src/model/index.ts";
import { parseServiceDef } from "../../src/servicedef/index.ts";
import type { TestAgent } from "./agent.ts";
import { composeRemove, composeUp, copyBindSources, FIXTURES, inspectByLabel, type ComposeSocket, type Inspect } from "./compose.ts";
import { freePort, removeContainers } from "./image.ts";
import { tempDir } from "./mcp.ts";
import { MCP_USER } from "./rootless.ts";

/** cgroups v1 (the root of /sys/fs/cgroup is a tmpfs, not cgroup2fs). */
const CGROUPS_V1 = statfsSync("/sys/fs/cgroup").type === 0x01021994;

/** A fixture: its directory, the podman network it joins (--network), its .env extras, and whether it goes on to Kubernetes. */
export interface Case {
  dir: string;
  network?: boolean;
  /** .env values besides free ports (found as ${X_PORT…} in the file). */
  vars?: Record<string, string>;
  kube?: "pod" | "deployment";
}

/** What one fixture gave. */
export interface Outcome {
  project: string;
  def: ServiceDef;
  compose: Map<string, Inspect>;
  mcp: Map<string, Inspect>;
  /** From podman kube play, by container name (`<pod>-<component>`); with the pod's infra port bindings. */
  kube?: { containers: Map<string, Inspect>; ports: Record<string, { HostIp: string; HostPort: string }[]>; yaml: string; cleanedUp: boolean };
  workDir: string;
  srvDir: string;
  importStderr: string;
}

/** Where a fixture runs: the agent, the compose socket (same podman), the podman argv, the network for --network. */
export interface Lane {
  agent: TestAgent;
  socket: ComposeSocket;
  podman: string[];
  /** The podman is mcp's rootless one (files it reads are given to mcp). */
  rootless: boolean;
  network: string;
  /** Part of every project name (unique per run). */
  run: string;
}

/** Runs a fixture; throws with the tool's output when a step fails. Its work directory is removed at the end (the outcome keeps its path). */
export async function runFixture(lane: Lane, c: Case): Promise<Outcome> {
  const workDir = tempDir(`mcp-compose-${c.dir.slice(0, 2)}-`);
  try {
    return await runIn(lane, c, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function runIn(lane: Lane, c: Case, workDir: string): Promise<Outcome> {
  const { agent, socket, podman: P } = lane;
  const project = `cf${c.dir.slice(0, 2)}-${lane.run}`;
  cpSync(join(FIXTURES, c.dir), workDir, { recursive: true });
  const text = readFileSync(join(workDir, "docker-compose.yml"), "utf8");
  const vars: Record<string, string> = { ...c.vars };
  for (const m of text.matchAll(/\$\{([A-Z_]*PORT)(?::-[^}]*)?\}/g)) vars[m[1]!] ??= String(await freePort());
  if (vars.RANGE_PORT) vars.RANGE_PORT_END = String(Number(vars.RANGE_PORT) + 1);
  const dotenv = join(workDir, ".env");
  let prior = "";
  try {
    prior = readFileSync(dotenv, "utf8");
  } catch {}
  writeFileSync(dotenv, `${prior}${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n")}\n`);
  if (MCP_USER && lane.rootless) await $`chown -R ${MCP_USER.uid}:${MCP_USER.gid} ${workDir}`.quiet();

  const up = await composeUp(socket.host, P, workDir, project);
  if (up.code !== 0) throw new Error(`docker-compose up failed (${up.code}): ${up.out}`);
  const compose = await inspectByLabel(P, `com.docker.compose.project=${project}`, "com.docker.compose.service");
  await composeRemove(P, project);

  const args = ["import", "compose", join(workDir, "docker-compose.yml"), "--service", project, "--node", "local", "--srv-root", agent.srvRoot];
  if (c.network) args.push("--network", lane.network);
  const imported = await agent.cli(args);
  if (imported.code !== 0) throw new Error(`mcp import compose failed (${imported.code}): ${imported.stderr}`);
  const defPath = join(agent.servicesDir, `${project}.toml`);
  const { def } = parseServiceDef(readFileSync(defPath, "utf8"), defPath);
  const srvDir = join(agent.srvRoot, project);
  if (text.includes("./")) await copyBindSources(workDir, srvDir, lane.rootless);
  const deployed = await agent.cli(["deploy", project]);
  if (deployed.code !== 0) throw new Error(`mcp deploy failed (${deployed.code}): ${deployed.stdout}${deployed.stderr}`);
  const mcp = await inspectByLabel(P, `mcp.service=${project}`, "mcp.component");
  const outcome: Outcome = { project, def, compose, mcp, workDir, srvDir, importStderr: imported.stderr };
  if (c.kube) outcome.kube = await playKube(lane, project, c.kube, workDir);
  await removeContainers(project, P);
  return outcome;
}

/** export → (mcp's containers removed: kube play takes their names) → kube play → inspect → kube down. */
async function playKube(lane: Lane, project: string, kind: "pod" | "deployment", dir: string): Promise<NonNullable<Outcome["kube"]>> {
  const P = lane.podman;
  const yamlPath = join(dir, "kube.yaml");
  const exported = await lane.agent.cli(["service", "export", project, "--format", "kube", "--kube-kind", kind, "-o", yamlPath]);
  if (exported.code !== 0) throw new Error(`mcp service export --format kube failed (${exported.code}): ${exported.stderr}`);
  const yaml = readFileSync(yamlPath, "utf8");
  let playPath = yamlPath;
  if (lane.rootless && CGROUPS_V1) {
    // Rootless podman on cgroups v1 cannot set limits: podman run ignores them (with a warning), kube play
    // refuses the pod. Only resources: is taken out here; test/e2e/compose-rootful.e2e.test.ts plays them as they are.
    const doc = parse(yaml) as { kind: string; spec: { containers?: { resources?: unknown }[]; template?: { spec: { containers: { resources?: unknown }[] } } } };
    for (const c of (doc.kind === "Pod" ? doc.spec.containers : doc.spec.template!.spec.containers) ?? []) delete c.resources;
    playPath = join(dir, "kube-no-limits.yaml");
    writeFileSync(playPath, stringify(doc));
  }
  if (MCP_USER && lane.rootless) await $`chown ${MCP_USER.uid}:${MCP_USER.gid} ${yamlPath} ${playPath}`.quiet();
  await removeContainers(project, P);
  const played = await $`${P} kube play ${playPath}`.nothrow().quiet();
  try {
    if (played.exitCode !== 0) throw new Error(`podman kube play failed (${played.exitCode}): ${played.stderr.toString()}`);
    // The pod's id is the line after "Pod:" (a Deployment's pod is not named after the service).
    const lines = played.stdout.toString().split("\n");
    const podId = lines[lines.indexOf("Pod:") + 1]!.trim();
    const pod = JSON.parse(await $`${P} pod inspect ${podId}`.quiet().text()) as { Containers: { Name: string }[]; InfraConfig?: { PortBindings?: Record<string, { HostIp: string; HostPort: string }[]> } };
    const names = pod.Containers.map((x) => x.Name).filter((n) => !n.endsWith("-infra"));
    const containers = new Map<string, Inspect>();
    for (const x of JSON.parse(await $`${P} container inspect ${names}`.quiet().text()) as Inspect[]) containers.set(x.Name, x);
    const down = await $`${P} kube down ${playPath}`.nothrow().quiet();
    if (down.exitCode !== 0) throw new Error(`podman kube down failed (${down.exitCode}): ${down.stderr.toString()}`);
    const leftPods = (await $`${P} pod ps -q --filter ${`id=${podId}`}`.quiet().text()).trim();
    const leftContainers = (await $`${P} ps -aq --filter ${`pod=${podId}`}`.nothrow().quiet().text()).trim();
    return { containers, ports: pod.InfraConfig?.PortBindings ?? {}, yaml, cleanedUp: leftPods === "" && leftContainers === "" };
  } catch (err) {
    // After a failure, down clears what the play left (its own failure would hide the first one).
    await $`${P} kube down ${playPath}`.nothrow().quiet();
    throw err;
  }
}
