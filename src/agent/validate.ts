import { McpError } from "../lib/errors.ts";
import { isValidName, NAME_RULE_TEXT } from "../lib/names.ts";
import type { ServiceDef } from "../runtime/types.ts";

/** Refuses a name that breaks the naming rule, naming the field. */
export function assertName(field: string, value: string): void {
  if (!isValidName(value)) {
    throw new McpError("invalid_argument", `${field}: "${value}" is not a valid name (${NAME_RULE_TEXT})`, "fix the name and try again");
  }
}

/**
 * Checks a definition received over the wire: the agent never trusts the CLI
 * to have validated it. The node must be this agent's.
 */
export function assertDeployable(def: ServiceDef, node: string): void {
  assertName("name", def.name);
  assertName("node", def.node);
  if (def.node !== node) {
    throw new McpError("failed_precondition", `service ${def.name} is pinned to node ${def.node}, but this is node ${node}`, "check the definition's node");
  }
  if (def.components.length === 0) throw new McpError("invalid_argument", `service ${def.name} has no components`, "add a [[components]] table");
  const seen = new Set<string>();
  def.components.forEach((c, i) => {
    assertName(`components[${i}].name`, c.name);
    if (seen.has(c.name)) throw new McpError("invalid_argument", `components[${i}].name: "${c.name}" is used twice`, "component names must be unique");
    seen.add(c.name);
    if (!c.image || /\s/.test(c.image)) throw new McpError("invalid_argument", `components[${i}].image: "${c.image}" is not an image reference`, "");
  });
}
