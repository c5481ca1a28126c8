/**
 * One compose service → one mcp component (everything but `after`, which
 * needs the other services: see map.ts). Every key compose knows is either
 * mapped, listed as not mapped, or noted as having no effect; a key compose
 * does not know is an error, as it is for compose.
 */
import type { ComponentSpec } from "../../model/index.ts";
import { canonicalCapability, RESTART_POLICY } from "../../servicedef/index.ts";
import type { ImportContext } from "./_context.ts";
import { mapEnv } from "./_env.ts";
import { mapHealth } from "./_health.ts";
import { mapPorts } from "./_ports.ts";
import { mapLimits } from "./_limits.ts";
import { splitShellWords } from "./_text.ts";
import { composeDurationMs } from "./_units.ts";
import { mapVolumes } from "./_volumes.ts";

/** Keys this file maps (or checks), besides those mapLimits and map.ts handle. */
const MAPPED = new Set([
  "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "tmpfs", "restart", "healthcheck",
  "depends_on", "init", "stop_signal", "stop_grace_period", "read_only", "cap_add", "cap_drop", "hostname", "working_dir",
  "labels", "user", "network_mode", "networks", "devices", "container_name", "expose",
  "mem_limit", "cpus", "pids_limit", "deploy",
]);

/** Keys of the compose format that mcp has no counterpart for. */
const NOT_MAPPED = new Set([
  "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "configs", "cpu_count", "cpu_percent", "cpu_period",
  "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpuset", "credential_spec", "develop", "device_cgroup_rules",
  "dns", "dns_opt", "dns_search", "domainname", "external_links", "extends", "extra_hosts", "gpus", "group_add", "ipc",
  "isolation", "label_file", "links", "logging", "mac_address", "mem_reservation", "mem_swappiness", "memswap_limit",
  "oom_kill_disable", "oom_score_adj", "pid", "platform", "post_start", "pre_stop", "privileged", "profiles", "pull_policy",
  "runtime", "scale", "secrets", "security_opt", "shm_size", "stdin_open", "storage_opt", "sysctls", "tty", "ulimits",
  "userns_mode", "uts", "volumes_from", "use_api_socket", "models", "provider",
]);

/** True for a value that asks for nothing (false, empty): an unmapped key set so changes nothing. */
const isDefault = (v: unknown) => v === null || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && Object.keys(v).length === 0);

/** Maps the compose service at `services.<key>` to a component named `name`. */
export function mapService(ctx: ImportContext, key: string, name: string, raw: unknown, declared: ReadonlyMap<string, string>): ComponentSpec {
  const path = `services.${key}`;
  const s = ctx.map(raw, path);
  for (const [k, v] of Object.entries(s)) {
    const at = `${path}.${k}`;
    if (k.startsWith("x-")) ctx.note(at, "an x- extension field: ignored by design");
    else if (NOT_MAPPED.has(k)) {
      if (isDefault(v)) ctx.note(at, "is set to its default: nothing to map");
      else ctx.unmap(at, notMappedWhy(k));
    } else if (!MAPPED.has(k)) ctx.fail(at, `is not a key of a compose service`);
  }
  if (s.build !== undefined) {
    ctx.fail(`${path}.build`, "build sections are not imported: mcp deploys images",
      "build the image (docker build / podman build), push it to a registry the node reaches, then name it in image: and import again");
  }
  if (s.image === undefined || s.image === null) {
    ctx.fail(path, "has no image: mcp deploys images", "name the image (image: registry.example.net/app:1.0) and import again");
  }
  const image = ctx.text(s.image, `${path}.image`);
  if (image === "" || /\s/.test(image)) ctx.fail(`${path}.image`, "is not an image reference (empty, or with spaces)");
  const spec: ComponentSpec = {
    name, image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [],
  };
  if (s.command !== undefined && s.command !== null) spec.cmd = command(ctx, s.command, `${path}.command`);
  if (s.entrypoint !== undefined && s.entrypoint !== null) spec.entrypoint = command(ctx, s.entrypoint, `${path}.entrypoint`);
  spec.env = mapEnv(ctx, s, path);
  spec.ports = mapPorts(ctx, s.ports, `${path}.ports`);
  const mounts = mapVolumes(ctx, s.volumes, `${path}.volumes`, declared);
  spec.volumes = mounts.volumes;
  const tmpfs = [...(s.tmpfs === undefined || s.tmpfs === null ? [] : ctx.texts(s.tmpfs, `${path}.tmpfs`, { single: true })), ...mounts.tmpfs];
  if (tmpfs.length > 0) spec.tmpfs = tmpfs;
  if (s.restart !== undefined && s.restart !== null) {
    const r = s.restart === false ? "no" : ctx.text(s.restart, `${path}.restart`);
    if (!RESTART_POLICY.test(r)) ctx.fail(`${path}.restart`, `${JSON.stringify(r)} is not a restart policy (no, always, on-failure[:N], unless-stopped)`);
    spec.restart = r;
  }
  if (s.healthcheck !== undefined) {
    const health = mapHealth(ctx, s.healthcheck, `${path}.healthcheck`);
    if (health) spec.health = health;
  }
  if (s.init !== undefined && s.init !== null) spec.init = ctx.bool(s.init, `${path}.init`);
  if (s.stop_signal !== undefined) spec.stopSignal = ctx.text(s.stop_signal, `${path}.stop_signal`);
  if (s.stop_grace_period !== undefined) {
    const ms = composeDurationMs(ctx.text(s.stop_grace_period, `${path}.stop_grace_period`));
    if (typeof ms === "string") ctx.fail(`${path}.stop_grace_period`, ms);
    if (ms % 1000 !== 0) ctx.fail(`${path}.stop_grace_period`, "podman stops in whole seconds; write a whole number of seconds");
    spec.stopTimeoutMs = ms;
  }
  if (s.read_only !== undefined && s.read_only !== null) spec.readOnly = ctx.bool(s.read_only, `${path}.read_only`);
  for (const [k, field] of [["cap_add", "capAdd"], ["cap_drop", "capDrop"]] as const) {
    if (s[k] !== undefined && s[k] !== null) spec[field] = ctx.texts(s[k], `${path}.${k}`).map(canonicalCapability);
  }
  if (s.hostname !== undefined) spec.hostname = ctx.text(s.hostname, `${path}.hostname`);
  if (s.working_dir !== undefined) spec.workdir = ctx.text(s.working_dir, `${path}.working_dir`);
  if (s.user !== undefined && s.user !== null) spec.user = ctx.text(s.user, `${path}.user`);
  if (s.devices !== undefined && s.devices !== null) {
    spec.devices = ctx.texts(s.devices, `${path}.devices`);
    ctx.note(`${path}.devices`, "the node passes a device only when its [policy] devices names it");
  }
  const labels = mapLabels(ctx, s.labels, `${path}.labels`);
  if (labels) spec.labels = labels;
  mapNetwork(ctx, s, path, spec);
  mapLimits(ctx, s, path, spec);
  if (s.container_name !== undefined) ctx.note(`${path}.container_name`, `mcp names the container itself (<service>-<component>)`);
  if (s.expose !== undefined && !isDefault(s.expose)) ctx.note(`${path}.expose`, "only documents ports (containers of one network reach each other's ports without it); nothing to map");
  return spec;
}

/** command/entrypoint: a list as written, a string split like shell words (as compose does). */
function command(ctx: ImportContext, value: unknown, path: string): string[] {
  if (Array.isArray(value)) return ctx.texts(value, path);
  const words = splitShellWords(ctx.text(value, path));
  if (typeof words === "string") return ctx.fail(path, words);
  return words;
}

function mapLabels(ctx: ImportContext, value: unknown, path: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const out: Record<string, string> = {};
  const put = (k: string, v: string, at: string) => {
    if (k.toLowerCase().startsWith("mcp.")) ctx.unmap(at, `${JSON.stringify(k)}: mcp.* labels are mcp's own`);
    else out[k] = v;
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const t = ctx.text(item, `${path}[${i}]`);
      const eq = t.indexOf("=");
      put(eq < 0 ? t : t.slice(0, eq), eq < 0 ? "" : t.slice(eq + 1), `${path}[${i}]`);
    });
  } else {
    for (const [k, v] of Object.entries(ctx.map(value, path))) put(k, v === null ? "" : ctx.text(v, `${path}.${k}`), `${path}.${k}`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** network_mode and networks → the component's one network (--network of the import, or a mode). */
function mapNetwork(ctx: ImportContext, s: Record<string, unknown>, path: string, spec: ComponentSpec): void {
  const chosen = ctx.opts.network ?? "";
  if (s.network_mode !== undefined && s.network_mode !== null) {
    const mode = ctx.text(s.network_mode, `${path}.network_mode`);
    if (mode === "host" || mode === "none") {
      spec.network = mode;
      if (mode === "host") ctx.note(`${path}.network_mode`, "the node runs host networking only when its [policy] host_network is true");
    } else if (mode === "bridge" || mode === "default") spec.network = chosen;
    else ctx.unmap(`${path}.network_mode`, `${JSON.stringify(mode)}: sharing another container's network is not something mcp sets up`);
    if (s.networks !== undefined) ctx.fail(`${path}.networks`, "cannot be used with network_mode");
    return;
  }
  spec.network = chosen;
  if (s.networks === undefined || s.networks === null) return;
  const names = Array.isArray(s.networks) ? ctx.texts(s.networks, `${path}.networks`) : Object.keys(ctx.map(s.networks, `${path}.networks`));
  if (!Array.isArray(s.networks)) {
    for (const [n, v] of Object.entries(s.networks as Record<string, unknown>)) {
      for (const k of Object.keys(ctx.map(v, `${path}.networks.${n}`))) ctx.unmap(`${path}.networks.${n}.${k}`, "per-network settings (aliases, addresses, priorities) are not something mcp sets");
    }
  }
  if (!chosen) {
    ctx.unmap(`${path}.networks`, `compose networks are not made by mcp: name one podman network for every component with --network <name>`);
  } else if (names.length > 1) {
    ctx.note(`${path}.networks`, `${names.join(", ")} all become the one network ${chosen}`);
  }
}

function notMappedWhy(key: string): string {
  const why: Record<string, string> = {
    secrets: "compose secrets are not imported: store each with mcp secret set <service> <name> and name it under [[components.secrets]]",
    configs: "compose configs are not imported: copy the file into the service's directory (mcp push) and mount it",
    extends: "extends is not followed: write the service out in full",
    profiles: "profiles are not a thing in mcp (compose starts a service with profiles only when one is asked for): import without the service, or drop profiles",
    links: "links are legacy; on one network components reach each other by container name",
    privileged: "mcp never runs privileged containers",
    logging: "mcp keeps podman's log driver (mcp logs reads it)",
  };
  return why[key] ?? `${key} has no counterpart in an mcp definition`;
}

