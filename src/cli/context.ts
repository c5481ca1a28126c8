import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultCliConfigPath, findNode, readCliConfig, type CliConfig, type NodeConfig } from "../config/index.ts";
import { isMcpError, McpError, messageOf } from "../lib/errors.ts";
import { MAX_TIMER_MS, parseDuration } from "../lib/duration.ts";
import { readServiceDef, serviceDefPath } from "../servicedef/index.ts";
import { createAgentClient, type AgentClient } from "../rpc/index.ts";
import type { CliIO } from "../lib/io.ts";

/** Flags every command takes. */
export const commonArgs = {
  config: { type: "string", description: "CLI config file (default: $XDG_CONFIG_HOME/mcp/mcp.toml or ~/.config/mcp/mcp.toml)", valueHint: "path" },
} as const;

/** The service a command acts on, as its first positional argument. */
export const serviceArg = { service: { type: "positional", description: "the service name", required: true } } as const;

/** The --json flag of read commands. */
export const jsonArg = { json: { type: "boolean", description: "print JSON instead of a table" } } as const;

/** Reads the CLI config named by --config, or the default one. */
export async function loadConfig(io: CliIO, configArg: string | undefined): Promise<CliConfig> {
  const path = configArg || defaultCliConfigPath(io.env);
  return readCliConfig(path, { home: io.env.HOME ?? "" });
}

/** A node's own token file: its token_path, else `<config dir>/tokens/<node>` (where `mcp login --node` writes). */
export function nodeTokenPath(cfg: CliConfig, node: NodeConfig): string {
  return node.tokenPath || join(cfg.configDir, "tokens", node.name);
}

/** Where a node's token lives: the node's own token file when it exists (or is named by token_path), else [auth] token_path. */
export function tokenPathFor(cfg: CliConfig, node: NodeConfig): string {
  const own = nodeTokenPath(cfg, node);
  return (node.tokenPath || existsSync(own)) ? own : cfg.auth.tokenPath;
}

function readToken(cfg: CliConfig, node: NodeConfig): string {
  const path = tokenPathFor(cfg, node);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new McpError("unauthenticated", `no token for node ${node.name} (${path} cannot be read)`, `log in: mcp login --node ${node.name} --token-stdin`);
  }
  const token = text.trim(); // a trailing newline (or any surrounding space) is fine
  if (!token) throw new McpError("unauthenticated", `the token file ${path} is empty`, `log in: mcp login --node ${node.name} --token-stdin`);
  return token;
}

/** Opens a client for a node (nothing is sent until a call). */
export function connect(cfg: CliConfig, node: NodeConfig): AgentClient {
  const caPath = node.caCert || cfg.tls.caCert;
  let caPem: string;
  try {
    caPem = readFileSync(caPath, "utf8");
  } catch (err) {
    throw new McpError("invalid_argument", `cannot read the CA certificate for node ${node.name}: ${caPath} (${messageOf(err)})`,
      `copy the agent's certs/ca.pem there, or set ca_cert for the node (mcp node add ${node.name} <address> --ca-cert <file>)`);
  }
  // An empty file would leave TLS to the system's roots (node:tls), a garbled one to an error from deep in TLS.
  if (!caPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new McpError("invalid_argument", `the CA certificate for node ${node.name} (${caPath}) holds no PEM certificate`,
      `copy the agent's certs/ca.pem there, or set ca_cert for the node (mcp node add ${node.name} <address> --ca-cert <file>)`);
  }
  // Mutual TLS (extension): the client certificate for agents that set client_ca.
  let client: { certPem: string; keyPem: string } | undefined;
  if (cfg.tls.clientCert || cfg.tls.clientKey) {
    if (!cfg.tls.clientCert || !cfg.tls.clientKey) {
      throw new McpError("invalid_argument", `${cfg.path}: [tls] client_cert and client_key go together`, "set both, or neither");
    }
    try {
      client = { certPem: readFileSync(cfg.tls.clientCert, "utf8"), keyPem: readFileSync(cfg.tls.clientKey, "utf8") };
    } catch (err) {
      throw new McpError("invalid_argument", `cannot read the client certificate or key: ${messageOf(err)}`, "check [tls] client_cert and client_key");
    }
  }
  return createAgentClient({ node: node.name, address: node.address, caPem, serverName: node.serverName, token: readToken(cfg, node), ...client });
}

/** Connects to the node named by a definition, failing with a clear message for an unknown node. */
export function connectNode(cfg: CliConfig, name: string): AgentClient {
  return connect(cfg, findNode(cfg, name));
}

/** The outcome of asking one node. */
export type NodeAnswer<T> = { node: string; ok: true; value: T } | { node: string; ok: false; error: McpError };

/**
 * Asks every configured node in parallel. A node that fails is reported in
 * its answer; the others still answer.
 */
export async function askAllNodes<T>(cfg: CliConfig, fn: (client: AgentClient) => Promise<T>): Promise<NodeAnswer<T>[]> {
  if (cfg.nodes.length === 0) {
    throw new McpError("invalid_argument", `no nodes are configured in ${cfg.path}`, "add one: mcp node add <name> <host:port> --ca-cert <ca.pem>");
  }
  return Promise.all(
    cfg.nodes.map(async (n): Promise<NodeAnswer<T>> => {
      let client: AgentClient | undefined;
      try {
        client = connect(cfg, n);
        return { node: n.name, ok: true, value: await fn(client) };
      } catch (err) {
        const error = isMcpError(err) ? err : new McpError("internal", messageOf(err));
        return { node: n.name, ok: false, error };
      } finally {
        client?.close();
      }
    }),
  );
}

/** Splits `service[/component]`. */
export function parseTarget(text: string): { service: string; component: string } {
  const [service = "", component = "", ...rest] = text.split("/");
  if (!service || rest.length > 0 || text.endsWith("/")) {
    throw new McpError("invalid_argument", `"${text}" is not <service> or <service>/<component>`, "for example: mcp deploy metacrypt or mcp deploy metacrypt/api");
  }
  return { service, component };
}

/** The --wait flag of commands that take a service's lock (deploy, rollback). */
export const waitArg = {
  wait: {
    type: "string",
    description: "how long to wait when another operation holds the service (e.g. 30s, 10m; 0 = fail at once; default: the agent's lock_wait)",
    valueHint: "duration",
  },
} as const;

/** --wait in ms for the request: 0 = the agent's default; "0" = 1 ms (do not wait). */
export function lockWaitFrom(text: string | undefined): number {
  if (text === undefined) return 0;
  if (text.trim() === "0") return 1;
  const ms = parseDuration(text, "--wait");
  if (ms > MAX_TIMER_MS) throw new McpError("invalid_argument", `--wait: "${text}" is too long`, "at most 24d");
  return Math.max(1, ms);
}

/** The --node flag of commands about a service that may have no definition yet (adopt, service show/export). */
export const nodeArg = {
  node: { type: "string", description: "the node (default: the definition's node, or the only configured node)", valueHint: "name" },
} as const;

/**
 * The node of a service: --node, else its local definition's `node`, else
 * the only configured node. Anything else is a usage error saying which.
 */
export async function nodeForService(cfg: CliConfig, service: string, nodeFlag: string | undefined): Promise<NodeConfig> {
  if (nodeFlag) return findNode(cfg, nodeFlag);
  const path = serviceDefPath(cfg.services.dir, service);
  if (existsSync(path)) return findNode(cfg, (await readServiceDef(path)).def.node);
  if (cfg.nodes.length === 1) return cfg.nodes[0]!;
  throw new McpError(
    "invalid_argument",
    cfg.nodes.length === 0 ? `no nodes are configured in ${cfg.path}` : `service ${service} has no definition in ${cfg.services.dir}, and there are ${cfg.nodes.length} nodes`,
    cfg.nodes.length === 0 ? "add one: mcp node add <name> <host:port> --ca-cert <ca.pem>" : `name its node: --node <${cfg.nodes.map((n) => n.name).join("|")}>`,
  );
}
