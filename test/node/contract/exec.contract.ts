/**
 * The ContainerRuntime contract of attached execs (execSession, `mcp exec`):
 * one suite, run against the FakeRuntime on every run and against real
 * podman whenever it is present (exec.fake.test.ts, exec.podman.test.ts).
 * Assertions are on what the caller sees, through the port only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ContainerRuntime } from "../../../src/node/runtime/port.ts";
import type { TermSize } from "../../../src/node/runtime/exec-session.ts";
import { SLEEP_CMD, waitFor } from "../../support/image.ts";
import type { RuntimeContractSetup } from "./runtime.contract.ts";

/** What one exec showed its caller. */
interface Seen {
  code: number;
  stdout: string;
  stderr: string;
}

/** Registers the exec contract for one implementation. */
export function describeExecContract(label: string, setup: () => Promise<RuntimeContractSetup>): void {
  describe(`ContainerRuntime exec contract: ${label}`, () => {
    let ctx: RuntimeContractSetup;
    let rt: ContainerRuntime;
    let box: string;
    const decoder = () => new TextDecoder();

    /** Runs argv in `name`, feeding `input` (then the end of input) when given; collects what came back. */
    async function run(name: string, argv: string[], o: { input?: string; tty?: TermSize; signal?: AbortSignal } = {}): Promise<Seen> {
      const seen = { stdout: "", stderr: "" };
      const dec = { stdout: decoder(), stderr: decoder() };
      const s = rt.execSession(name, {
        argv, stdin: o.input !== undefined, tty: o.tty ?? null, signal: o.signal ?? new AbortController().signal,
        onOutput: async (stream, data) => void (seen[stream] += dec[stream].decode(data, { stream: true })),
      });
      if (o.input !== undefined) {
        await s.write(new TextEncoder().encode(o.input));
        s.endInput();
      }
      return { code: await s.exited, ...seen };
    }

    beforeAll(async () => {
      ctx = await setup();
      rt = ctx.runtime;
      box = `${ctx.prefix}-execbox`;
      await rt.run({
        name: box, image: ctx.image, labels: { "mcp.contract": ctx.prefix }, network: "", user: "", restart: "", ports: [], volumes: [], cmd: SLEEP_CMD, env: [],
      });
      await waitFor("the exec box to run", async () => ((await rt.inspect(box))?.state === "running" ? true : undefined));
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    test("the exit status passes through: 0, 1, 7, and 137 for a command killed by SIGKILL", async () => {
      expect((await run(box, ["true"])).code).toBe(0);
      expect((await run(box, ["false"])).code).toBe(1);
      expect((await run(box, ["sh", "-c", "exit 7"])).code).toBe(7);
      expect((await run(box, ["sh", "-c", "kill -9 $$"])).code).toBe(137);
    });

    test("stdout and stderr come apart", async () => {
      const r = await run(box, ["sh", "-c", "echo out; echo err >&2"]);
      expect(r).toEqual({ code: 0, stdout: "out\n", stderr: "err\n" });
    });

    test("stdin reaches the command and its end ends it; without stdin the command reads nothing", async () => {
      expect(await run(box, ["cat"], { input: "hello\nworld\n" })).toEqual({ code: 0, stdout: "hello\nworld\n", stderr: "" });
      expect(await run(box, ["cat"])).toEqual({ code: 0, stdout: "", stderr: "" });
    });

    test("a terminal has the size asked for, follows a resize, and carries all output as stdout", async () => {
      const seen = { stdout: "", stderr: "" };
      const dec = decoder();
      const s = rt.execSession(box, {
        // Six asks at most (the fake's interpreter has no loops).
        argv: ["sh", "-c", `${"read a; stty size; ".repeat(6)}echo done >&2`], stdin: true, tty: { cols: 100, rows: 30 },
        signal: new AbortController().signal,
        onOutput: async (stream, data) => void (seen[stream] += dec.decode(data, { stream: true })),
      });
      await s.write(new TextEncoder().encode("x\n"));
      await waitFor("the first size", async () => (seen.stdout.includes("30 100") ? true : undefined));
      s.resize({ cols: 120, rows: 40 });
      // podman applies a resize asynchronously (as with `podman exec -it`): ask again until the new size shows.
      for (let ask = 2; ask <= 6; ask++) {
        const before = seen.stdout.split("\n").length;
        await s.write(new TextEncoder().encode("y\n"));
        await waitFor("an answer", async () => (seen.stdout.split("\n").length > before + 1 || seen.stdout.includes("40 120") ? true : undefined));
        if (seen.stdout.includes("40 120")) {
          for (let rest = ask + 1; rest <= 6; rest++) await s.write(new TextEncoder().encode("z\n"));
          break;
        }
        await Bun.sleep(200);
      }
      expect(await s.exited).toBe(0);
      expect(seen.stdout).toContain("40 120");
      expect(seen.stdout).toContain("done");
      expect(seen.stderr).toBe("");
    });

    test("no such container, a stopped one, an unknown command: podman's statuses (125, 255, 127) with its reason", async () => {
      const missing = await run(`${ctx.prefix}-nope`, ["true"]);
      expect(missing.code).toBe(125);
      expect(missing.stderr).toMatch(/no such container|no container with name/i);
      const stopped = `${ctx.prefix}-execstopped`;
      await rt.run({ name: stopped, image: ctx.image, labels: { "mcp.contract": ctx.prefix }, network: "", user: "", restart: "", ports: [], volumes: [], cmd: ["sh", "-c", "exit 0"], env: [] });
      await waitFor("it to exit", async () => ((await rt.inspect(stopped))?.state === "exited" ? true : undefined));
      const r = await run(stopped, ["true"]);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/state improper|not running/i);
      const unknown = await run(box, ["no-such-command-here"]);
      expect(unknown.code).toBe(127);
      expect(unknown.stderr).toContain("no-such-command-here");
    });

    test("an abort ends the session and kills the command and what it started: nothing of it is left in the container", async () => {
      const ac = new AbortController();
      let out = "";
      const s = rt.execSession(box, {
        argv: ["sh", "-c", "echo started; sleep 1234"], stdin: false, tty: null, signal: ac.signal,
        onOutput: async (_stream, data) => void (out += new TextDecoder().decode(data)),
      });
      await waitFor("the command to start", async () => (out.includes("started") ? true : undefined));
      await waitFor("sleep to run", async () => ((await run(box, ["ps"])).stdout.includes("sleep 1234") ? true : undefined));
      ac.abort();
      await s.exited;
      expect((await run(box, ["ps"])).stdout).not.toContain("sleep 1234");
    });
  });
}
