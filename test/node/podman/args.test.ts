import { describe, expect, test } from "bun:test";
import {
  eventsArgs,
  envArgs,
  imageInspectArgs,
  inspectArgs,
  labelArgs,
  logsArgs,
  networkArgs,
  portArgs,
  psArgs,
  pullArgs,
  restartArgs,
  restartPolicyArgs,
  rmArgs,
  runArgs,
  startArgs,
  stopArgs,
  userArgs,
  versionArgs,
  volumeArgs,
  waitArgs,
} from "../../../src/node/podman/args.ts";
import { isMcpError } from "../../../src/lib/errors.ts";
import type { ContainerSpec } from "../../../src/node/runtime/types.ts";

const bare: ContainerSpec = {
  name: "metacrypt-api",
  image: "registry.example.net:8443/metacrypt:v1.0.0",
  labels: {},
  network: "",
  user: "",
  restart: "",
  ports: [],
  volumes: [],
  cmd: [],
  env: [],
};

describe("runArgs", () => {
  test("a bare spec gives only name, the no-pull guard and the image", () => {
    expect(runArgs(bare)).toEqual([
      "run", "-d", "--name", "metacrypt-api", "--pull", "never",
      "registry.example.net:8443/metacrypt:v1.0.0",
    ]);
  });

  test("a full spec gives every flag in the fixed order, labels sorted by key", () => {
    const spec: ContainerSpec = {
      ...bare,
      labels: { "mcp.spec": "abc123", "mcp.component": "api", "mcp.node": "rift", "mcp.service": "metacrypt" },
      network: "mcpnet",
      user: "0:0",
      restart: "unless-stopped",
      ports: ["127.0.0.1:18443:8443", "9000:9000/udp"],
      volumes: ["/srv/metacrypt:/srv/metacrypt", "data:/data:ro"],
      cmd: ["server", "--config", "/srv/metacrypt/metacrypt.toml"],
      env: ["LOG_LEVEL=info", "TOKEN=s3cret"],
    };
    expect(runArgs(spec)).toEqual([
      "run", "-d", "--name", "metacrypt-api", "--pull", "never",
      "--label", "mcp.component=api",
      "--label", "mcp.node=rift",
      "--label", "mcp.service=metacrypt",
      "--label", "mcp.spec=abc123",
      "--network", "mcpnet",
      "--user", "0:0",
      "--restart", "unless-stopped",
      "-p", "127.0.0.1:18443:8443",
      "-p", "9000:9000/udp",
      "-v", "/srv/metacrypt:/srv/metacrypt",
      "-v", "data:/data:ro",
      "-e", "LOG_LEVEL=info",
      "-e", "TOKEN=s3cret",
      "registry.example.net:8443/metacrypt:v1.0.0",
      "server", "--config", "/srv/metacrypt/metacrypt.toml",
    ]);
  });

  test("only the fields that are set give flags", () => {
    expect(runArgs({ ...bare, user: "1000", cmd: ["sh", "-c", "echo 'a b' && exit 0"] })).toEqual([
      "run", "-d", "--name", "metacrypt-api", "--pull", "never",
      "--user", "1000",
      "registry.example.net:8443/metacrypt:v1.0.0",
      "sh", "-c", "echo 'a b' && exit 0",
    ]);
    expect(runArgs({ ...bare, restart: "on-failure:3", env: ["A="] })).toEqual([
      "run", "-d", "--name", "metacrypt-api", "--pull", "never",
      "--restart", "on-failure:3",
      "-e", "A=",
      "registry.example.net:8443/metacrypt:v1.0.0",
    ]);
  });

  test("a name or image that podman would read as a flag is refused", () => {
    for (const bad of [{ ...bare, image: "--privileged" }, { ...bare, name: "" }, { ...bare, name: "-x" }]) {
      let err: unknown;
      try {
        runArgs(bad);
      } catch (e) {
        err = e;
      }
      expect(isMcpError(err, "invalid_argument")).toBe(true);
    }
  });
});

describe("fragments", () => {
  test("empty inputs give no flags", () => {
    expect([labelArgs({}), portArgs([]), volumeArgs([]), envArgs([]), networkArgs(""), userArgs(""), restartPolicyArgs("")]).toEqual([
      [], [], [], [], [], [], [],
    ]);
  });

  test("each value becomes one flag and one separate argument", () => {
    expect(labelArgs({ b: "2", a: "x=y" })).toEqual(["--label", "a=x=y", "--label", "b=2"]);
    expect(portArgs(["1:2", "3:4"])).toEqual(["-p", "1:2", "-p", "3:4"]);
    expect(volumeArgs(["/a b:/c"])).toEqual(["-v", "/a b:/c"]);
    expect(envArgs(["K=v w"])).toEqual(["-e", "K=v w"]);
    expect(networkArgs("host")).toEqual(["--network", "host"]);
    expect(userArgs("mcp")).toEqual(["--user", "mcp"]);
    expect(restartPolicyArgs("always")).toEqual(["--restart", "always"]);
  });
});

describe("verbs", () => {
  test("pull", () => {
    expect(pullArgs("r/x:1")).toEqual(["pull", "--quiet", "r/x:1"]);
    expect(pullArgs("r/x:1", { authFile: "/srv/mcp/auth.json" })).toEqual(["pull", "--quiet", "--authfile", "/srv/mcp/auth.json", "r/x:1"]);
    expect(pullArgs("r/x:1", { authFile: "/a.json", certDir: "/certs/r" })).toEqual(["pull", "--quiet", "--authfile", "/a.json", "--cert-dir", "/certs/r", "r/x:1"]);
  });

  test("ps, with label filters sorted by key", () => {
    expect(psArgs()).toEqual(["ps", "-a", "--format", "json"]);
    expect(psArgs({})).toEqual(["ps", "-a", "--format", "json"]);
    expect(psArgs({ "mcp.service": "metacrypt", "mcp.node": "rift" })).toEqual([
      "ps", "-a", "--format", "json", "--filter", "label=mcp.node=rift", "--filter", "label=mcp.service=metacrypt",
    ]);
  });

  test("inspect, image inspect, start, version", () => {
    expect(inspectArgs("c1")).toEqual(["container", "inspect", "--format", "json", "c1"]);
    expect(imageInspectArgs("r/x:1")).toEqual(["image", "inspect", "--format", "json", "r/x:1"]);
    expect(startArgs("c1")).toEqual(["start", "c1"]);
    expect(versionArgs()).toEqual(["version", "--format", "json"]);
  });

  test("stop, restart and rm carry whole seconds", () => {
    expect(stopArgs("c1", 10)).toEqual(["stop", "-t", "10", "c1"]);
    expect(stopArgs("c1", 0.2)).toEqual(["stop", "-t", "1", "c1"]);
    expect(stopArgs("c1", -5)).toEqual(["stop", "-t", "0", "c1"]);
    expect(restartArgs("c1", 3)).toEqual(["restart", "-t", "3", "c1"]);
    expect(rmArgs("c1")).toEqual(["rm", "-f", "-t", "10", "c1"]);
    expect(rmArgs("c1", 0)).toEqual(["rm", "-f", "-t", "0", "c1"]);
  });
});

describe("logsArgs and waitArgs", () => {
  test("logs: --tail only for a positive whole count (0 = all), --follow only when following", () => {
    expect(logsArgs("c1", { tail: 0, follow: false })).toEqual(["logs", "c1"]);
    expect(logsArgs("c1", { tail: 20, follow: false })).toEqual(["logs", "--tail", "20", "c1"]);
    expect(logsArgs("c1", { tail: 2.7, follow: true })).toEqual(["logs", "--tail", "2", "--follow", "c1"]);
    expect(logsArgs("c1", { tail: -3, follow: true })).toEqual(["logs", "--follow", "c1"]);
    expect(logsArgs("c1", { tail: Number.NaN, follow: false })).toEqual(["logs", "c1"]);
  });

  test("wait, and both refuse a name podman would read as a flag", () => {
    expect(waitArgs("c1")).toEqual(["wait", "c1"]);
    for (const build of [() => logsArgs("--all", { tail: 1, follow: false }), () => waitArgs("-l")]) {
      try {
        build();
        throw new Error("expected a refusal");
      } catch (err) {
        expect(isMcpError(err, "invalid_argument")).toBe(true);
      }
    }
  });
});

describe("eventsArgs", () => {
  test("streams container events as JSON from a given time (no replay of old events)", () => {
    expect(eventsArgs(Date.UTC(2026, 10, 23, 22, 14, 6, 500))).toEqual([
      "events", "--format", "json", "--filter", "type=container", "--since", "2026-11-23T22:14:06.500Z",
    ]);
  });
});
