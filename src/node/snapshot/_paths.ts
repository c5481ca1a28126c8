/**
 * Names inside a restored archive or an extracted tree, judged as paths
 * relative to the service's directory (SPEC §7.1). Names are strings that
 * hold one character per byte (latin1), so two different byte sequences are
 * never mistaken for one another; they are decoded as UTF-8 only to be shown.
 */

/** Why an archive (or what it extracted to) is refused; the caller turns it into an McpError with its hint. */
export class ArchiveRefusal extends Error {
  constructor(
    /** invalid: a member breaks a rule; damaged: unreadable or truncated; too_big / too_many: a bound is crossed. */
    readonly kind: "invalid" | "damaged" | "too_big" | "too_many",
    /** The member's name (latin1), when one is to blame. */
    readonly member: string | null,
    readonly reason: string,
  ) {
    super(member === null ? reason : kind === "damaged" ? `${reason} (at the member ${shown(member)})` : `the archive's member ${shown(member)} is refused: ${reason}`);
  }
}

/** The longest name or symlink target accepted (Linux's PATH_MAX). */
export const MAX_NAME = 4096;

/** C0 controls and DEL (as bytes), anywhere in a name or target. */
const CONTROL_BYTE = /[\x00-\x1f\x7f]/;
/** C1 controls, looked for after decoding (their UTF-8 bytes are ordinary continuation bytes). */
const C1 = /[\u0080-\u009f]/;
/** What JSON.stringify leaves as is but a terminal or a log reader may still act on. */
const INVISIBLE = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** A latin1 name as the UTF-8 text it most likely is. */
export function utf8Of(name: string): string {
  return Buffer.from(name, "latin1").toString("utf8");
}

/** A name or target quoted for a message: control and invisible characters escaped, long ones cut. */
export function shown(name: string): string {
  const text = utf8Of(name);
  const cut = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return JSON.stringify(cut).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Why a name or a symlink target cannot be used, or null. */
function badText(text: string): string | null {
  if (text === "") return "it is empty";
  if (text.length > MAX_NAME) return `it is longer than ${MAX_NAME} bytes`;
  if (CONTROL_BYTE.test(text) || C1.test(utf8Of(text))) return "it contains a NUL or control character";
  return null;
}

/**
 * The components of a member's name, `.` and empty ones dropped (`./a//b/`
 * is `a`, `b`; `./` is the top directory, []). Throws for empty, absolute,
 * `..` anywhere, control characters and over-long names.
 */
export function memberParts(name: string): string[] {
  const bad = badText(name);
  if (bad) throw new ArchiveRefusal("invalid", name, `its name: ${bad}`);
  if (name.startsWith("/")) throw new ArchiveRefusal("invalid", name, "its name is absolute");
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new ArchiveRefusal("invalid", name, "its name contains `..`");
  return parts;
}

/** Checks a symlink target's text: not empty, not absolute, no control characters. */
export function checkLinkText(member: string, target: string): void {
  const bad = badText(target);
  if (bad) throw new ArchiveRefusal("invalid", member, `it is a symlink whose target ${bad}`);
  if (target.startsWith("/")) throw new ArchiveRefusal("invalid", member, `it is a symlink to an absolute path (${shown(target)})`);
}

/** Resolving one symlink gives up after this many symlinks on the way (Linux gives up after 40 too). */
const MAX_HOPS = 40;

/**
 * Where the symlink at `path` (components) ends up, resolved inside a tree
 * whose symlinks are `links` (joined path → target): "outside" if it climbs
 * above the top, "absolute" if it passes through an absolute symlink, "loop"
 * past 40 symlinks, null if it stays inside. Symlinks met on the way are
 * followed as the kernel does (`a/..` after `a -> x/y` is `x`); a component
 * the tree does not hold counts as a plain directory. The last component is
 * not expanded: if it is a symlink, that symlink is judged on its own.
 * With an empty `links`, this is the lexical check.
 */
export function resolveLink(links: ReadonlyMap<string, string>, path: string[], target: string): "outside" | "absolute" | "loop" | null {
  if (target.startsWith("/")) return "absolute";
  const dirs = path.slice(0, -1);
  const keys: string[] = [];
  for (const d of dirs) keys.push(keys.length === 0 ? d : `${keys.at(-1)}/${d}`);
  // A stack of the components still to walk, the next one last; `.` and empty ones change nothing.
  const comps = (t: string) => t.split("/").filter((c) => c !== "" && c !== ".").reverse();
  const todo = comps(target);
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === "..") {
      if (keys.length === 0) return "outside";
      keys.pop();
      continue;
    }
    const key = keys.length === 0 ? c : `${keys.at(-1)}/${c}`;
    const next = todo.length > 0 ? links.get(key) : undefined;
    if (next === undefined) {
      keys.push(key);
      continue;
    }
    if (++hops > MAX_HOPS) return "loop";
    if (next.startsWith("/")) return "absolute";
    todo.push(...comps(next));
  }
  return null;
}

/** The first symlink of `links` that leaves the tree (with why), resolving through the others; null when all stay inside. */
export function findEscapingLink(links: ReadonlyMap<string, string>): { path: string; target: string; why: string } | null {
  for (const [path, target] of links) {
    const where = resolveLink(links, path.split("/"), target);
    if (where === "outside") return { path, target, why: "leaves the service directory (through the symlinks it passes)" };
    if (where === "absolute") return { path, target, why: "passes through a symlink to an absolute path" };
    if (where === "loop") return { path, target, why: "passes through more than 40 symlinks (a loop)" };
  }
  return null;
}
