import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { mapState, parseImageInspect, parseInspect, parseLogTarget, parsePs, parseTime, parseVersion } from "../../../src/node/podman/parse.ts";
import { McpError } from "../../../src/lib/errors.ts";

/** Fixtures captured from podman 4.3.1 by test/podman/fixtures/capture.ts. */
const fixture = (name: string) => Bun.file(join(import.meta.dir, "fixtures", name)).text();

function failure(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

describe("parsePs (real podman output)", () => {
  test("maps every container, Command as an array, null Labels as {}", async () => {
    const ps = parsePs(await fixture("ps.json"));
    expect(ps.map((c) => [c.name, c.state, c.exitCode])).toEqual([
      ["mcpfix-full", "running", 0],
      ["mcpfix-exited", "exited", 3],
      ["mcpfix-created", "created", 0],
    ]);
    const [full, exited, created] = ps;
    expect(full?.command).toEqual(["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]);
    expect(full?.labels).toEqual({ "mcp.component": "api", "mcp.service": "fix" });
    expect(full?.image).toBe("localhost/mcp-test/busybox:v1");
    expect(full?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(full?.imageId).toMatch(/^[0-9a-f]{64}$/);
    expect(full?.startedAt).toBeGreaterThan(Date.parse("2020-01-01"));
    expect(full?.startedAt! % 1000).toBe(0);
    expect(exited?.labels).toEqual({});
    expect(exited?.command).toEqual(["sh", "-c", "exit 3"]);
    expect(created?.startedAt).toBe(0);
  });

  test("an empty list is no containers", () => {
    expect(parsePs("[]")).toEqual([]);
  });

  test("a null Command is []", () => {
    const raw = [{ Id: "a", Names: ["n"], Image: "i", ImageID: "x", State: "running", Labels: null, Command: null, StartedAt: 5, ExitCode: 0 }];
    expect(parsePs(JSON.stringify(raw))[0]?.command).toEqual([]);
  });

  test("Command as a string (an old format) fails loudly, naming the field", () => {
    const raw = [{ Id: "a", Names: ["n"], Image: "i", ImageID: "x", State: "running", Labels: {}, Command: "sh -c x", StartedAt: 5, ExitCode: 0 }];
    const err = failure(() => parsePs(JSON.stringify(raw)));
    expect(err.code).toBe("internal");
    expect(err.message).toContain("podman's output format was not understood");
    expect(err.message).toContain("[0].Command");
  });

  test("a missing required field fails naming it", () => {
    const err = failure(() => parsePs(JSON.stringify([{ Id: "a", Names: ["n"] }])));
    expect(err.message).toContain("podman ps field [0].Image");
  });

  test("not JSON fails internal; no output fails unavailable", () => {
    expect(failure(() => parsePs("Error: boom")).code).toBe("internal");
    expect(failure(() => parsePs("  \n")).code).toBe("unavailable");
  });
});

describe("parseInspect (real podman output)", () => {
  test("round-trips every field of the run command", async () => {
    const d = parseInspect(await fixture("inspect-full.json"));
    expect(d).not.toBeNull();
    expect(d).toMatchObject({
      name: "mcpfix-full",
      image: "localhost/mcp-test/busybox:v1",
      state: "running",
      exitCode: 0,
      labels: { "mcp.component": "api", "mcp.service": "fix" },
      network: "mcpfix-net",
      user: "0:0",
      restart: "on-failure:3",
      cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
      imageEnv: [],
      health: "",
    });
    // podman keeps neither the order of -e nor of -v/-p.
    expect(d?.env.toSorted()).toEqual(["EMPTY=", "FOO=bar", "PATH=/bin"]);
    expect(d?.ports.toSorted()).toEqual(["127.0.0.1:38081:8080", "38082:8081/udp", "38083:8082"]);
    expect(d?.volumes.toSorted()).toEqual(["/tmp/mcpfix-bind:/data:ro", "mcpfix-named:/named"]);
    expect(d?.startedAt).toBeGreaterThan(Date.parse("2020-01-01"));
    expect(d?.startedAt! % 1000).not.toBe(0); // ms precision from the RFC 3339 time
  });

  test("podman's own env entries are dropped, the image's kept", async () => {
    const d = parseInspect(await fixture("inspect-exited.json"));
    expect(d?.env).toEqual(["PATH=/bin"]);
  });

  test("default network, no restart policy, never started", async () => {
    const d = parseInspect(await fixture("inspect-created.json"));
    expect(d).toMatchObject({ state: "created", network: "", restart: "", user: "", ports: [], volumes: [], labels: {}, startedAt: 0 });
  });

  test("podman's 'stopped' is exited, with the restart policy and exit code", async () => {
    const d = parseInspect(await fixture("inspect-exited.json"));
    expect(d).toMatchObject({ state: "exited", exitCode: 3, restart: "unless-stopped", cmd: ["sh", "-c", "exit 3"] });
  });

  test("an empty list is null", () => {
    expect(parseInspect("[]")).toBeNull();
  });

  test("host network, health from State.Health or State.Healthcheck", async () => {
    const [raw] = JSON.parse(await fixture("inspect-created.json"));
    raw.HostConfig.NetworkMode = "host";
    raw.NetworkSettings.Networks = null;
    raw.State.Health = { Status: "healthy" };
    expect(parseInspect(JSON.stringify([raw]))).toMatchObject({ network: "host", health: "healthy" });
    delete raw.State.Health;
    raw.State.Healthcheck = { Status: "unhealthy" };
    expect(parseInspect(JSON.stringify([raw]))?.health).toBe("unhealthy");
  });

  test("a mistyped State fails naming the field", async () => {
    const [raw] = JSON.parse(await fixture("inspect-created.json"));
    raw.State.Status = 3;
    expect(failure(() => parseInspect(JSON.stringify([raw]))).message).toContain("container inspect field [0].State.Status");
  });
});

describe("parseLogTarget (real podman output)", () => {
  test("the k8s-file driver, its ctr.log and the state, for running, stopped and created containers", async () => {
    const targets = await Promise.all(["inspect-full.json", "inspect-exited.json", "inspect-created.json"].map(async (f) => parseLogTarget(await fixture(f))));
    expect(targets.map((t) => [t?.driver, t?.state])).toEqual([["k8s-file", "running"], ["k8s-file", "exited"], ["k8s-file", "created"]]);
    for (const t of targets) expect(t?.path).toMatch(/^\/var\/lib\/containers\/storage\/overlay-containers\/[0-9a-f]{64}\/userdata\/ctr\.log$/);
  });

  test("no LogConfig is driver and path \"\"; an empty list is null; a missing State fails naming the field", () => {
    expect(parseLogTarget(JSON.stringify([{ State: { Status: "running" }, HostConfig: {} }]))).toEqual({ driver: "", path: "", state: "running" });
    expect(parseLogTarget("[]")).toBeNull();
    expect(failure(() => parseLogTarget(JSON.stringify([{ HostConfig: {} }]))).message).toContain("field [0].State");
  });
});

describe("parseImageInspect (real podman output)", () => {
  test("an imported image has a manifest Digest distinct from its Id, and PATH=/bin", async () => {
    const img = parseImageInspect(await fixture("image-inspect.json"));
    expect(img?.info.id).toMatch(/^[0-9a-f]{64}$/);
    expect(img?.info.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img?.info.digest).not.toBe(`sha256:${img?.info.id}`);
    expect(img?.env).toEqual(["PATH=/bin"]);
  });

  test("without a Digest the id stands in, prefixed sha256:", () => {
    expect(parseImageInspect(JSON.stringify([{ Id: "abc", Config: null }]))).toEqual({
      info: { id: "abc", digest: "sha256:abc" }, env: [], defaults: { entrypoint: [], workdir: "/", stopSignal: "SIGTERM", labels: {} },
    });
    expect(parseImageInspect(JSON.stringify([{ Id: "sha256:abc", Digest: "" }]))?.info.digest).toBe("sha256:abc");
  });

  test("an empty list is null", () => {
    expect(parseImageInspect("[]")).toBeNull();
  });
});

describe("small parsers", () => {
  test("version", async () => {
    expect(parseVersion(await fixture("version.json"))).toBe("4.3.1");
  });

  test("states", () => {
    const words = ["running", "configured", "initialized", "created", "exited", "stopped", "paused", "stopping", "removing", "dead", "Running"];
    expect(words.map(mapState)).toEqual([
      "running", "created", "created", "created", "exited", "exited", "paused", "stopping", "stopping", "unknown", "running",
    ]);
  });

  test("times: nanoseconds cut to ms, Go's zero time is 0", () => {
    expect(parseTime("2026-11-23T21:25:01.153124642Z")).toBe(Date.parse("2026-11-23T21:25:01.153Z"));
    expect(parseTime("0001-01-01T00:00:00Z")).toBe(0);
    expect(parseTime("")).toBe(0);
  });
});
