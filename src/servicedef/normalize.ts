import type { ComponentSpec, HealthSpec, SecretRef, ServiceDef } from "../model/index.ts";
import { parseDuration } from "../lib/duration.ts";
import { canonicalCapability, canonicalSignal } from "./keys.ts";
import { HEALTH_DEFAULTS, type RawServiceDef } from "./schema.ts";

type RawComponent = RawServiceDef["components"][number];

/** `[components.health]` in ms with its defaults; cmd [] for an http or tcp probe, which are set only when written. */
function normalizeHealth(h: NonNullable<RawComponent["health"]>): HealthSpec {
  const out: HealthSpec = {
    cmd: h.cmd ?? [],
    intervalMs: parseDuration(h.interval ?? HEALTH_DEFAULTS.interval),
    timeoutMs: parseDuration(h.timeout ?? HEALTH_DEFAULTS.timeout),
    retries: h.retries ?? HEALTH_DEFAULTS.retries,
  };
  if (h.http !== undefined) out.http = h.http;
  if (h.tcp !== undefined) out.tcp = h.tcp;
  const startPeriod = h.start_period === undefined ? 0 : parseDuration(h.start_period);
  if (startPeriod > 0) out.startPeriodMs = startPeriod;
  return out;
}

/**
 * The keys of SPEC §7.2 and secrets onto spec, each only when written (an
 * empty list or table is the same as none; `entrypoint = []` is kept: it
 * clears the image's entrypoint), in canonical form: signals `SIGINT`,
 * capabilities without `CAP_`, memory in lower case.
 */
function normalizeContainerKeys(c: RawComponent, spec: ComponentSpec): void {
  if (c.entrypoint !== undefined) spec.entrypoint = c.entrypoint;
  if (c.init !== undefined) spec.init = c.init;
  if (c.stop_signal !== undefined) spec.stopSignal = canonicalSignal(c.stop_signal) ?? c.stop_signal;
  if (c.stop_timeout !== undefined) spec.stopTimeoutMs = parseDuration(c.stop_timeout);
  if (c.memory !== undefined) spec.memory = c.memory.trim().toLowerCase();
  if (c.cpus !== undefined) spec.cpus = c.cpus;
  if (c.pids_limit !== undefined) spec.pidsLimit = c.pids_limit;
  if (c.read_only !== undefined) spec.readOnly = c.read_only;
  if (c.tmpfs?.length) spec.tmpfs = c.tmpfs;
  if (c.cap_drop?.length) spec.capDrop = c.cap_drop.map(canonicalCapability);
  if (c.cap_add?.length) spec.capAdd = c.cap_add.map(canonicalCapability);
  if (c.hostname !== undefined) spec.hostname = c.hostname;
  if (c.workdir !== undefined) spec.workdir = c.workdir;
  if (c.devices?.length) spec.devices = c.devices;
  if (c.after?.length) spec.after = c.after;
  if (c.labels && Object.keys(c.labels).length > 0) spec.labels = { ...c.labels };
  if (c.secrets?.length) {
    spec.secrets = c.secrets.map((r) => {
      const ref: SecretRef = { name: r.name };
      if (r.env !== undefined) ref.env = r.env;
      if (r.file !== undefined) ref.file = r.file;
      return ref;
    });
  }
}

/**
 * Turns a validated definition into the domain ServiceDef: `active` defaults
 * to true, unset strings become "", unset lists [], health durations ms with
 * their defaults; the §7.2 keys and the service's `after` stay absent unless
 * written. Two definitions that mean the same normalize equal.
 */
export function normalizeServiceDef(raw: RawServiceDef): ServiceDef {
  const def: ServiceDef = {
    name: raw.name,
    node: raw.node,
    active: raw.active ?? true,
    components: raw.components.map((c): ComponentSpec => {
      const spec: ComponentSpec = {
        name: c.name,
        image: c.image,
        network: c.network ?? "",
        user: c.user ?? "",
        restart: c.restart ?? "",
        ports: c.ports ?? [],
        volumes: c.volumes ?? [],
        cmd: c.cmd ?? [],
        env: c.env ?? [],
      };
      if (c.health) spec.health = normalizeHealth(c.health);
      normalizeContainerKeys(c, spec);
      return spec;
    }),
  };
  if (raw.after?.length) def.after = raw.after;
  return def;
}
