import { describe, expect, test } from "bun:test";
import { createRunner, redactArgv, RunnerError, verbOf } from "../../../src/node/podman/runner.ts";
import { McpError } from "../../../src/lib/errors.ts";
import type { Logger } from "../../../src/lib/log.ts";

/** The runner with `sh` standing in for podman: argv[0] = "-c", argv[1] = the script. */
const sh = createRunner({ bin: "sh" });

async function rejection(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("run", () => {
  test("returns stdout, stderr and code 0", async () => {
    expect(await sh.run(["-c", "echo out; echo err >&2"], { timeoutMs: 5000 })).toEqual({ stdout: "out\n", stderr: "err\n", code: 0 });
  });

  test("writes stdin, as text or bytes", async () => {
    expect((await sh.run(["-c", "cat"], { timeoutMs: 5000, stdin: "hello" })).stdout).toBe("hello");
    expect((await sh.run(["-c", "cat"], { timeoutMs: 5000, stdin: new Uint8Array([104, 105]) })).stdout).toBe("hi");
  });

  test("a non-zero exit throws RunnerError with redacted argv, exit code and the last 20 stderr lines", async () => {
    const script = "for i in $(seq 1 30); do echo line$i >&2; done; echo 'Error: it broke' >&2; exit 3";
    const err = await rejection(sh.run(["-c", script, "run", "-e", "TOKEN=s3cret", "--password", "pw", "--env=DB=pass"], { timeoutMs: 5000 }));
    expect(err).toBeInstanceOf(RunnerError);
    const re = err as RunnerError;
    expect(re.exitCode).toBe(3);
    expect(re.argv).toEqual(["-c", script, "run", "-e", "TOKEN=***", "--password", "***", "--env=DB=***"]);
    expect(re.stderrTail.split("\n")).toHaveLength(20);
    expect(re.stderrTail.split("\n").at(-1)).toBe("Error: it broke");
    expect(re.code).toBe("failed_precondition");
    expect(re.message).toBe("podman -c failed (exit 3): it broke");
    expect(`${re.message} ${re.hint}`).not.toContain("s3cret");
    expect(`${re.message} ${re.hint}`).not.toContain("pw");
    expect(`${re.message} ${re.hint}`).not.toContain("=pass");
  });

  test("a call past its deadline is killed and fails deadline_exceeded", async () => {
    const started = performance.now();
    const err = await rejection(sh.run(["-c", "sleep 30"], { timeoutMs: 300 }));
    expect(err.code).toBe("deadline_exceeded");
    expect(err.message).toBe("podman -c did not answer within 0.3s");
    expect(err.hint).not.toBe("");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("an abort kills the call and fails aborted", async () => {
    const ac = new AbortController();
    const p = sh.run(["-c", "sleep 30"], { timeoutMs: 10_000, signal: ac.signal });
    ac.abort();
    expect((await rejection(p)).code).toBe("aborted");
    expect((await rejection(sh.run(["-c", "true"], { timeoutMs: 1000, signal: ac.signal }))).code).toBe("aborted");
  });

  test("a missing binary fails unavailable with a hint", async () => {
    const err = await rejection(createRunner({ bin: "/nonexistent/podman" }).run(["version"], { timeoutMs: 1000 }));
    expect(err.code).toBe("unavailable");
    expect(err.message).toBe("cannot run podman: /nonexistent/podman not found");
    expect(err.hint).toBe("install podman or set [agent] podman");
  });

  test("the environment is the one given", async () => {
    const runner = createRunner({ bin: "/bin/sh", env: { MCP_TEST: "yes", PATH: "/usr/bin:/bin" } });
    expect((await runner.run(["-c", "echo $MCP_TEST"], { timeoutMs: 5000 })).stdout).toBe("yes\n");
  });

  test("each call is logged at debug with redacted argv", async () => {
    const lines: string[] = [];
    const log: Logger = { debug: (m, c) => lines.push(`${m} ${JSON.stringify(c)}`), info() {}, warn() {}, error() {} };
    await createRunner({ bin: "sh", log }).run(["-c", "true", "-e", "K=secret"], { timeoutMs: 5000 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("K=***");
    expect(lines[0]).not.toContain("secret");
  });
});

describe("stream", () => {
  test("delivers every line, the last even without a newline, then the exit code", async () => {
    const lines: string[] = [];
    const h = sh.stream(["-c", "echo a; echo b; printf c; exit 4"], { onLine: (l) => lines.push(l) });
    expect(await h.done).toBe(4);
    expect(lines).toEqual(["a", "b", "c"]);
  });

  test("kill ends a long-running stream", async () => {
    const lines: string[] = [];
    let ready!: () => void;
    const seen = new Promise<void>((r) => (ready = r));
    const h = sh.stream(["-c", "echo ready; sleep 30; echo never"], { onLine: (l) => (lines.push(l), ready()) });
    await seen;
    h.kill();
    h.kill();
    expect(await h.done).not.toBe(0);
    expect(lines).toEqual(["ready"]);
  });

  test("an abort signal ends it too", async () => {
    const ac = new AbortController();
    const h = sh.stream(["-c", "exec sleep 30"], { onLine() {}, signal: ac.signal });
    ac.abort();
    expect(await h.done).not.toBe(0);
  });

  test("a missing binary fails at once", () => {
    expect(() => createRunner({ bin: "/nonexistent/podman" }).stream(["events"], { onLine() {} })).toThrow("cannot run podman");
  });
});

describe("helpers", () => {
  test("verbOf names two-word verbs", () => {
    expect([verbOf(["container", "inspect", "x"]), verbOf(["ps", "-a"]), verbOf(["image"]), verbOf([])]).toEqual([
      "container inspect", "ps", "image", "",
    ]);
  });

  test("redactArgv hides env values and passwords, keeps paths", () => {
    expect(redactArgv(["pull", "--authfile", "/a.json", "--creds", "u:p", "--password=x", "--creds=u:p", "-e", "NOEQ"])).toEqual([
      "pull", "--authfile", "/a.json", "--creds", "***", "--password=***", "--creds=***", "-e", "NOEQ",
    ]);
  });
});
