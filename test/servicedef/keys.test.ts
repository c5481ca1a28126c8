// The component keys of SPEC §7.2, secrets (§7.3) and probes (§7.5) in definition files:
// parsed with located errors, normalized, rendered back, diffed, checked over the wire, ordered.
import { describe, expect, test } from "bun:test";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";
import {
  assertServiceDefValid, componentOrder, diffService, parseServiceDef, serviceDefToToml, specHash,
} from "../../src/servicedef/index.ts";
import type { ComponentSpec, ServiceDef } from "../../src/model/index.ts";

function failure(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

const HEAD = `name = "svc"\nnode = "rift"\n\n[[components]]\nname = "api"\nimage = "r/svc:v1"\n`;

const FULL = `name = "svc"
node = "rift"
after = ["db-svc"]

[[components]]
name = "db"
image = "r/db:v1"

[[components]]
name = "api"
image = "r/svc:v1"
env = ["LOG=info"]
entrypoint = ["/bin/app", "--serve"]
init = true
stop_signal = "int"
stop_timeout = "30s"
memory = "256M"
cpus = 0.5
pids_limit = 200
read_only = true
tmpfs = ["/tmp", "/run/app:size=64m,mode=1777", "/run/secrets"]
cap_drop = ["ALL"]
cap_add = ["cap_net_bind_service"]
hostname = "api"
workdir = "/app"
devices = ["/dev/fuse"]
after = ["db"]

[components.health]
http = "http://127.0.0.1:8080/healthz"
start_period = "5s"

[components.labels]
tier = "gold"
"org.example.team" = "core"

[[components.secrets]]
name = "db_password"
env = "DB_PASSWORD"

[[components.secrets]]
name = "tls-key"
file = "/run/secrets/tls.key"
`;

describe("the §7.2 keys in a definition", () => {
  test("every key parses, normalized: canonical signal, capabilities and memory; probes; secrets; the service's after", () => {
    const { def } = parseServiceDef(FULL, "svc.toml", { expectName: "svc" });
    expect(def.after).toEqual(["db-svc"]);
    expect(def.components[0]).toEqual({ name: "db", image: "r/db:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
    expect(def.components[1]).toEqual({
      name: "api", image: "r/svc:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: ["LOG=info"],
      entrypoint: ["/bin/app", "--serve"], init: true, stopSignal: "SIGINT", stopTimeoutMs: 30_000, memory: "256m", cpus: 0.5,
      pidsLimit: 200, readOnly: true, tmpfs: ["/tmp", "/run/app:size=64m,mode=1777", "/run/secrets"], capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"],
      hostname: "api", workdir: "/app", devices: ["/dev/fuse"], after: ["db"],
      health: { cmd: [], http: "http://127.0.0.1:8080/healthz", intervalMs: 2000, timeoutMs: 2000, retries: 15, startPeriodMs: 5000 },
      labels: { tier: "gold", "org.example.team": "core" },
      secrets: [{ name: "db_password", env: "DB_PASSWORD" }, { name: "tls-key", file: "/run/secrets/tls.key" }],
    });
  });

  test("rendered back (service show/export) it parses to the same definition, and the agent's wire check accepts it", () => {
    const { def } = parseServiceDef(FULL, "svc.toml");
    const text = serviceDefToToml(def);
    expect(text).toContain('[components.labels]\ntier = "gold"\n"org.example.team" = "core"');
    expect(text).toContain('[[components.secrets]]\nname = "tls-key"\nfile = "/run/secrets/tls.key"');
    expect(parseServiceDef(text, "out.toml").def).toEqual(def);
    expect(() => assertServiceDefValid(def)).not.toThrow();
  });

  test("a definition without them has none of them: its spec hashes as before they existed", () => {
    const { def } = parseServiceDef(HEAD, "svc.toml");
    expect(Object.keys(def.components[0]!).sort()).toEqual(["cmd", "env", "image", "name", "network", "ports", "restart", "user", "volumes"]);
    expect(def.after).toBeUndefined();
    // The hash of this exact spec before issue 16 (the keys are absent, not empty).
    expect(specHash(def.components[0]!)).toBe(specHash({ name: "api", image: "r/svc:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] }));
  });

  test("entrypoint = [] is kept (it clears the image's entrypoint); empty lists and tables are the same as none", () => {
    const { def } = parseServiceDef(`${HEAD}entrypoint = []\ntmpfs = []\ncap_add = []\n\n[components.labels]\n`, "svc.toml");
    expect(def.components[0]!.entrypoint).toEqual([]);
    expect("tmpfs" in def.components[0]!).toBe(false);
    expect("capAdd" in def.components[0]!).toBe(false);
    expect("labels" in def.components[0]!).toBe(false);
    expect(parseServiceDef(serviceDefToToml(def), "x.toml").def).toEqual(def);
  });

  test("a cmd probe and a tcp probe; start_period 0s is the same as none", () => {
    const tcp = parseServiceDef(`${HEAD}\n[components.health]\ntcp = "[::1]:5432"\nstart_period = "0s"\n`, "svc.toml").def.components[0]!.health;
    expect(tcp).toEqual({ cmd: [], tcp: "[::1]:5432", intervalMs: 2000, timeoutMs: 2000, retries: 15 });
    const cmd = parseServiceDef(`${HEAD}\n[components.health]\ncmd = ["true"]\n`, "svc.toml").def.components[0]!.health;
    expect(cmd).toEqual({ cmd: ["true"], intervalMs: 2000, timeoutMs: 2000, retries: 15 });
  });
});

describe("bad keys are located errors", () => {
  const cases: [string, string, string][] = [
    ['memory = "5m"', "svc.toml:7: components[0].memory", "less than podman's minimum of 6m"],
    ['memory = "lots"', "svc.toml:7: components[0].memory", "is not a memory size"],
    ['stop_signal = "SIGNOPE"', "svc.toml:7: components[0].stop_signal", "is not a signal name"],
    ['stop_timeout = "1500ms"', "svc.toml:7: components[0].stop_timeout", "must be whole seconds"],
    ["cpus = 0", "svc.toml:7: components[0].cpus", "must be more than 0"],
    ["pids_limit = 0", "svc.toml:7: components[0].pids_limit", "-1 (no limit) or 1 to 4194304"],
    ['cap_add = ["NET_BIND_SERVIC"]', "svc.toml:7: components[0].cap_add[0]", "is not a Linux capability"],
    ['tmpfs = ["/tmp:size=1m,exec=yes"]', "svc.toml:7: components[0].tmpfs[0]", "is not a tmpfs option"],
    ['tmpfs = ["/tmp/../etc"]', "svc.toml:7: components[0].tmpfs[0]", "normal form"],
    ['devices = ["/etc/passwd"]', "svc.toml:7: components[0].devices[0]", "is not a path under /dev"],
    ['hostname = "-bad"', "svc.toml:7: components[0].hostname", "is not a hostname"],
    ['workdir = "app"', "svc.toml:7: components[0].workdir", "is not an absolute path"],
    ['after = ["api"]', "svc.toml:7: components[0].after[0]", "is this component itself"],
    ['after = ["db"]', "svc.toml:7: components[0].after[0]", "is not a component of service svc"],
    ["init = 1", "svc.toml:7: components[0].init", "expected true or false"],
    ["labels = { \"mcp.service\" = \"other\" }", "svc.toml:7: components[0].labels", "mcp.* labels are mcp's own"],
  ];
  for (const [line, where, what] of cases) {
    test(line, () => {
      const e = failure(() => parseServiceDef(`${HEAD}${line}\n`, "svc.toml"));
      expect(e.message.startsWith(`${where}`)).toBe(true);
      expect(e.message).toContain(what);
    });
  }

  test("a cycle of after is named", () => {
    const text = `name = "svc"\nnode = "rift"\n\n[[components]]\nname = "a"\nimage = "r/a:v1"\nafter = ["b"]\n\n[[components]]\nname = "b"\nimage = "r/b:v1"\nafter = ["a"]\n`;
    expect(failure(() => parseServiceDef(text, "svc.toml")).message).toBe("svc.toml:7: components[0].after: after forms a cycle: a → b → a");
  });

  test("two probes are refused at the second; an http probe with credentials too", () => {
    const two = failure(() => parseServiceDef(`${HEAD}\n[components.health]\ncmd = ["true"]\ntcp = "127.0.0.1:1"\n`, "svc.toml"));
    expect(two.message).toBe("svc.toml:10: components[0].health.tcp: is a second probe (cmd and tcp): give exactly one of cmd, http, tcp");
    const creds = failure(() => parseServiceDef(`${HEAD}\n[components.health]\nhttp = "http://u:p@127.0.0.1/"\n`, "svc.toml"));
    expect(creds.message).toContain("components[0].health.http: must not carry credentials");
    expect(creds.message).not.toContain("u:p");
  });

  test("secrets: hostile names, both or neither target, a target given twice or also in env", () => {
    const secret = (body: string) => failure(() => parseServiceDef(`${HEAD}env = ["DB=x"]\n\n[[components.secrets]]\n${body}\n`, "svc.toml")).message;
    for (const name of ["../other/x", "a.b", "a/b", "", "x".repeat(65), "a\u0007b", "-x"]) {
      expect(secret(`name = ${JSON.stringify(name)}\nenv = "X"`)).toContain("components[0].secrets[0].name: ");
    }
    expect(secret(`name = "a"\nenv = "X"\nfile = "/run/secrets/a"`)).toBe("svc.toml:9: components[0].secrets[0]: secret a needs exactly one of env (a variable) or file (a path in the container)");
    expect(secret(`name = "a"`)).toContain("needs exactly one of env");
    expect(secret(`name = "a"\nenv = "DB"`)).toBe("svc.toml:11: components[0].secrets[0].env: DB is also set in env: give it one source");
    expect(secret(`name = "a"\nfile = "/run/secrets/a,uid=0"`)).toContain("is not an absolute path in normal form");
    expect(secret(`name = "a"\nfile = "/run/../etc/shadow"`)).toContain("is not an absolute path in normal form");
    const twice = failure(() => parseServiceDef(`${HEAD}\n[[components.secrets]]\nname = "a"\nenv = "X"\n\n[[components.secrets]]\nname = "b"\nenv = "X"\n`, "svc.toml"));
    expect(twice.message).toBe("svc.toml:14: components[0].secrets[1].env: env X is already given by secrets[0]");
  });

  test("a secret file in a read-only container needs a tmpfs of its directory (podman 4.3 cannot make the mount point otherwise)", () => {
    const e = failure(() => parseServiceDef(`${HEAD}read_only = true\ntmpfs = ["/run"]\n\n[[components.secrets]]\nname = "a"\nfile = "/run/secrets/a"\n`, "svc.toml"));
    expect(e.message).toBe('svc.toml:12: components[0].secrets[0].file: with read_only = true podman can put a secret file only in a tmpfs of its own directory: add tmpfs = ["/run/secrets"]');
  });

  test("a tmpfs on a volume's target is refused", () => {
    const e = failure(() => parseServiceDef(`${HEAD}volumes = ["data:/data"]\ntmpfs = ["/data"]\n`, "svc.toml"));
    expect(e.message).toBe("svc.toml:8: components[0].tmpfs[0]: /data is already mounted by volumes[0]");
  });

  test("a label name with dots must be quoted; the message says so", () => {
    const e = failure(() => parseServiceDef(`${HEAD}\n[components.labels]\norg.example = "x"\n`, "svc.toml"));
    expect(e.message).toBe(`svc.toml:8: components[0].labels.org: must be a string (quote a label name that has dots: "org.example.team" = "…")`);
  });

  test("the service's after: itself, twice", () => {
    expect(failure(() => parseServiceDef(`name = "svc"\nnode = "rift"\nafter = ["svc"]\n\n[[components]]\nname = "a"\nimage = "r/a:v1"\n`, "svc.toml")).message)
      .toBe('svc.toml:3: after[0]: "svc" is this service itself');
  });
});

describe("the agent's check of a definition sent over the wire", () => {
  const base = (): ServiceDef => parseServiceDef(FULL, "svc.toml").def;
  const bad: [string, (c: ComponentSpec) => void, string][] = [
    ["stop timeout not whole seconds", (c) => void (c.stopTimeoutMs = 1500), "components[1].stop_timeout"],
    ["cpus NaN", (c) => void (c.cpus = Number.NaN), "components[1].cpus"],
    ["a reserved label", (c) => void (c.labels = { "mcp.spec": "x" }), "components[1].labels"],
    ["a secret named into another service", (c) => void (c.secrets = [{ name: "../b/x", env: "X" }]), "components[1].secrets[0].name"],
    ["a secret without a target", (c) => void (c.secrets = [{ name: "x" }]), "components[1].secrets[0]"],
    ["a device outside /dev", (c) => void (c.devices = ["/srv/mcp/mcp.db"]), "components[1].devices[0]"],
    ["a probe-less health", (c) => void (c.health = { cmd: [], intervalMs: 1000, timeoutMs: 1000, retries: 1 }), "components[1].health"],
    ["an after naming no component", (c) => void (c.after = ["nope"]), "components[1].after[0]"],
    ["a stop signal that is none", (c) => void (c.stopSignal = "SIGFOO"), "components[1].stop_signal"],
  ];
  for (const [what, spoil, key] of bad) {
    test(what, () => {
      const def = base();
      spoil(def.components[1]!);
      const e = failure(() => assertServiceDefValid(def));
      expect(e.code).toBe("invalid_argument");
      expect(e.message.startsWith(`service "svc": ${key}`)).toBe(true);
    });
  }
});

describe("componentOrder", () => {
  const c = (name: string, after?: string[]) => ({ name, ...(after ? { after } : {}) });
  test("definition order where after leaves a choice; each after those it names", () => {
    const order = componentOrder({ name: "s", components: [c("web", ["api"]), c("api", ["db"]), c("db"), c("cache")] });
    expect(order.map((x) => x.name)).toEqual(["db", "api", "web", "cache"]);
    expect(componentOrder({ name: "s", components: [c("a"), c("b"), c("c")] }).map((x) => x.name)).toEqual(["a", "b", "c"]);
  });
  test("a cycle is an invalid_argument naming it", () => {
    const e = failure(() => componentOrder({ name: "s", components: [c("a", ["c"]), c("b", ["a"]), c("c", ["b"])] }));
    expect(e.message).toBe("service s: after forms a cycle: a → c → b → a");
  });
});

describe("diff of the keys", () => {
  test("scalars added, changed, removed; sets, labels and secrets entry by entry", () => {
    const deployed = parseServiceDef(FULL, "svc.toml").def;
    const local = structuredClone(deployed);
    const api = local.components[1]!;
    api.memory = "512m";
    delete api.init;
    api.labels = { tier: "silver", "org.example.team": "core" };
    api.secrets = [{ name: "db_password", file: "/run/secrets/db" }, api.secrets![1]!];
    api.capAdd = [];
    const changes = diffService(local, deployed).map((c) => `${c.field} ${c.kind} ${c.from ?? ""}|${c.to ?? ""}`);
    expect(changes).toEqual([
      "init removed true|",
      "memory changed 256m|512m",
      "cap_add removed NET_BIND_SERVICE|",
      "labels added |tier=silver",
      "labels removed tier=gold|",
      "secrets added |db_password → file /run/secrets/db",
      "secrets removed db_password → env DB_PASSWORD|",
    ]);
  });
});
