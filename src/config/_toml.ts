/**
 * The shared steps of reading a TOML file: parse with smol-toml (syntax errors
 * keep line and column), turn valibot issues into `<source>:<line>: <key.path>:
 * <problem>` messages, and quote values when writing TOML back.
 */
import { parse, TomlError } from "smol-toml";
import type { BaseIssue } from "valibot";
import { McpError } from "../lib/errors.ts";
import { createKeyLocator, formatKeyPath, type KeyPath } from "./_locate.ts";

/** One thing wrong with a file, before it is given a line and a source. */
export interface Problem {
  path: KeyPath;
  /** What is wrong, e.g. `unknown key`; unused when `missing` is set. */
  message: string;
  /** True when the key is absent: the message reads `<path> is required`. */
  missing?: boolean;
}

/**
 * Parses TOML text. A syntax error becomes invalid_argument with the message
 * `<source>:<line>:<col>: <problem>` and the given hint.
 */
export function parseTomlText(text: string, source: string, hint: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const problem = err.message.replace(/^Invalid TOML document: /, "").split("\n")[0]!;
      throw new McpError("invalid_argument", `${source}:${err.line}:${err.column}: ${problem}`, hint, { cause: err });
    }
    throw err;
  }
}

/** Turns valibot issues into problems: unknown and missing keys, wrong types, failed checks. */
export function problemsFromIssues(issues: readonly BaseIssue<unknown>[]): Problem[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => p.key as string | number);
    const isTable = issue.type === "strict_object" || issue.type === "object";
    if (isTable && issue.expected === "never") return { path, message: "unknown key" };
    if (isTable && issue.input === undefined && path.length > 0) return { path, message: "", missing: true };
    // Values under `env` (and secrets) are never shown, even when they have the wrong type (SPEC §7.1).
    const secret = path.some((k) => k === "env" || k === "secrets");
    if (issue.kind === "schema") return { path, message: `expected ${expectedText(issue)}, got ${secret && typeof issue.input === "string" ? "a string" : describeValue(issue.input)}` };
    return { path, message: issue.message };
  });
}

/** Options of problemsError. */
export interface ProblemsErrorOptions {
  text: string;
  source: string;
  /** What to do; the number of further problems is prepended when there are any. */
  hint: string;
  /** A location to show instead of `<source>:<line>` for some paths (environment overrides). */
  where?: (path: KeyPath) => string | undefined;
}

/**
 * Builds the one error shown for a list of problems: the first by line in the
 * message (missing keys after the rest), the count of the others in the hint.
 * Problems must not be empty.
 */
export function problemsError(problems: readonly Problem[], opts: ProblemsErrorOptions): McpError {
  const locate = createKeyLocator(opts.text);
  const located = problems.map((p) => ({ p, line: locate(p.path) }));
  // A missing key is often the other half of a typo ("imagee: unknown key"), which says more: missing keys go last.
  located.sort((a, b) => Number(a.p.missing ?? false) - Number(b.p.missing ?? false) || a.line - b.line);
  const first = located[0]!;
  const where = opts.where?.(first.p.path) ?? (first.line > 0 ? `${opts.source}:${first.line}` : opts.source);
  const message = formatProblem(where, first.p);
  const more = located.length - 1;
  const hint = more > 0 ? `${more} more problem${more === 1 ? "" : "s"} after this one; ${opts.hint}` : opts.hint;
  return new McpError("invalid_argument", message, hint);
}

/** Formats one problem at a location: `<where>: <path>: <message>` or `<where>: <path> is required`. */
export function formatProblem(where: string, p: Problem): string {
  const key = formatKeyPath(p.path);
  if (p.missing) return `${where}: ${key} is required`;
  return key === "" ? `${where}: ${p.message}` : `${where}: ${key}: ${p.message}`;
}

function expectedText(issue: BaseIssue<unknown>): string {
  switch (issue.type) {
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "number":
      return "a number";
    case "array":
      return "an array";
    case "strict_object":
    case "object":
      return "a table";
    case "picklist":
      return `one of ${(issue.expected ?? "").replace(/^\((.*)\)$/, "$1").split(" | ").join(", ")}`;
    default:
      return issue.expected ?? issue.type;
  }
}

/** Describes a TOML value for a message: strings quoted, tables and arrays by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (value === undefined) return "nothing";
  return "a table";
}

/** Quotes a string as a TOML basic string (JSON escapes are valid TOML; DEL is not allowed raw). */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, "\\u007F");
}

/** Renders a list of strings as a one-line TOML array. */
export function tomlStringArray(values: readonly string[]): string {
  return `[${values.map(tomlString).join(", ")}]`;
}

/** The line ending a text uses: CRLF when its first line break is one, else LF. */
export function lineEnding(text: string): "\n" | "\r\n" {
  const i = text.indexOf("\n");
  return i > 0 && text[i - 1] === "\r" ? "\r\n" : "\n";
}
