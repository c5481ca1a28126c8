import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync, chownSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { McpError, messageOf } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { integrityCheck, vacuumInto } from "../store/index.ts";
import { writeChunks } from "../transfer/index.ts";
import { COPY_SUFFIX, createArgs, extractArgs, listArgs, runTar, spawnTar } from "./tar.ts";

/** Messages of about this size go to the client. */
const CHUNK = 1 << 20;

const errno = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? "";

function ioError(what: string, err: unknown): McpError {
  const code = errno(err);
  if (code === "ENOSPC" || code === "EDQUOT") return new McpError("resource_exhausted", `${what}: the disk is full (${code})`, "free space on the node, then try again");
  return new McpError("internal", `${what}: ${messageOf(err)}`);
}

/** `<srv_root>/<service>`, which must be a real directory (not a symlink). */
function serviceDirOf(srvRoot: string, service: string, mustExist: boolean): string | null {
  const dir = join(srvRoot, service);
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw new McpError("failed_precondition", `${dir} is not a directory (or is a symlink)`, "make it a plain directory");
    return dir;
  } catch (err) {
    if (err instanceof McpError) throw err;
    if (errno(err) === "ENOENT" && !mustExist) return null;
    if (errno(err) === "ENOENT") throw new McpError("failed_precondition", `the service directory ${dir} does not exist on this node`, "nothing to snapshot");
    throw ioError(`cannot read ${dir}`, err);
  }
}

/** The SQLite databases (`*.db`, regular files) under dir, relative, leaving out the top-level `backups/`. */
export function findDatabases(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".db")) continue;
    const rel = relative(dir, join(e.parentPath, e.name));
    if (rel === "backups" || rel.startsWith("backups/")) continue;
    out.push(rel);
  }
  return out.sort();
}

/** A private working directory beside the service directories (same disk: renames are cheap). */
function workDir(srvRoot: string, kind: string, service: string): string {
  const dir = join(srvRoot, `.mcp-${kind}-${service}-${randomBytes(6).toString("hex")}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (errno(err) === "ENOENT") {
      throw new McpError("failed_precondition", `the srv root ${srvRoot} does not exist on this node`, `create it (mkdir -p ${srvRoot}, owned by the agent's user), or fix [agent] srv_root`);
    }
    throw ioError(`cannot create ${dir}`, err);
  }
  return dir;
}

export interface SnapshotResult {
  size: number;
  sha256: string;
  databases: string[];
}

/**
 * Streams a tar.zst of `<srv_root>/<service>/` (SPEC §5.8): `backups/` and
 * every `*.db`, `*.db-wal`, `*.db-shm` left out, and for each database a
 * consistent `VACUUM INTO` copy (checked with `PRAGMA integrity_check`) put
 * in under its own name. `send` gets the archive in chunks and, last, an
 * empty chunk with the SHA-256 of the whole and the databases copied. The work directory is removed
 * whatever happens.
 */
export async function snapshotService(
  o: { srvRoot: string; service: string; log: Logger; signal: AbortSignal },
  send: (c: { data: Uint8Array; sha256: string; databases: string[] }) => Promise<void>,
): Promise<SnapshotResult> {
  const dir = serviceDirOf(o.srvRoot, o.service, true)!;
  const staging = workDir(o.srvRoot, "snapshot", o.service);
  try {
    const databases = findDatabases(dir);
    for (const rel of databases) {
      const copy = join(staging, rel + COPY_SUFFIX);
      mkdirSync(dirname(copy), { recursive: true, mode: 0o700 });
      try {
        vacuumInto(join(dir, rel), copy, { durable: false }); // read by tar at once, then removed
      } catch (err) {
        if (/disk is full|SQLITE_FULL/i.test(messageOf(err))) {
          throw new McpError("resource_exhausted", `cannot copy the database ${rel}: the disk is full`, "free space on the node (the copy needs as much as the database), then try again");
        }
        throw new McpError("failed_precondition", `cannot copy the database ${rel}: ${messageOf(err)}`, "check that it is an SQLite database the agent's user can open");
      }
      const answer = integrityCheck(copy);
      if (answer !== "ok") throw new McpError("failed_precondition", `the database ${rel} fails its integrity check (${answer.slice(0, 200)})`, "repair it before taking a snapshot");
      // The copy gets the original's mode and (when we may) owner.
      const st = lstatSync(join(dir, rel));
      chmodSync(copy, st.mode & 0o7777);
      try {
        chownSync(copy, st.uid, st.gid);
      } catch {
        // not root: the copy stays ours, as the rest of what we could read
      }
    }
    const tar = spawnTar(createArgs(dir, staging, databases.map((rel) => rel + COPY_SUFFIX)));
    const kill = () => tar.kill("SIGTERM");
    o.signal.addEventListener("abort", kill, { once: true });
    const stderr = new Response(tar.stderr).text();
    const hash = createHash("sha256");
    let size = 0;
    try {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await send({ data, sha256: "", databases: [] });
      };
      for await (const chunk of tar.stdout) {
        hash.update(chunk);
        size += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK) await flush();
      }
      await flush();
    } finally {
      o.signal.removeEventListener("abort", kill);
    }
    const code = await tar.exited;
    if (o.signal.aborted) throw new McpError("aborted", "the snapshot was cancelled");
    // 1 = a file changed while it was read (a live service): the archive is still whole.
    if (code === 1) o.log.warn("snapshot: files changed while they were archived", { service: o.service, tar: (await stderr).trim().slice(-300) });
    else if (code !== 0) {
      throw new McpError("internal", `tar failed (exit ${code}): ${(await stderr).trim().split("\n").slice(-3).join("; ")}`, "check the agent's log and the service's directory");
    }
    const sha256 = hash.digest("hex");
    await send({ data: new Uint8Array(0), sha256, databases });
    return { size, sha256, databases };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Restores `<srv_root>/<service>/` from a streamed tar.zst (SPEC §5.8): the
 * archive is written aside, its SHA-256 checked, read through (a truncated
 * or corrupt one is refused), extracted into a fresh directory, every
 * database checked with `PRAGMA integrity_check`, and only then swapped in
 * for the service's directory (the previous one is removed after the swap).
 * Until the swap nothing of the service's directory changes. The caller
 * decides whether the service may be running.
 */
export async function restoreService(
  o: { srvRoot: string; service: string; maxBytes: number },
  chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>,
): Promise<{ size: number; databases: string[] }> {
  const dir = join(o.srvRoot, o.service);
  serviceDirOf(o.srvRoot, o.service, false);
  const work = workDir(o.srvRoot, "restore", o.service);
  const archive = join(work, "archive.tar.zst");
  const staging = join(work, "tree");
  try {
    // 1. The archive, whole and matching its checksum.
    const fd = openSync(archive, "wx", 0o600);
    let received: { size: number; sha256: string; claimed: string };
    try {
      received = await writeChunks(fd, chunks, { maxBytes: o.maxBytes, what: "cannot store the archive", tooBig: "the archive" });
      fsyncSync(fd);
    } catch (err) {
      throw err instanceof McpError ? err : ioError("cannot store the archive", err);
    } finally {
      closeSync(fd);
    }
    const { size, sha256, claimed } = received;
    if (!claimed) throw new McpError("invalid_argument", "the restore ended without the archive's SHA-256", "send the checksum in the last message");
    if (claimed.toLowerCase() !== sha256) {
      throw new McpError("data_loss", `checksum mismatch: received ${sha256}, the sender computed ${claimed}`, `restore again; ${dir} is unchanged`);
    }
    // 2. Readable to the end.
    const listed = await runTar(listArgs(archive));
    if (listed.code !== 0) {
      throw new McpError("invalid_argument", `the archive is damaged or truncated: ${listed.stderr}`, `${dir} is unchanged; take a new snapshot or use another archive`);
    }
    // 3. Extracted aside.
    mkdirSync(staging, { mode: 0o700 });
    const extracted = await runTar(extractArgs(archive, staging));
    if (extracted.code !== 0) {
      const full = /No space left on device/.test(extracted.stderr);
      throw new McpError(full ? "resource_exhausted" : "invalid_argument",
        full ? `the archive does not fit: the disk is full (${extracted.stderr})` : `the archive could not be extracted: ${extracted.stderr}`,
        `${dir} is unchanged`);
    }
    // 4. Every database sound.
    const databases = findDatabases(staging);
    for (const rel of databases) {
      const answer = integrityCheck(join(staging, rel));
      if (answer !== "ok") throw new McpError("invalid_argument", `the database ${rel} in the archive fails its integrity check (${answer.slice(0, 200)})`, `${dir} is unchanged`);
    }
    // 5. The swap: the old directory aside, the new one in, the old one gone.
    const old = join(work, "previous");
    let moved = false;
    try {
      renameSync(dir, old);
      moved = true;
    } catch (err) {
      if (errno(err) !== "ENOENT") throw ioError(`cannot move ${dir} aside`, err);
    }
    try {
      renameSync(staging, dir);
    } catch (err) {
      if (moved) renameSync(old, dir);
      throw ioError(`cannot put the restored directory in place`, err);
    }
    const root = openSync(o.srvRoot, "r");
    try {
      fsyncSync(root);
    } finally {
      closeSync(root);
    }
    return { size, databases };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
