import { readdir } from "node:fs/promises";
import { readTextFile } from "../lib/text.ts";
import { basename, join } from "node:path";
import { writeFileAtomic } from "../config/index.ts";
import { McpError } from "../lib/errors.ts";
import { isValidName, NAME_RULE_TEXT } from "../lib/names.ts";
import type { ServiceDef } from "../model/index.ts";
import { setActive } from "./active.ts";
import { parseServiceDef, type ParsedServiceDef } from "./parse.ts";

/**
 * The path of a service's definition: `<dir>/<name>.toml`. Throws
 * invalid_argument when name breaks the naming rule (so it can never
 * point outside dir).
 */
export function serviceDefPath(dir: string, name: string): string {
  if (!isValidName(name)) {
    throw new McpError("invalid_argument", `${JSON.stringify(name)} is not a valid service name (${NAME_RULE_TEXT})`, "check the service name");
  }
  return join(dir, `${name}.toml`);
}

/**
 * Reads and parses one definition file; its name must match the file name.
 * Throws invalid_argument `<path>: no such file` when it is missing, and the
 * errors of parseServiceDef.
 */
export async function readServiceDef(path: string): Promise<ParsedServiceDef> {
  const text = await readTextFile(path, "check the file's permissions");
  if (text === null) throw new McpError("invalid_argument", `${path}: no such file`, "check the path");
  return parseServiceDef(text, path, path.endsWith(".toml") ? { expectName: basename(path, ".toml") } : {});
}

/**
 * Reads the definition of one service from dir. Throws invalid_argument
 * `no definition for service "x" in <dir>` (hint: create `<dir>/x.toml`) when
 * there is none.
 */
export async function loadServiceDef(dir: string, name: string): Promise<ParsedServiceDef> {
  const path = serviceDefPath(dir, name);
  if ((await readTextFile(path, "check the file's permissions")) === null) {
    throw new McpError("invalid_argument", `no definition for service ${JSON.stringify(name)} in ${dir}`, `create ${path}`);
  }
  return readServiceDef(path);
}

/**
 * Reads every `*.toml` in dir (hidden files and directories skipped), sorted
 * by file name. The first invalid file throws. A missing dir throws
 * invalid_argument naming it, with a hint to set services.dir.
 */
export async function readServiceDefs(dir: string): Promise<{ defs: ServiceDef[]; warnings: string[] }> {
  let names: string[];
  try {
    const dirents = await readdir(dir, { withFileTypes: true });
    names = dirents.filter((d) => !d.isDirectory() && d.name.endsWith(".toml") && !d.name.startsWith(".")).map((d) => d.name);
  } catch (err) {
    if (err instanceof McpError) throw err; // invalid UTF-8, located
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new McpError("invalid_argument", `service definition directory ${dir} does not exist`, "create it, or set services.dir in the CLI config", { cause: err });
    }
    throw new McpError("invalid_argument", `cannot read service definition directory ${dir} (${code ?? "error"})`, "check its permissions", { cause: err });
  }
  const defs: ServiceDef[] = [];
  const warnings: string[] = [];
  for (const name of names.sort()) {
    const parsed = await readServiceDef(join(dir, name));
    defs.push(parsed.def);
    warnings.push(...parsed.warnings);
  }
  return { defs, warnings };
}

/**
 * Sets `active` in a definition file (see setActive) and writes it back
 * atomically, keeping its mode. Returns changed = false, without writing,
 * when the file already says so.
 */
export async function setActiveInFile(path: string, active: boolean): Promise<{ changed: boolean }> {
  const text = await readTextFile(path, "check the file's permissions");
  if (text === null) throw new McpError("invalid_argument", `${path}: no such file`, "check the path");
  const out = setActive(text, active, path);
  if (out === text) return { changed: false };
  await writeFileAtomic(path, out);
  return { changed: true };
}
