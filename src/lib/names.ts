import { McpError } from "./errors.ts";

/** The rule for names of services, components and nodes (SPEC §1). */
export const NAME_RULE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What the operator is told when a name breaks the rule. */
export const NAME_RULE_TEXT =
  "lowercase letters, digits and dashes, 1-63 characters, starting and ending with a letter or digit";

/** True when name follows the naming rule. */
export function isValidName(name: string): boolean {
  return NAME_RULE.test(name);
}

/** Refuses a name that breaks the naming rule, naming the field; the value is shown escaped and cut short. */
export function assertName(field: string, value: string): void {
  if (!isValidName(value)) {
    throw new McpError("invalid_argument", `${field}: ${JSON.stringify(value.slice(0, 80))} is not a valid name (${NAME_RULE_TEXT})`, "fix the name and try again");
  }
}
