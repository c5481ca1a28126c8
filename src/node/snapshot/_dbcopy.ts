/**
 * The consistent copy of one database of a service's directory for a
 * snapshot, never reached through a symlink. A running service can change
 * its directory while the snapshot runs (replace `data/` with a symlink to
 * the agent's directory, say), so the database's directory is reached
 * through a chain of directory descriptors opened with O_NOFOLLOW, the file
 * (and its -wal, -shm, -journal) lstat'ed there, and the same checks made
 * again after the copy.
 *
 * The race that remains: SQLite opens files by name, never through a
 * descriptor. Given `/proc/self/fd/<dir>/<name>`, SQLite 3.54 expands the
 * symlinks of that path itself (the /proc link becomes the directory's real
 * path), opens the result by name, and opens the -wal and -shm by name
 * beside it. A process that swaps a directory on that path (or a side file)
 * for a symlink during the copy, and puts it back before the check after
 * it, goes unnoticed. The window is the copy's duration; closing it needs
 * SQLite to open with SQLITE_OPEN_NOFOLLOW, which store/'s vacuumInto does
 * not pass today.
 */
import { closeSync, constants as C, fstatSync, lstatSync, openSync, type Stats } from "node:fs";
import { McpError, messageOf } from "../../lib/errors.ts";
import { vacuumInto } from "../store/index.ts";
import { errno } from "./_dirs.ts";

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;
/** The files SQLite opens beside a database. */
const SIDE_FILES = ["-wal", "-shm", "-journal"];

function refused(rel: string, why: string): McpError {
  return new McpError("failed_precondition", `the database ${JSON.stringify(rel)} is refused: ${why}`, "snapshots never follow symlinks; make it a regular file in plain directories of the service's directory");
}

/** What a database and its directory were when looked at: the directory's identity, the file's lstat. */
interface Seen {
  dir: Stats;
  file: Stats;
}

/** Opens rel's directory from serviceDir down without following a symlink, lstats the database and its side files there. */
function look(serviceDir: string, rel: string, withFd: (fd: number, name: string) => void = () => {}): Seen {
  const parts = rel.split("/");
  const name = parts.pop()!;
  let fd = openSync(serviceDir, DIR_FLAGS);
  try {
    for (const p of parts) {
      let next: number;
      try {
        next = openSync(at(fd, p), DIR_FLAGS);
      } catch (err) {
        if (errno(err) === "ELOOP" || errno(err) === "ENOTDIR") throw refused(rel, `${JSON.stringify(p)} on its path is a symlink or not a directory`);
        if (errno(err) === "ENOENT") throw refused(rel, "it vanished while the snapshot was taken");
        throw err;
      }
      closeSync(fd);
      fd = next;
    }
    let file: Stats;
    try {
      file = lstatSync(at(fd, name));
    } catch (err) {
      if (errno(err) === "ENOENT") throw refused(rel, "it vanished while the snapshot was taken");
      throw err;
    }
    if (!file.isFile()) throw refused(rel, "it is not a regular file (a symlink?)");
    for (const suffix of SIDE_FILES) {
      let side: Stats | null = null;
      try {
        side = lstatSync(at(fd, name + suffix));
      } catch (err) {
        if (errno(err) !== "ENOENT") throw err;
      }
      if (side && !side.isFile()) throw refused(rel, `its ${suffix.slice(1)} file is not a regular file (a symlink?)`);
    }
    const seen = { dir: fstatSync(fd), file };
    withFd(fd, name);
    return seen;
  } finally {
    closeSync(fd);
  }
}

const same = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/**
 * Copies `<serviceDir>/<rel>` to `copy` with VACUUM INTO (a consistent copy
 * of a live WAL database). Refuses (failed_precondition) when a component of
 * rel, the file or one of its side files is a symlink or not what it was
 * before the copy; a full disk is resource_exhausted. Returns the file's
 * lstat from before the copy (for its mode and owner).
 */
export function copyDatabase(serviceDir: string, rel: string, copy: string): Stats {
  let before: Seen;
  try {
    before = look(serviceDir, rel, (fd, name) => vacuumInto(at(fd, name), copy, { durable: false }));
  } catch (err) {
    if (err instanceof McpError) throw err;
    if (/disk is full|SQLITE_FULL/i.test(messageOf(err))) {
      throw new McpError("resource_exhausted", `cannot copy the database ${rel}: the disk is full`, "free space on the node (the copy needs as much as the database), then try again");
    }
    throw new McpError("failed_precondition", `cannot copy the database ${rel}: ${messageOf(err)}`, "check that it is an SQLite database the agent's user can open");
  }
  const after = look(serviceDir, rel);
  if (!same(before.dir, after.dir) || !same(before.file, after.file)) throw refused(rel, "it was replaced while it was copied");
  return before.file;
}
