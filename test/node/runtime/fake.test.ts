import { describe, expect, test } from "bun:test";
import { FakeRuntime } from "../../../src/node/runtime/fake.ts";
import { McpError, isMcpError } from "../../../src/lib/errors.ts";
import type { ContainerSpec } from "../../../src/node/runtime/types.ts";

const IMAGE = "registry.example.net/app:v1";

function spec(name: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return { name, image: IMAGE, labels: {}, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...over };
}

function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isMcpError(err) ? err.code : `not an McpError: ${String(err)}`;
  }
  return "resolved";
}

describe("FakeRuntime", () => {
  test("pull copies a remote image locally; a later remote digest replaces it (a moved tag)", async () => {
    const rt = new FakeRuntime();
    expect(await codeOf(rt.pull(IMAGE))).toBe("failed_precondition");
    rt.addRemoteImage(IMAGE, { digest: "sha256:aaa", env: ["A=1"] });
    expect(await rt.getImage(IMAGE)).toBeNull();
    const pulled = await rt.pull(IMAGE);
    expect(pulled.digest).toBe("sha256:aaa");
    expect(await rt.getImage(IMAGE)).toEqual(pulled);
    rt.addRemoteImage(IMAGE, { digest: "sha256:bbb" });
    expect((await rt.getImage(IMAGE))?.digest).toBe("sha256:aaa");
    expect((await rt.pull(IMAGE)).digest).toBe("sha256:bbb");
    expect(rt.dump().images.map((i) => [i.ref, i.digest])).toEqual([[IMAGE, "sha256:bbb"]]);
  });

  test("a container keeps its image's env after the tag moved to another image", async () => {
    const rt = new FakeRuntime();
    rt.addRemoteImage(IMAGE, { env: ["V=1"] });
    await rt.pull(IMAGE);
    await rt.run(spec("a"));
    rt.addRemoteImage(IMAGE, { env: ["V=2"] });
    await rt.pull(IMAGE);
    expect((await rt.inspect("a"))?.imageEnv).toEqual(["V=1"]);
  });

  test("a local-only image cannot be pulled, like podman with no registry", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE);
    expect(await codeOf(rt.pull(IMAGE))).toBe("failed_precondition");
  });

  test("an image without a digest uses its id", async () => {
    const rt = new FakeRuntime();
    const info = rt.addImage(IMAGE);
    expect(info.digest).toBe(`sha256:${info.id}`);
    expect(await rt.getImage(info.id)).toEqual(info);
  });

  test("startedAt comes from the clock; start of a running container keeps it", async () => {
    const clock = manualClock(5_000);
    const rt = new FakeRuntime({ clock });
    rt.addImage(IMAGE);
    await rt.run(spec("a"));
    expect(rt.dump().containers[0]?.startedAt).toBe(5_000);
    clock.advance(1_000);
    await rt.start("a");
    expect(rt.dump().containers[0]?.startedAt).toBe(5_000);
    await rt.restart("a", 1);
    expect(rt.dump().containers[0]?.startedAt).toBe(6_000);
  });

  test("failNext fails the next call of that method only, once per queued error", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE);
    rt.failNext("run", new McpError("unavailable", "podman is down"));
    rt.failNext("run", new McpError("deadline_exceeded", "slow"));
    expect(await codeOf(rt.run(spec("a")))).toBe("unavailable");
    expect(await codeOf(rt.run(spec("a")))).toBe("deadline_exceeded");
    expect(rt.dump().containers).toEqual([]);
    await rt.run(spec("a"));
    expect(rt.dump().containers.map((c) => c.spec.name)).toEqual(["a"]);
    rt.failNext("list", new Error("boom"));
    expect(await codeOf(rt.list())).toBe("not an McpError: Error: boom");
    expect(await rt.list()).toHaveLength(1);
  });

  test("crash makes a running container exit with its code; crash of a missing one is not_found", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE);
    await rt.run(spec("a"));
    rt.crash("a", 137);
    expect((await rt.list())[0]).toMatchObject({ state: "exited", exitCode: 137 });
    expect(() => rt.crash("nope", 1)).toThrow("container nope not found");
  });

  test("an image set to exit makes its containers exit at once with code 1, on run and on start", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE);
    rt.setImageBehaviour(IMAGE, "exits");
    await rt.run(spec("a"));
    expect((await rt.inspect("a"))).toMatchObject({ state: "exited", exitCode: 1 });
    await rt.start("a");
    expect((await rt.inspect("a"))?.state).toBe("exited");
    rt.setImageBehaviour(IMAGE, "runs");
    await rt.start("a");
    expect((await rt.inspect("a"))).toMatchObject({ state: "running", exitCode: 0 });
  });

  test("inspect overlays the spec env on the image env and finds containers by id prefix", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE, { env: ["PATH=/bin", "MODE=prod"] });
    const id = await rt.run(spec("a", { env: ["MODE=dev", "X=1"] }));
    const d = await rt.inspect(id.slice(0, 12));
    expect(d).toMatchObject({ name: "a", env: ["PATH=/bin", "MODE=dev", "X=1"], imageEnv: ["PATH=/bin", "MODE=prod"] });
  });

  test("dump is a copy: changing it changes nothing", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE);
    await rt.run(spec("a", { labels: { k: "v" } }));
    const snap = rt.dump();
    snap.containers[0]!.spec.labels.k = "changed";
    snap.containers[0]!.state = "paused";
    expect((await rt.list())[0]).toMatchObject({ state: "running", labels: { k: "v" } });
  });

  test("a stopped container stays stopped until started; remove of a missing one is false", async () => {
    const rt = new FakeRuntime();
    rt.addImage(IMAGE);
    await rt.run(spec("a"));
    await rt.stop("a", 10);
    expect(rt.dump().containers[0]).toMatchObject({ state: "exited", exitCode: 0 });
    expect(await rt.remove("a")).toBe(true);
    expect(await rt.remove("a")).toBe(false);
    expect(await codeOf(rt.stop("a", 1))).toBe("not_found");
  });
});
