/** Snapshots of a service's directory (SPEC §5.8, §7.1). */
import { createHash } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { McpError, messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { integrityCheck } from "../store/index.ts";
import { helperError } from "../transfer/index.ts";
import { copyDatabase } from "./_dbcopy.ts";
import { copyDatabaseInChild } from "./_child.ts";
import { errno, serviceDirOf, workDir } from "./_dirs.ts";
import { findEscapingLink, shown } from "./_paths.ts";
import { DEFAULT_MAX_ENTRIES, scanService } from "./_walk.ts";
import { COPY_SUFFIX, createArgs, spawnTar } from "./tar.ts";

/** Messages of about this size go to the client. */
const CHUNK = 1 << 20;

/** What a snapshot sent: the archive's size and SHA-256, and the databases copied into it. */
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
 * whatever happens. Symlinks are never followed: neither by the walk that
 * finds the databases, nor by the copies (see copyDatabase), nor by tar.
 * A directory of more than maxEntries (default 1,000,000) entries is
 * refused (resource_exhausted): a restore would refuse its archive.
 */
export async function snapshotService(
  o: {
    srvRoot: string; service: string; log: Logger; signal: AbortSignal; maxEntries?: number;
    /** How the agent runs itself (argv): each database is then copied by `mcp agent copy-db` in a process of its own (see _dbcopy.ts); unset = here (tests). */
    self?: readonly string[];
    /** Rootless podman: the whole snapshot is made by `mcp agent snapshot-dir` inside podman's user namespace (the containers' files are the agent's there). */
    userns?: { wrap: (argv: string[]) => string[] };
  },
  send: (c: { data: Uint8Array; sha256: string; databases: string[]; warnings?: string[] }) => Promise<void>,
): Promise<SnapshotResult> {
  if (o.userns && o.self) return snapshotInNamespace({ ...o, self: o.self, userns: o.userns }, send);
  const dir = serviceDirOf(o.srvRoot, o.service, true)!;
  const staging = workDir(o.srvRoot, "snapshot", o.service);
  try {
    // Walked without following symlinks; a symlink that leaves the directory is archived as it is (never followed), but a restore will refuse it.
    let scan: ReturnType<typeof scanService>;
    try {
      scan = scanService(dir, { maxEntries: o.maxEntries ?? DEFAULT_MAX_ENTRIES });
    } catch (err) {
      if (err instanceof McpError) throw err;
      // A running service changed its directory under the walk (a directory became a file, a link vanished).
      throw new McpError("failed_precondition", `${dir} changed while the snapshot read it (${errno(err) || messageOf(err)})`, "take the snapshot again, or stop the service first");
    }
    const { databases, links } = scan;
    const outward = findEscapingLink(links);
    const warnings = outward
      ? [`the symlink ${shown(outward.path)} -> ${shown(outward.target)} leaves the service directory: a restore of this snapshot will refuse it (make it relative, inside the directory)`]
      : [];
    if (outward) o.log.warn("snapshot: a symlink leaves the service directory; a restore of this snapshot will refuse it", { service: o.service, symlink: shown(outward.path), target: shown(outward.target) });
    for (const rel of databases) {
      const copy = join(staging, rel + COPY_SUFFIX);
      mkdirSync(dirname(copy), { recursive: true, mode: 0o700 });
      const st = o.self ? await copyDatabaseInChild(o.self, dir, rel, copy) : copyDatabase(dir, rel, copy); // read by tar at once, then removed
      const answer = integrityCheck(copy);
      if (answer !== "ok") throw new McpError("failed_precondition", `the database ${rel} fails its integrity check (${answer.slice(0, 200)})`, "repair it before taking a snapshot");
      // The copy gets the original's mode (tar drops special bits) and (when we may) owner.
      chmodSync(copy, st.mode & 0o777);
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
      const said = (await stderr).trim().split("\n").slice(-3).join("; ");
      // A running service removed or replaced what tar had listed: the service's doing, not the agent's.
      if (/Cannot stat|No such file|removed before we read|Not a directory/.test(said)) {
        throw new McpError("failed_precondition", `the service's directory changed while the snapshot read it (${said})`, "take the snapshot again, or stop the service first");
      }
      throw new McpError("internal", `tar failed (exit ${code}): ${said}`, "check the agent's log and the service's directory");
    }
    const sha256 = hash.digest("hex");
    await send({ data: new Uint8Array(0), sha256, databases, warnings });
    return { size, sha256, databases };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A snapshot made by `mcp agent snapshot-dir` inside podman's user namespace:
 * its stdout is the archive, forwarded in chunks; the last line of its
 * stderr the result (JSON), or its McpError.
 */
async function snapshotInNamespace(
  o: { srvRoot: string; service: string; signal: AbortSignal; self: readonly string[]; userns: { wrap: (argv: string[]) => string[] } },
  send: (c: { data: Uint8Array; sha256: string; databases: string[]; warnings?: string[] }) => Promise<void>,
): Promise<SnapshotResult> {
  const proc = Bun.spawn(o.userns.wrap([...o.self, "agent", "snapshot-dir", o.srvRoot, o.service]), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1" } });
  const kill = () => proc.kill("SIGTERM");
  o.signal.addEventListener("abort", kill, { once: true });
  const stderr = new Response(proc.stderr).text();
  try {
    for await (const chunk of proc.stdout) await send({ data: chunk, sha256: "", databases: [] });
  } finally {
    o.signal.removeEventListener("abort", kill);
  }
  const code = await proc.exited;
  if (o.signal.aborted) throw new McpError("aborted", "the snapshot was cancelled");
  const err = await stderr;
  if (code !== 0) throw helperError(err, code, "snapshot-dir");
  const r = JSON.parse(err.trim().split("\n").at(-1)!) as SnapshotResult & { warnings: string[] };
  await send({ data: new Uint8Array(0), sha256: r.sha256, databases: r.databases, warnings: r.warnings });
  return { size: r.size, sha256: r.sha256, databases: r.databases };
}
