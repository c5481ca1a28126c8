/**
 * Two real agents on loopback for the fleet suites (issue 17): `alpha` in the
 * production shape (the mcp user, rootless podman, where it can run) and
 * `beta` as root with rootful podman — two podmans, as two nodes have — and
 * one CLI config that reaches both (alpha's, with beta added and logged in).
 */
import { $ } from "bun";
import { startTestAgent, writeServiceDef, type TestAgent } from "./agent.ts";
import { removeContainers } from "./image.ts";
import type { Flavor } from "./mcp.ts";
import { AGENT_USER, P } from "./shape.ts";

export interface TestFleet {
  alpha: TestAgent;
  beta: TestAgent;
  /** The podman argv prefix of each node. */
  podman: Record<"alpha" | "beta", string[]>;
  /** The CLI with the config that reaches both nodes. */
  cli: TestAgent["cli"];
  /** Writes a definition into the shared services directory. */
  define(name: string, text: string): string;
  /** Facts of a container from its node's podman, or null when there is none. */
  inspect(node: "alpha" | "beta", name: string): Promise<{ id: string; created: number; started: number; state: string } | null>;
  stop(prefix: string): Promise<void>;
}

export async function startTestFleet(o: { flavor?: Flavor } = {}): Promise<TestFleet> {
  const [alpha, beta] = await Promise.all([
    startTestAgent({ node: "alpha", user: AGENT_USER, flavor: o.flavor }),
    startTestAgent({ node: "beta", user: "root", flavor: o.flavor }),
  ]);
  const add = await alpha.cli(["node", "add", "beta", beta.address, "--ca-cert", beta.caPath]);
  if (add.code !== 0) throw new Error(`node add beta: ${add.stderr}`);
  const login = await alpha.cli(["login", "--node", "beta", "--token-stdin"], { stdin: `${beta.token}\n` });
  if (login.code !== 0) throw new Error(`login beta: ${login.stderr}`);
  const podman = { alpha: P, beta: ["podman"] };
  return {
    alpha, beta, podman, cli: alpha.cli,
    define: (name, text) => writeServiceDef(alpha, name, text),
    async inspect(node, name) {
      const r = await $`${podman[node]} container inspect ${name}`.nothrow().quiet();
      if (r.exitCode !== 0) return null;
      const c = (JSON.parse(r.stdout.toString()) as { Id: string; Created: string; State: { StartedAt: string; Status: string } }[])[0]!;
      return { id: c.Id, created: Date.parse(c.Created), started: Date.parse(c.State.StartedAt), state: c.State.Status };
    },
    async stop(prefix) {
      await Promise.all([alpha.stop(), beta.stop()]);
      await Promise.all([removeContainers(prefix, podman.alpha), removeContainers(prefix, podman.beta)]);
    },
  };
}
