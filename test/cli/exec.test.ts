// The workstation's side of mcp exec over a fake terminal and a fake agent
// client: what is sent (start, stdin, resizes, the end of stdin), the exit
// status, and the terminal given back on every way out.
import { describe, expect, test } from "bun:test";
import { runExecSession } from "../../src/cli/exec.ts";
import { McpError } from "../../src/lib/errors.ts";
import type { RawStdio, TermSize } from "../../src/lib/io.ts";
import type { AgentClient, ExecInput, ExecStart } from "../../src/rpc/index.ts";

/** A fake terminal: stdin chunks given up front, what was written, raw mode and its restores, resize and signal hooks. */
function fakeStdio(o: { stdin?: string[]; tty?: boolean } = {}) {
  const state = { raw: 0, restored: 0, out: "", err: "", resize: null as ((s: TermSize) => void) | null, signal: null as ((s: "SIGINT" | "SIGTERM" | "SIGHUP") => void) | null };
  const stdio: RawStdio = {
    async *stdin() {
      for (const s of o.stdin ?? []) yield new TextEncoder().encode(s);
    },
    async write(fd, data) {
      if (fd === 1) state.out += new TextDecoder().decode(data);
      else state.err += new TextDecoder().decode(data);
    },
    stdinIsTTY: o.tty ?? false,
    size: () => (o.tty ? { cols: 100, rows: 30 } : null),
    raw() {
      state.raw++;
      let on = true;
      return () => {
        if (on) state.restored++;
        on = false;
      };
    },
    onResize(fn) {
      state.resize = fn;
      return () => (state.resize = null);
    },
    onSignal(fn) {
      state.signal = fn;
      return () => (state.signal = null);
    },
  };
  return { stdio, state };
}

/** A fake client whose exec records its input and behaves as `run` says. */
function fakeClient(run: (input: AsyncIterable<ExecInput>, out: (o: { stdout: Uint8Array }) => Promise<void>, signal?: AbortSignal) => Promise<number>) {
  const seen: { start?: ExecStart } = {};
  const client = {
    exec: (start: ExecStart, input: AsyncIterable<ExecInput>, onOutput: (o: { stdout: Uint8Array }) => Promise<void>, signal?: AbortSignal) => {
      seen.start = start;
      return run(input, onOutput as never, signal);
    },
  } as unknown as AgentClient;
  return { client, seen };
}

const start = (over: Partial<ExecStart> = {}): ExecStart => ({ service: "a", component: "web", argv: ["cat"], stdin: true, tty: false, cols: 0, rows: 0, ...over });

async function take<T>(it: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length === n) break;
  }
  return out;
}

describe("mcp exec on the workstation", () => {
  test("stdin is sent as it comes, then its end; output is written; the command's status is the result; no raw mode without a terminal", async () => {
    const { stdio, state } = fakeStdio({ stdin: ["a", "b"] });
    const { client } = fakeClient(async (input, out) => {
      const got = await take(input, 3);
      expect(got.map((m) => ("stdin" in m ? new TextDecoder().decode(m.stdin) : Object.keys(m)[0]))).toEqual(["a", "b", "stdinEof"]);
      await out({ stdout: new TextEncoder().encode("ab") });
      return 7;
    });
    expect(await runExecSession(client, start(), stdio)).toBe(7);
    expect(state).toMatchObject({ out: "ab", raw: 0 });
  });

  test("-it on a terminal: raw mode, resizes sent, and the terminal restored once at the end", async () => {
    const { stdio, state } = fakeStdio({ tty: true, stdin: [] });
    const { client } = fakeClient(async (input) => {
      state.resize!({ cols: 120, rows: 40 });
      const got = await take(input, 2);
      expect(got).toContainEqual({ resize: { cols: 120, rows: 40 } });
      return 0;
    });
    expect(await runExecSession(client, start({ tty: true }), stdio)).toBe(0);
    expect(state).toMatchObject({ raw: 1, restored: 1 });
    expect(state.resize).toBeNull();
    expect(state.signal).toBeNull();
  });

  test("the terminal is restored when the agent refuses, and the refusal is the error", async () => {
    const { stdio, state } = fakeStdio({ tty: true });
    const { client } = fakeClient(async () => {
      throw new McpError("failed_precondition", "a/web is not running");
    });
    await expect(runExecSession(client, start({ tty: true }), stdio)).rejects.toThrow("a/web is not running");
    expect(state).toMatchObject({ raw: 1, restored: 1 });
  });

  test("a signal cancels the call (the agent kills the command): status 128 + n, the terminal restored", async () => {
    const { stdio, state } = fakeStdio({ tty: true });
    const { client } = fakeClient((_input, _out, signal) =>
      new Promise((_resolve, reject) => {
        signal!.addEventListener("abort", () => reject(new McpError("aborted", "the exec was cancelled")));
        state.signal!("SIGTERM");
      }));
    expect(await runExecSession(client, start({ tty: true }), stdio)).toBe(143);
    expect(state).toMatchObject({ raw: 1, restored: 1 });
  });

  test("-t without -i: a remote terminal, but the local keys stay cooked (Ctrl-C cancels)", async () => {
    const { stdio, state } = fakeStdio({ tty: true });
    const { client } = fakeClient(async () => 0);
    await runExecSession(client, start({ tty: true, stdin: false }), stdio);
    expect(state.raw).toBe(0);
  });
});
