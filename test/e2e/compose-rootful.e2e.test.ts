// Issue 18, the limits of the corpus: rootless podman on cgroups v1 (this
// machine, Debian 12's default on many hosts) ignores memory, CPU and pids
// limits — podman run says so and records none, on both sides of the
// rootless comparison, which then proves nothing about them; podman kube
// play refuses a pod with limits. Here the fixtures that set limits go
// through both tools and through kube play on rootful podman, which applies
// them: the limits must match docker-compose's, and the exported
// resources.limits must reach the played containers.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestAgent, type TestAgent } from "../support/agent.ts";
import { comparable, expectSameAsCompose, expectSameAsKube, randomPortsOf } from "../support/compose-compare.ts";
import { runFixture, type Case, type Outcome } from "../support/compose-run.ts";
import { composeMissing, ensureFixtureImages, startComposeSocket, type ComposeSocket } from "../support/compose.ts";
import { removeContainers } from "../support/image.ts";

const RUN = crypto.randomUUID().slice(0, 4);
/** This run's part of every project name. */
const TAG = `r${RUN}`;
const CASES: Case[] = [{ dir: "10-limits", kube: "pod" }, { dir: "18-wordpress-like", kube: "deployment" }];
const P = ["podman"];

const missing = composeMissing() ?? (process.getuid?.() === 0 ? null : "not root (rootful podman applies the limits)");
const inCI = process.env.CI === "true";
if (missing && !inCI) console.warn(`e2e compose comparison on rootful podman SKIPPED: ${missing}`);

describe.skipIf(!!missing && !inCI)("e2e: limits from compose, on rootful podman (which applies them)", () => {
  let agent: TestAgent;
  let socket: ComposeSocket;
  const network = `cfnet-r${RUN}`;
  const outcomes = new Map<string, Outcome | Error>();

  beforeAll(async () => {
    if (missing) return;
    await ensureFixtureImages(P);
    agent = await startTestAgent({ flavor: "binary", user: "root" });
    socket = await startComposeSocket({ rootless: false });
    await $`${P} network create ${network}`.quiet();
    const lane = { agent, socket, podman: P, rootless: false, network, run: TAG };
    await Promise.all(CASES.map(async (c) => outcomes.set(c.dir, await runFixture(lane, c).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))))));
  }, 600_000);

  afterAll(async () => {
    if (missing) return;
    await socket?.stop();
    await agent?.stop();
    // Only this run's: containers and volumes are named after its projects (cf<NN>-<run>).
    for (const c of CASES) await removeContainers(`cf${c.dir.slice(0, 2)}-${TAG}`, P).catch(() => {});
    const vols = (await $`${P} volume ls --format ${"{{.Name}}"}`.nothrow().quiet().text()).split("\n").filter((v) => /^cf\d\d-/.test(v) && v.startsWith(`cf${v.slice(2, 4)}-${TAG}_`));
    if (vols.length > 0) await $`${P} volume rm -f ${vols}`.nothrow().quiet();
    await $`${P} network rm -f ${network}`.nothrow().quiet();
  });

  const outcome = (dir: string): Outcome => {
    const o = outcomes.get(dir);
    if (o instanceof Error) throw o;
    expect(o).toBeDefined();
    return o!;
  };

  test("the tools are here (in CI a missing one fails)", () => {
    expect(missing).toBeNull();
  });

  test("10-limits: the limits are applied, and equal docker-compose's (mem_limit, cpus, pids_limit, deploy.resources.limits)", () => {
    const o = outcome("10-limits");
    expectSameAsCompose(o);
    const limits = (name: string) => {
      const c = comparable(o.mcp.get(name)!, { bindRoot: o.srvDir, randomPorts: new Set() });
      return { memory: c.memory, cpus: c.cpus, pidsLimit: c.pidsLimit };
    };
    expect(limits("api")).toEqual({ memory: 256 * 1024 ** 2, cpus: 0.5e9, pidsLimit: 128 });
    expect(limits("worker")).toMatchObject({ memory: 1024 ** 3, cpus: 1.5e9 });
  });

  test("18-wordpress-like: matches docker-compose's, limits included", () => {
    const o = outcome("18-wordpress-like");
    expectSameAsCompose(o);
    expect(comparable(o.mcp.get("cache")!, { bindRoot: o.srvDir, randomPorts: randomPortsOf(o.def.components.find((c) => c.name === "cache")!) }).memory).toBe(128 * 1024 ** 2);
  });

  for (const c of CASES) {
    test(`${c.dir}: kube play of the export (limits as they are) runs the same image, command, env, ports and volumes, and the limits`, () => {
      const o = outcome(c.dir);
      expectSameAsKube(o);
      for (const comp of o.def.components) {
        if (!comp.memory) continue;
        const played = [...o.kube!.containers.values()].find((x) => x.Name.endsWith(`-${comp.name}`))!;
        expect({ component: comp.name, memory: played.HostConfig.Memory }).toEqual({ component: comp.name, memory: o.mcp.get(comp.name)!.HostConfig.Memory });
      }
    });
  }
});
