// streamLogs/logs of the podman runtime without podman: a Runner stand-in
// that answers `container inspect` with a log driver and path, plays
// `podman logs` for other drivers, and holds `podman wait` until told.
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { McpError } from "../../../src/lib/errors.ts";
import { createPodmanRuntime } from "../../../src/node/podman/runtime.ts";
import { RunnerError, type Runner, type RunResult, type StreamHandle, type StreamOptions } from "../../../src/node/podman/runner.ts";
import { tempDir, waitFor } from "../../support/mcp.ts";

const dir = tempDir("mcp-logs-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (stream: string, tag: string, content: string) => `2026-11-27T11:59:41.177023354+00:00 ${stream} ${tag} ${content}\n`;

interface Container {
  state: string;
  driver: string;
  path: string;
  /** What `podman logs` prints, for drivers mcp does not read itself ("hang": it never ends). */
  podmanLogs?: { out: string[]; err: string[] } | "hang";
}

/** A Runner that knows some containers; every stream it started is kept with its argv and whether it was killed. */
function standin(containers: Record<string, Container>) {
  const streams: { argv: string[]; killed: boolean; exit: (code: number) => void; done: Promise<number> }[] = [];
  const runner: Runner = {
    async run(argv): Promise<RunResult> {
      const name = argv.at(-1) ?? "";
      const c = containers[name];
      if (argv[0] !== "container" || argv[1] !== "inspect") throw new Error(`unexpected podman ${argv.join(" ")}`);
      if (!c) throw new RunnerError(argv, 125, `Error: no such container ${name}`);
      const inspect = [{ Id: "abc", State: { Status: c.state }, HostConfig: { LogConfig: { Type: c.driver, Path: c.path, Size: "0B" } } }];
      return { stdout: JSON.stringify(inspect), stderr: "", code: 0 };
    },
    stream(argv: string[], o: StreamOptions): StreamHandle {
      let exit!: (code: number) => void;
      const done = new Promise<number>((resolve) => (exit = resolve));
      const s = { argv, killed: false, exit, done };
      streams.push(s);
      const kill = () => {
        s.killed = true;
        exit(143);
      };
      o.signal?.addEventListener("abort", kill, { once: true });
      const logs = argv[0] === "logs" ? containers[argv.at(-1) ?? ""]!.podmanLogs : undefined;
      if (logs && logs !== "hang") {
        for (const l of logs.out) o.onLine(l);
        for (const l of logs.err) o.onErrLine?.(l);
        exit(0);
      }
      return { done, kill };
    },
  };
  return { runner, streams };
}

const collect = async (p: (onLine: (l: string) => void) => Promise<void>) => {
  const out: string[] = [];
  await p((l) => out.push(l));
  return out;
};
const idle = () => new AbortController().signal;

describe("streamLogs on the k8s-file driver reads the log file", () => {
  const path = join(dir, "api.log");
  writeFileSync(path, [
    record("stdout", "F", "first"), record("stdout", "P", "part1"), record("stderr", "F", "oops"), record("stdout", "F", "part2"), record("stdout", "P", "nonl"),
  ].join(""));

  test("whole lines without follow, with tail counting them; logs() joins the same lines; no podman logs runs", async () => {
    const { runner, streams } = standin({ api: { state: "exited", driver: "k8s-file", path } });
    const rt = createPodmanRuntime({ runner });
    expect(await collect((f) => rt.streamLogs("api", { tail: 0, follow: false, signal: idle() }, f))).toEqual(["first", "oops", "part1part2", "nonl"]);
    expect(await collect((f) => rt.streamLogs("api", { tail: 2, follow: false, signal: idle() }, f))).toEqual(["part1part2", "nonl"]);
    expect(await rt.logs("api", 3)).toBe("oops\npart1part2\nnonl");
    // Not running: follow has nothing to wait for.
    expect(await collect((f) => rt.streamLogs("api", { tail: 1, follow: true, signal: idle() }, f))).toEqual(["nonl"]);
    expect(streams).toEqual([]);
  });

  test("each line comes with the time of the record that ended it; since drops the lines that ended before it", async () => {
    const at = (ms: number, stream: string, tag: string, content: string) => `${new Date(ms).toISOString().replace("Z", "123456+00:00")} ${stream} ${tag} ${content}\n`;
    const base = Date.UTC(2026, 10, 27, 12);
    const timedPath = join(dir, "timed.log");
    writeFileSync(timedPath, [at(base, "stdout", "F", "one"), at(base + 1000, "stdout", "P", "two-a "), at(base + 2000, "stderr", "F", "err"),
      at(base + 3000, "stdout", "F", "two-b"), at(base + 4000, "stdout", "F", "three")].join(""));
    const { runner } = standin({ api: { state: "exited", driver: "k8s-file", path: timedPath } });
    const rt = createPodmanRuntime({ runner });
    const read = async (o: { tail: number; since?: number }) => {
      const out: [string, number | undefined][] = [];
      await rt.streamLogs("api", { ...o, follow: false, signal: idle() }, (l, time) => out.push([l, time]));
      return out;
    };
    expect(await read({ tail: 0 })).toEqual([["one", base], ["err", base + 2000], ["two-a two-b", base + 3000], ["three", base + 4000]]);
    // A line that began before since and ended after it is kept whole.
    expect(await read({ tail: 0, since: base + 1500 })).toEqual([["err", base + 2000], ["two-a two-b", base + 3000], ["three", base + 4000]]);
    expect(await read({ tail: 0, since: base + 2500 })).toEqual([["two-a two-b", base + 3000], ["three", base + 4000]]);
    expect(await read({ tail: 2, since: base + 3500 })).toEqual([["three", base + 4000]]);
    expect(await read({ tail: 0, since: base + 9000 })).toEqual([]);
  });

  test("json-file (podman writes it as k8s-file) is read the same way", async () => {
    const { runner } = standin({ api: { state: "exited", driver: "json-file", path } });
    expect(await createPodmanRuntime({ runner }).logs("api", 1)).toBe("nonl");
  });

  test("follow: new records finish the unfinished line; `podman wait` ending ends the stream with the last line given", async () => {
    const live = join(dir, "live.log");
    writeFileSync(live, record("stdout", "F", "old") + record("stdout", "P", "held "));
    const { runner, streams } = standin({ web: { state: "running", driver: "k8s-file", path: live } });
    const rt = createPodmanRuntime({ runner, logPollMs: 5 });
    const out: string[] = [];
    const following = rt.streamLogs("web", { tail: 1, follow: true, signal: idle() }, (l) => out.push(l));
    await waitFor(() => streams.length === 1, "podman wait");
    expect(streams[0]!.argv).toEqual(["wait", "web"]);
    appendFileSync(live, record("stdout", "F", "done") + record("stderr", "F", "err") + record("stdout", "P", "unfinished"));
    await waitFor(() => out.length === 2, "the new lines");
    expect(out).toEqual(["held done", "err"]);
    streams[0]!.exit(0);
    await following;
    expect(out).toEqual(["held done", "err", "unfinished"]);
  });

  test("follow: abort ends it and kills podman wait", async () => {
    const live = join(dir, "abort.log");
    writeFileSync(live, record("stdout", "F", "line"));
    const { runner, streams } = standin({ web: { state: "running", driver: "k8s-file", path: live } });
    const ac = new AbortController();
    const out: string[] = [];
    const following = createPodmanRuntime({ runner, logPollMs: 5 }).streamLogs("web", { tail: 5, follow: true, signal: ac.signal }, (l) => out.push(l));
    await waitFor(() => streams.length === 1, "podman wait");
    ac.abort();
    await following;
    expect(out).toEqual(["line"]);
    expect(streams[0]!.killed).toBe(true);
  });

  test("a log file that cannot be read fails failed_precondition naming the file; a missing container is not_found", async () => {
    const notAFile = join(dir, "a-directory");
    mkdirSync(notAFile);
    const { runner } = standin({ api: { state: "running", driver: "k8s-file", path: notAFile } });
    const rt = createPodmanRuntime({ runner });
    const err = await rt.streamLogs("api", { tail: 5, follow: false, signal: idle() }, () => {}).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe("failed_precondition");
    expect((err as McpError).message).toStartWith("cannot read the log of container api: ");
    expect((err as McpError).hint).toContain(notAFile);
    for (const p of [rt.streamLogs("nope", { tail: 1, follow: false, signal: idle() }, () => {}), rt.logs("nope", 1)]) {
      const e = await p.then(() => null, (x: unknown) => x);
      expect((e as McpError).code).toBe("not_found");
      expect((e as McpError).message).toBe("container nope not found");
    }
  });

  test("an error thrown by onLine is the caller's, passed through as it is", async () => {
    const { runner } = standin({ api: { state: "exited", driver: "k8s-file", path } });
    const boom = new Error("the client went away");
    const err = await createPodmanRuntime({ runner }).streamLogs("api", { tail: 0, follow: false, signal: idle() }, () => {
      throw boom;
    }).then(() => null, (e: unknown) => e);
    expect(err).toBe(boom);
  });
});

describe("streamLogs on other drivers runs podman logs", () => {
  test("journald: `podman logs --tail N [--follow] --timestamps`, stdout and stderr lines both delivered, each with its time", async () => {
    const t = (s: string) => `2026-11-27T11:59:41.${s}+00:00`;
    const podmanLogs = { out: [`${t("100000000")} a`, `${t("200000000")} b`, "no time here"], err: [`${t("300000000")} e`] };
    const { runner, streams } = standin({ db: { state: "running", driver: "journald", path: "", podmanLogs } });
    const rt = createPodmanRuntime({ runner });
    const timed: [string, number | undefined][] = [];
    await rt.streamLogs("db", { tail: 5, follow: false, signal: idle() }, (l, time) => timed.push([l, time]));
    const base = Date.UTC(2026, 10, 27, 11, 59, 41);
    expect(timed).toEqual([["a", base + 100], ["b", base + 200], ["no time here", 0], ["e", base + 300]]);
    expect(await rt.logs("db", 0)).toBe("a\nb\nno time here\ne");
    await rt.streamLogs("db", { tail: 2, follow: true, signal: idle() }, () => {});
    // since: podman filters; mcp drops a line podman let through from before it.
    const since: string[] = [];
    await rt.streamLogs("db", { tail: 0, follow: false, signal: idle(), since: base + 200 }, (l) => since.push(l));
    expect(since).toEqual(["b", "no time here", "e"]);
    expect(streams.map((s) => s.argv)).toEqual([
      ["logs", "--tail", "5", "--timestamps", "db"], ["logs", "--timestamps", "db"], ["logs", "--tail", "2", "--follow", "--timestamps", "db"],
      ["logs", "--since", new Date(base + 200).toISOString(), "--timestamps", "db"],
    ]);
  });

  test("a hung `podman logs` without follow fails deadline_exceeded at the call deadline, and is killed", async () => {
    const { runner, streams } = standin({ db: { state: "running", driver: "journald", path: "", podmanLogs: "hang" } });
    const rt = createPodmanRuntime({ runner, timeouts: { callMs: 100 } });
    const err = await rt.streamLogs("db", { tail: 5, follow: false, signal: idle() }, () => {}).then(() => null, (e: unknown) => e);
    expect((err as McpError).code).toBe("deadline_exceeded");
    expect((err as McpError).message).toBe("podman logs did not answer within 0.1s");
    expect(streams[0]!.killed).toBe(true);
  });
});
