import type { ComponentSpec, ContainerSpec } from "../runtime/types.ts";
import { containerName, specHash } from "../../servicedef/index.ts";

/** The labels every container mcp creates carries (SPEC §2). */
export const LABEL_NODE = "mcp.node";
export const LABEL_SERVICE = "mcp.service";
export const LABEL_COMPONENT = "mcp.component";
export const LABEL_SPEC = "mcp.spec";

/** What the runtime needs to create a component's container, labels included. */
export function containerSpecFor(node: string, service: string, spec: ComponentSpec): ContainerSpec {
  return {
    name: containerName(service, spec.name),
    image: spec.image,
    labels: {
      [LABEL_NODE]: node,
      [LABEL_SERVICE]: service,
      [LABEL_COMPONENT]: spec.name,
      [LABEL_SPEC]: specHash(spec),
    },
    network: spec.network,
    user: spec.user,
    restart: spec.restart,
    ports: spec.ports,
    volumes: spec.volumes,
    cmd: spec.cmd,
    env: spec.env,
  };
}
