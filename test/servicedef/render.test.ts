import { describe, expect, test } from "bun:test";
import type { ServiceDef } from "../../src/model/index.ts";
import { parseServiceDef, serviceDefToToml } from "../../src/servicedef/index.ts";

describe("serviceDefToToml", () => {
  const full: ServiceDef = {
    name: "metacrypt",
    node: "rift",
    active: false,
    components: [
      {
        name: "api",
        image: "registry.example.net:8443/metacrypt:v1.0.0",
        network: "mcpnet",
        user: "0:0",
        restart: "unless-stopped",
        ports: ["127.0.0.1:18443:8443"],
        volumes: ["/srv/metacrypt:/srv/metacrypt"],
        cmd: ["server", "--config", "/srv/metacrypt/metacrypt.toml"],
        env: ["LOG_LEVEL=info", 'QUOTED="a \\ b"\ttab', "UNICODE=é✓"],
        health: { cmd: ["wget", "-qO-", "http://127.0.0.1:8443/healthz"], intervalMs: 1500, timeoutMs: 120_000, retries: 3 },
      },
      { name: "web", image: "nginx:1.27", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] },
    ],
  };

  test("round-trips through parseServiceDef", () => {
    const text = serviceDefToToml(full);
    expect(parseServiceDef(text, "metacrypt.toml", { expectName: "metacrypt" }).def).toEqual(full);
  });

  test("writes the layout of SPEC §2 with only non-empty fields", () => {
    const text = serviceDefToToml({ ...full, active: true, components: [full.components[1]!, { ...full.components[0]!, env: ["A=1"] }] });
    expect(text).toBe(`name = "metacrypt"
node = "rift"
active = true

[[components]]
name = "web"
image = "nginx:1.27"

[[components]]
name = "api"
image = "registry.example.net:8443/metacrypt:v1.0.0"
network = "mcpnet"
user = "0:0"
restart = "unless-stopped"
ports = ["127.0.0.1:18443:8443"]
volumes = ["/srv/metacrypt:/srv/metacrypt"]
cmd = ["server", "--config", "/srv/metacrypt/metacrypt.toml"]
env = ["A=1"]

[components.health]
cmd = ["wget", "-qO-", "http://127.0.0.1:8443/healthz"]
interval = "1500ms"
timeout = "2m"
retries = 3
`);
  });

  test("tabs and newlines (the control characters a command may hold) survive the round trip", () => {
    const def: ServiceDef = { ...full, components: [{ ...full.components[1]!, cmd: ["sh", "-c", "printf 'a\\nb'\n\techo"] }] };
    expect(parseServiceDef(serviceDefToToml(def), "<stdin>").def).toEqual(def);
  });
});
