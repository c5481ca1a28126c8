/**
 * The runtime's own types: what to create, what a listing, an inspect and
 * the event stream give. The shared vocabulary (service definitions, desired
 * and observed states) is src/model/, re-exported here for the node's code.
 */
import type { ComponentSpec } from "../../model/index.ts";
export type { ComponentSpec, DesiredState, HealthSpec, HealthState, ObservedState, SecretRef, ServiceDef } from "../../model/index.ts";
export { DESIRED_STATES, OBSERVED_STATES } from "../../model/index.ts";

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

/**
 * The keys of SPEC §7.2 a container was created with, as the runtime reports
 * them with its own defaults left out (absent = the runtime's default);
 * entrypoint, workdir and stopSignal always (the image's defaults are in
 * ImageDefaults). Secrets by the runtime's names; one with neither env nor
 * file is used in a way the runtime does not tell.
 */
export type ContainerSettings = Pick<ComponentSpec,
  "entrypoint" | "init" | "stopSignal" | "stopTimeoutMs" | "memory" | "cpus" | "pidsLimit" | "readOnly" | "tmpfs" | "capDrop" | "capAdd" | "hostname"
  | "workdir" | "devices" | "secrets">;

/** What an image gives its containers unless told otherwise. */
export interface ImageDefaults {
  entrypoint: string[];
  workdir: string;
  stopSignal: string;
  labels: Record<string, string>;
}

/** A secret as the runtime lists it: never its value. */
export interface SecretEntry {
  id: string;
  name: string;
}

/** Details of one container from inspect: enough to recreate it (the fields a component's spec sets). */
export interface ContainerDetails extends ObservedContainer, Pick<ComponentSpec, "network" | "user" | "restart" | "ports" | "volumes" | "cmd" | "env"> {
  /** The image's own environment, so adopt can keep only what differs. */
  imageEnv: string[];
  /** The §7.2 keys and secrets (absent from runtimes that do not report them). Env values of secrets are never in `env`. */
  settings?: ContainerSettings;
  /** The image's defaults, so adopt can keep only what differs; absent when the image is gone. */
  imageDefaults?: ImageDefaults;
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

/** A local image as the runtime lists it (mcp node prune, SPEC §7.6). */
export interface LocalImage {
  id: string;
  /** Its names (`repo:tag`); empty for a dangling image. */
  names: string[];
  /** Every digest it is known by (`sha256:…`): its manifest digest, its repo digests', and its id as `sha256:<id>`. */
  digests: string[];
  /** The runtime's size of the image in bytes (layers shared with other images counted in each). */
  size: number;
  /** Containers (in any state) made from it. */
  containers: number;
}
