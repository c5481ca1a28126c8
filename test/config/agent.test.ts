import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAgentConfig, readAgentConfig, renderAgentConfig, type AgentConfig } from "../../src/config/index.ts";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";

const PATH = "/srv/mcp/mcp-agent.toml";
const HOME = "/srv/mcp";
const EXAMPLE = join(import.meta.dir, "../../examples/mcp-agent.toml");

const MINIMAL = `[server]
listen = "100.95.252.120:9444"
tls_cert = "/srv/mcp/certs/cert.pem"
tls_key = "/srv/mcp/certs/key.pem"

[agent]
node_name = "rift"

[database]
path = "/srv/mcp/mcp.db"
`;

function failure(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

const parse = (text: string, env: Record<string, string | undefined> = {}) => parseAgentConfig(text, PATH, { home: HOME, env });

const DEFAULTS: AgentConfig = {
  path: PATH,
  server: { listen: "100.95.252.120:9444", tlsCert: "/srv/mcp/certs/cert.pem", tlsKey: "/srv/mcp/certs/key.pem", clientCa: "" },
  agent: {
    nodeName: "rift", srvRoot: "/srv", runtime: "podman", podman: "podman",
    stopTimeoutMs: 10_000, podmanTimeoutMs: 60_000, pullTimeoutMs: 600_000, lockWaitMs: 300_000, maxTransferBytes: 16 * 1024 ** 3,
  },
  database: { path: "/srv/mcp/mcp.db" },
  auth: { mode: "local" },
  mcias: null,
  monitor: {
    resyncMs: 60_000, alertCommand: [], cooldownMs: 900_000, flapThreshold: 3, flapWindowMs: 600_000,
    retentionMs: 30 * 86_400_000, reconcile: false, driftGraceMs: 500, onBoot: "start", minProbeIntervalMs: 10_000,
  },
  registries: [],
  policy: { hostPaths: [], hostNetwork: false, devices: [], capabilities: [], maxArchiveBytes: 20 * 1024 ** 3 },
  log: { level: "info" },
  prune: { keep: 3 },
  metrics: null,
  notify: [],
};

describe("parseAgentConfig", () => {
  test("the required keys alone give every default of SPEC §3.2", () => {
    expect(parse(MINIMAL)).toEqual(DEFAULTS);
  });

  test("every required key, named when missing", () => {
    const cases: [string, string][] = [
      ['listen = "100.95.252.120:9444"\n', `${PATH}:1: server.listen is required`],
      ['tls_cert = "/srv/mcp/certs/cert.pem"\n', `${PATH}:1: server.tls_cert is required`],
      ['tls_key = "/srv/mcp/certs/key.pem"\n', `${PATH}:1: server.tls_key is required`],
      ['node_name = "rift"\n', `${PATH}:6: agent.node_name is required`],
      ['path = "/srv/mcp/mcp.db"\n', `${PATH}:9: database.path is required`],
    ];
    for (const [line, message] of cases) {
      const err = failure(() => parse(MINIMAL.replace(line, "")));
      expect(err.code).toBe("invalid_argument");
      expect(err.message).toBe(message);
    }
    // A missing section is reported as its first missing key.
    expect(failure(() => parse(MINIMAL.replace(/\[server\][^[]*/, ""))).message).toBe(`${PATH}: server.listen is required`);
    expect(failure(() => parse("")).message).toBe(`${PATH}: server.listen is required`);
    expect(failure(() => parse("")).hint).toBe(`4 more problems after this one; fix ${PATH} and start the agent again`);
  });

  test("a full file", () => {
    const text = `${MINIMAL.replace('node_name = "rift"', 'node_name = "rift"\nsrv_root = "~/srv"\npodman = "/usr/bin/podman"\nstop_timeout = "3s"\nlock_wait = "0s"')}
[auth]
mode = "mcias"

[mcias]
server_url = "https://mcias.example.net:8443"
ca_cert = "certs/ca.pem"

[monitor]
alert_command = ["/usr/local/bin/notify", "--urgent"]
flap_threshold = 5
reconcile = true

[[registries]]
host = "registry.example.net:8443"
username = "mcp-agent"
password_file = "registry-token"

[log]
level = "debug"
`;
    const cfg = parse(text);
    expect(cfg.agent).toEqual({ ...DEFAULTS.agent, srvRoot: "/srv/mcp/srv", podman: "/usr/bin/podman", stopTimeoutMs: 3000, lockWaitMs: 0 });
    expect(cfg.auth.mode).toBe("mcias");
    expect(cfg.mcias).toEqual({ serverUrl: "https://mcias.example.net:8443", caCert: "/srv/mcp/certs/ca.pem", cacheTtlMs: 30_000 });
    expect(cfg.monitor).toEqual({ ...DEFAULTS.monitor, alertCommand: ["/usr/local/bin/notify", "--urgent"], flapThreshold: 5, reconcile: true });
    expect(cfg.registries).toEqual([{ host: "registry.example.net:8443", username: "mcp-agent", passwordFile: "/srv/mcp/registry-token", caCert: "" }]);
    expect(cfg.log.level).toBe("debug");
  });

  test("paths: ~ expanded, relative against the config file, podman by name stays a name", () => {
    const text = MINIMAL.replace('"/srv/mcp/certs/cert.pem"', '"~/c/cert.pem"').replace('"/srv/mcp/mcp.db"', '"db/mcp.db"')
      .replace('node_name = "rift"', 'node_name = "rift"\npodman = "./bin/podman"');
    const cfg = parseAgentConfig(text, "/etc/mcp/agent.toml", { home: "/home/mcp", env: {} });
    expect(cfg.server.tlsCert).toBe("/home/mcp/c/cert.pem");
    expect(cfg.database.path).toBe("/etc/mcp/db/mcp.db");
    expect(cfg.agent.podman).toBe("/etc/mcp/bin/podman");
    expect(parse(MINIMAL).agent.podman).toBe("podman");
  });

  test("listen must be host:port; a wildcard only when written", () => {
    expect(failure(() => parse(MINIMAL.replace("100.95.252.120:9444", ":9444"))).message).toStartWith(`${PATH}:2: server.listen: ":9444" is not host:port`);
    expect(failure(() => parse(MINIMAL.replace("100.95.252.120:9444", "rift"))).message).toStartWith(`${PATH}:2: server.listen: "rift" is not host:port`);
    expect(parse(MINIMAL.replace("100.95.252.120:9444", "0.0.0.0:9444")).server.listen).toBe("0.0.0.0:9444");
    expect(parse(MINIMAL.replace("100.95.252.120:9444", "[::1]:0")).server.listen).toBe("[::1]:0");
  });

  test("unknown keys, bad values and the mcias rule, with lines", () => {
    const msg = (text: string) => failure(() => parse(text)).message;
    expect(msg(`${MINIMAL}\n[monitor]\nflap_treshold = 3\n`)).toBe(`${PATH}:13: monitor.flap_treshold: unknown key`);
    expect(msg(`${MINIMAL}\n[metricz]\n`)).toBe(`${PATH}:12: metricz: unknown key`);
    expect(msg(MINIMAL.replace('node_name = "rift"', 'node_name = "rift"\nruntime = "docker"'))).toBe(`${PATH}:8: agent.runtime: expected one of "podman", got "docker"`);
    expect(msg(`${MINIMAL}\n[monitor]\ncooldown = "15 minutes"\n`)).toStartWith(`${PATH}:13: monitor.cooldown: "15 minutes" is not a duration`);
    expect(msg(`${MINIMAL}\n[monitor]\nretention = "0d"\n`)).toBe(`${PATH}:13: monitor.retention: must be longer than 0`);
    expect(msg(`${MINIMAL}\n[monitor]\nflap_threshold = 0\n`)).toBe(`${PATH}:13: monitor.flap_threshold: must be at least 1`);
    expect(msg(`${MINIMAL}\n[log]\nlevel = "trace"\n`)).toBe(`${PATH}:13: log.level: expected one of "debug", "info", "warn", "error", got "trace"`);
    expect(msg(`${MINIMAL}\n[auth]\nmode = "mcias"\n`)).toBe(`${PATH}:13: auth.mode: "mcias" needs an [mcias] section with server_url`);
    expect(msg(`${MINIMAL}\n[[registries]]\nhost = "r"\nusername = "u"\n`)).toBe(`${PATH}:12: registries[0].password_file is required`);
    expect(msg(MINIMAL.replace('"rift"', '"Rift"'))).toStartWith(`${PATH}:7: agent.node_name: "Rift" is not a valid name (`);
  });
});

describe("environment overrides MCP_<SECTION>_<KEY>", () => {
  test("typed by the schema: strings, numbers, booleans, JSON arrays, durations", () => {
    const cfg = parse(MINIMAL, {
      MCP_SERVER_LISTEN: "127.0.0.1:19444",
      MCP_AGENT_NODE_NAME: "vade",
      MCP_LOG_LEVEL: "warn",
      MCP_MONITOR_FLAP_THRESHOLD: "7",
      MCP_MONITOR_RECONCILE: "true",
      MCP_MONITOR_ALERT_COMMAND: '["/usr/local/bin/notify", "--kind"]',
      MCP_MONITOR_COOLDOWN: "1h",
      MCP_DATABASE_PATH: "~/other.db",
    });
    expect(cfg.server.listen).toBe("127.0.0.1:19444");
    expect(cfg.agent.nodeName).toBe("vade");
    expect(cfg.log.level).toBe("warn");
    expect(cfg.monitor).toEqual({ ...DEFAULTS.monitor, flapThreshold: 7, reconcile: true, alertCommand: ["/usr/local/bin/notify", "--kind"], cooldownMs: 3_600_000 });
    expect(cfg.database.path).toBe("/srv/mcp/other.db");
  });

  test("they can supply a required key the file lacks", () => {
    expect(parse(MINIMAL.replace('path = "/srv/mcp/mcp.db"\n', ""), { MCP_DATABASE_PATH: "/var/lib/mcp.db" }).database.path).toBe("/var/lib/mcp.db");
  });

  test("variables of other sections are not ours (the alert command's own environment)", () => {
    expect(parse(MINIMAL, { MCP_ALERT_KIND: "drift", MCP_NODE: "rift", MCP_TIME: "x", HOME: "/x", PATH: "/bin" })).toEqual(DEFAULTS);
  });

  test("an unknown key of a known section is refused, naming the variable", () => {
    const err = failure(() => parse(MINIMAL, { MCP_SERVER_LISTN: "x:1" }));
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toBe(`environment variable MCP_SERVER_LISTN: [server] has no key "listn"`);
    expect(err.hint).toContain("MCP_SERVER_LISTEN");
    expect(failure(() => parse(MINIMAL, { MCP_REGISTRIES_HOST: "x" })).message).toContain("MCP_REGISTRIES_HOST");
  });

  test("a value of the wrong type is refused, naming the variable", () => {
    expect(failure(() => parse(MINIMAL, { MCP_MONITOR_FLAP_THRESHOLD: "many" })).message).toBe(`environment variable MCP_MONITOR_FLAP_THRESHOLD: "many" is not a number`);
    expect(failure(() => parse(MINIMAL, { MCP_MONITOR_RECONCILE: "maybe" })).message).toBe(`environment variable MCP_MONITOR_RECONCILE: "maybe" is not true or false`);
    expect(failure(() => parse(MINIMAL, { MCP_MONITOR_ALERT_COMMAND: "/bin/notify" })).message).toStartWith(`environment variable MCP_MONITOR_ALERT_COMMAND: "/bin/notify" is not a JSON array`);
  });

  test("a value that fails validation is reported against the variable, not the file", () => {
    expect(failure(() => parse(MINIMAL, { MCP_MONITOR_FLAP_THRESHOLD: "0" })).message).toBe("environment MCP_MONITOR_FLAP_THRESHOLD: monitor.flap_threshold: must be at least 1");
    expect(failure(() => parse(MINIMAL, { MCP_LOG_LEVEL: "loud" })).message).toStartWith("environment MCP_LOG_LEVEL: log.level: expected one of");
    expect(failure(() => parse(MINIMAL, { MCP_MONITOR_ALERT_COMMAND: "[1]" })).message).toBe("environment MCP_MONITOR_ALERT_COMMAND: monitor.alert_command[0]: expected a string, got 1");
  });
});

describe("renderAgentConfig", () => {
  test("what mcp agent init writes parses, with every default", () => {
    const text = renderAgentConfig({ nodeName: "rift", listen: "100.95.252.120:9444", dir: "/srv/mcp", srvRoot: "/srv" });
    expect(parseAgentConfig(text, "/srv/mcp/mcp-agent.toml", { home: HOME, env: {} })).toEqual(DEFAULTS);
  });

  test("other directories and an IPv6 listener", () => {
    const text = renderAgentConfig({ nodeName: "vade", listen: "[fd00::1]:9444", dir: "/var/lib/mcp agent", srvRoot: "/data/srv" });
    const cfg = parseAgentConfig(text, "/var/lib/mcp agent/mcp-agent.toml", { home: HOME, env: {} });
    expect(cfg.server).toEqual({ listen: "[fd00::1]:9444", tlsCert: "/var/lib/mcp agent/certs/cert.pem", tlsKey: "/var/lib/mcp agent/certs/key.pem", clientCa: "" });
    expect(cfg.database.path).toBe("/var/lib/mcp agent/mcp.db");
    expect(cfg.agent.srvRoot).toBe("/data/srv");
    expect(text).toContain("# [mcias]");
    expect(text).toContain("# [[registries]]");
  });

  test("examples/mcp-agent.toml is what init writes for rift", async () => {
    const text = renderAgentConfig({ nodeName: "rift", listen: "100.95.252.120:9444", dir: "/srv/mcp", srvRoot: "/srv" });
    expect(await readFile(EXAMPLE, "utf8")).toBe(text);
  });
});

describe("readAgentConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-agentconfig-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a missing file says how to create one", async () => {
    const path = join(dir, "mcp-agent.toml");
    const err = (await readAgentConfig(path, { home: HOME, env: {} }).catch((e: unknown) => e)) as McpError;
    expect(isMcpError(err, "invalid_argument")).toBe(true);
    expect(err.message).toBe(`${path}: no such file`);
    expect(err.hint).toContain("mcp agent init");
    expect(err.hint).toContain("--config");
  });

  test("reads and parses a file", async () => {
    const path = join(dir, "agent.toml");
    await writeFile(path, MINIMAL.replace('"/srv/mcp/mcp.db"', '"mcp.db"'));
    const cfg = await readAgentConfig(path, { home: HOME, env: { MCP_LOG_LEVEL: "error" } });
    expect(cfg.database.path).toBe(join(dir, "mcp.db"));
    expect(cfg.log.level).toBe("error");
  });
});

describe("renderAgentConfig: room for local settings", () => {
  test("a tuning key added under [agent] does not redefine one (the agent's keys beyond SPEC §3.2 are comments)", () => {
    const text = renderAgentConfig({ nodeName: "rift", listen: "127.0.0.1:9444", dir: "/srv/mcp", srvRoot: "/srv" })
      .replace(/^\[agent\]\n/m, '[agent]\nstop_timeout = "2s"\npodman = "/usr/bin/podman"\n');
    const cfg = parseAgentConfig(text, "/srv/mcp/mcp-agent.toml", { home: HOME, env: {} });
    expect(cfg.agent.stopTimeoutMs).toBe(2000);
    expect(cfg.agent.podman).toBe("/usr/bin/podman");
  });
});
