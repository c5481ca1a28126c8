import { readTextFile } from "../lib/text.ts";
import { isAbsolute, join } from "node:path";
import { McpError } from "../lib/errors.ts";
import { parseAgentConfig, type AgentConfig, type AgentConfigOptions } from "./agent-parse.ts";
import { parseCliConfig, type CliConfig, type CliConfigOptions } from "./cli-parse.ts";

/**
 * The CLI config path when --config is not given: `$XDG_CONFIG_HOME/mcp/mcp.toml`
 * when XDG_CONFIG_HOME is set to an absolute path (the XDG spec says to ignore
 * a relative one), else `$HOME/.config/mcp/mcp.toml`. Throws invalid_argument
 * when neither is set.
 */
export function defaultCliConfigPath(env: Record<string, string | undefined>): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "mcp", "mcp.toml");
  const home = env.HOME;
  if (!home) throw new McpError("invalid_argument", "cannot find the CLI config: HOME is not set", "set HOME, or pass --config <path>");
  return join(home, ".config", "mcp", "mcp.toml");
}

/**
 * Reads the CLI config. A missing file is not an error: the defaults apply
 * and `exists` is false (`mcp node add` then creates it). A file that cannot
 * be read, or that is invalid, throws invalid_argument.
 */
export async function readCliConfig(path: string, opts: CliConfigOptions): Promise<CliConfig> {
  const text = await readTextFile(path, "check the file's permissions, or pass --config <path>", "CLI config");
  if (text === null) return { ...parseCliConfig("", path, opts), exists: false };
  return parseCliConfig(text, path, opts);
}

/**
 * Reads and parses the agent config (see parseAgentConfig). A missing file
 * throws invalid_argument `<path>: no such file` with a hint to run
 * `mcp agent init` or pass --config.
 */
export async function readAgentConfig(path: string, opts: AgentConfigOptions): Promise<AgentConfig> {
  const text = await readTextFile(path, "check the file's owner and permissions", "agent config");
  if (text === null) throw new McpError("invalid_argument", `${path}: no such file`, "run mcp agent init, or pass --config <path>");
  return parseAgentConfig(text, path, opts);
}
