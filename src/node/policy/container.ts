import { join, resolve } from "node:path";
import { McpError } from "../../lib/errors.ts";
import type { ContainerSpec } from "../runtime/types.ts";
import { parseVolume } from "../../servicedef/index.ts";
import type { ProtectedPath } from "./layout.ts";
import { isWithin, overlaps, resolveHostPath } from "./paths.ts";

/** The agent's `[policy]` table (SPEC §7.1): what a component may reach on the host. Admin-owned. */
export interface ContainerPolicy {
  /** Extra host directories volumes may mount (besides the service's own directory and named volumes). */
  hostPaths: string[];
  /** `network = "host"` and the `container:`/`ns:` modes (and mode options). */
  hostNetwork: boolean;
  /** Host devices a component may name. */
  devices: string[];
  /** Restore: the largest total size of an archive's members (bytes). */
  maxArchiveBytes: number;
}

/** The defaults of SPEC §7.1: nothing beyond the service's own directory, named volumes and ordinary networks. */
export const DEFAULT_POLICY: ContainerPolicy = { hostPaths: [], hostNetwork: false, devices: [], maxArchiveBytes: 20 * 1024 ** 3 };

/** Network modes that share the host's (or another) namespace, or tune the user-mode network (`slirp4netns:allow_host_loopback=true`). */
const isHostMode = (network: string) => network === "host" || network.includes(":");

function refuse(where: string, what: string, key: string, hint: string): McpError {
  return new McpError("permission_denied", `${where}: ${what} is not allowed by the node's policy`, `${hint} (an admin can allow it: [policy] ${key} in the agent config)`);
}

/**
 * Checks what one container would reach on the host against the policy
 * (SPEC §7.1), before anything is stopped or created: every bind mount
 * resolves (through `..` and symlinks, as the kernel would) inside the
 * service's own `<srvRoot>/<service>/` or a `[policy] host_paths` entry, and
 * never into or around the agent's own state (whatever the policy says);
 * host and shared-namespace network modes only with `host_network`.
 * Throws permission_denied naming the field and the policy key.
 */
export function assertContainerAllowed(
  service: string,
  spec: Pick<ContainerSpec, "volumes" | "network"> & { name: string },
  o: { srvRoot: string; policy: ContainerPolicy; protectedPaths: readonly ProtectedPath[] },
): void {
  const where = (field: string) => `service ${service}, component ${spec.name}: ${field}`;
  const own = resolveHostPath(join(resolve(o.srvRoot), service));
  const allowed = o.policy.hostPaths.map((p) => resolveHostPath(resolve(p)));
  spec.volumes.forEach((text, i) => {
    const v = parseVolume(text);
    if (typeof v === "string") throw new McpError("invalid_argument", `${where(`volumes[${i}]`)}: ${v}`, "fix the definition");
    if (v.kind === "named") return;
    const real = resolveHostPath(v.source);
    const state = o.protectedPaths.find((p) => overlaps(real, resolveHostPath(resolve(p.path))));
    if (state) {
      throw new McpError("permission_denied", `${where(`volumes[${i}]`)}: ${v.source} reaches ${state.what} (${state.path})`,
        "the agent's own state is never mounted into a container, whatever the policy");
    }
    if (isWithin(real, own) || allowed.some((a) => isWithin(real, a))) return;
    const shown = real === v.source ? v.source : `${v.source} (resolves to ${real})`;
    throw refuse(where(`volumes[${i}]`), `the host path ${shown}`, "host_paths",
      `a volume may mount only ${join(o.srvRoot, service)}/… or a named volume`);
  });
  if (isHostMode(spec.network) && !o.policy.hostNetwork) {
    throw refuse(where("network"), `network mode ${JSON.stringify(spec.network)}`, "host_network", "use a podman network (e.g. network = \"mcpnet\") or none");
  }
}
