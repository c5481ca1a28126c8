import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  caCertFor, defaultCliConfigPath, findNode, parseCliConfig, readCliConfig, splitHostPort,
} from "../../src/config/index.ts";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/cli-config.toml");
const EXAMPLE = join(import.meta.dir, "../../examples/mcp.toml");
const HOME = "/home/op";

function failure(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

describe("defaultCliConfigPath (SPEC §6.3: the default is ~/.config/mcp/mcp.toml)", () => {
  test("HOME without XDG_CONFIG_HOME", () => {
    expect(defaultCliConfigPath({ HOME })).toBe("/home/op/.config/mcp/mcp.toml");
    expect(defaultCliConfigPath({ HOME, XDG_CONFIG_HOME: "" })).toBe("/home/op/.config/mcp/mcp.toml");
  });
  test("XDG_CONFIG_HOME wins when set to an absolute path", () => {
    expect(defaultCliConfigPath({ HOME, XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/mcp/mcp.toml");
    expect(defaultCliConfigPath({ HOME, XDG_CONFIG_HOME: "relative/xdg" })).toBe("/home/op/.config/mcp/mcp.toml");
  });
  test("neither set is an error that says what to do", () => {
    const err = failure(() => defaultCliConfigPath({}));
    expect(err.code).toBe("invalid_argument");
    expect(err.hint).toContain("--config");
  });
});

describe("parseCliConfig", () => {
  const path = "/home/op/.config/mcp/mcp.toml";

  test("an empty file gives the defaults, next to the config file", () => {
    const cfg = parseCliConfig("", path, { home: HOME });
    expect(cfg).toEqual({
      path,
      exists: true,
      configDir: "/home/op/.config/mcp",
      services: { dir: "/home/op/.config/mcp/services" },
      auth: { tokenPath: "/home/op/.config/mcp/token" },
      mcias: null,
      tls: { caCert: "/home/op/.config/mcp/ca.pem", clientCert: "", clientKey: "" },
      nodes: [],
    });
  });

  test("defaults follow the config file's directory, not HOME", () => {
    const cfg = parseCliConfig("", "/etc/mcp/cli.toml", { home: HOME });
    expect(cfg.auth.tokenPath).toBe("/etc/mcp/token");
    expect(cfg.services.dir).toBe("/etc/mcp/services");
    expect(cfg.tls.caCert).toBe("/etc/mcp/ca.pem");
  });

  test("the fixture: ~ expanded, relative paths against the file, node defaults", async () => {
    const cfg = parseCliConfig(await readFile(FIXTURE, "utf8"), "/cfg/mcp.toml", { home: HOME });
    expect(cfg.services.dir).toBe("/home/op/infra/services");
    expect(cfg.tls.caCert).toBe("/cfg/ca.pem");
    expect(cfg.auth.tokenPath).toBe("/cfg/token");
    expect(cfg.nodes).toEqual([
      { name: "rift", address: "100.95.252.120:9444", serverName: "rift", caCert: "", tokenPath: "" },
      { name: "vade", address: "[fd7a:115c:a1e0::1]:9444", serverName: "vade", caCert: "/home/op/certs/vade-ca.pem", tokenPath: "/cfg/tokens/vade" },
      { name: "orbit", address: "orbit.lan:9444", serverName: "orbit", caCert: "", tokenPath: "" },
    ]);
    expect(caCertFor(cfg, cfg.nodes[0]!)).toBe("/cfg/ca.pem");
    expect(caCertFor(cfg, cfg.nodes[1]!)).toBe("/home/op/certs/vade-ca.pem");
  });

  test("the example CLI config parses, with ~ in every path", async () => {
    const cfg = parseCliConfig(await readFile(EXAMPLE, "utf8"), "/x/mcp.toml", { home: HOME });
    expect(cfg.services.dir).toBe("/home/op/.config/mcp/services");
    expect(cfg.auth.tokenPath).toBe("/home/op/.config/mcp/token");
    expect(cfg.tls.caCert).toBe("/home/op/.config/mcp/ca.pem");
    expect(cfg.nodes.map((n) => n.name)).toEqual(["rift"]);
  });

  test("[mcias] with its defaults", () => {
    const cfg = parseCliConfig(`[mcias]\nserver_url = "https://mcias.example.net:8443"\n`, path, { home: HOME });
    expect(cfg.mcias).toEqual({ serverUrl: "https://mcias.example.net:8443", serviceName: "mcp", caCert: "" });
    const err = failure(() => parseCliConfig(`[mcias]\nserver_url = "http://mcias.example.net"\n`, path, { home: HOME }));
    expect(err.message).toStartWith(`${path}:2: mcias.server_url: "http://mcias.example.net" is not an https:// URL`);
  });

  test("~ with no HOME is refused, naming the key", () => {
    const err = failure(() => parseCliConfig(`[auth]\ntoken_path = "~/t"\n`, path, { home: "" }));
    expect(err.message).toBe(`${path}: auth.token_path: cannot expand "~": HOME is not set`);
  });

  test("unknown keys are errors with file, line and key", () => {
    const text = `[services]\ndir = "x"\n\n[[nodes]]\nname = "rift"\naddress = "h:1"\nservername = "rift"\n`;
    expect(failure(() => parseCliConfig(text, path, { home: HOME })).message).toBe(`${path}:7: nodes[0].servername: unknown key`);
    expect(failure(() => parseCliConfig(`[service]\ndir = "x"\n`, path, { home: HOME })).message).toBe(`${path}:1: service: unknown key`);
    expect(failure(() => parseCliConfig(`[tls]\nca = "x"\n`, path, { home: HOME })).message).toBe(`${path}:2: tls.ca: unknown key`);
  });

  test("nodes: names follow the rule, are unique, addresses are host:port, keys are required", () => {
    const msg = (text: string) => failure(() => parseCliConfig(text, path, { home: HOME })).message;
    expect(msg(`[[nodes]]\nname = "Rift"\naddress = "h:1"\n`)).toStartWith(`${path}:2: nodes[0].name: "Rift" is not a valid name (`);
    expect(msg(`[[nodes]]\nname = "a"\naddress = "h:1"\n[[nodes]]\nname = "a"\naddress = "h:2"\n`)).toBe(`${path}:5: nodes[1].name: "a" is already used by nodes[0]`);
    expect(msg(`[[nodes]]\nname = "a"\naddress = "h"\n`)).toStartWith(`${path}:3: nodes[0].address: "h" is not host:port`);
    expect(msg(`[[nodes]]\nname = "a"\n`)).toBe(`${path}:1: nodes[0].address is required`);
    expect(msg(`[[nodes]]\nname = "a"\naddress = "h:1"\nserver_name = ""\n`)).toStartWith(`${path}:4: nodes[0].server_name: must not be empty`);
  });

  test("syntax errors keep line and column", () => {
    expect(failure(() => parseCliConfig(`[tls]\nca_cert = \n`, path, { home: HOME })).message).toMatch(/^\/home\/op\/\.config\/mcp\/mcp\.toml:2:\d+: /);
  });
});

describe("splitHostPort", () => {
  test("accepts names, IPv4 and bracketed IPv6", () => {
    expect(splitHostPort("rift:9444")).toEqual({ host: "rift", port: 9444 });
    expect(splitHostPort("100.95.252.120:9444")).toEqual({ host: "100.95.252.120", port: 9444 });
    expect(splitHostPort("[fd00::1]:9444")).toEqual({ host: "fd00::1", port: 9444 });
    expect(splitHostPort("[::]:9444")).toEqual({ host: "::", port: 9444 });
  });
  test("refuses the rest", () => {
    for (const bad of ["rift", ":9444", "rift:", "rift:65536", "rift:0", "fd00::1:9444", "[rift]:1", "a b:1", "-x:1", "rift:9444 "]) {
      expect(splitHostPort(bad)).toBeNull();
    }
    expect(splitHostPort("127.0.0.1:0", { allowZero: true })).toEqual({ host: "127.0.0.1", port: 0 });
  });
});

describe("readCliConfig and findNode", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-cliconfig-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a missing file gives the defaults with exists = false", async () => {
    const cfg = await readCliConfig(join(dir, "none", "mcp.toml"), { home: HOME });
    expect(cfg.exists).toBe(false);
    expect(cfg.auth.tokenPath).toBe(join(dir, "none", "token"));
    expect(cfg.nodes).toEqual([]);
  });

  test("reads a file, relative paths against its directory", async () => {
    const path = join(dir, "mcp.toml");
    await writeFile(path, await readFile(FIXTURE));
    const cfg = await readCliConfig(path, { home: HOME });
    expect(cfg.exists).toBe(true);
    expect(cfg.configDir).toBe(dir);
    expect(cfg.tls.caCert).toBe(join(dir, "ca.pem"));
    expect(findNode(cfg, "vade").address).toBe("[fd7a:115c:a1e0::1]:9444");
  });

  test("an unreadable file is an error, not the defaults", async () => {
    // A directory where the file should be: unreadable even for root.
    const err = await readCliConfig(dir, { home: HOME }).catch((e: unknown) => e);
    expect(isMcpError(err, "invalid_argument")).toBe(true);
    expect((err as McpError).message).toBe(`${dir}: cannot read the CLI config (EISDIR)`);
  });

  test("findNode: unknown names list the configured ones, or say how to add one", async () => {
    const cfg = parseCliConfig(await readFile(FIXTURE, "utf8"), "/cfg/mcp.toml", { home: HOME });
    const err = failure(() => findNode(cfg, "nope"));
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toBe(`unknown node "nope"`);
    expect(err.hint).toContain("rift, vade, orbit");
    const empty = failure(() => findNode(parseCliConfig("", "/cfg/mcp.toml", { home: HOME }), "rift"));
    expect(empty.hint).toContain("mcp node add");
  });
});
