/** Restores of a service's directory from a snapshot archive (SPEC §5.8, §7.1). */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { McpError } from "../../lib/errors.ts";
import { integrityCheck } from "../store/index.ts";
import { runHelper, writeChunks } from "../transfer/index.ts";
import { errno, ioError, serviceDirOf, workDir } from "./_dirs.ts";
import { checkArchive } from "./_members.ts";
import { ArchiveRefusal } from "./_paths.ts";
import { checkExtractedTree, DEFAULT_MAX_ENTRIES, findDatabases } from "./_walk.ts";
import { decompressedChunks, extractArgs, runTar } from "./tar.ts";

/** The default bound on an archive's size after decompression (SPEC §7.1, `[policy] max_archive_bytes`). */
export const DEFAULT_MAX_ARCHIVE_BYTES = 20 * 2 ** 30;

/** Where to restore, and the bounds of what is accepted. */
export interface RestoreOptions {
  srvRoot: string;
  service: string;
  /** The archive as received (compressed). */
  maxBytes: number;
  /** Its members' total size after decompression; default 20 GiB (`[policy] max_archive_bytes`). */
  maxArchiveBytes?: number;
  /** Its number of entries; default 1,000,000. */
  maxEntries?: number;
  /**
   * Rootless podman (SPEC §7.2, issue 14): the steps after the archive is
   * stored run in `mcp agent restore-dir` inside podman's user namespace
   * (`wrap` turns an argv into `podman unshare …`; `self` is how the agent
   * runs itself), where the agent's user is root over the containers'
   * subordinate ids: owners come back from the archive as the containers'
   * own, and the service's directory, owned by them, can be moved aside.
   */
  userns?: { self: readonly string[]; wrap: (argv: string[]) => string[] };
}

/** What applyArchive needs beyond the service: where the archive is, a work directory of its own. */
export interface ApplyOptions {
  srvRoot: string;
  service: string;
  archive: string;
  work: string;
  maxArchiveBytes?: number;
  maxEntries?: number;
  /** Extract with the archive's owners (only inside a user namespace, where they are the containers' ids). */
  keepOwners?: boolean;
}

/** An archive's refusal as the operator reads it: always with the reassurance that nothing changed. */
function refusalError(r: ArchiveRefusal, dir: string): McpError {
  const unchanged = `${dir} is unchanged`;
  switch (r.kind) {
    case "too_big":
      return new McpError("resource_exhausted", r.message, `${unchanged}; to accept larger archives, raise [policy] max_archive_bytes in the agent's config`);
    case "too_many":
      return new McpError("invalid_argument", r.message, `${unchanged}; the agent extracts archives of at most that many entries`);
    case "damaged":
      return new McpError("invalid_argument", `the archive is damaged or truncated: ${r.message}`, `${unchanged}; take a new snapshot or use another archive`);
    case "invalid":
      return new McpError("invalid_argument", r.message,
        `${unchanged}; a restore accepts only regular files, directories and symlinks that stay inside the service's directory, without setuid, setgid or sticky bits`);
  }
}

/**
 * Restores `<srv_root>/<service>/` from a streamed tar.zst (SPEC §5.8,
 * §7.1): the archive is written aside and its SHA-256 checked; its
 * decompressed stream is read through and every member checked (see
 * checkArchive: only files, directories and symlinks that stay inside, no
 * special bits, bounded size and entry count; a truncated or corrupt one is
 * refused); it is extracted into a fresh directory without owners from the
 * archive, what was extracted is checked again (types, links, special bits
 * stripped), every database checked with `PRAGMA integrity_check`, and only
 * then swapped in for the service's directory (the previous one is removed
 * after the swap). Until the swap nothing of the service's directory
 * changes, and the work directory is removed whatever happens. Refusals are
 * invalid_argument, except an archive past maxArchiveBytes
 * (resource_exhausted). The caller decides whether the service may be
 * running.
 */
export async function restoreService(
  o: RestoreOptions,
  chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>,
): Promise<{ size: number; databases: string[] }> {
  const dir = join(o.srvRoot, o.service);
  const maxEntries = o.maxEntries ?? DEFAULT_MAX_ENTRIES;
  serviceDirOf(o.srvRoot, o.service, false);
  const work = workDir(o.srvRoot, "restore", o.service);
  const archive = join(work, "archive.tar.zst");
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
    if (o.userns) {
      const databases = await applyInNamespace(o.userns, { srvRoot: o.srvRoot, service: o.service, archive, work, maxArchiveBytes: o.maxArchiveBytes, maxEntries });
      return { size, databases };
    }
    const databases = await applyArchive({ srvRoot: o.srvRoot, service: o.service, archive, work, maxArchiveBytes: o.maxArchiveBytes, maxEntries });
    return { size, databases };
  } finally {
    try {
      rmSync(work, { recursive: true, force: true });
    } catch {
      // in a namespace, `restore-dir` removed what it made there; what is left is the agent's own, and empty
    }
  }
}

/**
 * Steps 2–5 of a restore, on an archive already stored and checked against
 * its SHA-256 in `o.work`: every member checked, extracted aside (without
 * the archive's owners unless keepOwners), checked again, databases checked,
 * swapped in. Returns the databases checked. Throws McpError; nothing of the
 * service's directory changes before the swap.
 */
export async function applyArchive(o: ApplyOptions): Promise<string[]> {
  const dir = join(o.srvRoot, o.service);
  const { archive, work } = o;
  const maxEntries = o.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const staging = join(work, "tree");
  // 2. Every member, read to the end, before anything is written.
  try {
    await checkArchive(decompressedChunks(archive), { maxArchiveBytes: o.maxArchiveBytes ?? DEFAULT_MAX_ARCHIVE_BYTES, maxEntries });
  } catch (err) {
    throw err instanceof ArchiveRefusal ? refusalError(err, dir) : ioError("cannot read the archive", err);
  }
  // 3. Extracted aside, then what is on disk checked again.
  mkdirSync(staging, { mode: 0o700 });
  const extracted = await runTar(extractArgs(archive, staging, { keepOwners: o.keepOwners }));
  if (extracted.code !== 0) {
    if (/No space left on device/.test(extracted.stderr)) {
      throw new McpError("resource_exhausted", `the archive does not fit: the disk is full (${extracted.stderr})`, `${dir} is unchanged`);
    }
    // zstd's own errors (`/*stdin*\ : …`): a cut or corrupt frame the in-process decoder of step 2 passed over.
    if (/\/\*stdin\*\\|Unexpected EOF in archive/.test(extracted.stderr)) {
      throw new McpError("invalid_argument", `the archive is damaged or truncated: ${extracted.stderr}`, `${dir} is unchanged; take a new snapshot or use another archive`);
    }
    throw new McpError("invalid_argument", `the archive could not be extracted: ${extracted.stderr}`, `${dir} is unchanged`);
  }
  try {
    checkExtractedTree(staging, maxEntries, { keepOwners: o.keepOwners });
  } catch (err) {
    throw err instanceof ArchiveRefusal ? refusalError(err, dir) : ioError("cannot check the extracted archive", err);
  }
  // 4. Every database sound.
  const databases = findDatabases(staging, { maxEntries: maxEntries + 1 });
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
  // The previous directory goes now: inside a user namespace only this process may remove what containers wrote.
  rmSync(old, { recursive: true, force: true });
  return databases;
}

/** applyArchive in `mcp agent restore-dir`, inside podman's user namespace; its McpError comes back as JSON on stderr. */
async function applyInNamespace(ns: NonNullable<RestoreOptions["userns"]>, o: ApplyOptions): Promise<string[]> {
  const argv = ns.wrap([...ns.self, "agent", "restore-dir", o.srvRoot, o.service, o.archive, o.work, String(o.maxArchiveBytes ?? DEFAULT_MAX_ARCHIVE_BYTES), String(o.maxEntries ?? DEFAULT_MAX_ENTRIES)]);
  const out = await runHelper(argv);
  return (JSON.parse(out) as { databases: string[] }).databases;
}

