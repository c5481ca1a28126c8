// A normalized definition back in the shape of its file (the TOML keys, unset
// fields left out): the file's schema checks what came over the wire in this
// shape (wire.ts), and the renderer writes it (render.ts).
import { formatDuration } from "../lib/duration.ts";
import type { ComponentSpec, HealthSpec, ServiceDef } from "../model/index.ts";

/** A component as its `[[components]]` table: keys in the order a file writes them, tables last. */
export type RawComponent = Record<string, unknown>;

function healthToRaw(h: HealthSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (h.cmd.length > 0) out.cmd = h.cmd;
  if (h.http !== undefined) out.http = h.http;
  if (h.tcp !== undefined) out.tcp = h.tcp;
  out.interval = formatDuration(h.intervalMs);
  out.timeout = formatDuration(h.timeoutMs);
  out.retries = h.retries;
  if (h.startPeriodMs) out.start_period = formatDuration(h.startPeriodMs);
  return out;
}

/** The keys of one component as its file writes them. */
export function componentToRaw(c: ComponentSpec): RawComponent {
  const out: RawComponent = { name: c.name, image: c.image };
  for (const key of ["network", "user", "restart"] as const) if (c[key] !== "") out[key] = c[key];
  for (const key of ["ports", "volumes", "cmd", "env"] as const) if (c[key].length > 0) out[key] = c[key];
  const keys: [string, unknown][] = [
    ["entrypoint", c.entrypoint], ["init", c.init], ["stop_signal", c.stopSignal],
    ["stop_timeout", c.stopTimeoutMs === undefined ? undefined : formatDuration(c.stopTimeoutMs)],
    ["memory", c.memory], ["cpus", c.cpus], ["pids_limit", c.pidsLimit], ["read_only", c.readOnly], ["tmpfs", c.tmpfs],
    ["cap_drop", c.capDrop], ["cap_add", c.capAdd], ["hostname", c.hostname], ["workdir", c.workdir], ["devices", c.devices],
    ["after", c.after],
  ];
  for (const [k, value] of keys) if (value !== undefined) out[k] = value;
  if (c.health) out.health = healthToRaw(c.health);
  if (c.labels !== undefined) out.labels = c.labels;
  if (c.secrets !== undefined) out.secrets = c.secrets.map((r) => ({ ...r }));
  return out;
}

/** A whole definition as its file. */
export function defToRaw(def: ServiceDef): Record<string, unknown> {
  const out: Record<string, unknown> = { name: def.name, node: def.node, active: def.active, components: def.components.map(componentToRaw) };
  if (def.after !== undefined) out.after = def.after;
  return out;
}
