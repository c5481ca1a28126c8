/**
 * The consistent copy of one database of a service's directory for a
 * snapshot, never reached through a symlink. A running service can change
 * its directory while the snapshot runs (replace `data/` with a symlink to
 * the agent's directory, say), so the database's directory is reached
 * through a chain of directory descriptors opened with O_NOFOLLOW, the file
 * (and its -wal, -shm, -journal) lstat'ed there, and the same checks made
 * again after the copy.
 *
 * SQLite opens files by name, never through a descriptor: given
 * `/proc/self/fd/<dir>/<name>` it expands the /proc link back to the
 * directory's path and opens the database, and later its -wal and -shm, by
 * name. A container that swaps a directory on that path for a symlink in
 * that instant would have SQLite open another file (the agent's own
 * registry, say). So the copy runs in a process of its own (`mcp agent
 * copy-db`, see _child.ts), where no other connection shares SQLite's
 * per-process file table (in the agent, SQLite reuses a descriptor another
 * connection left, which no check of new descriptors sees); the connection
 * is read-only (it can never checkpoint into, truncate or remove what it
 * opened); and every file it opens is checked by descriptor: after the open,
 * after a first read (which opens the -wal and -shm) and after the copy,
 * each descriptor whose name is the database's or a side file's must be the
 * very file found through the directory descriptor; otherwise the copy is
 * thrown away and the snapshot refused.
 */
import { closeSync, constants as C, existsSync, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { basename } from "node:path";
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

/** True when the database's header says WAL (read and write versions 2, bytes 18 and 19). */
function isWalMode(dirFd: number, name: string): boolean {
  const fd = openSync(at(dirFd, name), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  try {
    const head = Buffer.alloc(20);
    return readSync(fd, head, 0, 20, 0) === 20 && head[18] === 2 && head[19] === 2;
  } finally {
    closeSync(fd);
  }
}

/**
 * Every descriptor opened since `before` whose target is named like the
 * database or one of its side files must be that file in the directory
 * `dirFd` holds (same device and inode, a regular file).
 */
function verifyOpened(before: Set<string>, dirFd: number, name: string, rel: string): void {
  const names = new Set([name, ...SIDE_FILES.map((s) => name + s)]);
  for (const fd of readdirSync("/proc/self/fd")) {
    if (before.has(fd)) continue;
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (the listing's own descriptor)
    }
    const base = basename(target.replace(/ \(deleted\)$/, ""));
    if (!names.has(base)) continue;
    let opened: Stats;
    let there: Stats;
    try {
      opened = fstatSync(Number(fd));
      there = lstatSync(at(dirFd, base));
    } catch {
      throw refused(rel, `${base} changed while it was copied`);
    }
    if (!there.isFile() || !same(opened, there)) throw refused(rel, `the file opened as ${base} is not the one in its directory (it was swapped while it was copied)`);
  }
}

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
    before = look(serviceDir, rel, (fd, name) => {
      const open = new Set(readdirSync("/proc/self/fd"));
      // A WAL database without its -wal: nothing has it open (WAL keeps one while a connection lives), so it is read
      // as a file nothing writes and no -wal or -shm is left behind; else as one more reader, honouring the locks.
      const idle = isWalMode(fd, name) && !existsSync(at(fd, `${name}-wal`));
      vacuumInto(at(fd, name), copy, { durable: false, readonly: true, immutable: idle, verify: () => verifyOpened(open, fd, name, rel) });
    });
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
