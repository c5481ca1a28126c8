/**
 * A container's log as whole lines (ContainerRuntime.streamLogs). The
 * k8s-file driver (podman's default) is read from its file (_log-file.ts),
 * because podman 4.3's `logs --tail` splits and glues lines stored as partial
 * records; `podman wait` says when a followed container stopped. Other
 * drivers (journald) go through `podman logs`.
 */
import { McpError } from "../../lib/errors.ts";
import { logsArgs, waitArgs } from "./args.ts";
import { findSinceOffset, followLog, readLog, readLogTail, type LogPosition } from "./_log-file.ts";
import { createLineJoiner, parseLogTime, type OnLine } from "./_log-records.ts";
import type { LogTarget } from "./parse.ts";
import type { Runner } from "./runner.ts";

/** What reading a log needs from the runtime. */
export interface LogDeps {
  runner: Runner;
  /** The deadline of a `podman logs` without follow, in ms. */
  callMs: number;
  /** How often a followed log file is checked for new records, in ms. */
  pollMs: number;
}

/** Options of one read, as ContainerRuntime.streamLogs takes them. */
export interface LogOptions {
  /** The last lines (0 = all). */
  tail: number;
  follow: boolean;
  signal: AbortSignal;
  /** Only lines that ended at or after this time (Unix ms); 0 or absent = every line. */
  since?: number;
}

/** Drivers that write the k8s-file format (podman takes "json-file" as k8s-file). */
const FILE_DRIVERS = new Set(["k8s-file", "json-file"]);

/**
 * Streams the log of the container `name`, whose log is at `target`, one
 * whole line per onLine call (stdout and stderr, in the order the lines
 * ended) with its time: the last `tail` lines of those written since
 * `since`, then with follow new ones until the container stops or signal
 * aborts. A line still unfinished when the log ends (no newline yet) is
 * given as it is, after the finished ones; while following it waits for its
 * end instead. A line whose time is unknown (0) is never dropped by `since`.
 */
export async function streamLog(deps: LogDeps, name: string, target: LogTarget, o: LogOptions, onLine: OnLine): Promise<void> {
  if (FILE_DRIVERS.has(target.driver) && target.path !== "") {
    try {
      await streamLogFile(deps, name, target, o, onLine);
    } catch (err) {
      if (!isSystemError(err)) throw err;
      throw new McpError("failed_precondition", `cannot read the log of container ${name}: ${err.message}`,
        `the agent reads ${target.path}: it must run as the user that runs the containers`, { cause: err });
    }
    return;
  }
  await streamPodmanLogs(deps, name, o, onLine);
}

/** An error of a system call (reading the file), as opposed to one thrown by onLine. */
function isSystemError(err: unknown): err is Error {
  return err instanceof Error && typeof (err as { syscall?: unknown }).syscall === "string";
}

/** onLine for the lines that ended at or after since (every line when since is 0). */
function sinceFilter(since: number | undefined, onLine: OnLine): OnLine {
  const from = since && Number.isFinite(since) && since > 0 ? since : 0;
  if (from === 0) return onLine;
  return (line, time) => {
    if (time === 0 || time >= from) onLine(line, time);
  };
}

async function streamLogFile(deps: LogDeps, name: string, target: LogTarget, o: LogOptions, onLine: OnLine): Promise<void> {
  const joiner = createLineJoiner(sinceFilter(o.since, onLine));
  // As `podman logs -f`: a container that is not running has no more to say.
  const follow = o.follow && (target.state === "running" || target.state === "paused");
  const tail = Number.isFinite(o.tail) ? Math.floor(o.tail) : 0;
  let at: LogPosition;
  if (tail > 0) {
    const last = await readLogTail(target.path, tail, { follow });
    for (const r of last.records) joiner.push(r);
    at = last.at;
  } else {
    // With since, from the first record at or after it (found by bisecting the file), not from the start.
    const from = o.since && o.since > 0 ? await findSinceOffset(target.path, o.since) : 0;
    at = await readLog(target.path, (r) => joiner.push(r), o.signal, from);
  }
  if (o.signal.aborted) return;
  if (!follow) {
    joiner.flush();
    return;
  }
  const ac = new AbortController();
  const cancel = () => ac.abort();
  o.signal.addEventListener("abort", cancel, { once: true });
  const waiting = deps.runner.stream(waitArgs(name), { signal: ac.signal, onLine: () => {} });
  try {
    await followLog(target.path, at, (r) => joiner.push(r), { signal: o.signal, stopped: waiting.done, pollMs: deps.pollMs });
    if (!o.signal.aborted) joiner.flush();
  } finally {
    o.signal.removeEventListener("abort", cancel);
    waiting.kill();
    await waiting.done.catch(() => 0);
  }
}

/**
 * `podman logs` for drivers mcp does not read itself; without follow it has
 * the deadline of any podman call. `--timestamps` gives each line its time
 * (the first word, RFC 3339), which is taken off the line.
 */
async function streamPodmanLogs(deps: LogDeps, name: string, o: LogOptions, onLine: OnLine): Promise<void> {
  if (o.signal.aborted) return;
  const ac = new AbortController();
  const cancel = () => ac.abort();
  o.signal.addEventListener("abort", cancel, { once: true });
  let timedOut = false;
  const timer = o.follow ? undefined : setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, deps.callMs);
  try {
    const emit = sinceFilter(o.since, onLine);
    const timed = (line: string) => {
      const sp = line.indexOf(" ");
      const time = sp > 0 ? parseLogTime(line.slice(0, sp)) : 0;
      if (time === 0) emit(line, 0);
      else emit(line.slice(sp + 1), time);
    };
    const since = o.since && o.since > 0 ? o.since : 0;
    const handle = deps.runner.stream(logsArgs(name, { tail: o.tail, follow: o.follow, since, timestamps: true }), { signal: ac.signal, onLine: timed, onErrLine: timed });
    await handle.done;
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener("abort", cancel);
  }
  if (timedOut) {
    throw new McpError("deadline_exceeded", `podman logs did not answer within ${Number((deps.callMs / 1000).toFixed(1))}s`,
      "podman may be stuck: check `podman ps` and for hung podman/conmon processes on the node");
  }
}
