/**
 * The two configs of mcp (SPEC §3): the CLI's (`~/.config/mcp/mcp.toml`) and
 * the agent's (`/srv/mcp/mcp-agent.toml`). Pure `parse*` beside thin `read*`;
 * targeted text edits for `mcp node add|remove`; and the TOML helpers that
 * service definitions share (key locator, problem messages, atomic writes).
 * Nothing here reads the environment: HOME and env are passed in.
 */
export { createKeyLocator, formatKeyPath, scanToml, type KeyPath, type TomlEntry } from "./_locate.ts";
export { expandPath, hostPortProblem, isServerUrl, requireHostPort, splitHostPort, type HostPort } from "./_paths.ts";
export {
  describeValue, formatProblem, lineEnding, parseTomlText, problemsError, problemsFromIssues,
  tomlString, tomlStringArray, type Problem, type ProblemsErrorOptions,
} from "./_toml.ts";
export { parseAgentConfig, type AgentConfig, type AgentConfigOptions, type NotifyConfig, type RegistryConfig } from "./agent-parse.ts";
export { NOTIFY_LIMITS, notifyUrlProblem } from "./_agent-ops.ts";
export { renderAgentConfig, type AgentConfigTemplate } from "./agent-render.ts";
export { addNodeToText, removeNodeFromText, type NodeEditOptions, type NodeInput } from "./cli-edit.ts";
export {
  caCertFor, findNode, parseCliConfig, validateCliConfigText,
  type CliConfig, type CliConfigOptions, type NodeConfig,
} from "./cli-parse.ts";
export { defaultCliConfigPath, readAgentConfig, readCliConfig } from "./read.ts";
export { writeFileAtomic, type WriteFileAtomicOptions } from "./write.ts";
