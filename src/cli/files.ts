import { createHash, randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fstatSync, openSync, type Stats, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { McpError, messageOf } from "../lib/errors.ts";

/**
 * Opens a local regular file for reading (what a push or a restore sends),
 * runs fn with its descriptor and stat, and closes it. `what` names it in
 * the errors ("the local file", "the archive").
 */
export async function withLocalFile<T>(path: string, what: string, fn: (fd: number, st: Stats) => Promise<T>): Promise<T> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new McpError("invalid_argument", `cannot read ${path}: ${messageOf(err)}`, `check ${what}'s path`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new McpError("invalid_argument", `${path} is not a regular file`, `give ${what} as a file`);
    return await fn(fd, st);
  } finally {
    closeSync(fd);
  }
}

/** Bytes per message of a push or restore: big messages keep the per-message work small. */
const CHUNK_BYTES = 256 << 10;

/** Reads a local file in chunks of CHUNK_BYTES (256 KiB), one message each (the CLI side of a push). */
export async function* readChunks(fd: number, onRead: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(CHUNK_BYTES);
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) return;
    total += n;
    onRead(total);
    yield buf.subarray(0, n);
  }
}

/**
 * A local file written the way the agent writes a pushed one: into a
 * temporary file beside it, then (checksum matched) synced and renamed over
 * it, so an interrupted pull never leaves half a file under the name.
 */
export function createLocalSink(path: string) {
  const tmp = join(dirname(path), `.${basename(path).slice(0, 200)}.mcp-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", 0o600);
  } catch (err) {
    throw new McpError("invalid_argument", `cannot write in ${dirname(path)}: ${messageOf(err)}`, "choose another local path");
  }
  const hash = createHash("sha256");
  let size = 0;
  let open = true;
  const drop = () => {
    if (open) closeSync(fd);
    open = false;
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  };
  return {
    write(data: Uint8Array) {
      hash.update(data);
      size += data.length;
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    },
    /**
     * Checks the sender's SHA-256 and puts the file in place with `mode`.
     * Not fsynced (as scp and cp do not): the rename keeps a half-written
     * file from ever having the name; durability is the local disk's.
     */
    commit(expected: string, mode: number): { size: number; sha256: string } {
      const sha256 = hash.digest("hex");
      if (!expected || expected !== sha256) {
        drop();
        throw new McpError("data_loss", expected ? `checksum mismatch: received ${sha256}, the agent computed ${expected}` : "the pull ended without its checksum",
          `pull again; ${path} is unchanged`);
      }
      fchmodSync(fd, mode || 0o644);
      closeSync(fd);
      open = false;
      renameSync(tmp, path);
      return { size, sha256 };
    },
    drop,
  };
}
