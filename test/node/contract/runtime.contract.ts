/**
 * The ContainerRuntime contract (STYLE habit 9): one suite, run against the
 * FakeRuntime on every run and against real podman whenever it is present.
 * Assertions are on the state reached, through the port only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isMcpError, McpError, type ErrorCode } from "../../../src/lib/errors.ts";
import type { ContainerRuntime } from "../../../src/node/runtime/port.ts";
import type { ContainerSpec, ObservedContainer, RuntimeEvent } from "../../../src/node/runtime/types.ts";
import { freePort, SLEEP_CMD, waitFor } from "../../support/image.ts";
import { registerKeyContract } from "./keys.contract.ts";

/** What an implementation under test provides. */
export interface RuntimeContractSetup {
  runtime: ContainerRuntime;
  /** A local image with a shell (`sh -c`), `sleep` and env PATH=/bin. */
  image: string;
  /** An image that is neither local nor pullable. */
  missingImage: string;
  /** A user network containers may join. */
  network: string;
  /** An existing host directory to bind-mount. */
  hostDir: string;
  /** Unique to this run: container and volume names start with it. */
  prefix: string;
  /** Removes whatever the suite left behind. */
  cleanup(): Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<McpError> {
  const err = await rejection(p);
  expect(err.code).toBe(code);
  return err;
}

/** Registers the contract suite for one implementation. */
export function describeRuntimeContract(label: string, setup: () => Promise<RuntimeContractSetup>): void {
  describe(`ContainerRuntime contract: ${label}`, () => {
    let ctx: RuntimeContractSetup;
    let rt: ContainerRuntime;
    const mine = () => ({ "mcp.contract": ctx.prefix });

    /** A spec of a sleeping container carrying this run's label. */
    const spec = (name: string, over: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: `${ctx.prefix}-${name}`,
      image: ctx.image,
      labels: { ...mine(), ...over.labels },
      network: "",
      user: "",
      restart: "",
      ports: [],
      volumes: [],
      cmd: SLEEP_CMD,
      env: [],
      ...over,
      ...(over.labels ? { labels: { ...mine(), ...over.labels } } : {}),
    });

    const find = async (name: string): Promise<ObservedContainer | undefined> =>
      (await rt.list({ labels: mine() })).find((c) => c.name === name);

    const waitState = (name: string, state: string) =>
      waitFor(`${name} to be ${state}`, async () => {
        const c = await find(name);
        return c?.state === state ? c : undefined;
      });

    beforeAll(async () => {
      ctx = await setup();
      rt = ctx.runtime;
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    // The §7.2 keys and secrets (SPEC §7.2, §7.3).
    registerKeyContract(() => ctx);

    test("version answers", async () => {
      expect(await rt.version()).toMatch(/\S/);
    });

    test("getImage returns a present image with a sha256 digest, null for a missing one", async () => {
      const img = await rt.getImage(ctx.image);
      expect(img?.id).toMatch(/\S/);
      expect(img?.digest).toMatch(/^sha256:[0-9a-f]+$/);
      expect(await rt.getImage(ctx.missingImage)).toBeNull();
    });

    test("pull of a missing image fails failed_precondition naming it, and changes nothing", async () => {
      const before = await rt.list({ labels: mine() });
      const err = await expectCode(rt.pull(ctx.missingImage), "failed_precondition");
      expect(err.message).toContain(ctx.missingImage);
      expect(err.message).not.toContain("\n");
      expect(await rt.getImage(ctx.missingImage)).toBeNull();
      expect(await rt.list({ labels: mine() })).toEqual(before);
    });

    test("run of an image that is not local fails failed_precondition and leaves no container", async () => {
      const s = spec("noimage", { image: ctx.missingImage });
      await expectCode(rt.run(s), "failed_precondition");
      expect(await rt.inspect(s.name)).toBeNull();
    });

    test("run → list shows it running, with its labels and Command as an array", async () => {
      const s = spec("run", { labels: { "mcp.service": "svc", "mcp.component": "api-1" } });
      const id = await rt.run(s);
      const c = await find(s.name);
      expect(c).toBeDefined();
      expect(c?.id).toBe(id);
      expect(c?.state).toBe("running");
      expect(c?.labels).toMatchObject(s.labels);
      expect(c?.command).toEqual(SLEEP_CMD);
      expect(c?.image).toBe(ctx.image);
      expect(c?.imageId).toBe((await rt.getImage(ctx.image))?.id ?? "");
      expect(c?.startedAt).toBeGreaterThan(0);
    });

    test("run with a taken name fails already_exists and leaves the first container alone", async () => {
      const s = spec("taken");
      const id = await rt.run(s);
      await expectCode(rt.run({ ...s, cmd: ["sh", "-c", "exit 0"] }), "already_exists");
      expect(await find(s.name)).toMatchObject({ id, state: "running", command: SLEEP_CMD });
    });

    test("run with replace stops and removes the container of that name, then runs the new one; without one it just runs", async () => {
      const s = spec("replace");
      const old = await rt.run(s);
      const id = await rt.run({ ...s, labels: { ...s.labels, generation: "2" } }, { replace: true });
      expect(id).not.toBe(old);
      expect(await find(s.name)).toMatchObject({ id, state: "running", labels: expect.objectContaining({ generation: "2" }) });
      const fresh = spec("replace-none");
      expect(await rt.run(fresh, { replace: true })).toBe((await find(fresh.name))!.id);
    });

    test("startMany starts several in one call; a missing one is reported (what else started is the caller's to look at)", async () => {
      const a = spec("many-a");
      const b = spec("many-b");
      await rt.run(a);
      await rt.run(b);
      await rt.stop(a.name, 0);
      await rt.stop(b.name, 0);
      expect(await rt.startMany([a.name, b.name])).toEqual({ error: "" });
      expect((await find(a.name))?.state).toBe("running");
      expect((await find(b.name))?.state).toBe("running");
      await rt.stop(a.name, 0);
      const r = await rt.startMany([`${ctx.prefix}-many-missing`, a.name]);
      expect(r.error).toMatch(/many-missing/);
    }, 20_000);

    test("stop stops, and is idempotent; start and restart bring it back", async () => {
      const s = spec("stop");
      await rt.run(s);
      await rt.stop(s.name, 5);
      expect((await find(s.name))?.state).toBe("exited");
      await rt.stop(s.name, 5);
      expect((await find(s.name))?.state).toBe("exited");
      await rt.start(s.name);
      const started = await find(s.name);
      expect(started?.state).toBe("running");
      await rt.start(s.name);
      expect((await find(s.name))?.state).toBe("running");
      await rt.restart(s.name, 5);
      const restarted = await find(s.name);
      expect(restarted?.state).toBe("running");
      expect(restarted?.startedAt).toBeGreaterThanOrEqual(started?.startedAt ?? 0);
    });

    test("stop, start and restart of a missing container fail not_found", async () => {
      const name = `${ctx.prefix}-nosuch`;
      await expectCode(rt.stop(name, 1), "not_found");
      await expectCode(rt.start(name), "not_found");
      await expectCode(rt.restart(name, 1), "not_found");
    });

    test("inspect of a missing container is null", async () => {
      expect(await rt.inspect(`${ctx.prefix}-nosuch`)).toBeNull();
    });

    test("inspect round-trips network, user, restart, ports, volumes, cmd and env of the spec", async () => {
      const [tcp, udp] = [await freePort(), await freePort()];
      const s = spec("inspect", {
        labels: { "mcp.spec": "h1" },
        network: ctx.network,
        user: "0:0",
        restart: "on-failure:2",
        ports: [`127.0.0.1:${tcp}:8080`, `${udp}:8081/udp`],
        volumes: [`${ctx.hostDir}:/data:ro`, `${ctx.prefix}-vol:/named`],
        env: ["FOO=bar", "EMPTY=", "WITH_SPACE=a b"],
      });
      const id = await rt.run(s);
      const d = await rt.inspect(s.name);
      expect(d).not.toBeNull();
      if (!d) return;
      expect(d).toMatchObject({ id, name: s.name, image: ctx.image, state: "running", network: s.network, user: s.user, restart: s.restart, cmd: s.cmd });
      expect(d.labels).toMatchObject(s.labels);
      // The runtime keeps neither the order of -p/-v/-e nor the image's env out of env.
      expect(d.ports.toSorted()).toEqual(s.ports.toSorted());
      expect(d.volumes.toSorted()).toEqual(s.volumes.toSorted());
      expect(d.imageEnv).toEqual(["PATH=/bin"]);
      expect(d.env.filter((e) => !d.imageEnv.includes(e)).toSorted()).toEqual(s.env.toSorted());
      expect(d.startedAt).toBeGreaterThan(0);
      expect((await rt.inspect(id))?.name).toBe(s.name);
    });

    test("a bare spec inspects as empty fields", async () => {
      const s = spec("bare");
      await rt.run(s);
      expect(await rt.inspect(s.name)).toMatchObject({ network: "", user: "", restart: "", ports: [], volumes: [], health: "" });
    });

    test("remove is idempotent: true, then false", async () => {
      const s = spec("remove");
      await rt.run(s);
      expect(await rt.remove(s.name)).toBe(true);
      expect(await rt.inspect(s.name)).toBeNull();
      expect(await find(s.name)).toBeUndefined();
      expect(await rt.remove(s.name)).toBe(false);
    });

    test("list keeps only containers carrying every label asked for", async () => {
      const a = spec("label-a", { labels: { "mcp.service": "alpha", "mcp.component": "web" } });
      const b = spec("label-b", { labels: { "mcp.service": "alpha", "mcp.component": "db" } });
      await rt.run(a);
      await rt.run(b);
      const names = async (labels: Record<string, string>) => (await rt.list({ labels: { ...mine(), ...labels } })).map((c) => c.name).sort();
      expect(await names({ "mcp.service": "alpha" })).toEqual([a.name, b.name].sort());
      expect(await names({ "mcp.service": "alpha", "mcp.component": "db" })).toEqual([b.name]);
      expect(await names({ "mcp.service": "beta" })).toEqual([]);
      expect((await rt.list()).map((c) => c.name)).toEqual(expect.arrayContaining([a.name, b.name]));
    });

    test("a container whose command exits shows exited with its exit code", async () => {
      const s = spec("exits", { cmd: ["sh", "-c", "exit 3"] });
      await rt.run(s);
      const c = await waitState(s.name, "exited");
      expect(c.exitCode).toBe(3);
      expect((await rt.inspect(s.name))?.exitCode).toBe(3);
    });

    test("exec runs a command in a running container: exit code and output; not_found for a missing one", async () => {
      const s = spec("exec");
      await rt.run(s);
      await waitState(s.name, "running");
      expect(await rt.exec(s.name, ["true"], 5000)).toEqual({ code: 0, output: "" });
      const failed = await rt.exec(s.name, ["sh", "-c", "exit 3"], 5000);
      expect(failed.code).toBe(3);
      await expectCode(rt.exec(`${ctx.prefix}-nope`, ["true"], 5000), "not_found");
    });

    test("logs returns the last lines of a container's output; not_found for a missing one", async () => {
      const s = spec("logs", { cmd: ["sh", "-c", "echo one; echo two; echo three; trap 'exit 0' TERM; sleep 3600 & wait"] });
      await rt.run(s);
      await waitState(s.name, "running");
      const last = await waitFor("the log", async () => {
        const text = await rt.logs(s.name, 2);
        return text.includes("three") ? text : undefined;
      });
      expect(last).toContain("two");
      expect(last).not.toContain("one");
      await expectCode(rt.logs(`${ctx.prefix}-nope`, 5), "not_found");
    });

    test("streamLogs gives the last lines, all lines with tail 0, and with follow ends when aborted; not_found for a missing one", async () => {
      const s = spec("slogs", { cmd: ["sh", "-c", "echo one; echo two; echo three; trap 'exit 0' TERM; sleep 3600 & wait"] });
      await rt.run(s);
      await waitState(s.name, "running");
      await waitFor("the log", async () => ((await rt.logs(s.name, 1)).includes("three") ? true : undefined));
      const lines = async (tail: number) => {
        const got: string[] = [];
        await rt.streamLogs(s.name, { tail, follow: false, signal: new AbortController().signal }, (l) => got.push(l));
        return got;
      };
      expect((await lines(2)).slice(-2)).toEqual(["two", "three"]);
      expect(await lines(2)).not.toContain("one");
      expect(await lines(0)).toEqual(expect.arrayContaining(["one", "two", "three"]));
      const ac = new AbortController();
      const got: string[] = [];
      const following = rt.streamLogs(s.name, { tail: 1, follow: true, signal: ac.signal }, (l) => got.push(l));
      await waitFor("the followed line", async () => (got.includes("three") ? true : undefined));
      ac.abort();
      await following;
      await expectCode(rt.streamLogs(`${ctx.prefix}-nope`, { tail: 1, follow: false, signal: new AbortController().signal }, () => {}), "not_found");
    });

    test("streamLogs gives each line the time it was written; since keeps only the lines written at or after it (SPEC §7.6)", async () => {
      const s = spec("tlogs", { cmd: ["sh", "-c", "echo one; echo two; trap 'exit 0' TERM; sleep 3600 & wait"] });
      await rt.run(s);
      await waitState(s.name, "running");
      await waitFor("the log", async () => ((await rt.logs(s.name, 1)).includes("two") ? true : undefined));
      await Bun.sleep(1100);
      const between = Date.now();
      await Bun.sleep(1100);
      await rt.restart(s.name, 5); // the same words again, later
      const read = async (since?: number) => {
        const got: [string, number][] = [];
        await waitFor("the second run's lines", async () => {
          got.length = 0;
          await rt.streamLogs(s.name, { tail: 0, follow: false, signal: new AbortController().signal, ...(since ? { since } : {}) }, (l, t) => got.push([l, t ?? 0]));
          return got.filter(([l]) => l === "two").length === (since ? 1 : 2) ? true : undefined;
        });
        return got;
      };
      const all = await read();
      expect(all.every(([, t]) => t > 0)).toBe(true);
      expect(all.map(([, t]) => t)).toEqual(all.map(([, t]) => t).sort((a, b) => a - b));
      const later = await read(between);
      expect(later.filter(([l]) => l === "one")).toHaveLength(1);
      expect(later.every(([, t]) => t >= between)).toBe(true);
    });

    test("watch streams a container's start, died (with exit code) and remove, and ends when aborted", async () => {
      const s = spec("watched", { cmd: ["sh", "-c", "exit 4"] });
      const seen: RuntimeEvent[] = [];
      const ac = new AbortController();
      // podman's own event stream may end (its events file rotates): like the monitor, follow it again.
      const watching = (async () => {
        while (!ac.signal.aborted) {
          await rt.watch((e) => seen.push(e), ac.signal).catch((err) => {
            if (!isMcpError(err, "unavailable")) throw err;
          });
        }
      })();
      // The stream starts asynchronously: run probes until one shows up, so it is known to be live.
      let n = 0;
      await waitFor("the event stream to be live", async () => {
        const probe = spec(`probe${n++}`);
        await rt.run(probe);
        await rt.remove(probe.name);
        return seen.some((e) => e.name.startsWith(`${ctx.prefix}-probe`)) || undefined;
      });
      await rt.run(s);
      const mineOnly = () => seen.filter((e) => e.name === s.name);
      await waitFor("died", async () => mineOnly().find((e) => e.status === "died"));
      await rt.remove(s.name);
      await waitFor("remove", async () => mineOnly().find((e) => e.status === "remove"));
      const statuses = seen.filter((e) => e.name === s.name).map((e) => e.status);
      expect(statuses.indexOf("start")).toBeLessThan(statuses.indexOf("died"));
      expect(mineOnly().find((e) => e.status === "died")!.exitCode).toBe(4);
      expect(mineOnly().every((e) => e.time > 0 && e.id.length > 0)).toBe(true);
      ac.abort();
      await watching;
    });
  });
}
