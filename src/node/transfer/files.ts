import { createHash, randomBytes } from "node:crypto";
import {
  closeSync, constants as C, rmdirSync, fchmodSync, fchownSync, fdatasync, fstatSync, fsyncSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, unlinkSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { McpError } from "../../lib/errors.ts";
import { errnoOf, ioError } from "./errors.ts";
import { writeChunks } from "./_chunks.ts";
import { checkRelativePath, modeFor } from "./paths.ts";

/**
 * Files under `<srv_root>/<service>/`, confined on the resolved path at open
 * time (SPEC §5.7): the service directory is opened once, and every further
 * component is opened through `/proc/self/fd/<dir fd>/<name>` with
 * O_NOFOLLOW, so a symlink anywhere below the service directory (already
 * there, or swapped in while a transfer runs) is refused and never followed.
 * Renames go through the same directory descriptor. Linux only (mcp's nodes
 * run podman on Linux).
 */

/** How much a push writes between two background flushes to disk. */
const FLUSH_BYTES = 64 << 20;

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
/** Linux O_PATH: a descriptor to look at a file (fstat) without opening it for I/O. */
const O_PATH = 0o10000000;
const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;

/** The owner a pushed file takes: the regular file it replaces, else its directory (looked at through O_PATH, never followed). */
function ownerOf(dirFd: number, name: string): { uid: number; gid: number } {
  try {
    const fd = openSync(at(dirFd, name), O_PATH | C.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      if (st.isFile()) return { uid: st.uid, gid: st.gid };
    } finally {
      closeSync(fd);
    }
  } catch {
    // no such file: the directory's owner
  }
  const dir = fstatSync(dirFd);
  return { uid: dir.uid, gid: dir.gid };
}

function refusedSymlink(path: string): McpError {
  return new McpError("invalid_argument", `path ${JSON.stringify(path)} is refused: it goes through a symlink or a non-directory`,
    "symlinks are never followed under a service's directory");
}

/** Opens `<srvRoot>/<service>` (which must exist) as a directory descriptor. */
function openServiceDir(srvRoot: string, service: string): number {
  const dir = join(srvRoot, service);
  try {
    return openSync(dir, DIR_FLAGS);
  } catch (err) {
    const code = errnoOf(err);
    if (code === "ENOENT") {
      throw new McpError("failed_precondition", `the service directory ${dir} does not exist on this node`, `create it on the node: mkdir -p ${dir}`);
    }
    if (code === "ELOOP" || code === "ENOTDIR") throw new McpError("failed_precondition", `the service directory ${dir} is a symlink or not a directory`, "make it a plain directory");
    throw ioError(`cannot open ${dir}`, err);
  }
}

/** Directories a push made on its way, each as (its parent's descriptor, its name), outermost first; kept open to undo. */
type Made = { parentFd: number; name: string }[];

/** Removes the directories a failed push made (deepest first, only while empty) and closes their parents' descriptors. */
function undoMade(made: Made, failed: boolean): void {
  for (const m of [...made].reverse()) {
    if (failed) {
      try {
        rmdirSync(at(m.parentFd, m.name));
      } catch {
        // not empty (another push put something there), or already gone
      }
    }
    closeSync(m.parentFd);
  }
}

/**
 * Walks to the directory that holds the last component; with `made`,
 * missing directories are made (0755) and recorded there. Returns its
 * descriptor; the caller closes it.
 */
function openParent(srvRoot: string, service: string, path: string, parts: string[], made: Made | null): number {
  const create = made !== null;
  let fd = openServiceDir(srvRoot, service);
  try {
    for (const name of parts.slice(0, -1)) {
      let next: number;
      try {
        next = openSync(at(fd, name), DIR_FLAGS);
      } catch (err) {
        const code = errnoOf(err);
        if (code === "ENOENT" && create) {
          let mine = true;
          try {
            mkdirSync(at(fd, name), { mode: 0o755 });
          } catch (e) {
            if (errnoOf(e) !== "EEXIST") throw ioError(`cannot create directory ${name}`, e);
            mine = false;
          }
          next = openSync(at(fd, name), DIR_FLAGS);
          if (mine) {
            // Keep the parent open: a failed push removes what it made through it.
            made!.push({ parentFd: fd, name });
            fd = next;
            continue;
          }
        } else if (code === "ELOOP" || code === "ENOTDIR") {
          throw refusedSymlink(path);
        } else if (code === "ENOENT") {
          throw new McpError("not_found", `${path} does not exist in the service's directory`, "check the path (mcp pull takes a path relative to the service's directory)");
        } else throw ioError(`cannot open ${name}`, err);
      }
      closeSync(fd);
      fd = next;
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export interface ReceiveOptions {
  srvRoot: string;
  service: string;
  path: string;
  /** The sender's permission bits; 0 = default (see modeFor). */
  mode: number;
  maxBytes: number;
  /**
   * The new file gets the owner of the file it replaces, or of its directory
   * (when this process may: root, or root inside rootless podman's user
   * namespace): a file pushed for a container's user stays that user's.
   */
  inheritOwner?: boolean;
}

/**
 * Writes a pushed file: data goes to a temporary file in the target's own
 * directory; when the stream ends and the SHA-256 the sender gives matches,
 * it is synced and renamed over the target. A stream that fails, is
 * cancelled, is too big or does not match leaves the previous file as it
 * was and no temporary file behind.
 */
export async function receiveFile(
  o: ReceiveOptions,
  chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>,
): Promise<{ size: number; sha256: string; mode: number }> {
  const parts = checkRelativePath(o.path);
  const name = parts.at(-1)!;
  const made: Made = [];
  let dirFd: number;
  try {
    dirFd = openParent(o.srvRoot, o.service, o.path, parts, made);
  } catch (err) {
    undoMade(made, true);
    throw err;
  }
  const tmp = `.${name.slice(0, 200)}.mcp-${randomBytes(6).toString("hex")}.tmp`;
  let fd = -1;
  let renamed = false;
  let flushing: Promise<void> | null = null;
  try {
    const mode = modeFor(name, o.mode);
    try {
      fd = openSync(at(dirFd, tmp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
      if (o.inheritOwner && process.getuid?.() === 0) {
        const from = ownerOf(dirFd, name);
        fchownSync(fd, from.uid, from.gid);
      }
      fchmodSync(fd, mode); // exactly, whatever the umask (and after the chown, which clears special bits)
    } catch (err) {
      throw ioError(`cannot create a file in ${o.service}/${parts.slice(0, -1).join("/")}`, err);
    }
    // The data is flushed to disk while it streams in (a background fdatasync every FLUSH_BYTES, one at a time),
    // so the fsync before the rename has little left to do.
    let flushedAt = 0;
    const { size, sha256, claimed } = await writeChunks(fd, chunks, {
      maxBytes: o.maxBytes, what: `cannot write ${o.path}`, tooBig: "the file",
      onWritten: (written) => {
        if (flushing || written - flushedAt < FLUSH_BYTES) return;
        flushedAt = written;
        const f = fd;
        flushing = new Promise<void>((resolve) => fdatasync(f, () => resolve())).then(() => {
          flushing = null;
        });
      },
    });
    await flushing;
    if (!claimed) throw new McpError("invalid_argument", "the push ended without its SHA-256", "the client must send the checksum in its last message");
    if (claimed.toLowerCase() !== sha256) {
      throw new McpError("data_loss", `checksum mismatch: received ${sha256}, the sender computed ${claimed}`, "push again; the previous file is unchanged");
    }
    try {
      fsyncSync(fd);
      closeSync(fd);
      fd = -1;
      // The target itself must not be a directory or symlink: rename would replace a symlink, not follow it, but say so.
      try {
        const targetFd = openSync(at(dirFd, name), O_PATH | C.O_NOFOLLOW);
        let st: ReturnType<typeof fstatSync>;
        try {
          st = fstatSync(targetFd);
        } finally {
          closeSync(targetFd); // every replacing push opened one and never closed it
        }
        if (st.isSymbolicLink()) throw refusedSymlink(o.path);
        if (st.isDirectory()) throw new McpError("invalid_argument", `${o.path} is a directory on the node`, "push to a file path");
      } catch (err) {
        if (err instanceof McpError) throw err;
        if (errnoOf(err) === "ELOOP") throw refusedSymlink(o.path);
        if (errnoOf(err) !== "ENOENT") throw ioError(`cannot check ${o.path}`, err);
      }
      renameSync(at(dirFd, tmp), at(dirFd, name));
      renamed = true;
      fsyncSync(dirFd);
    } catch (err) {
      if (err instanceof McpError) throw err;
      throw ioError(`cannot replace ${o.path}`, err);
    }
    return { size, sha256, mode };
  } finally {
    await flushing; // never close a descriptor a background flush still uses
    if (fd >= 0) closeSync(fd);
    if (!renamed) {
      try {
        unlinkSync(at(dirFd, tmp));
      } catch {
        // never created, or already gone
      }
    }
    closeSync(dirFd);
    // A failed push leaves no directory it made behind.
    undoMade(made, !renamed);
  }
}

/**
 * Reads a file for a pull, in chunks, with its mode and (at the end) its
 * SHA-256. The file is opened once, confined as receiveFile's target is, and
 * must be a regular file.
 */
export async function* sendFile(
  o: { srvRoot: string; service: string; path: string; chunkBytes?: number },
): AsyncGenerator<{ data: Uint8Array; mode: number; size: number; sha256: string }> {
  const parts = checkRelativePath(o.path);
  const dirFd = openParent(o.srvRoot, o.service, o.path, parts, null);
  let fd: number;
  try {
    // O_PATH first: a device node or FIFO a container made is looked at, never opened (opening some has effects).
    const pathFd = openSync(at(dirFd, parts.at(-1)!), O_PATH | C.O_NOFOLLOW);
    try {
      const kind = fstatSync(pathFd);
      if (kind.isSymbolicLink()) throw refusedSymlink(o.path);
      if (!kind.isFile()) throw new McpError("invalid_argument", `${o.path} is not a regular file`, "pull a file");
      fd = openSync(`/proc/self/fd/${pathFd}`, C.O_RDONLY);
    } finally {
      closeSync(pathFd);
    }
  } catch (err) {
    if (err instanceof McpError) throw err;
    const code = errnoOf(err);
    if (code === "ENOENT") throw new McpError("not_found", `${o.path} does not exist in the service's directory`, "check the path");
    if (code === "ELOOP") throw refusedSymlink(o.path);
    throw ioError(`cannot open ${o.path}`, err);
  } finally {
    closeSync(dirFd);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new McpError("invalid_argument", `${o.path} is not a regular file`, "pull a file");
    const mode = st.mode & 0o777;
    const hash = createHash("sha256");
    const size = Number(st.size);
    yield { data: new Uint8Array(0), mode, size, sha256: "" };
    const chunk = o.chunkBytes ?? 1 << 20;
    for (;;) {
      const buf = new Uint8Array(chunk);
      let n: number;
      try {
        n = readSync(fd, buf, 0, chunk, null);
      } catch (err) {
        throw ioError(`cannot read ${o.path}`, err);
      }
      if (n === 0) break;
      const data = buf.subarray(0, n);
      hash.update(data);
      yield { data, mode, size, sha256: "" };
    }
    yield { data: new Uint8Array(0), mode, size, sha256: hash.digest("hex") };
  } finally {
    closeSync(fd);
  }
}

/** Whether a path resolves inside dir (for tests and checks): the real path of an open descriptor. */
export function realPathOfFd(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}
