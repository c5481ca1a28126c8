/**
 * THE ADAPTER: ContainerRuntime on the podman CLI. Argv comes from args.ts,
 * JSON is checked by parse.ts, processes go through the Runner. This file
 * only sequences calls and turns podman's failures into the port's errors.
 */
import { McpError } from "../../lib/errors.ts";
import { silentLogger, type Logger } from "../../lib/log.ts";
import type { ContainerRuntime, PullOptions } from "../runtime/port.ts";
import type { ContainerDetails, ContainerSpec, ImageInfo, ObservedContainer, RuntimeEvent } from "../runtime/types.ts";
import {
  eventsArgs,
  execArgs,
  imageInspectArgs,
  inspectArgs,
  psArgs,
  pullArgs,
  restartArgs,
  rmArgs,
  runArgs,
  startArgs,
  stopArgs,
  versionArgs,
} from "./args.ts";
import { streamLog, type LogDeps } from "./_log-stream.ts";
import { podmanSecrets } from "./_secrets.ts";
import { podmanImages } from "./_images.ts";
import { parseEvent, parseImageInspect, parseInspect, parseLogTarget, parsePs, parseVersion, type LogTarget, type ParsedImage } from "./parse.ts";
import { createAttacher, RunnerError, reasonOf, type Runner } from "./runner.ts";
import type { Attacher } from "./_attach.ts";
import { findSubreaper, startExecSession, type ExecDeps } from "./_exec-session.ts";

/** Deadlines of podman calls. */
export interface PodmanTimeouts {
  /** Any call but pull, in ms (stop/restart/rm add their grace period). Default 60 000. */
  callMs?: number;
  /** A pull, in ms. Default 600 000. */
  pullMs?: number;
}

/** Options of createPodmanRuntime. */
export interface PodmanRuntimeOptions {
  runner: Runner;
  timeouts?: PodmanTimeouts;
  /** How often a followed k8s-file log is checked for new records, in ms. Default 250 (podman's own interval). */
  logPollMs?: number;
  /** Attached execs (mcp exec): how podman is started, and whether it is rootless. Default: `podman` on PATH, rootful. */
  exec?: { attacher: Attacher; rootless: boolean; subreaper?: readonly string[] | null; log?: Logger };
}

/** The grace period rm gives a running container before killing it. */
const REMOVE_GRACE_SEC = 10;
/** podman's own default stop timeout: what `run --replace` waits for an old container created without one. */
export const PODMAN_STOP_TIMEOUT_SEC = 10;

const NO_CONTAINER = /no such container|no container with name or id/i;
const NO_IMAGE = /image not known|no such image/i;
const NAME_IN_USE = /container name .* is already in use|name is already in use/i;

/** True when err is a podman failure whose stderr matches re. */
function failedWith(err: unknown, re: RegExp): boolean {
  return err instanceof RunnerError && re.test(err.stderrTail);
}

/** Why a pull failed, for operators: [what happened, what to do]. */
function pullReason(stderr: string): [string, string] {
  if (/unauthorized|authentication required|denied|invalid username\/password/i.test(stderr)) {
    return ["the registry refused access (unauthorized)", "log in to the registry (podman login) or check the auth file"];
  }
  if (/manifest unknown|name unknown|not found|404/i.test(stderr)) {
    return ["the image does not exist in the registry", "check the image name and tag"];
  }
  if (/connection refused|no such host|i\/o timeout|network is unreachable|initializing source|pinging container registry/i.test(stderr)) {
    return ["the registry cannot be reached", "check the registry address and that it is up"];
  }
  return [reasonOf(stderr) || "podman refused the pull", "run the pull by hand on the node to see podman's full error"];
}

/** The podman ContainerRuntime. Every method's contract is the port's (src/node/runtime/port.ts). */
export function createPodmanRuntime(opts: PodmanRuntimeOptions): ContainerRuntime {
  const { runner } = opts;
  const callMs = opts.timeouts?.callMs ?? 60_000;
  const pullMs = opts.timeouts?.pullMs ?? 600_000;
  const logDeps: LogDeps = { runner, callMs, pollMs: opts.logPollMs ?? 250 };
  const execDeps: ExecDeps = {
    attacher: opts.exec?.attacher ?? createAttacher(), runner, rootless: opts.exec?.rootless ?? false,
    subreaper: opts.exec?.subreaper === undefined ? findSubreaper() : opts.exec.subreaper, log: opts.exec?.log ?? silentLogger,
  };

  const call = (argv: string[], extraMs = 0) => runner.run(argv, { timeoutMs: callMs + extraMs });

  /** Runs a verb on a named container; a missing container fails not_found. */
  async function onContainer(name: string, argv: string[], extraMs = 0): Promise<string> {
    try {
      return (await call(argv, extraMs)).stdout;
    } catch (err) {
      if (failedWith(err, NO_CONTAINER)) {
        throw new McpError("not_found", `container ${name} not found`, "list containers with `mcp ps`", { cause: err });
      }
      throw err;
    }
  }

  /** Where a container's log is kept; a missing container fails not_found. */
  async function logTarget(name: string): Promise<LogTarget> {
    const target = parseLogTarget(await onContainer(name, inspectArgs(name)));
    if (!target) throw new McpError("not_found", `container ${name} not found`, "list containers with `mcp ps`");
    return target;
  }

  async function readImage(ref: string): Promise<ParsedImage | null> {
    try {
      return parseImageInspect((await call(imageInspectArgs(ref))).stdout);
    } catch (err) {
      if (failedWith(err, NO_IMAGE)) return null;
      throw err;
    }
  }

  async function removeLeftover(name: string): Promise<void> {
    try {
      await call(rmArgs(name, 0));
    } catch {
      // Best effort: the run's own error is what the caller needs to see.
    }
  }

  return {
    ...podmanSecrets((argv, stdin) => runner.run(argv, { timeoutMs: callMs, ...(stdin ? { stdin } : {}) })),
    ...podmanImages((argv) => call(argv)),

    async version(): Promise<string> {
      try {
        return parseVersion((await call(versionArgs())).stdout);
      } catch (err) {
        if (err instanceof RunnerError) {
          throw new McpError("unavailable", `podman does not answer: ${reasonOf(err.stderrTail)}`, "check `podman info` as the agent's user", {
            cause: err,
          });
        }
        throw err;
      }
    },

    async pull(image: string, po?: PullOptions): Promise<ImageInfo> {
      try {
        await runner.run(pullArgs(image, { authFile: po?.authFile, certDir: po?.certDir }), { timeoutMs: pullMs, ...(po?.signal ? { signal: po.signal } : {}) });
      } catch (err) {
        if (err instanceof RunnerError) {
          const [what, hint] = pullReason(err.stderrTail);
          throw new McpError("failed_precondition", `cannot pull ${image}: ${what}`, hint, { cause: err });
        }
        throw err;
      }
      const pulled = await readImage(image);
      if (!pulled) throw new McpError("internal", `podman pulled ${image} but does not show it`, "run `podman images` on the node");
      return pulled.info;
    },

    async getImage(image: string): Promise<ImageInfo | null> {
      return (await readImage(image))?.info ?? null;
    },

    async list(filter?: { labels?: Record<string, string> }): Promise<ObservedContainer[]> {
      const labels = filter?.labels ?? {};
      const all = parsePs((await call(psArgs(labels))).stdout);
      // podman already filtered; checking again keeps the contract if a podman version ORs filters.
      return all.filter((c) => Object.entries(labels).every(([k, val]) => c.labels[k] === val));
    },

    async inspect(nameOrId: string): Promise<ContainerDetails | null> {
      let details: ContainerDetails | null;
      try {
        details = parseInspect((await call(inspectArgs(nameOrId))).stdout);
      } catch (err) {
        if (failedWith(err, NO_CONTAINER)) return null;
        throw err;
      }
      if (!details) return null;
      // By id: the tag may have moved to another image since the container was made.
      const image = await readImage(details.imageId);
      return { ...details, imageEnv: image?.env ?? [], ...(image ? { imageDefaults: image.defaults } : {}) };
    },

    async run(spec: ContainerSpec, opts?: { replace?: boolean; stopTimeoutSec?: number }): Promise<string> {
      const argv = runArgs(spec);
      // `run --replace`: the old container goes (stopped within its own stop timeout) in the same podman process.
      if (opts?.replace) argv.splice(1, 0, "--replace");
      try {
        const out = (await call(argv, opts?.replace ? (opts.stopTimeoutSec ?? PODMAN_STOP_TIMEOUT_SEC) * 1000 : 0)).stdout.trim().split("\n");
        return out.at(-1) ?? "";
      } catch (err) {
        if (failedWith(err, NAME_IN_USE)) {
          throw new McpError("already_exists", `container ${spec.name} already exists`, "remove it first, or deploy under another name", {
            cause: err,
          });
        }
        if (!(err instanceof RunnerError)) throw err;
        // podman run leaves a "created" container behind when the start fails (port taken, bad command).
        await removeLeftover(spec.name);
        if (failedWith(err, NO_IMAGE)) {
          throw new McpError("failed_precondition", `image ${spec.image} is not present on this node`, "pull it first", { cause: err });
        }
        throw new McpError(
          "failed_precondition",
          `cannot start container ${spec.name}: ${reasonOf(err.stderrTail)}`,
          "check the component's ports, volumes, user and command",
          { cause: err },
        );
      }
    },

    async start(name: string): Promise<void> {
      await onContainer(name, startArgs(name));
    },

    async startMany(names: string[]): Promise<{ error: string }> {
      if (names.length === 0) return { error: "" };
      try {
        // podman starts each in turn and reports the ones that failed at the end (exit 125).
        await call(["start", ...names.flatMap((n) => startArgs(n).slice(1))], names.length * 5_000);
        return { error: "" };
      } catch (err) {
        if (err instanceof RunnerError) return { error: reasonOf(err.stderrTail) };
        throw err;
      }
    },

    async stop(name: string, timeoutSec: number): Promise<void> {
      await onContainer(name, stopArgs(name, timeoutSec), timeoutSec * 1000);
    },

    async restart(name: string, timeoutSec: number): Promise<void> {
      await onContainer(name, restartArgs(name, timeoutSec), timeoutSec * 1000);
    },

    async exec(name: string, cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
      try {
        const r = await runner.run(execArgs(name, cmd), { timeoutMs });
        return { code: r.code, output: (r.stdout + r.stderr).trim() };
      } catch (err) {
        if (err instanceof RunnerError) {
          if (failedWith(err, NO_CONTAINER)) throw new McpError("not_found", `container ${name} not found`, "list containers with `mcp ps`", { cause: err });
          // The probe ran and failed: its exit code and output are the answer, not an error.
          return { code: err.exitCode, output: err.stderrTail.trim() };
        }
        throw err;
      }
    },

    async logs(name: string, tail: number): Promise<string> {
      const lines: string[] = [];
      await streamLog(logDeps, name, await logTarget(name), { tail, follow: false, signal: new AbortController().signal }, (l) => lines.push(l));
      return lines.join("\n");
    },

    async streamLogs(name, o, onLine) {
      const target = await logTarget(name);
      if (o.signal.aborted) return;
      await streamLog(logDeps, name, target, o, onLine);
    },

    async watch(onEvent: (e: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
      if (signal.aborted) return;
      const handle = runner.stream(eventsArgs(Date.now()), {
        signal,
        onLine: (line) => {
          const e = parseEvent(line);
          if (e) onEvent(e);
        },
      });
      const code = await handle.done;
      if (!signal.aborted) {
        throw new McpError("unavailable", `podman events ended (exit code ${code})`, "the agent restarts it; check `podman events` by hand if it keeps ending");
      }
    },

    async remove(name: string, timeoutSec = REMOVE_GRACE_SEC): Promise<boolean> {
      try {
        // With -f podman exits 0 for a missing container and prints nothing.
        return (await call(rmArgs(name, timeoutSec), timeoutSec * 1000)).stdout.trim() !== "";
      } catch (err) {
        if (failedWith(err, NO_CONTAINER)) return false;
        throw err;
      }
    },

    execSession(name, o) {
      return startExecSession(execDeps, name, o);
    },
  };
}
