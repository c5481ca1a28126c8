import type { Subprocess } from "bun";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, mcpArgv, runMcp, tempDir, waitFor, type Flavor } from "./mcp.ts";

/** A real agent on a loopback port with its own CA and token, plus a CLI config that reaches it. */
export interface TestAgent {
  node: string;
  port: number;
  address: string;
  dir: string;
  agentConfig: string;
  caPath: string;
  token: string;
  /** A CLI config (with this node, logged in) and its services directory. */
  cliConfig: string;
  servicesDir: string;
  logs(): string;
  stop(): Promise<void>;
  /** Runs the CLI with this agent's CLI config. */
  cli(args: string[], opts?: { stdin?: string; env?: Record<string, string | undefined> }): ReturnType<typeof runMcp>;
}

/**
 * `mcp agent init` into a temp dir, then `mcp agent --config` on 127.0.0.1,
 * then `mcp node add` + `mcp login --token-stdin` for a fresh CLI config.
 * `agentToml` lines are appended to the [agent] section (e.g. stop_timeout).
 */
export async function startTestAgent(opts: { flavor?: Flavor; node?: string; agentSettings?: Record<string, string> } = {}): Promise<TestAgent> {
  const flavor = opts.flavor ?? "source";
  const node = opts.node ?? "local";
  const dir = tempDir("mcp-agent-");
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const init = await runMcp(flavor, ["agent", "init", "--node", node, "--listen", address, "--dir", join(dir, "state"), "--srv-root", join(dir, "srv")]);
  if (init.code !== 0) throw new Error(`agent init failed (${init.code}): ${init.stderr}`);
  const token = init.stdout.trimEnd().split("\n").at(-1)!;
  const agentConfig = join(dir, "state/mcp-agent.toml");
  if (opts.agentSettings) {
    let text = readFileSync(agentConfig, "utf8");
    for (const [k, v] of Object.entries(opts.agentSettings)) text = text.replace(/^\[agent\]\n/m, `[agent]\n${k} = ${v}\n`);
    writeFileSync(agentConfig, text);
  }
  let log = "";
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([...mcpArgv(flavor), "agent", "--config", agentConfig], {
    env: { ...process.env, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) log += decoder.decode(chunk);
  };
  void pump(proc.stderr);
  void pump(proc.stdout);
  await waitFor(() => log.includes("agent serving") || proc.exitCode !== null, "the agent to serve", 20_000);
  if (proc.exitCode !== null) throw new Error(`the agent exited (${proc.exitCode}): ${log}`);

  const cliDir = join(dir, "cli");
  const cliConfig = join(cliDir, "mcp.toml");
  const servicesDir = join(cliDir, "services");
  const caPath = join(dir, "state/certs/ca.pem");
  const cli = (args: string[], o: { stdin?: string; env?: Record<string, string | undefined> } = {}) =>
    runMcp(flavor, [...args, "--config", cliConfig], o);
  const add = await cli(["node", "add", node, address, "--ca-cert", caPath]);
  if (add.code !== 0) throw new Error(`node add failed: ${add.stderr}`);
  const login = await cli(["login", "--node", node, "--token-stdin"], { stdin: `${token}\n` });
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);

  return {
    node, port, address, dir, agentConfig, caPath, token, cliConfig, servicesDir, cli,
    logs: () => log,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Writes a service definition file into the agent's CLI services dir. */
export function writeServiceDef(agent: TestAgent, name: string, text: string): string {
  mkdirSync(agent.servicesDir, { recursive: true });
  const path = join(agent.servicesDir, `${name}.toml`);
  writeFileSync(path, text);
  return path;
}
