import { dirname, join } from "node:path";
import * as v from "valibot";
import { McpError } from "../lib/errors.ts";
import { expandPath } from "./_paths.ts";
import { parseTomlText, problemsError, problemsFromIssues, type Problem } from "./_toml.ts";
import { CliConfigSchema, type RawCliConfig } from "./cli-schema.ts";

/** A node the CLI talks to (`[[nodes]]`). */
export interface NodeConfig {
  name: string;
  /** `host:port` to dial; an IP is fine. */
  address: string;
  /** Name to verify in the agent's certificate; defaults to the node name. */
  serverName: string;
  /** CA for this node; "" = use tls.caCert (see caCertFor). */
  caCert: string;
  /** Token file for this node; "" = not set, the caller resolves its default. */
  tokenPath: string;
}

/** The CLI config (SPEC §3.1), defaults applied, paths absolute. */
export interface CliConfig {
  /** The file it was read from. */
  path: string;
  /** False when the file does not exist (defaults apply). */
  exists: boolean;
  /** dirname(path): defaults and relative paths are based here. */
  configDir: string;
  services: { dir: string };
  auth: { tokenPath: string };
  /** Set only when the file has an `[mcias]` section; caCert "" = the system's trusted roots. */
  mcias: { serverUrl: string; serviceName: string; caCert: string } | null;
  /** clientCert/clientKey: extension, for agents with `client_ca` (mutual TLS); "" = none. */
  tls: { caCert: string; clientCert: string; clientKey: string };
  nodes: NodeConfig[];
}

/** Options shared by the CLI config readers. */
export interface CliConfigOptions {
  /** The HOME used to expand `~` (passed in: this module never reads the environment). */
  home: string;
}

/**
 * Parses the CLI config text read from `source` (a file path: relative paths
 * in the file are resolved against its directory). Pure. Throws
 * invalid_argument `<source>:<line>: <key.path>: <problem>` for syntax errors,
 * unknown keys, wrong types, bad names or addresses and duplicate nodes.
 */
export function parseCliConfig(text: string, source: string, opts: CliConfigOptions): CliConfig {
  const raw = validateCliConfigText(text, source);
  const configDir = dirname(source);
  const p = (value: string | undefined, fallback: string, key: string) =>
    expandPath(value ?? fallback, { home: opts.home, baseDir: configDir, key: `${source}: ${key}` });
  const tlsCa = p(raw.tls?.ca_cert, join(configDir, "ca.pem"), "tls.ca_cert");
  return {
    path: source,
    exists: true,
    configDir,
    services: { dir: p(raw.services?.dir, join(configDir, "services"), "services.dir") },
    auth: { tokenPath: p(raw.auth?.token_path, join(configDir, "token"), "auth.token_path") },
    mcias: raw.mcias
      ? {
          serverUrl: raw.mcias.server_url,
          serviceName: raw.mcias.service_name ?? "mcp",
          caCert: p(raw.mcias.ca_cert, "", "mcias.ca_cert"),
        }
      : null,
    tls: {
      caCert: tlsCa,
      clientCert: p(raw.tls?.client_cert, "", "tls.client_cert"),
      clientKey: p(raw.tls?.client_key, "", "tls.client_key"),
    },
    nodes: (raw.nodes ?? []).map((n, i) => ({
      name: n.name,
      address: n.address,
      serverName: n.server_name ?? n.name,
      caCert: p(n.ca_cert, "", `nodes[${i}].ca_cert`),
      tokenPath: p(n.token_path, "", `nodes[${i}].token_path`),
    })),
  };
}

/**
 * Checks CLI config text (syntax, schema, unique node names) without
 * resolving paths, and returns it as written. Throws like parseCliConfig.
 * The targeted edits use it before and after changing the text.
 */
export function validateCliConfigText(text: string, source: string): RawCliConfig {
  const hint = `fix ${source} and run the command again`;
  const data = parseTomlText(text, source, hint);
  const result = v.safeParse(CliConfigSchema, data);
  if (!result.success) throw problemsError(problemsFromIssues(result.issues), { text, source, hint });
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  (result.output.nodes ?? []).forEach((n, i) => {
    const first = seen.get(n.name);
    if (first === undefined) seen.set(n.name, i);
    else problems.push({ path: ["nodes", i, "name"], message: `${JSON.stringify(n.name)} is already used by nodes[${first}]` });
  });
  if (problems.length > 0) throw problemsError(problems, { text, source, hint });
  return result.output;
}

/**
 * Returns the configured node of that name. Throws invalid_argument
 * `unknown node "x"` with a hint listing the configured nodes, or telling how
 * to add one.
 */
export function findNode(cfg: CliConfig, name: string): NodeConfig {
  const node = cfg.nodes.find((n) => n.name === name);
  if (node) return node;
  const hint =
    cfg.nodes.length > 0
      ? `configured nodes: ${cfg.nodes.map((n) => n.name).join(", ")} (in ${cfg.path}); add one with mcp node add <name> <host:port>`
      : `no nodes are configured in ${cfg.path}; add one with mcp node add <name> <host:port> --ca-cert <ca.pem>`;
  throw new McpError("invalid_argument", `unknown node ${JSON.stringify(name)}`, hint);
}

/** The CA certificate to verify a node with: its own ca_cert, else tls.ca_cert. */
export function caCertFor(cfg: CliConfig, node: NodeConfig): string {
  return node.caCert || cfg.tls.caCert;
}
