/**
 * Domain types shared by every part of mcp. They carry no proto or podman
 * details: src/rpc/ converts them to and from messages, src/podman/ to and
 * from podman's argv and JSON.
 */

/** Per component: what the operator wants. `ignore` = known, unmanaged, never alerted on. */
export type DesiredState = "running" | "stopped" | "ignore";

/** Per component: what the node shows. `removed` = no container; `unknown` = never observed. */
export type ObservedState = "running" | "stopped" | "exited" | "paused" | "removed" | "unknown";

export const DESIRED_STATES: readonly DesiredState[] = ["running", "stopped", "ignore"];
export const OBSERVED_STATES: readonly ObservedState[] = ["running", "stopped", "exited", "paused", "removed", "unknown"];

/** A command run inside the container until it succeeds (deploy gate). */
export interface HealthSpec {
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
}

/**
 * One container of a service, normalized: optional strings are "" when unset,
 * lists are [] when unset, so two specs compare (and hash) field by field.
 */
export interface ComponentSpec {
  name: string;
  image: string;
  network: string;
  user: string;
  restart: string;
  ports: string[];
  volumes: string[];
  cmd: string[];
  env: string[];
  health?: HealthSpec;
}

/** A whole service definition (the operator's declared intent). */
export interface ServiceDef {
  name: string;
  node: string;
  active: boolean;
  components: ComponentSpec[];
}

/** What to create: a component's spec (without its deploy-time health gate), named as its container, with labels. */
export interface ContainerSpec extends Omit<ComponentSpec, "health"> {
  /** The container name (not the component's). */
  name: string;
  labels: Record<string, string>;
}

/** The runtime's raw container state, mapped from podman's words. */
export type ContainerState = "running" | "created" | "exited" | "paused" | "stopping" | "unknown";

/** A container as listed by the runtime. */
export interface ObservedContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  state: ContainerState;
  labels: Record<string, string>;
  command: string[];
  /** Unix ms of the last start; 0 when never started or not known. */
  startedAt: number;
  exitCode: number;
}

/** Details of one container from inspect: enough to recreate it. */
export interface ContainerDetails extends ObservedContainer {
  network: string;
  user: string;
  restart: string;
  ports: string[];
  volumes: string[];
  cmd: string[];
  env: string[];
  /** The image's own environment, so adopt can keep only what differs. */
  imageEnv: string[];
  /** Health status when the container has a podman healthcheck: "healthy", "unhealthy", "starting", "". */
  health: string;
}

/** A local image. */
export interface ImageInfo {
  id: string;
  /** The manifest digest (`sha256:…`), or the image id when podman has none. */
  digest: string;
}

/** A container event from the runtime's live stream. */
export interface RuntimeEvent {
  /** Container name. */
  name: string;
  id: string;
  /** The runtime's word: create, init, start, died, stop, kill, pause, unpause, restart, remove, … */
  status: string;
  /** Unix ms. */
  time: number;
  /** Set on `died`. */
  exitCode: number | null;
  image: string;
}
