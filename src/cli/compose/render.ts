/**
 * The definition file an import writes: a comment header (where it came
 * from, and with --force the list of what was not carried over), then the
 * definition as every definition is written (servicedef's renderer).
 */
import { escapeControl } from "../../lib/text.ts";
import { serviceDefToToml } from "../../servicedef/index.ts";
import type { ComposeImport } from "./map.ts";

/** The text of the definition file, with the unmapped items as a comment at its top (when any). */
export function renderImport(result: ComposeImport, source: string): string {
  // A comment line cannot hold a line break: control characters are escaped.
  const head = [`# imported by mcp import compose from ${escapeControl(source)}`];
  if (result.unmapped.length > 0) {
    head.push("#", "# NOT carried over (written with --force; each needs a decision):");
    for (const u of result.unmapped) head.push(`#   ${escapeControl(u.path)} (${escapeControl(u.where)}): ${escapeControl(u.message)}`);
  }
  return `${head.join("\n")}\n${serviceDefToToml(result.def)}`;
}
