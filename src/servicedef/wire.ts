import * as v from "valibot";
import { formatKeyPath, problemsFromIssues } from "../config/index.ts";
import { McpError } from "../lib/errors.ts";
import type { ServiceDef } from "../model/index.ts";
import { checkServiceDef } from "./rules.ts";
import { ServiceDefSchema } from "./schema.ts";
import { defToRaw } from "./_raw.ts";

/**
 * Checks a definition that came over the wire with the same schema and rules
 * as a file (the agent never trusts the CLI to have checked it): every field,
 * every length, control characters, env entries (never quoting a value).
 * Throws invalid_argument `service <name>: <key.path>: <problem>`, counting
 * the other problems in the hint.
 */
export function assertServiceDefValid(def: ServiceDef): void {
  const where = `service ${JSON.stringify(def.name).slice(0, 80)}`;
  const result = v.safeParse(ServiceDefSchema, defToRaw(def));
  const problems = result.success ? checkServiceDef(def).problems : problemsFromIssues(result.issues);
  if (problems.length === 0) return;
  const p = problems[0]!;
  const key = formatKeyPath(p.path);
  const message = p.missing ? `${where}: ${key} is required` : `${where}: ${key}${key ? ": " : ""}${p.message}`;
  const more = problems.length - 1;
  throw new McpError("invalid_argument", message, `${more > 0 ? `${more} more problem${more === 1 ? "" : "s"} after this one; ` : ""}fix the definition and send it again`);
}
