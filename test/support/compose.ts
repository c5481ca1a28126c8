/**
 * The reference side of the compose comparison (issue 18): Debian's
 * docker-compose (1.29) driving the same rootless podman as the agent,
 * through podman's Docker-compatible API on a unix socket made for the test;
 * and the fixture images the corpus names, built from the busybox test image
 * (no registry, no network).
 */
import { $ } from "bun";
import type { Subprocess } from "bun";
import { chownSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureTestImages } from "./image.ts";
import { ROOT, tempDir, waitFor } from "./mcp.ts";
import { asMcp, MCP_USER } from "./rootless.ts";

/** The corpus. */
export const FIXTURES = join(ROOT, "test/fixtures/compose");

/** Why the docker-compose comparison cannot run here, or null. In CI a missing tool is a failure, not a skip. */
export function composeMissing(): string | null {
  return Bun.which("docker-compose") ? null : "docker-compose is not installed (bash scripts/setup-podman.sh installs Debian's)";
}

/** The fixture images by reference, from test/fixtures/compose/images/<name>.Containerfile. */
export const FIXTURE_IMAGES: Record<string, string> = {
  postgres: "localhost/fixture/postgres:16",
  redis: "localhost/fixture/redis:7.2",
  nginx: "localhost/fixture/nginx:1.25",
  app: "localhost/fixture/shop-app:2.3.1",
  worker: "localhost/fixture/worker:1.4",
};

/** Builds the fixture images in a podman (an argv prefix) unless it has them from the same recipe. */
export async function ensureFixtureImages(podman: string[]): Promise<void> {
  await ensureTestImages(podman);
  for (const [name, ref] of Object.entries(FIXTURE_IMAGES)) {
    const recipe = readFileSync(join(FIXTURES, "images", `${name}.Containerfile`), "utf8");
    const hash = new Bun.CryptoHasher("sha256").update(recipe).digest("hex").slice(0, 16);
    const have = await $`${podman} image inspect --format ${"{{index .Labels \"fixture.recipe\"}}"} ${ref}`.nothrow().quiet();
    if (have.exitCode === 0 && have.stdout.toString().trim() === hash) continue;
    // From stdin, without a context: the recipes only set metadata on a local base image.
    await $`${podman} build -q --label ${`fixture.recipe=${hash}`} -t ${ref} - < ${new Response(recipe)}`.quiet();
  }
}

/** podman's Docker-compatible API on a unix socket, served by the agent's podman user. */
export interface ComposeSocket {
  host: string;
  stop(): Promise<void>;
}

/** Starts `podman system service` on a socket in a directory of its own: mcp's rootless podman (`rootless`), else root's. */
export async function startComposeSocket(o: { rootless: boolean }): Promise<ComposeSocket> {
  const dir = tempDir("mcp-compose-sock-");
  const user = o.rootless ? MCP_USER : null;
  if (user) chownSync(dir, user.uid, user.gid);
  const sock = join(dir, "podman.sock");
  const service = ["podman", "system", "service", "--time", "0", `unix://${sock}`];
  const argv = user ? asMcp(service) : service;
  const proc: Subprocess = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  await waitFor(() => existsSync(sock) || proc.exitCode !== null, "podman's API socket", 20_000);
  if (proc.exitCode !== null) throw new Error(`podman system service exited (${proc.exitCode})`);
  return {
    host: `unix://${sock}`,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs docker-compose in dir with only DOCKER_HOST (and PATH) from the outside, as the project named. */
export async function dockerCompose(host: string, dir: string, project: string, args: string[], timeoutMs = 180_000): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["docker-compose", "--compatibility", "-p", project, ...args], {
    cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: dir, DOCKER_HOST: host, COMPOSE_HTTP_TIMEOUT: "180" },
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, out: `${stdout}${stderr}` };
}

/**
 * `docker-compose up -d`. Without systemd podman never runs healthchecks on
 * its own (its timers are systemd units), so while compose waits on
 * `service_healthy` this runs `podman healthcheck run` for the project's
 * containers that are still starting, as the timer would.
 */
export async function composeUp(host: string, podman: string[], dir: string, project: string): Promise<{ code: number; out: string }> {
  let done = false;
  const driver = (async () => {
    while (!done) {
      const names = (await $`${podman} ps --filter ${`label=com.docker.compose.project=${project}`} --filter health=starting --format ${"{{.Names}}"}`.nothrow().quiet().text())
        .split("\n").filter(Boolean);
      await Promise.all(names.map((n) => $`${podman} healthcheck run ${n}`.nothrow().quiet()));
      // The timer's interval: a poll of podman, not a wait for a result.
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  try {
    return await dockerCompose(host, dir, project, ["up", "-d"]);
  } finally {
    done = true;
    await driver;
  }
}

/** What `docker-compose down` removes (the project's containers and networks), through podman directly: one Python start less per fixture. */
export async function composeRemove(podman: string[], project: string): Promise<void> {
  const label = `label=com.docker.compose.project=${project}`;
  const ids = (await $`${podman} ps -aq --filter ${label}`.quiet().text()).split("\n").filter(Boolean);
  if (ids.length > 0) await $`${podman} rm -f -t 0 ${ids}`.quiet();
  const nets = (await $`${podman} network ls -q --filter ${label}`.nothrow().quiet().text()).split("\n").filter(Boolean);
  if (nets.length > 0) await $`${podman} network rm -f ${nets}`.nothrow().quiet();
}

/** `podman inspect` of every container with the label, by a key of its labels. */
export async function inspectByLabel(podman: string[], label: string, keyLabel: string): Promise<Map<string, Inspect>> {
  const ids = (await $`${podman} ps -a --filter ${`label=${label}`} --format ${"{{.ID}}"}`.quiet().text()).split("\n").filter(Boolean);
  const out = new Map<string, Inspect>();
  if (ids.length === 0) return out;
  for (const c of JSON.parse(await $`${podman} container inspect ${ids}`.quiet().text()) as Inspect[]) out.set(c.Config.Labels[keyLabel]!, c);
  return out;
}

/** The parts of `podman container inspect` the comparison reads. */
export interface Inspect {
  Name: string;
  ImageName: string;
  Image: string;
  Config: {
    Cmd: string[] | null; Entrypoint: string | string[] | null; Env: string[]; User: string; WorkingDir: string; Hostname: string;
    Labels: Record<string, string>; StopSignal: number | string; StopTimeout: number;
    Healthcheck?: { Test: string[]; Interval: number; Timeout: number; Retries: number; StartPeriod: number };
  };
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null; RestartPolicy: { Name: string; MaximumRetryCount: number };
    Init?: boolean; Memory: number; NanoCpus: number; CpuQuota: number; CpuPeriod: number; PidsLimit: number; ReadonlyRootfs: boolean;
    Tmpfs: Record<string, string> | null; CapAdd: string[] | null; CapDrop: string[] | null;
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean; Options: string[] }[];
  EffectiveCaps: string[] | null;
  NetworkSettings: { Networks: Record<string, unknown> | null };
}

/** Copies what a fixture's relative binds name into the service's directory, as the operator would push it (given to the agent's user). */
export async function copyBindSources(from: string, to: string, toMcp: boolean): Promise<void> {
  await $`mkdir -p ${to}`.quiet();
  for (const e of readdirSync(from)) {
    if (e === "docker-compose.yml" || e.endsWith(".env")) continue;
    await $`cp -a ${join(from, e)} ${to}/`.quiet();
  }
  if (toMcp && MCP_USER) await $`chown -R ${MCP_USER.uid}:${MCP_USER.gid} ${to}`.quiet();
}
