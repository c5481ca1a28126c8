import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPodmanRuntime } from "../../../src/node/podman/runtime.ts";
import { createRunner, RunnerError, type Runner, type RunResult } from "../../../src/node/podman/runner.ts";
import { McpError } from "../../../src/lib/errors.ts";
import type { ContainerSpec } from "../../../src/node/runtime/types.ts";
import { ensureTestImages, freePort, HTTP_CMD, podmanAvailable, removeContainers, SLEEP_CMD, uniqueName, waitFor } from "../../support/image.ts";

async function rejection(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

/**
 * A Runner that fails every call of one verb with podman's stderr (captured
 * from podman 4.3.1, or its documented wording where no registry was at hand).
 */
function failingRunner(verb: string, stderr: string, code = 125): Runner {
  return {
    async run(argv): Promise<RunResult> {
      if (argv[0] === verb) throw new RunnerError(argv, code, stderr);
      return { stdout: "", stderr: "", code: 0 };
    },
    stream() {
      throw new Error("not used");
    },
  };
}

const spec: ContainerSpec = {
  name: "api",
  image: "registry.example.net/app:v1",
  labels: {},
  network: "",
  user: "",
  restart: "",
  ports: [],
  volumes: [],
  cmd: [],
  env: [],
};

describe("failure classification (podman's stderr)", () => {
  const pullCases: [string, string][] = [
    [
      "Error: initializing source docker://registry.example.net/app:v1: reading manifest v1 in registry.example.net/app: unauthorized: authentication required",
      "cannot pull registry.example.net/app:v1: the registry refused access (unauthorized)",
    ],
    [
      "Error: initializing source docker://registry.example.net/app:v1: reading manifest v1 in registry.example.net/app: manifest unknown: manifest unknown",
      "cannot pull registry.example.net/app:v1: the image does not exist in the registry",
    ],
    [
      'Error: initializing source docker://registry.example.net/app:v1: pinging container registry registry.example.net: Get "https://registry.example.net/v2/": dial tcp 127.0.0.1:443: connect: connection refused',
      "cannot pull registry.example.net/app:v1: the registry cannot be reached",
    ],
    ["Error: something new", "cannot pull registry.example.net/app:v1: something new"],
  ];
  for (const [stderr, message] of pullCases) {
    test(`pull: ${message}`, async () => {
      const err = await rejection(createPodmanRuntime({ runner: failingRunner("pull", stderr) }).pull(spec.image));
      expect(err.code).toBe("failed_precondition");
      expect(err.message).toBe(message);
      expect(err.hint).not.toBe("");
      expect(err.cause).toBeInstanceOf(RunnerError);
    });
  }

  test("a missing container: not_found for start/stop/restart, null for inspect, false for remove", async () => {
    const rt = createPodmanRuntime({ runner: failingRunner("start", 'Error: no container with name or ID "api" found: no such container') });
    expect((await rejection(rt.start("api"))).code).toBe("not_found");
    for (const verb of ["stop", "restart"]) {
      const r = createPodmanRuntime({ runner: failingRunner(verb, 'Error: no container with name or ID "api" found: no such container') });
      expect((await rejection(verb === "stop" ? r.stop("api", 1) : r.restart("api", 1))).message).toBe("container api not found");
    }
    expect(await createPodmanRuntime({ runner: failingRunner("container", "Error: inspecting object: no such container api") }).inspect("api")).toBeNull();
    expect(await createPodmanRuntime({ runner: failingRunner("rm", "Error: no container with name or ID \"api\" found: no such container") }).remove("api")).toBe(false);
  });

  test("a taken name is already_exists; a taken port is not", async () => {
    const inUse = 'Error: creating container storage: the container name "api" is already in use by fe89. You have to remove that container to be able to reuse that name: that name is already in use';
    expect((await rejection(createPodmanRuntime({ runner: failingRunner("run", inUse) }).run(spec))).code).toBe("already_exists");
    const port = "Error: cannot listen on the TCP port: listen tcp4 127.0.0.1:38090: bind: address already in use";
    const err = await rejection(createPodmanRuntime({ runner: failingRunner("run", port, 126) }).run(spec));
    expect(err.code).toBe("failed_precondition");
    expect(err.message).toBe("cannot start container api: cannot listen on the TCP port: listen tcp4 127.0.0.1:38090: bind: address already in use");
  });

  test("image not known: getImage is null, run is failed_precondition", async () => {
    const rt = createPodmanRuntime({ runner: failingRunner("image", "Error: inspecting object: nosuch:v1: image not known") });
    expect(await rt.getImage("nosuch:v1")).toBeNull();
    const run = createPodmanRuntime({ runner: failingRunner("run", "Error: localhost/x:v1: image not known") });
    expect((await rejection(run.run(spec))).message).toBe("image registry.example.net/app:v1 is not present on this node");
  });

  test("version: podman failing is unavailable, podman missing too", async () => {
    expect((await rejection(createPodmanRuntime({ runner: failingRunner("version", "Error: cannot connect") }).version())).code).toBe("unavailable");
    const missing = await rejection(createPodmanRuntime({ runner: createRunner({ bin: "/nonexistent/podman" }) }).version());
    expect(missing.code).toBe("unavailable");
    expect(missing.hint).toBe("install podman or set [agent] podman");
  });
});

const available = await podmanAvailable();
if (!available.ok) console.warn(`podman adapter tests against podman SKIPPED: ${available.reason}`);

describe.skipIf(!available.ok)("podman adapter on real podman", () => {
  const prefix = uniqueName("mcprt");
  const rt = createPodmanRuntime({ runner: createRunner(), timeouts: { callMs: 20_000 } });
  let images: { v1: string; v2: string };
  const sleeper = (name: string, over: Partial<ContainerSpec> = {}): ContainerSpec => ({
    ...spec,
    name: `${prefix}-${name}`,
    image: images.v1,
    cmd: SLEEP_CMD,
    ...over,
  });

  beforeAll(async () => {
    images = await ensureTestImages();
  });
  afterAll(async () => {
    await removeContainers(prefix);
  });

  test("version is podman's", async () => {
    expect(await rt.version()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("HTTP_CMD serves the image's version on a published port and stops promptly", async () => {
    for (const [version, image] of Object.entries(images)) {
      const port = await freePort();
      const s = sleeper(`http-${version}`, { image, cmd: HTTP_CMD, ports: [`127.0.0.1:${port}:8080`] });
      await rt.run(s);
      const body = await waitFor(`http on ${port}`, async () => {
        try {
          return await (await fetch(`http://127.0.0.1:${port}/`)).text();
        } catch {
          return undefined;
        }
      });
      expect(body).toBe(`${version}\n`);
      const started = performance.now();
      await rt.stop(s.name, 10);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect((await rt.inspect(s.name))?.exitCode).toBe(0);
    }
  });

  test("a run that fails to start leaves no container behind (port taken, bad command)", async () => {
    const port = await freePort();
    const first = sleeper("port-1", { ports: [`127.0.0.1:${port}:8080`] });
    await rt.run(first);
    const second = sleeper("port-2", { ports: [`127.0.0.1:${port}:8080`] });
    const err = await rejection(rt.run(second));
    expect(err.code).toBe("failed_precondition");
    expect(err.message).toContain("address already in use");
    expect(await rt.inspect(second.name)).toBeNull();
    const bad = sleeper("badcmd", { cmd: ["/nonexistent"] });
    expect((await rejection(rt.run(bad))).message).toContain(`cannot start container ${bad.name}`);
    expect(await rt.inspect(bad.name)).toBeNull();
  });

  test("errors carry the argv with env values redacted", async () => {
    const s = sleeper("secret", { env: ["TOKEN=hunter2"] });
    await rt.run(s);
    const err = await rejection(rt.run(s));
    expect(err.code).toBe("already_exists");
    const cause = err.cause as RunnerError;
    expect(cause.argv).toContain("TOKEN=***");
    expect(JSON.stringify({ argv: cause.argv, msg: cause.message, hint: cause.hint })).not.toContain("hunter2");
  });

  test("remove of a running container stops it first and returns true", async () => {
    const s = sleeper("rm");
    await rt.run(s);
    expect(await rt.remove(s.name)).toBe(true);
    expect((await $`podman container exists ${s.name}`.nothrow().quiet()).exitCode).toBe(1);
  });
});
