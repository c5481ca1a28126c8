/**
 * `mcp exec` on the node (SPEC §7.4): which container, whether it may be
 * entered now, how many sessions may run, and the pumping between the
 * caller's stream and the runtime's session. The processes themselves are
 * the runtime's (src/node/podman/_exec-session.ts).
 */
import { McpError } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/index.ts";
import { getService, type Db } from "../store/index.ts";

/** What the caller asks for (checked by the handler before it gets here). */
export interface ExecRequest {
  service: string;
  /** "" = the service's first component. */
  component: string;
  argv: string[];
  stdin: boolean;
  tty: boolean;
  cols: number;
  rows: number;
}

/** What the caller sends after the start. */
export type ExecInput = { stdin: Uint8Array } | { resize: { cols: number; rows: number } } | { stdinEof: true };

/** What goes back: output, as it comes. */
export type ExecOutput = { stdout: Uint8Array } | { stderr: Uint8Array };

export interface ExecDeps {
  node: string;
  db: Db;
  runtime: ContainerRuntime;
  /** The live state of a container ("running", "exited", …; undefined when there is none). */
  stateOf(containerName: string): string | undefined;
}

/** The terminal size used when the caller gives none (0 × 0). */
export const DEFAULT_TERM = { cols: 80, rows: 24 } as const;

/** Which component an exec enters: the named one, else the service's first. Throws not_found / invalid_argument / failed_precondition. */
export function execTarget(deps: ExecDeps, req: { service: string; component: string }): { component: string; containerName: string } {
  const svc = getService(deps.db, req.service);
  if (!svc) throw new McpError("not_found", `service ${req.service} is not deployed on node ${deps.node}`, `deploy it: mcp deploy ${req.service}`);
  const c = req.component ? svc.components.find((x) => x.name === req.component) : svc.components[0];
  if (!c) {
    throw new McpError("invalid_argument", `service ${req.service} has no component "${req.component}"`,
      `its components: ${svc.components.map((x) => x.name).join(", ") || "none"}`);
  }
  const state = deps.stateOf(c.containerName);
  if (state !== "running") {
    throw new McpError("failed_precondition", `${req.service}/${c.name} is not running (its container ${c.containerName} is ${state ?? "missing"})`,
      `start it first: mcp start ${req.service}`);
  }
  return { component: c.name, containerName: c.containerName };
}

/**
 * Runs one exec to its end and returns the exit status. The caller's input
 * is read only as fast as the command takes it; output waits for `send`.
 * When `signal` aborts (the caller left) or the input stream fails (bad
 * message), the command and what it started are killed before this ends.
 */
export async function runExec(
  deps: ExecDeps, req: ExecRequest, input: AsyncIterable<ExecInput>, signal: AbortSignal, send: (o: ExecOutput) => Promise<void>,
): Promise<number> {
  const { containerName } = execTarget(deps, req);
  const ac = new AbortController();
  const stop = () => ac.abort();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  const term = req.cols > 0 && req.rows > 0 ? { cols: req.cols, rows: req.rows } : DEFAULT_TERM;
  const session = deps.runtime.execSession(containerName, {
    argv: req.argv,
    stdin: req.stdin,
    tty: req.tty ? term : null,
    signal: ac.signal,
    onOutput: (stream, data) => send(stream === "stdout" ? { stdout: data } : { stderr: data }),
  });
  let inputError: unknown = null;
  // Not awaited: once the command ended, input still on its way is of no use.
  void (async () => {
    for await (const m of input) {
      if (ac.signal.aborted) return;
      if ("stdin" in m) await session.write(m.stdin);
      else if ("resize" in m) session.resize(m.resize);
      else session.endInput();
    }
  })().catch((err) => {
    inputError = err;
    stop();
  });
  try {
    const code = await session.exited;
    if (inputError) throw inputError;
    return code;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** Bounds on concurrent execs: each holds a podman and a conmon process for as long as the caller likes. */
export interface ExecLimits {
  perCaller: number;
  total: number;
}

export const EXEC_LIMITS: ExecLimits = { perCaller: 16, total: 64 };

/** The node's running execs: bounded per caller and in all, and ended together when the agent stops. */
export interface ExecRegistry {
  /**
   * Runs one exec in a slot of `who` (resource_exhausted past the limits;
   * unavailable once closing). `fn` gets a signal that aborts when the
   * registry closes; an exec ended that way fails `unavailable`.
   */
  run(who: string, fn: (closing: AbortSignal) => Promise<number>): Promise<number>;
  /** Ends every running exec (their commands killed) and refuses new ones; resolves when all ended. */
  closeAll(): Promise<void>;
  running(): number;
}

export function createExecRegistry(node: string, limits: ExecLimits = EXEC_LIMITS): ExecRegistry {
  const mine = new Map<string, number>();
  const ends = new Set<Promise<unknown>>();
  const closing = new AbortController();
  let all = 0;
  return {
    async run(who, fn) {
      if (closing.signal.aborted) throw new McpError("unavailable", `the agent on node ${node} is stopping`, "run it again once the agent is back");
      const n = mine.get(who) ?? 0;
      if (n >= limits.perCaller || all >= limits.total) {
        throw new McpError("resource_exhausted", `too many execs running (${n} by "${who}", ${all} on this node; at most ${limits.perCaller} and ${limits.total})`,
          "end some mcp exec sessions, then try again");
      }
      mine.set(who, n + 1);
      all++;
      const p = fn(closing.signal);
      const settled = p.then(() => {}, () => {});
      ends.add(settled);
      try {
        const code = await p;
        if (closing.signal.aborted) throw new McpError("unavailable", `the exec was ended: the agent on node ${node} is stopping`, "run it again once the agent is back");
        return code;
      } finally {
        ends.delete(settled);
        all--;
        const left = (mine.get(who) ?? 1) - 1;
        if (left > 0) mine.set(who, left);
        else mine.delete(who);
      }
    },
    async closeAll() {
      closing.abort();
      await Promise.all([...ends]);
    },
    running: () => all,
  };
}
