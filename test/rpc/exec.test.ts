// Exec end to end over real TLS and the CLI's HTTP/2 client, against the
// agent's handlers over the fake runtime: statuses, streams, stdin, the
// terminal, which component, refusals, cancellation and paced output.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isMcpError } from "../../src/lib/errors.ts";
import type { AgentClient, ExecInput, ExecStart } from "../../src/rpc/index.ts";
import { inputOf, startExecAgent, type ExecAgent } from "../support/exec-agent.ts";
import { waitFor } from "../support/mcp.ts";

let agent: ExecAgent;
let op: AgentClient;

beforeAll(async () => {
  agent = await startExecAgent();
  op = agent.client("op");
});
afterAll(() => agent?.close());

const start = (argv: string[], over: Partial<ExecStart> = {}): ExecStart => ({ service: "a", component: "", argv, stdin: false, tty: false, cols: 0, rows: 0, ...over });

/** Runs an exec to its end; input is sent, then the stream stays open until the exec ended (as the CLI's). */
async function run(c: AgentClient, s: ExecStart, input: ExecInput[] = [], signal?: AbortSignal) {
  const out = { stdout: "", stderr: "" };
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  try {
    const code = await c.exec(s, inputOf(input, done), (o) => {
      if ("stdout" in o) out.stdout += new TextDecoder().decode(o.stdout);
      else out.stderr += new TextDecoder().decode(o.stderr);
    }, signal);
    return { code, ...out };
  } finally {
    ended();
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe("Exec over the wire", () => {
  test("exit statuses pass through unchanged: 0, 1, 7, 137", async () => {
    expect((await run(op, start(["true"]))).code).toBe(0);
    expect((await run(op, start(["false"]))).code).toBe(1);
    expect((await run(op, start(["sh", "-c", "exit 7"]))).code).toBe(7);
    expect((await run(op, start(["sh", "-c", "kill -9 $$"]))).code).toBe(137);
  });

  test("stdout and stderr stay apart; stdin reaches the command, and its end ends cat", async () => {
    expect(await run(op, start(["sh", "-c", "echo out; echo err >&2"]))).toEqual({ code: 0, stdout: "out\n", stderr: "err\n" });
    expect(await run(op, start(["cat"], { stdin: true }), [{ stdin: bytes("x\n") }, { stdinEof: true }])).toEqual({ code: 0, stdout: "x\n", stderr: "" });
  });

  test("a terminal of the caller's size (80×24 when it sends none) follows resizes", async () => {
    expect((await run(op, start(["stty", "size"], { tty: true, cols: 100, rows: 30 }))).stdout).toBe("30 100\r\n");
    expect((await run(op, start(["stty", "size"], { tty: true }))).stdout).toBe("24 80\r\n");
    const r = await run(op, start(["sh", "-c", "read a; stty size; read b; stty size"], { stdin: true, tty: true, cols: 100, rows: 30 }),
      [{ stdin: bytes("x\n") }, { resize: { cols: 132, rows: 43 } }, { stdin: bytes("y\n") }]);
    expect(r.stdout).toBe("30 100\r\n43 132\r\n");
  });

  test("the named component, else the service's first", async () => {
    const ac = new AbortController();
    const long = run(op, start(["sleep", "30"]), [], ac.signal).catch((e) => e);
    await waitFor(async () => (await run(op, start(["ps"], { component: "web" }))).stdout.includes("sleep 30"), "sleep in a/web");
    expect((await run(op, start(["ps"], { component: "db" }))).stdout).not.toContain("sleep 30");
    ac.abort();
    expect(isMcpError(await long, "aborted")).toBe(true);
  });

  test("refusals say what and what to do: unknown service, unknown component, a component that is not running", async () => {
    const err = (s: ExecStart) => run(op, s).then(() => null, (e) => `${e.code}: ${e.message} | ${e.hint}`);
    expect(await err(start(["true"], { service: "nope" }))).toBe("not_found: service nope is not deployed on node rift | deploy it: mcp deploy nope");
    expect(await err(start(["true"], { component: "nope" }))).toBe('invalid_argument: service a has no component "nope" | its components: web, db, stopped');
    expect(await err(start(["true"], { component: "stopped" }))).toBe(
      "failed_precondition: a/stopped is not running (its container a-stopped is missing) | start it first: mcp start a");
  });

  test("cancelling ends the command on the agent: it is gone from the container", async () => {
    const ac = new AbortController();
    const long = run(op, start(["sleep", "31"]), [], ac.signal).catch((e) => e);
    const listed = async () => (await run(op, start(["ps"]))).stdout.includes("sleep 31");
    await waitFor(listed, "sleep 31 to run");
    ac.abort();
    expect(isMcpError(await long, "aborted")).toBe(true);
    await waitFor(async () => !(await listed()), "sleep 31 to be gone");
  });

  test("paced output: a slow reader gets every byte, in order (the agent waits for it)", async () => {
    const data = new Uint8Array(3 << 20).map((_, i) => i % 251);
    const chunks: ExecInput[] = [];
    for (let i = 0; i < data.length; i += 64 << 10) chunks.push({ stdin: data.subarray(i, i + (64 << 10)) });
    let got = 0;
    let same = true;
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const code = await op.exec(start(["cat"], { stdin: true }), inputOf([...chunks, { stdinEof: true }], done), async (o) => {
      if (!("stdout" in o)) return;
      await new Promise((r) => setTimeout(r, 1));
      for (let i = 0; i < o.stdout.length; i++) if (o.stdout[i] !== data[got + i]) same = false;
      got += o.stdout.length;
    });
    ended();
    expect({ code, got, same }).toEqual({ code: 0, got: data.length, same: true });
  }, 30_000);
});
