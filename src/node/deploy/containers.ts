import type { ComponentSpec, ContainerSpec } from "../runtime/types.ts";
import { containerName, specHash } from "../../servicedef/index.ts";
import { runtimeSecrets } from "../secrets/index.ts";

/** The labels every container mcp creates carries (SPEC §2). */
export const LABEL_NODE = "mcp.node";
export const LABEL_SERVICE = "mcp.service";
export const LABEL_COMPONENT = "mcp.component";
export const LABEL_SPEC = "mcp.spec";

/** The keys of SPEC §7.2 that become podman flags (`after` orders starts; labels and secrets are mapped on their own). */
const CONTAINER_KEYS = ["entrypoint", "init", "stopSignal", "stopTimeoutMs", "memory", "cpus", "pidsLimit", "readOnly", "tmpfs", "capDrop", "capAdd",
  "hostname", "workdir", "devices"] as const;

/**
 * What the runtime needs to create a component's container: its fields and
 * the §7.2 keys it sets, its own labels under mcp's (`mcp.*` are reserved),
 * its secrets under their podman names (always this service's), and `hash`
 * as the `mcp.spec` label (a deploy passes its hash with the secrets'
 * versions folded in; the spec's own hash by default).
 */
export function containerSpecFor(node: string, service: string, spec: ComponentSpec, hash = specHash(spec)): ContainerSpec {
  const keys = Object.fromEntries(CONTAINER_KEYS.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]])) as Partial<ContainerSpec>;
  const secrets = runtimeSecrets(service, spec.secrets);
  return {
    ...keys,
    name: containerName(service, spec.name),
    image: spec.image,
    labels: {
      ...spec.labels,
      [LABEL_NODE]: node,
      [LABEL_SERVICE]: service,
      [LABEL_COMPONENT]: spec.name,
      [LABEL_SPEC]: hash,
    },
    network: spec.network,
    user: spec.user,
    restart: spec.restart,
    ports: spec.ports,
    volumes: spec.volumes,
    cmd: spec.cmd,
    env: spec.env,
    ...(secrets ? { secrets } : {}),
  };
}

/**
 * How long mcp waits for a component's container to stop before killing it:
 * its own `stop_timeout` (SPEC §7.2), else the agent's `[agent] stop_timeout`.
 */
export function stopSeconds(spec: ComponentSpec | undefined, fallbackSec: number): number {
  return spec?.stopTimeoutMs !== undefined ? Math.ceil(spec.stopTimeoutMs / 1000) : fallbackSec;
}
