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
