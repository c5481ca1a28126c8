import { join, relative, resolve } from "node:path";
import { McpError } from "../../lib/errors.ts";
import type { ContainerSpec } from "../runtime/types.ts";
import { canonicalCapability, parseDevice, parseVolume } from "../../servicedef/index.ts";
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
  /** Capabilities `cap_add` may add beyond DEFAULT_CAPABILITIES (canonical names, `ALL` for any). */
  capabilities: string[];
  /** Restore: the largest total size of an archive's members (bytes). */
  maxArchiveBytes: number;
}

/** The defaults of SPEC §7.1: nothing beyond the service's own directory, named volumes and ordinary networks. */
export const DEFAULT_POLICY: ContainerPolicy = { hostPaths: [], hostNetwork: false, devices: [], capabilities: [], maxArchiveBytes: 20 * 1024 ** 3 };

/**
 * What `cap_add` may always add: podman's default set (adding one back
 * after `cap_drop = ["ALL"]`), NET_BIND_SERVICE among them. Anything else
 * (SYS_ADMIN, SYS_MODULE, DAC_READ_SEARCH, NET_RAW, NET_ADMIN, ALL…) widens
 * what a container can do to the host or its neighbours, and needs
 * `[policy] capabilities`.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
];

/**
 * Network modes a container may use without `host_network`: podman networks
 * by name, `bridge`, `none`, `private`, and plain `slirp4netns`. `host`,
 * `container:`/`ns:`, any mode with options (`slirp4netns:allow_host_loopback=true`)
 * and `pasta` (which can map the host's loopback) need the policy.
 */
const isHostMode = (network: string) => network === "host" || network === "pasta" || network.includes(":");

function refuse(where: string, what: string, key: string, hint: string): McpError {
  return new McpError("permission_denied", `${where}: ${what} is not allowed by the node's policy`, `${hint} (an admin can allow it: [policy] ${key} in the agent config)`);
}

/** A bind mount as the policy sees it. */
interface Bind {
  component: string;
  index: number;
  source: string;
  writable: boolean;
}

function bindsOf(spec: { name: string; volumes: readonly string[] }): Bind[] {
  return spec.volumes.flatMap((text, index) => {
    const v = parseVolume(text);
    return typeof v === "string" || v.kind !== "bind" ? [] : [{ component: spec.name, index, source: v.source, writable: !v.options.includes("ro") }];
  });
}

/**
 * Checks what one container would reach on the host against the policy
 * (SPEC §7.1), before anything is stopped or created: every bind source is
 * written in normal form (no `.`, `..`, `//`, trailing `/`: podman cleans
 * those as text, the kernel would not), goes through no symlink below the
 * srv root (a container may swap what it can write), lies inside the
 * service's own `<srvRoot>/<service>/` or a `[policy] host_paths` entry,
 * and never reaches the agent's own state (whatever the policy says); host
 * and shared-namespace network modes only with `host_network`; host devices
 * only those `devices` lists. Throws permission_denied naming the field and
 * the policy key.
 */
export function assertContainerAllowed(
  service: string,
  spec: Pick<ContainerSpec, "volumes" | "network" | "devices" | "capAdd"> & { name: string },
  o: { srvRoot: string; policy: ContainerPolicy; protectedPaths: readonly ProtectedPath[] },
): void {
  const where = (field: string) => `service ${service}, component ${spec.name}: ${field}`;
  const root = resolveHostPath(resolve(o.srvRoot));
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
    // Below the srv root, the source must be the real path (the srv root itself may be a symlink the admin made).
    const written = resolve(o.srvRoot);
    const expected = isWithin(v.source, written) ? join(root, relative(written, v.source)) : v.source;
    if (real !== expected && (isWithin(real, root) || isWithin(v.source, written))) {
      throw new McpError("permission_denied", `${where(`volumes[${i}]`)}: ${v.source} goes through a symlink (it resolves to ${real})`,
        "a container can replace what it writes: below the srv root a volume names the real directory, with no symlink on the way");
    }
    if (isWithin(real, own) || allowed.some((a) => isWithin(real, a))) return;
    const shown = real === v.source ? v.source : `${v.source} (resolves to ${real})`;
    throw refuse(where(`volumes[${i}]`), `the host path ${shown}`, "host_paths",
      `a volume may mount only ${join(o.srvRoot, service)}/… or a named volume`);
  });
  if (isHostMode(spec.network) && !o.policy.hostNetwork) {
    throw refuse(where("network"), `network mode ${JSON.stringify(spec.network)}`, "host_network", "use a podman network (e.g. network = \"mcpnet\") or none");
  }
  assertDevicesAllowed(spec.devices ?? [], o.policy.devices, where);
  const extra = new Set((o.policy.capabilities ?? []).map(canonicalCapability));
  (spec.capAdd ?? []).forEach((text, i) => {
    const cap = canonicalCapability(text);
    if (DEFAULT_CAPABILITIES.includes(cap) || extra.has("ALL") || extra.has(cap)) return;
    throw refuse(where(`cap_add[${i}]`), `the capability ${cap}`, "capabilities",
      `without it cap_add may only add podman's defaults (${DEFAULT_CAPABILITIES.join(", ")})`);
  });
}

/**
 * Every host device a component names is one `[policy] devices` lists
 * (SPEC §7.1), compared where both lead (a symlink to an allowed device is
 * that device; a symlink the admin listed allows what it points to).
 */
function assertDevicesAllowed(devices: readonly string[], allowed: readonly string[], where: (field: string) => string): void {
  const real = new Set(allowed.map((d) => resolveHostPath(d)));
  devices.forEach((text, i) => {
    const d = parseDevice(text);
    if (typeof d === "string") throw new McpError("invalid_argument", `${where(`devices[${i}]`)}: ${d}`, "fix the definition");
    const host = resolveHostPath(d.host);
    if (real.has(host)) return;
    const shown = host === d.host ? d.host : `${d.host} (resolves to ${host})`;
    throw refuse(where(`devices[${i}]`), `the host device ${shown}`, "devices", allowed.length ? `allowed devices: ${allowed.join(", ")}` : "no device is allowed on this node");
  });
}

/**
 * The devices as podman gets them: the host side where it resolved when the
 * policy judged it (a symlink changed between the check and the run cannot
 * hand the container another device), the container side as written.
 */
export function pinDevices(devices: readonly string[]): string[] {
  return devices.map((text) => {
    const d = parseDevice(text);
    if (typeof d === "string") return text; // refused by the check before any run
    const host = resolveHostPath(d.host);
    return host === d.host ? text : [host, d.container, ...(d.permissions ? [d.permissions] : [])].join(":");
  });
}

/**
 * Refuses bind mounts of one service that nest under a writable one (SPEC
 * §7.1): a container that can write `/srv/app` can replace `/srv/app/d` with
 * a symlink to anywhere, and podman follows it when it next starts the
 * container that mounts `/srv/app/d` (a restart policy, a reboot: no check
 * of ours runs then). `specs` are every component of the service the node
 * will run. Throws permission_denied naming both mounts.
 */
export function assertMountsNotNested(service: string, specs: readonly { name: string; volumes: readonly string[] }[]): void {
  const binds = specs.flatMap(bindsOf);
  for (const outer of binds) {
    if (!outer.writable) continue;
    const inner = binds.find((b) => b.source !== outer.source && isWithin(b.source, outer.source));
    if (!inner) continue;
    throw new McpError("permission_denied",
      `service ${service}: component ${inner.component} mounts ${inner.source} (volumes[${inner.index}]) below ${outer.source}, which component ${outer.component} mounts writable (volumes[${outer.index}])`,
      `a container that writes ${outer.source} could swap ${inner.source} for a symlink before it is mounted again; mount ${outer.source} read-only (:ro), or mount only one of them`);
  }
}

/**
 * A token scoped to some services (SPEC §7.1 `--services`) may use only
 * named volumes that belong to its service by name (`<service>`,
 * `<service>-…`, `<service>_…`): podman's named volumes are shared by every
 * service of the node. Throws permission_denied naming the volume.
 */
export function assertNamedVolumesOwned(service: string, spec: { name: string; volumes: readonly string[] }): void {
  spec.volumes.forEach((text, i) => {
    const v = parseVolume(text);
    if (typeof v === "string" || v.kind !== "named") return;
    if (v.source === service || v.source.startsWith(`${service}-`) || v.source.startsWith(`${service}_`)) return;
    throw new McpError("permission_denied", `service ${service}, component ${spec.name}: volumes[${i}]: the named volume ${v.source} is not this service's`,
      `a token scoped to services uses only volumes named ${service}, ${service}-… or ${service}_… (other services' volumes are theirs)`);
  });
}
