/**
 * Service definitions in domain terms (SPEC §1, §2): what the operator
 * declares and the states a component can be in. They carry no proto, TOML
 * or podman details: src/servicedef/ reads them from files, src/rpc/
 * converts them to and from messages, the node's podman adapter to argv.
 */

/** Per component: what the operator wants. `ignore` = known, unmanaged, never alerted on. */
export type DesiredState = "running" | "stopped" | "ignore";

/** Per component: what the node shows. `removed` = no container; `unknown` = never observed. */
export type ObservedState = "running" | "stopped" | "exited" | "paused" | "removed" | "unknown";

export const DESIRED_STATES: readonly DesiredState[] = ["running", "stopped", "ignore"];
export const OBSERVED_STATES: readonly ObservedState[] = ["running", "stopped", "exited", "paused", "removed", "unknown"];

/** A command run inside the container until it succeeds (deploy gate). */
export interface HealthSpec {
  /** Run inside the container; [] when the probe is http or tcp. */
  cmd: string[];
  /** A URL the agent gets (2xx/3xx = healthy), SPEC §7.5. */
  http?: string;
  /** host:port the agent connects to. */
  tcp?: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  /** Failures during this time after a start do not count; absent = 0. */
  startPeriodMs?: number;
}

/** A podman secret of the service given to a container as env or file (SPEC §7.3); exactly one of env, file. */
export interface SecretRef {
  name: string;
  env?: string;
  file?: string;
}

/** A component's probe state (SPEC §7.5): "" = no probe or not probed yet. */
export type HealthState = "" | "healthy" | "unhealthy";

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
  // The keys of SPEC §7.2. Absent when the definition does not set them, so
  // specs written before they existed hash as before.
  /** Present (maybe []) when set: [] clears the image's entrypoint. */
  entrypoint?: string[];
  init?: boolean;
  stopSignal?: string;
  stopTimeoutMs?: number;
  /** As podman takes it: 256m, 1g. */
  memory?: string;
  cpus?: number;
  pidsLimit?: number;
  readOnly?: boolean;
  tmpfs?: string[];
  capDrop?: string[];
  capAdd?: string[];
  hostname?: string;
  workdir?: string;
  devices?: string[];
  /** Components of this service started (and healthy) first. */
  after?: string[];
  /** `mcp.*` reserved. */
  labels?: Record<string, string>;
  secrets?: SecretRef[];
}

/** A whole service definition (the operator's declared intent). */
export interface ServiceDef {
  name: string;
  node: string;
  active: boolean;
  components: ComponentSpec[];
  /** Services `mcp deploy --all` deploys first (SPEC §7.6); absent when unset. */
  after?: string[];
}
