import type { ContainerDetails, ContainerSpec, ImageInfo, ObservedContainer, RuntimeEvent, LocalImage, SecretEntry } from "./types.ts";
import type { ExecSession, ExecSessionOptions } from "./exec-session.ts";

/** Options of a pull. */
export interface PullOptions {
  /** A podman auth file (registry credentials); never logged. */
  authFile?: string;
  /** A directory of CA certificates (`*.crt`) that the registry's TLS certificate is checked against. */
  certDir?: string;
  signal?: AbortSignal;
}

/**
 * THE PORT: what mcp needs from a container runtime. Podman is one adapter
 * (src/node/podman/), FakeRuntime another (tests). Errors are McpError:
 * `not_found` for a missing container or image, `unavailable` when the runtime
 * cannot be reached, `deadline_exceeded` when a call hangs past its timeout,
 * `failed_precondition` for a refused operation (name in use, pull refused).
 */
export interface ContainerRuntime {
  /** The runtime's version string. Fails `unavailable` when the runtime does not answer. */
  version(): Promise<string>;

  /** Pulls an image and returns it. Not idempotent in cost, idempotent in effect. Fails `failed_precondition` when the pull is refused or the image does not exist. */
  pull(image: string, opts?: PullOptions): Promise<ImageInfo>;

  /** The local image for a reference, or null when it is not present. */
  getImage(image: string): Promise<ImageInfo | null>;

  /** Every container (running or not). `labels` keeps only containers carrying all of them. */
  list(filter?: { labels?: Record<string, string> }): Promise<ObservedContainer[]>;

  /** Full details of a container by name or id, or null when there is none. */
  inspect(nameOrId: string): Promise<ContainerDetails | null>;

  /**
   * Creates and starts a container; returns its id. Fails `already_exists`
   * when the name is taken, unless `replace`: then the container of that
   * name is stopped (within its own stop timeout, which the caller passes
   * as stopTimeoutSec so the call waits long enough) and removed first, in
   * the same call.
   */
  run(spec: ContainerSpec, opts?: { replace?: boolean; stopTimeoutSec?: number }): Promise<string>;

  /** Starts a stopped container. Idempotent (running stays running). Fails `not_found`. */
  start(name: string): Promise<void>;

  /**
   * Starts several containers in one call (a boot starts many: one process
   * for many saves podman's start-up per container). Never throws for a
   * container that would not start: `error` is what the runtime said, and
   * then the others may or may not have started (podman stops at a missing
   * name): the caller looks at what runs, or starts them one by one.
   */
  startMany(names: string[]): Promise<{ error: string }>;

  /** Stops a container, waiting up to timeoutSec before killing it. Idempotent. Fails `not_found`. */
  stop(name: string, timeoutSec: number): Promise<void>;

  /** Restarts a container (running or not). Fails `not_found`. */
  restart(name: string, timeoutSec: number): Promise<void>;

  /**
   * Removes a container, stopping it first if needed (waiting up to
   * timeoutSec, default a short grace, before killing it). Idempotent:
   * returns false when there was none.
   */
  remove(name: string, timeoutSec?: number): Promise<boolean>;

  /**
   * Runs a command inside a running container and returns its exit code and
   * combined output (a health probe). A command that does not finish within
   * timeoutMs fails `deadline_exceeded`. Fails `not_found` for a missing container.
   */
  exec(name: string, cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }>;

  /** The last `tail` lines (0 = all) of a container's log (stdout and stderr, in the order they ended). Fails `not_found`. */
  logs(name: string, tail: number): Promise<string>;

  /**
   * Streams a container's log lines (stdout and stderr) to onLine: the last
   * `tail` lines (0 = all), then, with `follow`, new lines as they come.
   * Resolves when the log ends (without follow: at once; with follow: when
   * the container stops) or when `signal` aborts. Lines come whole (partial
   * records joined), stdout and stderr in the order they ended; an
   * unfinished last line comes as a line. Fails `not_found` for a missing
   * container. Each line comes with its time (Unix ms; 0 or absent = unknown); with
   * `since` (Unix ms), only lines written at or after it (SPEC §7.6).
   */
  streamLogs(name: string, o: { tail: number; follow: boolean; signal: AbortSignal; since?: number }, onLine: (line: string, time?: number) => void): Promise<void>;

  /**
   * Streams container events to onEvent until `signal` aborts (resolves) or
   * the stream breaks (rejects `unavailable`); callers restart it, and should
   * list again afterwards since events may have been missed.
   */
  watch(onEvent: (e: RuntimeEvent) => void, signal: AbortSignal): Promise<void>;

  /**
   * Runs a command inside a container with its streams joined to the caller
   * (`mcp exec`, SPEC §7.4); see ExecSession. Returns at once: a missing or
   * stopped container is the session's output and status (125, 255), as
   * with `podman exec`.
   */
  execSession(name: string, o: ExecSessionOptions): ExecSession;

  /**
   * Creates a secret (SPEC §7.3) from value, which reaches the runtime on a
   * pipe (never an argument, the environment or a log), with labels. Fails
   * `already_exists` when the name is taken (remove it first: podman 4.3
   * cannot replace), `failed_precondition` when refused (podman takes 1 to
   * 511999 bytes).
   */
  createSecret(name: string, value: Uint8Array, labels: Record<string, string>): Promise<void>;

  /**
   * Removes a secret. Idempotent: false when there was none. Containers
   * already using it keep running; with podman 4.3 they cannot be started
   * again, nor exec'd into when they take it as env, until it exists again.
   */
  removeSecret(name: string): Promise<boolean>;

  /** Every secret of the runtime: names and ids, never values. */
  listSecrets(): Promise<SecretEntry[]>;

  /** Every local image (intermediate build layers excepted), one entry per image with all its names. */
  listImages(): Promise<LocalImage[]>;

  /**
   * Removes a local image by id, with all its names; never a container.
   * Idempotent: false when there was none. Fails `failed_precondition` when
   * a container (in any state) uses it.
   */
  removeImage(id: string): Promise<boolean>;
}
