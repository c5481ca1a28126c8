import { join } from "node:path";
import { tomlString } from "./_toml.ts";

/** What `mcp agent init` knows when it writes the agent config. */
export interface AgentConfigTemplate {
  nodeName: string;
  /** host:port the agent serves on; written as given (never a default wildcard). */
  listen: string;
  /** The agent's directory (default /srv/mcp): certs/, mcp.db and the config live here. */
  dir: string;
  srvRoot: string;
}

/**
 * Renders the commented agent config that `mcp agent init` writes to
 * `<dir>/mcp-agent.toml`: every section and key of SPEC §3.2 with its
 * default; the agent's tuning keys (podman, timeouts, lock_wait) as
 * commented-out defaults, so a line added under `[agent]` never redefines
 * one; `[mcias]` and `[[registries]]` as commented-out examples. The result
 * parses with parseAgentConfig when the inputs are valid.
 */
export function renderAgentConfig(opts: AgentConfigTemplate): string {
  const q = tomlString;
  const certs = join(opts.dir, "certs");
  return `# mcp agent configuration, written by \`mcp agent init\`.
# Any key can be overridden from the environment as MCP_<SECTION>_<KEY>, e.g.
# MCP_LOG_LEVEL=debug or MCP_MONITOR_ALERT_COMMAND='["/usr/local/bin/notify"]'.
# Durations: 500ms, 2s, 15m, 24h, 30d.

[server]
listen = ${q(opts.listen)}${pad(opts.listen)}# host:port; 0.0.0.0 only if you mean every interface
tls_cert = ${q(join(certs, "cert.pem"))}
tls_key = ${q(join(certs, "key.pem"))}
client_ca = ""                   # set → mutual TLS required

[agent]
node_name = ${q(opts.nodeName)}
srv_root = ${q(opts.srvRoot)}${pad(opts.srvRoot, 11)}# service data dirs live at <srv_root>/<service>
runtime = "podman"
# Tuning, shown with the defaults:
# podman = "podman"              # the podman binary: a name looked up in PATH, or a path
# stop_timeout = "10s"           # grace before podman kills a stopping container
# podman_timeout = "60s"         # deadline of each podman call (pulls excepted)
# pull_timeout = "10m"           # deadline of one image pull
# lock_wait = "5m"               # how long an operation waits for another one on the same service
# max_transfer = "16GiB"         # the largest file a push writes, or archive a restore takes

[database]
path = ${q(join(opts.dir, "mcp.db"))}

[auth]
mode = "local"                   # "local" (tokens issued by this agent) or "mcias"

# [mcias]                        # needed when mode = "mcias"
# server_url = "https://mcias.example.net:8443"
# ca_cert = ${q(join(certs, "mcias-ca.pem"))}
# cache_ttl = "30s"

[monitor]
resync = "60s"                   # full listing, besides the live event stream
alert_command = []               # argv, run without a shell; empty = log only
cooldown = "15m"                 # at most one alert per component per cooldown
flap_threshold = 3               # state changes within flap_window that count as flapping
flap_window = "10m"
retention = "30d"                # events older than this are pruned
reconcile = false                # true = the agent restarts drifted containers itself
# drift_grace = "500ms"          # a drift must last this long to be alerted (restart policies are quick)
on_boot = "start"                # at the agent's start: "start" what is desired running but stopped, or only "alert"
# min_probe_interval = "10s"     # health probes keep running after a deploy's gate, at most this often

# [[registries]]                 # credentials for image pulls; one block per registry
# host = "registry.example.net:8443"
# username = "mcp-agent"
# password_file = ${q(join(opts.dir, "registry-token"))}
# ca_cert = "/etc/mcp/registry-ca.pem"  # only for a registry whose certificate a private CA signed

# [prune]                        # mcp node prune
# keep = 3                       # successful deployments per component whose images a prune keeps

# [metrics]                      # Prometheus endpoint; off while absent
# listen = "127.0.0.1:9464"      # HTTPS with this agent's certificate; GET /metrics with a viewer token

# [[notify]]                     # every alert (drift, flapping, unhealthy, recovered); one block per channel
# url = "https://ntfy.example.net/ops"   # https (http only to a loopback address)
# kind = "ntfy"                  # "webhook" (the alert as JSON) or "ntfy" (the message; title, priority, tags)
# token_file = ${q(join(opts.dir, "ntfy-token"))}  # sent as Authorization: Bearer, read at each send
# timeout = "10s"                # per try; 5 tries with backoff, then that channel gives the alert up

[policy]                         # what containers may reach on this host (SPEC §7.1); admin-owned
host_paths = []                  # extra host directories volumes may mount, besides each
                                 # service's own srv_root/<service>/ and named volumes
host_network = false             # network = "host", container:/ns: modes and mode options
devices = []                     # host devices a component may name
capabilities = []                # what cap_add may add beyond podman's defaults (e.g. "NET_ADMIN"; "ALL" for any)
max_archive_bytes = "20GiB"      # restore: the largest total size of an archive's files

[log]
level = "info"                   # debug, info, warn, error
`;
}

/** Spaces that line a trailing comment up with the others (column 34), at least one. */
function pad(value: string, keyWidth = 9): string {
  return " ".repeat(Math.max(1, 33 - keyWidth - tomlString(value).length));
}
