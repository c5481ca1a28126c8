/**
 * The one seam to processes (STYLE habit 5): the only Bun.spawn in src/
 * (besides the snapshot archiver). A Runner runs one podman argv with a
 * deadline and returns its output, or throws an McpError that says what was
 * run (secrets redacted), how it ended and the tail of its stderr.
 */
import { McpError } from "../../lib/errors.ts";
import { silentLogger, type Logger } from "../../lib/log.ts";
import { createAttachIO, type Attacher } from "./_attach.ts";

/** Options of one call. */
export interface RunOptions {
  /** The process is killed (SIGKILL) after this many ms. */
  timeoutMs: number;
  /** Written to the process's stdin (never logged); stdin is closed otherwise. */
  stdin?: string | Uint8Array;
  /** Aborting kills the process; the call fails `aborted`. */
  signal?: AbortSignal;
}

/** What a finished call printed, and its exit code (0 when returned by run). */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Options of a long-running call whose stdout is read line by line. */
export interface StreamOptions {
  /** Called once per stdout line, without the newline. */
  onLine: (line: string) => void;
  /** When given, stderr is streamed as lines too (instead of kept for the log). */
  onErrLine?: (line: string) => void;
  /** Aborting kills the process (SIGTERM). */
  signal?: AbortSignal;
}

/** A running stream. */
export interface StreamHandle {
  /** Resolves with the exit code once the process ended and every line was delivered. */
  done: Promise<number>;
  /** Asks the process to end (SIGTERM). Idempotent. */
  kill(): void;
}

/** Runs podman. */
export interface Runner {
  /**
   * Runs `<bin> ...argv` to completion. Non-zero exit → RunnerError;
   * timeout → `deadline_exceeded`; abort → `aborted`; binary missing →
   * `unavailable`.
   */
  run(argv: string[], opts: RunOptions): Promise<RunResult>;
  /** Starts `<bin> ...argv` and delivers stdout lines until it ends. Throws `unavailable` at once when the binary is missing. */
  stream(argv: string[], opts: StreamOptions): StreamHandle;
}

/** How many stderr lines an error keeps. */
const TAIL_LINES = 20;

/** Subcommand groups whose verb is two words (`container inspect`). */
const GROUPS = new Set(["container", "image", "network", "volume", "pod", "system", "machine", "secret"]);

/** The verb of an argv for messages: `ps`, `container inspect`. */
export function verbOf(argv: readonly string[]): string {
  const [first = "", second = ""] = argv;
  return GROUPS.has(first) && second !== "" ? `${first} ${second}` : first;
}

/**
 * argv safe to log: the value of every `-e/--env KEY=VALUE` becomes `KEY=***`,
 * `--password`/`--creds` values are hidden. Paths (`--authfile`) are kept.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  const hideEnv = (kv: string) => (kv.includes("=") ? `${kv.slice(0, kv.indexOf("="))}=***` : kv);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const prev = argv[i - 1];
    if (prev === "-e" || prev === "--env") out.push(hideEnv(a));
    else if (prev === "--password" || prev === "--creds") out.push("***");
    else if (a.startsWith("--env=")) out.push(`--env=${hideEnv(a.slice(6))}`);
    else if (a.startsWith("--password=") || a.startsWith("--creds=")) out.push(`${a.slice(0, a.indexOf("=") + 1)}***`);
    else out.push(a);
  }
  return out;
}

/** The last `n` non-empty lines of text. */
export function tailLines(text: string, n = TAIL_LINES): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-n)
    .join("\n");
}

/** The line of stderr that says why: the last `Error: …` line, else the last line. */
export function reasonOf(stderr: string): string {
  const lines = tailLines(stderr, 1000).split("\n");
  const error = lines.findLast((l) => l.startsWith("Error: "));
  return (error ?? lines.at(-1) ?? "").replace(/^Error: /, "");
}

/**
 * A podman call that exited non-zero. Code `failed_precondition` (podman
 * refused); src/node/podman/runtime.ts turns the ones it recognises into sharper
 * errors. Carries the redacted argv, the exit code and the stderr tail.
 */
export class RunnerError extends McpError {
  /** The argv with secrets redacted (redacted again here, whatever the caller passed). */
  readonly argv: string[];

  constructor(
    argv: string[],
    readonly exitCode: number,
    /** The last lines of stderr. */
    readonly stderrTail: string,
  ) {
    const safe = redactArgv(argv);
    super(
      "failed_precondition",
      `podman ${verbOf(safe)} failed (exit ${exitCode}): ${reasonOf(stderrTail) || "no error output"}`,
      `to see more, run: podman ${safe.join(" ")}`,
    );
    this.argv = safe;
  }
}

/** Options of createRunner. */
export interface RunnerOptions {
  /** The podman binary (name on PATH or a path). */
  bin?: string;
  log?: Logger;
  /** The child's environment; the agent's own when undefined. */
  env?: Record<string, string | undefined>;
}

/** The error for a binary that cannot be started. */
function notFound(bin: string, cause: unknown): McpError {
  return new McpError("unavailable", `cannot run podman: ${bin} not found`, "install podman or set [agent] podman", { cause });
}

/** True for Bun.spawn's "executable not found" error. */
function isEnoent(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

/** Creates the Runner; every call is logged at debug with its redacted argv, exit code and duration. */
export function createRunner(opts: RunnerOptions = {}): Runner {
  const bin = opts.bin ?? "podman";
  const log = opts.log ?? silentLogger;
  const env = opts.env;

  function spawn(argv: string[], stdin: RunOptions["stdin"]) {
    const input = typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin;
    try {
      return Bun.spawn({
        cmd: [bin, ...argv],
        stdin: input ?? "ignore",
        stdout: "pipe",
        stderr: "pipe",
        ...(env ? { env } : {}),
      });
    } catch (err) {
      if (isEnoent(err)) throw notFound(bin, err);
      throw err;
    }
  }

  async function run(argv: string[], ro: RunOptions): Promise<RunResult> {
    const safe = redactArgv(argv);
    const verb = verbOf(argv);
    if (ro.signal?.aborted) throw new McpError("aborted", `podman ${verb} was cancelled`);
    const started = performance.now();
    const proc = spawn(argv, ro.stdin);
    // The deadline covers draining the pipes too: a child that inherited them must not hold the call.
    const finished = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    let timer: Timer | undefined;
    let onAbort: (() => void) | undefined;
    const cut = new Promise<"timeout" | "abort">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), ro.timeoutMs);
      onAbort = () => resolve("abort");
      ro.signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const outcome = await Promise.race([finished, cut]);
      const ms = Math.round(performance.now() - started);
      if (outcome === "timeout" || outcome === "abort") {
        proc.kill("SIGKILL");
        finished.catch(() => {});
        log.warn("podman killed", { argv: safe.join(" "), reason: outcome, ms });
        if (outcome === "abort") throw new McpError("aborted", `podman ${verb} was cancelled`);
        throw new McpError(
          "deadline_exceeded",
          `podman ${verb} did not answer within ${Number((ro.timeoutMs / 1000).toFixed(1))}s`,
          "podman may be stuck: check `podman ps` and for hung podman/conmon processes on the node",
        );
      }
      const [stdout, stderr, code] = outcome;
      log.debug("podman", { argv: safe.join(" "), code, ms });
      if (code !== 0) throw new RunnerError(safe, code, tailLines(stderr));
      return { stdout, stderr, code };
    } finally {
      clearTimeout(timer);
      if (onAbort) ro.signal?.removeEventListener("abort", onAbort);
    }
  }

  function stream(argv: string[], so: StreamOptions): StreamHandle {
    const proc = spawn(argv, undefined);
    let killRequested!: () => void;
    // Once killed, the stream ends when the process does, even if a child still holds its stdout.
    const killedExit = new Promise<void>((resolve) => (killRequested = resolve)).then(() => proc.exited);
    const kill = () => {
      killRequested();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    };
    so.signal?.addEventListener("abort", kill, { once: true });
    if (so.signal?.aborted) kill();
    const eachLine = async (source: ReadableStream<Uint8Array>, onLine: (line: string) => void) => {
      const decoder = new TextDecoder();
      let pending = "";
      for await (const chunk of source) {
        pending += decoder.decode(chunk, { stream: true });
        let nl = pending.indexOf("\n");
        while (nl >= 0) {
          onLine(pending.slice(0, nl).replace(/\r$/, ""));
          pending = pending.slice(nl + 1);
          nl = pending.indexOf("\n");
        }
      }
      pending += decoder.decode();
      if (pending !== "") onLine(pending);
    };
    const onErrLine = so.onErrLine;
    const stderr = onErrLine ? Promise.resolve("") : new Response(proc.stderr).text();
    const lines = async () => {
      await Promise.all([eachLine(proc.stdout, so.onLine), onErrLine ? eachLine(proc.stderr, onErrLine) : Promise.resolve()]);
    };
    const done = (async () => {
      try {
        await Promise.race([lines(), killedExit]);
      } catch (err) {
        // A throwing onLine ends the stream: the process must not outlive its reader.
        kill();
        throw err;
      } finally {
        so.signal?.removeEventListener("abort", kill);
      }
      const code = await proc.exited;
      const tail = await Promise.race([stderr, killedExit.then(() => "")]);
      log.debug("podman stream ended", { argv: redactArgv(argv).join(" "), code, stderr: tailLines(tail, 3) });
      return code;
    })();
    return { done, kill };
  }

  return { run, stream };
}

/** Starts processes joined to their caller (mcp exec, _attach.ts): the second of this file's two ways to spawn. */
export function createAttacher(opts: RunnerOptions = {}): Attacher {
  const bin = opts.bin ?? "podman";
  const log = opts.log ?? silentLogger;
  const env = opts.env ? { env: opts.env } : {};
  return {
    attach(argv, o) {
      const cmd = [...(o.via ?? []), bin, ...argv];
      const io = createAttachIO();
      let proc: ReturnType<typeof Bun.spawn>;
      try {
        proc = o.tty
          ? Bun.spawn({ cmd, ...env, terminal: { cols: o.tty.cols, rows: o.tty.rows, name: "xterm", data: (_t, d) => o.onTerminalData?.(d), ...io.terminalEvents } })
          : Bun.spawn({ cmd, stdin: o.stdin ? "pipe" : "ignore", stdout: "pipe", stderr: "pipe", ...env });
      } catch (err) {
        if (isEnoent(err)) throw new McpError("unavailable", `cannot run ${cmd[0]}: not found`, "install podman (and catatonit) or set [agent] podman", { cause: err });
        throw err;
      }
      return io.attached(proc, (status, ms) => log.debug("podman attached ended", { argv: redactArgv(argv).join(" "), code: status, ms }));
    },
  };
}
