/**
 * Environment overrides of the agent config: `MCP_<SECTION>_<KEY>` sets
 * `<section>.<key>` on top of the file (MCP_SERVER_LISTEN, MCP_LOG_LEVEL,
 * MCP_MONITOR_FLAP_THRESHOLD=5, MCP_MONITOR_ALERT_COMMAND='["notify"]').
 * Values are typed by the schema: numbers, true/false, arrays as JSON.
 */
import { McpError } from "../lib/errors.ts";
import { AgentConfigSchema } from "./agent-schema.ts";

type Kind = "string" | "number" | "boolean" | "array";

interface SchemaNode {
  type: string;
  wrapped?: SchemaNode;
  entries?: Record<string, SchemaNode>;
}

function unwrap(node: SchemaNode): SchemaNode {
  return node.type === "optional" && node.wrapped ? unwrap(node.wrapped) : node;
}

function kindOf(node: SchemaNode): Kind {
  switch (unwrap(node).type) {
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return "array";
    default:
      return "string"; // string, picklist
  }
}

/** The sections of the agent config and the kind of each key, read from the schema. */
function sections(): Map<string, Map<string, Kind> | "table-array"> {
  const out = new Map<string, Map<string, Kind> | "table-array">();
  for (const [section, node] of Object.entries((AgentConfigSchema as unknown as SchemaNode).entries ?? {})) {
    const inner = unwrap(node);
    if (!inner.entries) {
      out.set(section, "table-array");
      continue;
    }
    out.set(section, new Map(Object.entries(inner.entries).map(([k, n]) => [k, kindOf(n)])));
  }
  return out;
}

/**
 * Applies the MCP_<SECTION>_<KEY> variables of env to data (the parsed file,
 * modified in place) and returns which key path each variable set, e.g.
 * `monitor.flap_threshold` → `MCP_MONITOR_FLAP_THRESHOLD`. Variables whose
 * section is not one of the config's (MCP_ALERT_KIND, MCP_NODE, …) are not
 * ours and are left alone. Throws invalid_argument naming the variable for an
 * unknown key of a known section, for `[[registries]]` (not settable this way)
 * and for a value of the wrong type.
 */
export function applyEnvOverrides(data: Record<string, unknown>, env: Record<string, string | undefined>): Map<string, string> {
  const known = sections();
  const applied = new Map<string, string>();
  for (const variable of Object.keys(env).sort()) {
    const value = env[variable];
    const m = /^MCP_([A-Za-z]+)_(\w+)$/.exec(variable);
    if (!m || value === undefined) continue;
    const section = m[1]!.toLowerCase();
    const key = m[2]!.toLowerCase();
    const keys = known.get(section);
    if (keys === undefined) continue;
    if (keys === "table-array") {
      throw new McpError("invalid_argument", `environment variable ${variable}: [[${section}]] cannot be set from the environment`, `unset ${variable} and write [[${section}]] in the config file`);
    }
    const kind = keys.get(key);
    if (kind === undefined) {
      const names = [...keys.keys()].map((k) => `MCP_${section.toUpperCase()}_${k.toUpperCase()}`).join(", ");
      throw new McpError("invalid_argument", `environment variable ${variable}: [${section}] has no key ${JSON.stringify(key)}`, `unset it; the variables of [${section}] are ${names}`);
    }
    const table = data[section];
    const target = table !== null && typeof table === "object" && !Array.isArray(table) ? (table as Record<string, unknown>) : {};
    target[key] = convert(variable, value, kind);
    data[section] = target;
    applied.set(`${section}.${key}`, variable);
  }
  return applied;
}

function convert(variable: string, value: string, kind: Kind): unknown {
  const fail = (what: string) =>
    new McpError("invalid_argument", `environment variable ${variable}: ${JSON.stringify(value)} is not ${what}`, `fix or unset ${variable}`);
  switch (kind) {
    case "number": {
      const n = Number(value.trim());
      if (value.trim() === "" || !Number.isFinite(n)) throw fail("a number");
      return n;
    }
    case "boolean": {
      const b = value.trim().toLowerCase();
      if (b === "true" || b === "1") return true;
      if (b === "false" || b === "0") return false;
      throw fail("true or false");
    }
    case "array": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw fail('a JSON array (e.g. ["/usr/local/bin/notify", "--urgent"])');
      }
      if (!Array.isArray(parsed)) throw fail('a JSON array (e.g. ["/usr/local/bin/notify", "--urgent"])');
      return parsed;
    }
    default:
      return value;
  }
}
