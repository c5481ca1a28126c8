import * as v from "valibot";
import {
  createKeyLocator, formatProblem, parseTomlText, problemsError, problemsFromIssues,
} from "../config/index.ts";
import type { ServiceDef } from "../model/index.ts";
import { normalizeServiceDef } from "./normalize.ts";
import { checkServiceDef, type RuleOptions } from "./rules.ts";
import { ServiceDefSchema } from "./schema.ts";

/** A parsed definition and what is worth telling the operator about it. */
export interface ParsedServiceDef {
  def: ServiceDef;
  /** One line each: `<source>:<line>: <key.path>: <remark>`. */
  warnings: string[];
}

const HINT = "fix the definition and run the command again";

/**
 * Parses a service definition (SPEC §2): TOML, then the strict schema, then
 * normalization, then the rules. Pure. `source` names the text in messages
 * (a path, or `<stdin>`); pass `expectName` to require the definition's
 * name (readServiceDef passes the file name). Throws one invalid_argument
 * McpError whose message is the first problem by line, `<source>:<line>:
 * <key.path>: <problem>` (`<source>:<line>:<col>: …` for TOML syntax), and
 * whose hint counts the other problems.
 */
export function parseServiceDef(text: string, source: string, opts: RuleOptions = {}): ParsedServiceDef {
  const data = parseTomlText(text, source, HINT);
  const result = v.safeParse(ServiceDefSchema, data);
  if (!result.success) throw problemsError(problemsFromIssues(result.issues), { text, source, hint: HINT });
  const def = normalizeServiceDef(result.output);
  const { problems, warnings } = checkServiceDef(def, opts);
  if (problems.length > 0) throw problemsError(problems, { text, source, hint: HINT });
  const locate = createKeyLocator(text);
  return {
    def,
    warnings: warnings.map((w) => {
      const line = locate(w.path);
      return formatProblem(line > 0 ? `${source}:${line}` : source, w);
    }),
  };
}
