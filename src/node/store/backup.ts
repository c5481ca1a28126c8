import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { McpError } from "../../lib/errors.ts";
import { integrityCheck, vacuumInto } from "./sqlite-files.ts";

/** What one backup did: the file written and the old backups removed (full paths, oldest first). */
export interface BackupResult {
  path: string;
  removed: string[];
}

/** Backups are named by their UTC second; `-2`, `-3`… when one second holds several. Nothing else in the directory is ours. */
const BACKUP_NAME = /^mcp-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$/;

/** `mcp-20261123T234512Z` for a Unix time in ms (UTC, whole seconds). */
function backupStem(now: number): string {
  return `mcp-${new Date(now).toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
}

const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? "error";

/**
 * Backs up the registry at dbPath into dir as `mcp-<UTC timestamp>.db`
 * (mode 0600) with `VACUUM INTO`, which reads one consistent snapshot from a
 * second connection, so it is safe while the agent writes (WAL). The copy
 * must pass `PRAGMA integrity_check`, else it is deleted and this throws;
 * only then are the older backups beyond the newest `keep` removed (only
 * files named like ours; the one just written is always kept). dir is made
 * (0700) when missing. Never migrates or otherwise changes the registry.
 * A missing registry is `failed_precondition`.
 */
export function backupRegistry(dbPath: string, dir: string, now: number, keep = 7): BackupResult {
  if (!Number.isInteger(keep) || keep < 1) throw new McpError("invalid_argument", `backups to keep must be a whole number ≥ 1 (got ${keep})`, "keep at least the backup being made");
  if (!existsSync(dbPath)) {
    throw new McpError("failed_precondition", `no registry at ${dbPath}`, "is this the agent's config? run mcp agent init first");
  }
  ensureDir(dir);
  const path = createTarget(dir, backupStem(now));
  try {
    copyRegistry(dbPath, path);
    verify(dbPath, path);
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
  return { path, removed: pruneBackups(dir, path, keep) };
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (errCode(err) === "EEXIST") return;
    throw new McpError("failed_precondition", `cannot create the backups directory ${dir} (${errCode(err)})`, "run this as the user the agent runs as", { cause: err });
  }
  // mkdir's mode passes through the umask.
  chmodSync(dir, 0o700);
}

/**
 * Creates the backup file empty and private before anything is written into
 * it (VACUUM INTO accepts an empty file and keeps its mode), taking the next
 * free `-N` suffix when another backup got this second first.
 */
function createTarget(dir: string, stem: string): string {
  for (let n = 1; ; n++) {
    const path = join(dir, n === 1 ? `${stem}.db` : `${stem}-${n}.db`);
    try {
      closeSync(openSync(path, "wx", 0o600));
    } catch (err) {
      if (errCode(err) === "EEXIST") continue;
      throw new McpError("failed_precondition", `cannot create ${path} (${errCode(err)})`, "run this as the user the agent runs as, and check the backups directory's permissions", { cause: err });
    }
    chmodSync(path, 0o600);
    return path;
  }
}

function copyRegistry(dbPath: string, path: string): void {
  try {
    vacuumInto(dbPath, path);
  } catch (err) {
    throw new McpError("failed_precondition", `cannot back up the registry ${dbPath}: ${(err as Error).message}`, `check that it is the agent's registry and that ${path}'s disk has room`, { cause: err });
  }
}

function verify(dbPath: string, path: string): void {
  const answer = integrityCheck(path);
  if (answer !== "ok") {
    throw new McpError(
      "failed_precondition",
      `the backup of ${dbPath} failed its integrity check (${answer.slice(0, 200)}); it was not kept`,
      "the registry itself may be damaged: keep the existing backups, and restore the newest good one if the agent misbehaves",
    );
  }
}

/** Removes our backups in dir beyond the newest keep, never `fresh`. Returns what was removed, oldest first. */
function pruneBackups(dir: string, fresh: string, keep: number): string[] {
  const backups = readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const m = e.isFile() ? BACKUP_NAME.exec(e.name) : null;
      return m ? [{ path: join(dir, e.name), stamp: m[1]!, n: Number(m[2] ?? 1) }] : [];
    })
    .filter((b) => b.path !== fresh)
    // Newest first: by timestamp, then by suffix (`-10` after `-9`).
    .sort((a, b) => (a.stamp === b.stamp ? b.n - a.n : a.stamp < b.stamp ? 1 : -1));
  const removed: string[] = [];
  for (const b of backups.slice(keep - 1).reverse()) {
    try {
      unlinkSync(b.path);
      removed.push(b.path);
    } catch (err) {
      // A concurrent run may have pruned it already.
      if (errCode(err) !== "ENOENT") {
        throw new McpError("failed_precondition", `the backup was written to ${fresh}, but ${b.path} could not be removed (${errCode(err)})`, "remove old backups by hand, or fix the directory's permissions", { cause: err });
      }
    }
  }
  return removed;
}
