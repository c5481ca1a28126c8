/**
 * What every part of the compose mapping shares: the located tree, the
 * `.env` variables, the options of the import, and the two lists it fills —
 * what could not be mapped (blocks the write without --force) and what was
 * changed or left out by design (printed, never blocking). Values are read
 * through `text`/`bool`/… so that each wrong type is a located error.
 */
import { McpError } from "../../lib/errors.ts";
import { interpolate } from "./_text.ts";
import type { YamlTree } from "./_yaml.ts";

/** One thing the import tells the operator about, at its compose path. */
export interface ImportItem {
  /** The compose path: `services.web.build`. */
  path: string;
  /** `<file>:<line>:<col>`. */
  where: string;
  message: string;
}

/** A file the definition's volumes expect in the service's directory on the node (from a relative bind). */
export interface DataToCopy {
  /** The path on this machine (absolute). */
  local: string;
  /** Its place under `<srv_root>/<service>/` (relative; "" = the directory itself). */
  remote: string;
  /** The compose path of the volume. */
  path: string;
}

/** Options of an import, and the I/O it needs. */
export interface ImportOptions {
  /** Names the compose file in messages. */
  source: string;
  /** The compose file's directory (absolute): relative binds and env_file resolve against it. */
  dir: string;
  service: string;
  node: string;
  /** The node's srv root (SPEC §3.2 default /srv): relative binds go to `<srvRoot>/<service>/`. */
  srvRoot: string;
  /** A podman network every component joins (compose's networks map onto it). */
  network?: string;
  /** Variables for `${VAR}`: the `.env` file beside the compose file. */
  vars: ReadonlyMap<string, string>;
  /** Reads an env_file named by the compose file (resolved against dir); throws a located McpError when it may not or cannot. */
  readEnvFile(path: string, where: string): string;
}

/** The state of one import while the mapping runs. */
export class ImportContext {
  readonly unmapped: ImportItem[] = [];
  readonly notes: ImportItem[] = [];
  readonly copies: DataToCopy[] = [];

  constructor(readonly tree: YamlTree, readonly opts: ImportOptions) {}

  /** `<file>:<line>:<col>` of path. */
  where(path: string): string {
    return this.tree.where(path);
  }

  /** Throws the located error that stops the import: nothing is written. */
  fail(path: string, message: string, hint = "fix the compose file and run mcp import compose again"): never {
    throw new McpError("invalid_argument", `${this.where(path)}: ${path}: ${message}`, hint);
  }

  /** Records what could not be mapped (the import writes it only with --force, listed at the top). */
  unmap(path: string, message: string): void {
    this.unmapped.push({ path, where: this.where(path), message });
  }

  /** Records what was left out or changed by design (printed; does not stop the write). */
  note(path: string, message: string): void {
    this.notes.push({ path, where: this.where(path), message });
  }

  /**
   * A string value, interpolated from `.env` (`$$` is a literal `$`);
   * numbers as written, booleans as true/false. A variable set nowhere
   * counts as unmapped (compose would put "" there with a warning).
   */
  text(value: unknown, path: string): string {
    if (typeof value === "number") return this.tree.at(path).raw?.trim() ?? String(value);
    if (typeof value === "boolean") return String(value);
    if (typeof value !== "string") return this.fail(path, `must be a string, not ${describe(value)}`);
    const r = interpolate(value, this.opts.vars);
    if (typeof r === "string") return this.fail(path, r);
    for (const name of r.missing) this.unmap(path, `\${${name}} is set neither in the .env file beside the compose file nor by a default (compose would put "" there)`);
    return r.value;
  }

  /** A list of strings; a single string counts as a list of one where compose allows that (`single`). */
  texts(value: unknown, path: string, o: { single?: boolean } = {}): string[] {
    if (o.single && (typeof value === "string" || typeof value === "number")) return [this.text(value, path)];
    if (!Array.isArray(value)) return this.fail(path, `must be a list${o.single ? " or a string" : ""}, not ${describe(value)}`);
    return value.map((v, i) => this.text(v, `${path}[${i}]`));
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    return this.fail(path, `must be true or false, not ${describe(value)}`);
  }

  /** A map (an object that is not a list); null counts as empty. */
  map(value: unknown, path: string): Record<string, unknown> {
    if (value === null || value === undefined) return {};
    if (typeof value !== "object" || Array.isArray(value)) return this.fail(path, `must be a map, not ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  /** A number (or a numeric string after interpolation). */
  number(value: unknown, path: string): number {
    const n = typeof value === "number" ? value : typeof value === "string" ? Number(this.text(value, path)) : Number.NaN;
    if (!Number.isFinite(n)) return this.fail(path, `must be a number, not ${describe(value)}`);
    return n;
  }
}

/** A value's kind, for messages (never the value itself: it may be a secret). */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return "a string";
  return `a ${typeof value}`;
}
