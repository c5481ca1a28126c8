import { dirname } from "node:path";
import * as v from "valibot";
import { parseDuration } from "../lib/duration.ts";
import { parseSize } from "../lib/size.ts";
import { formatKeyPath, type KeyPath } from "./_locate.ts";
import { expandPath } from "./_paths.ts";
import { parseTomlText, problemsError, problemsFromIssues, type Problem } from "./_toml.ts";
import { applyEnvOverrides } from "./agent-env.ts";
import { buildOps, type NotifyConfig } from "./_agent-ops.ts";
import { AgentConfigSchema, REQUIRED_SECTIONS, type RawAgentConfig } from "./agent-schema.ts";

/** Credentials for pulls from one registry (`[[registries]]`). */
export type { NotifyConfig } from "./_agent-ops.ts";

export interface RegistryConfig {
  host: string;
  username: string;
  /** File holding the password or token; read when a pull needs it. */
  passwordFile: string;
  /** Extension: the CA certificate the registry's TLS certificate is checked against; "" = podman's own trust (certs.d, system roots). */
  caCert: string;
}

/** The agent config (SPEC §3.2), defaults and environment overrides applied, paths absolute, durations in ms. */
export interface AgentConfig {
  path: string;
  server: { listen: string; tlsCert: string; tlsKey: string; clientCa: string };
  agent: {
    nodeName: string;
    srvRoot: string;
    runtime: "podman";
    /** The podman binary: a bare name (looked up in PATH) or an absolute path. */
    podman: string;
    stopTimeoutMs: number;
    podmanTimeoutMs: number;
    pullTimeoutMs: number;
    lockWaitMs: number;
    /** Extension: the largest file a push may write, and the largest archive a restore takes (bytes). */
    maxTransferBytes: number;
  };
  database: { path: string };
  auth: { mode: "local" | "mcias" };
  /** Set when the file has an `[mcias]` section (required when auth.mode = "mcias"); caCert "" = system roots. */
  mcias: { serverUrl: string; caCert: string; cacheTtlMs: number } | null;
  monitor: {
    resyncMs: number;
    alertCommand: string[];
    cooldownMs: number;
    flapThreshold: number;
    flapWindowMs: number;
    retentionMs: number;
    reconcile: boolean;
    /** Extension: how long a drift must last before it is alerted (a restart policy that brings the container straight back is not drift). */
    driftGraceMs: number;
    /** SPEC §7.7: at the agent's start, components desired running that are stopped are started again ("start") or only alerted ("alert"). */
    onBoot: "start" | "alert";
    /** SPEC §7.5: after the deploy's gate, a component's probe runs every `interval` but not more often than this. */
    minProbeIntervalMs: number;
  };
  registries: RegistryConfig[];
  /** `[policy]` (SPEC §7.1): what containers may reach on the host; the defaults allow nothing beyond each service's own directory. */
  policy: { hostPaths: string[]; hostNetwork: boolean; devices: string[]; capabilities: string[]; maxArchiveBytes: number };
  log: { level: "debug" | "info" | "warn" | "error" };
  /** `[prune]` (SPEC §7.6): successful deployments per component whose images `mcp node prune` keeps. */
  prune: { keep: number };
  /** `[metrics]` (SPEC §7.8): the Prometheus endpoint's address; null = off. */
  metrics: { listen: string } | null;
  /** `[[notify]]` (SPEC §7.8): where every alert is sent besides alert_command. */
  notify: NotifyConfig[];
}

/** Options of the agent config readers: HOME for `~`, and the environment for overrides (passed in). */
export interface AgentConfigOptions {
  home: string;
  env: Record<string, string | undefined>;
}

/**
 * Parses the agent config text read from `source` (a file path; relative
 * paths in the file are resolved against its directory), applies the
 * MCP_<SECTION>_<KEY> environment overrides and the defaults. Pure. Throws
 * invalid_argument: `<source>:<line>: <key.path>: <problem>` for the file,
 * `environment MCP_X: <key.path>: <problem>` for an override, `<source>:
 * server.listen is required` for a missing key.
 */
export function parseAgentConfig(text: string, source: string, opts: AgentConfigOptions): AgentConfig {
  const hint = `fix ${source} and start the agent again`;
  const data = parseTomlText(text, source, hint);
  for (const section of REQUIRED_SECTIONS) {
    // An absent section is reported as its missing keys, which says more than "server is required".
    if (data[section] === undefined) data[section] = {};
  }
  const fromEnv = applyEnvOverrides(data, opts.env);
  const where = (path: KeyPath) => {
    for (let n = path.length; n > 0; n--) {
      const variable = fromEnv.get(formatKeyPath(path.slice(0, n)));
      if (variable) return `environment ${variable}`;
    }
    return undefined;
  };
  const result = v.safeParse(AgentConfigSchema, data);
  if (!result.success) throw problemsError(problemsFromIssues(result.issues), { text, source, hint, where });
  const raw = result.output;
  const problems: Problem[] = [];
  if (raw.auth?.mode === "mcias" && !raw.mcias) {
    problems.push({ path: ["auth", "mode"], message: `"mcias" needs an [mcias] section with server_url` });
  }
  if (problems.length > 0) throw problemsError(problems, { text, source, hint, where });
  return build(raw, source, opts.home);
}

function build(raw: RawAgentConfig, source: string, home: string): AgentConfig {
  const baseDir = dirname(source);
  const p = (value: string, key: string) => expandPath(value, { home, baseDir, key: `${source}: ${key}` });
  const ms = (value: string | undefined, fallback: string) => parseDuration(value ?? fallback);
  const podman = raw.agent.podman ?? "podman";
  const m = raw.monitor ?? {};
  return {
    path: source,
    server: {
      listen: raw.server.listen,
      tlsCert: p(raw.server.tls_cert, "server.tls_cert"),
      tlsKey: p(raw.server.tls_key, "server.tls_key"),
      clientCa: p(raw.server.client_ca ?? "", "server.client_ca"),
    },
    agent: {
      nodeName: raw.agent.node_name,
      srvRoot: p(raw.agent.srv_root ?? "/srv", "agent.srv_root"),
      runtime: "podman",
      // A bare name is looked up in PATH when spawned; anything path-like is resolved here.
      podman: podman.includes("/") || podman.startsWith("~") ? p(podman, "agent.podman") : podman,
      stopTimeoutMs: ms(raw.agent.stop_timeout, "10s"),
      podmanTimeoutMs: ms(raw.agent.podman_timeout, "60s"),
      pullTimeoutMs: ms(raw.agent.pull_timeout, "10m"),
      lockWaitMs: ms(raw.agent.lock_wait, "5m"),
      maxTransferBytes: parseSize(raw.agent.max_transfer ?? "16GiB"),
    },
    database: { path: p(raw.database.path, "database.path") },
    auth: { mode: raw.auth?.mode ?? "local" },
    mcias: raw.mcias
      ? { serverUrl: raw.mcias.server_url, caCert: p(raw.mcias.ca_cert ?? "", "mcias.ca_cert"), cacheTtlMs: ms(raw.mcias.cache_ttl, "30s") }
      : null,
    monitor: {
      resyncMs: ms(m.resync, "60s"),
      alertCommand: m.alert_command ?? [],
      cooldownMs: ms(m.cooldown, "15m"),
      flapThreshold: m.flap_threshold ?? 3,
      flapWindowMs: ms(m.flap_window, "10m"),
      retentionMs: ms(m.retention, "30d"),
      reconcile: m.reconcile ?? false,
      driftGraceMs: ms(m.drift_grace, "500ms"),
      onBoot: m.on_boot ?? "start",
      minProbeIntervalMs: ms(m.min_probe_interval, "10s"),
    },
    registries: (raw.registries ?? []).map((r, i) => ({
      host: r.host,
      username: r.username,
      passwordFile: p(r.password_file, `registries[${i}].password_file`),
      caCert: r.ca_cert ? p(r.ca_cert, `registries[${i}].ca_cert`) : "",
    })),
    policy: {
      hostPaths: (raw.policy?.host_paths ?? []).map((x, i) => p(x, `policy.host_paths[${i}]`)),
      hostNetwork: raw.policy?.host_network ?? false,
      devices: raw.policy?.devices ?? [],
      capabilities: raw.policy?.capabilities ?? [],
      maxArchiveBytes: parseSize(raw.policy?.max_archive_bytes ?? "20GiB"),
    },
    log: { level: raw.log?.level ?? "info" },
    ...buildOps(raw, p),
  };
}
