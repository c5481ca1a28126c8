import { recordOutput, recordSecret } from "./scan.ts";
import type { Subprocess } from "bun";
import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { asMcp, MCP_USER } from "./rootless.ts";
import { join } from "node:path";
import { freePort, mcpArgv, runMcp, tempDir, waitFor, type Flavor } from "./mcp.ts";

/** A real agent on a loopback port with its own CA and token, plus a CLI config that reaches it. */
export interface TestAgent {
  node: string;
  port: number;
  address: string;
  dir: string;
  /** The agent's srv root: `<dir>/srv` (with the production layout the agent's own directory is `<srvRoot>/mcp`). */
  srvRoot: string;
  /** The agent's own directory (config, registry, certificates). */
  stateDir: string;
  agentConfig: string;
  caPath: string;
  token: string;
  /** A CLI config (with this node, logged in) and its services directory. */
  cliConfig: string;
  servicesDir: string;
  logs(): string;
  /** Sends a signal to the running agent (e.g. SIGHUP). */
  signal(sig: NodeJS.Signals): void;
  /** The running agent's process id (benchmarks read its CPU time). */
  pid(): number;
  stop(): Promise<void>;
  /** Stops the agent (SIGTERM) and starts it again on the same config and registry. */
  restart(): Promise<void>;
  /** Runs the CLI with this agent's CLI config. */
  cli(args: string[], opts?: { stdin?: string; env?: Record<string, string | undefined> }): ReturnType<typeof runMcp>;
}

/** Sets `key = value` in a [section] of a TOML text: replaces the key's line if the section has one, else adds it under the header. */
export function setTomlKey(text: string, section: string, key: string, value: string): string {
  // The header may carry a comment (`[policy]   # …`).
  const header = new RegExp(`^\\[${section}\\][ \\t]*(#[^\\n]*)?\\n`, "m");
  const m = header.exec(text);
  if (!m) return `${text}\n[${section}]\n${key} = ${value}\n`;
  const start = m.index + m[0].length;
  const next = text.slice(start).search(/^\[/m);
  const end = next < 0 ? text.length : start + next;
  const body = text.slice(start, end);
  const keyLine = new RegExp(`^${key} = .*$`, "m");
  const newBody = keyLine.test(body) ? body.replace(keyLine, `${key} = ${value}`) : `${key} = ${value}\n${body}`;
  return text.slice(0, start) + newBody + text.slice(end);
}

/**
 * `mcp agent init` into a temp dir, then `mcp agent --config` on 127.0.0.1,
 * then `mcp node add` + `mcp login --token-stdin` for a fresh CLI config.
 * `settings` set keys per section of the agent config (e.g. { agent: { stop_timeout: `"2s"` } });
 * `appendToml` is added at the end of it (e.g. a `[[registries]]` block).
 */
export async function startTestAgent(
  opts: {
    flavor?: Flavor; node?: string; settings?: Record<string, Record<string, string>>; appendToml?: string;
    /** "production": the layout scripts/install.sh makes, the agent's directory `<srv>/mcp` beside the services. */
    layout?: "test" | "production";
    /** "mcp": the agent (and its init) run as the mcp user with rootless podman, as in production (test/support/rootless.ts). */
    user?: "root" | "mcp";
    /** Variables the agent gets besides the unit's environment (as mcp, the environment is otherwise only the unit's). */
    agentEnv?: Record<string, string>;
    /** Variables of this process handed to the agent at each (re)start (as mcp: through `env -i`). */
    passEnv?: string[];
  } = {},
): Promise<TestAgent> {
  const flavor = opts.flavor ?? "source";
  const node = opts.node ?? "local";
  const dir = tempDir("mcp-agent-");
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const srvRoot = join(dir, "srv");
  const stateDir = opts.layout === "production" ? join(srvRoot, "mcp") : join(dir, "state");
  const asUser = opts.user === "mcp";
  if (asUser) {
    // The agent's files are mcp's, as install.sh leaves them; the CLI (root, the workstation) reads the CA.
    chownSync(dir, MCP_USER!.uid, MCP_USER!.gid);
    mkdirSync(srvRoot, { mode: 0o755 });
    chownSync(srvRoot, MCP_USER!.uid, MCP_USER!.gid);
  }
  const initArgv = ["agent", "init", "--node", node, "--listen", address, "--dir", stateDir, "--srv-root", srvRoot];
  const init = asUser ? await runArgv(asMcp([...mcpArgv(flavor), ...initArgv])) : await runMcp(flavor, initArgv);
  if (init.code !== 0) throw new Error(`agent init failed (${init.code}): ${init.stderr}`);
  const token = init.stdout.trimEnd().split("\n").at(-1)!;
  recordSecret(token);
  const agentConfig = join(stateDir, "mcp-agent.toml");
  let text = readFileSync(agentConfig, "utf8");
  for (const [section, kv] of Object.entries(opts.settings ?? {})) {
    for (const [k, v] of Object.entries(kv ?? {})) text = setTomlKey(text, section, k, v);
  }
  if (opts.appendToml) text += `\n${opts.appendToml}\n`;
  writeFileSync(agentConfig, text);
  let log = "";
  let proc: Subprocess<"ignore", "pipe", "pipe">;
  const decoder = new TextDecoder();
  const spawnAgent = async () => {
    const mark = log.length;
    const argv = [...mcpArgv(flavor), "agent", "--config", agentConfig];
    const passed = Object.fromEntries((opts.passEnv ?? []).flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]!]] : [])));
    const extra = { ...opts.agentEnv, ...passed };
    proc = Bun.spawn(asUser ? asMcp(argv, extra) : argv, {
      env: { ...process.env, NO_COLOR: "1", ...extra },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) log += decoder.decode(chunk);
    };
    void pump(proc.stderr);
    void pump(proc.stdout);
    await waitFor(() => log.slice(mark).includes("agent serving") || proc.exitCode !== null, "the agent to serve", 20_000);
    if (proc.exitCode !== null) throw new Error(`the agent exited (${proc.exitCode}): ${log}`);
  };
  await spawnAgent();

  const cliDir = join(dir, "cli");
  const cliConfig = join(cliDir, "mcp.toml");
  const servicesDir = join(cliDir, "services");
  const caPath = join(stateDir, "certs/ca.pem");
  const cli = (args: string[], o: { stdin?: string; env?: Record<string, string | undefined> } = {}) =>
    runMcp(flavor, [...args, "--config", cliConfig], o);
  const add = await cli(["node", "add", node, address, "--ca-cert", caPath]);
  if (add.code !== 0) throw new Error(`node add failed: ${add.stderr}`);
  const login = await cli(["login", "--node", node, "--token-stdin"], { stdin: `${token}\n` });
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);

  return {
    node, port, address, dir, srvRoot, stateDir, agentConfig, caPath, token, cliConfig, servicesDir, cli,
    logs: () => log,
    signal: (sig) => void proc.kill(sig),
    pid: () => proc.pid,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      recordOutput("agent", log);
    },
    async restart() {
      proc.kill("SIGTERM");
      await proc.exited;
      recordOutput("agent", log);
      await spawnAgent();
    },
  };
}

/** Runs an argv to its end (init as mcp). */
async function runArgv(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd: "/" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Writes a service definition file into the agent's CLI services dir. */
export function writeServiceDef(agent: TestAgent, name: string, text: string): string {
  mkdirSync(agent.servicesDir, { recursive: true });
  const path = join(agent.servicesDir, `${name}.toml`);
  writeFileSync(path, text);
  return path;
}
