import { tomlString, tomlStringArray } from "../config/index.ts";
import { formatDuration } from "../lib/duration.ts";
import type { ServiceDef } from "../model/index.ts";

/**
 * Renders a definition as a TOML file in the layout of SPEC §2: name, node,
 * active, then one `[[components]]` block each with only its non-empty
 * fields, and `[components.health]` when set. parseServiceDef gives the same
 * ServiceDef back (used by `mcp service export`).
 */
export function serviceDefToToml(def: ServiceDef): string {
  const out = [`name = ${tomlString(def.name)}`, `node = ${tomlString(def.node)}`, `active = ${def.active}`];
  for (const c of def.components) {
    out.push("", "[[components]]", `name = ${tomlString(c.name)}`, `image = ${tomlString(c.image)}`);
    for (const key of ["network", "user", "restart"] as const) {
      if (c[key] !== "") out.push(`${key} = ${tomlString(c[key])}`);
    }
    for (const key of ["ports", "volumes", "cmd", "env"] as const) {
      if (c[key].length > 0) out.push(`${key} = ${tomlStringArray(c[key])}`);
    }
    if (c.health) {
      out.push(
        "",
        "[components.health]",
        `cmd = ${tomlStringArray(c.health.cmd)}`,
        `interval = ${tomlString(formatDuration(c.health.intervalMs))}`,
        `timeout = ${tomlString(formatDuration(c.health.timeoutMs))}`,
        `retries = ${c.health.retries}`,
      );
    }
  }
  return out.join("\n") + "\n";
}
