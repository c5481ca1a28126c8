import { McpError } from "./errors.ts";

/** Characters a path component may hold: portable file names, nothing that encodes or looks like a separator. */
const COMPONENT = /^[A-Za-z0-9._@+=,~-][A-Za-z0-9._@+=,~ -]*$/;
const MAX_COMPONENTS = 32;
const MAX_COMPONENT = 255;
const MAX_PATH = 1024;

function refuse(path: string, why: string): never {
  throw new McpError(
    "invalid_argument",
    `path ${JSON.stringify(path)} is refused: ${why}`,
    "give a path relative to the service's directory, made of plain names (letters, digits, . _ - @ + = , ~ and spaces)",
  );
}

/**
 * Checks a path relative to a service's directory (SPEC §5.7) and returns its
 * components. Refused: empty, absolute, `.` or `..` anywhere, empty
 * components (`a//b`, a trailing `/`), NUL and control characters,
 * backslashes, percent signs (no encoded forms), anything outside a
 * conservative set of characters (no look-alike slashes or dots), and
 * over-long paths. This is the first check only: the agent also opens every
 * component without following symlinks (see files.ts).
 */
export function checkRelativePath(path: string): string[] {
  if (path === "") refuse(path, "it is empty");
  if (path.length > MAX_PATH) refuse(path.slice(0, 40) + "…", `it is longer than ${MAX_PATH} characters`);
  if (path.includes("\0")) refuse(path, "it contains a NUL byte");
  if (path.startsWith("/")) refuse(path, "it is absolute");
  if (path.startsWith("~")) refuse(path, "it starts with ~");
  const parts = path.split("/");
  if (parts.length > MAX_COMPONENTS) refuse(path, `it has more than ${MAX_COMPONENTS} components`);
  for (const p of parts) {
    if (p === "") refuse(path, "it has an empty component (// or a trailing /)");
    if (p === "." || p === "..") refuse(path, `it contains "${p}"`);
    if (p.length > MAX_COMPONENT) refuse(path, `a component is longer than ${MAX_COMPONENT} characters`);
    if (!COMPONENT.test(p)) refuse(path, `component ${JSON.stringify(p)} has a character that is not allowed`);
  }
  return parts;
}

