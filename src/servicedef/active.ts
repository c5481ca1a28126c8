import { lineEnding, scanToml, type TomlEntry } from "../config/index.ts";
import { McpError } from "../lib/errors.ts";
import { parseServiceDef } from "./parse.ts";

const ACTIVE_LINE = /^(\s*(?:active|"active"|'active')\s*=\s*)(true|false)(?=[\s#]|$)([\s\S]*)$/;

/**
 * Sets the top-level `active` flag of a definition text (`mcp stop` / `mcp
 * start`), changing nothing else: the value of the `active = …` line is
 * replaced, keeping its indentation and trailing comment (still aligned when
 * the spaces before it allow); without such a line,
 * `active = false` is inserted after the top-level `node` line (else after
 * `name`, else at the top), and `active = true` needs no line (it is the
 * default). Idempotent: the text comes back unchanged when it already says so.
 * Throws invalid_argument when the text is not a valid definition, internal
 * when the edit would not give the wanted result.
 */
export function setActive(text: string, active: boolean, source = "<definition>"): string {
  parseServiceDef(text, source);
  const entries = scanToml(text);
  const topLevel = (key: string) => entries.find((e) => e.kind === "key" && e.path.length === 1 && e.path[0] === key);
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const current = topLevel("active");
  let out: string;
  if (current) {
    const m = ACTIVE_LINE.exec(lines[current.line - 1] ?? "");
    if (!m) throw new McpError("internal", `${source}:${current.line}: cannot edit the active line`, "set active by hand");
    if (m[2] === String(active)) return text;
    lines[current.line - 1] = `${m[1]}${active}${realign(m[3]!, String(active).length - m[2]!.length)}`;
    out = lines.join("");
  } else {
    if (active) return text;
    out = insertAfter(lines, topLevel("node") ?? topLevel("name"), `active = ${active}`, lineEnding(text));
  }
  let parsed;
  try {
    parsed = parseServiceDef(out, source);
  } catch (err) {
    throw new McpError("internal", `${source}: setting active = ${active} gave an invalid definition`, "set active by hand", { cause: err });
  }
  if (parsed.def.active !== active) {
    throw new McpError("internal", `${source}: setting active = ${active} did not take effect`, "set active by hand");
  }
  return out;
}

function insertAfter(lines: string[], anchor: TomlEntry | undefined, line: string, nl: string): string {
  if (!anchor) return [`${line}${nl}`, ...lines].join("");
  const indent = /^[ \t]*/.exec(lines[anchor.line - 1] ?? "")![0];
  const at = anchor.endLine; // insert before this 0-based index
  const before = lines.slice(0, at);
  const last = before[before.length - 1];
  if (last !== undefined && !last.endsWith("\n")) before[before.length - 1] = last + nl;
  return [...before, `${indent}${line}${nl}`, ...lines.slice(at)].join("");
}

/** Keeps a trailing comment in its column when the value grows or shrinks by `delta` characters. */
function realign(rest: string, delta: number): string {
  const m = /^( +)(#[\s\S]*)$/.exec(rest);
  if (!m || delta === 0) return rest;
  const spaces = m[1]!.length - delta;
  return spaces >= 1 ? " ".repeat(spaces) + m[2] : rest;
}
