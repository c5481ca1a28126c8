import { tomlString, tomlStringArray } from "../config/index.ts";
import type { ServiceDef } from "../model/index.ts";
import { componentToRaw } from "./_raw.ts";

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A TOML value of the definition's kinds: strings, numbers, booleans, lists of strings. */
function tomlValue(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (Array.isArray(value)) return tomlStringArray(value as string[]);
  return String(value);
}

/** `key = value` lines of a table's plain keys (sub-tables are written by the caller). */
function keyLines(table: Record<string, unknown>, skip: readonly string[] = []): string[] {
  return Object.entries(table).filter(([k]) => !skip.includes(k)).map(([k, value]) => `${BARE_KEY.test(k) ? k : tomlString(k)} = ${tomlValue(value)}`);
}

/**
 * Renders a definition as a TOML file in the layout of SPEC §2 and §7: name,
 * node, active (and `after`), then one `[[components]]` block each with only
 * its set fields, then its `[components.health]`, `[components.labels]` and
 * `[[components.secrets]]` tables. parseServiceDef gives the same ServiceDef
 * back (used by `mcp service export` and `show`).
 */
export function serviceDefToToml(def: ServiceDef): string {
  const out = [`name = ${tomlString(def.name)}`, `node = ${tomlString(def.node)}`, `active = ${def.active}`];
  if (def.after !== undefined) out.push(`after = ${tomlStringArray(def.after)}`);
  for (const c of def.components) {
    const raw = componentToRaw(c);
    out.push("", "[[components]]", ...keyLines(raw, ["health", "labels", "secrets"]));
    if (raw.health) out.push("", "[components.health]", ...keyLines(raw.health as Record<string, unknown>));
    if (raw.labels) out.push("", "[components.labels]", ...keyLines(raw.labels as Record<string, unknown>));
    for (const s of (raw.secrets as Record<string, unknown>[] | undefined) ?? []) out.push("", "[[components.secrets]]", ...keyLines(s));
  }
  return out.join("\n") + "\n";
}
