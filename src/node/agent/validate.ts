import { McpError } from "../../lib/errors.ts";
import { assertName } from "../../lib/names.ts";

export { assertName };
import type { ServiceDef } from "../runtime/types.ts";
import { assertServiceDefValid, RESERVED_SERVICE_NAMES } from "../../servicedef/index.ts";


/** Refuses a service name that breaks the rule or is reserved (`mcp`: the agent's own directory, SPEC §7.1). */
export function assertServiceName(field: string, value: string): void {
  assertName(field, value);
  if (RESERVED_SERVICE_NAMES.includes(value)) {
    throw new McpError("invalid_argument", `${field}: "${value}" is reserved (it is the agent's own directory)`, "no service may be named mcp; choose another name");
  }
}

/**
 * Checks a definition received over the wire: the agent never trusts the CLI
 * to have validated it (every field, with the file's own schema). The node
 * must be this agent's.
 */
export function assertDeployable(def: ServiceDef, node: string): void {
  assertServiceName("name", def.name);
  assertName("node", def.node);
  if (def.node !== node) {
    throw new McpError("failed_precondition", `service ${def.name} is pinned to node ${def.node}, but this is node ${node}`, "check the definition's node");
  }
  if (def.components.length === 0) throw new McpError("invalid_argument", `service ${def.name} has no components`, "add a [[components]] table");
  assertServiceDefValid(def);
}
