/** The rule for names of services, components and nodes (SPEC §1). */
export const NAME_RULE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What the operator is told when a name breaks the rule. */
export const NAME_RULE_TEXT =
  "lowercase letters, digits and dashes, 1-63 characters, starting and ending with a letter or digit";

/** True when name follows the naming rule. */
export function isValidName(name: string): boolean {
  return NAME_RULE.test(name);
}
