import { closeSync, constants as C, fchownSync, mkdirSync, openSync } from "node:fs";
import { McpError } from "../../lib/errors.ts";
import { errnoOf, ioError } from "./errors.ts";

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;

/**
 * Makes the missing directories of `parts` below `serviceDir` (mode 0750)
 * and gives each one it made to `owner` (existing ones are never changed).
 * Confined as transfers are: every component is opened through the one
 * before it with O_NOFOLLOW, and ownership is set on the open descriptor,
 * so a symlink a container swaps in anywhere on the way is refused, never
 * followed (a container that writes a parent could otherwise have the
 * agent make or give away a directory of its choosing). Returns the paths
 * made. Throws failed_precondition on a symlink or a non-directory.
 */
export function makeDirsConfined(serviceDir: string, parts: readonly string[], owner: { uid: number; gid: number } | null): string[] {
  const made: string[] = [];
  let fd: number;
  try {
    fd = openSync(serviceDir, DIR_FLAGS);
  } catch (err) {
    throw refused(serviceDir, err);
  }
  try {
    let path = serviceDir;
    for (const name of parts) {
      path = `${path}/${name}`;
      let next: number;
      let fresh = false;
      try {
        next = openSync(at(fd, name), DIR_FLAGS);
      } catch (err) {
        if (errnoOf(err) !== "ENOENT") throw refused(path, err);
        try {
          mkdirSync(at(fd, name), { mode: 0o750 });
          fresh = true;
        } catch (e) {
          if (errnoOf(e) !== "EEXIST") throw ioError(`cannot create ${path}`, e);
        }
        try {
          next = openSync(at(fd, name), DIR_FLAGS);
        } catch (e) {
          throw refused(path, e);
        }
      }
      closeSync(fd);
      fd = next;
      if (fresh) {
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        made.push(path);
      }
    }
    return made;
  } finally {
    closeSync(fd);
  }
}

function refused(path: string, err: unknown): McpError {
  const code = errnoOf(err);
  if (code === "ELOOP" || code === "ENOTDIR") {
    return new McpError("failed_precondition", `${path} is a symlink or not a directory`, "a data directory is made only through plain directories of the service's own directory");
  }
  return ioError(`cannot open ${path}`, err);
}
