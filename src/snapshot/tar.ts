/**
 * The `tar --zstd` command lines of snapshots and restores, as argv arrays
 * built by pure functions (no shell), and the one place that spawns tar.
 */

/** The suffix of a database's consistent copy in the staging directory; the archive drops it. */
export const COPY_SUFFIX = ".mcp-snapshot-copy";

/**
 * Creates the archive on stdout: the service's directory without `backups/`
 * (top level) and without `*.db`, `*.db-wal`, `*.db-shm`, `*.db-journal`;
 * then the copies from the staging directory (`<name>.db.mcp-snapshot-copy`,
 * relative paths), stored as `<name>.db`. Owners are stored as numbers.
 */
export function createArgs(serviceDir: string, stagingDir: string, copies: string[]): string[] {
  return [
    "--zstd", "-c", "-f", "-", "--numeric-owner",
    // Exclusions are positional in GNU tar: they come before the directories.
    "--anchored", "--exclude=./backups",
    "--no-anchored", "--exclude=*.db", "--exclude=*.db-wal", "--exclude=*.db-shm", "--exclude=*.db-journal",
    `--transform=s/${COPY_SUFFIX.replaceAll(".", "\\.")}$//`,
    "-C", serviceDir, ".",
    // The copies by name, not the staging directory itself: its `./` entry would give the restored directory its mode.
    ...(copies.length > 0 ? ["-C", stagingDir, ...copies.map((c) => `./${c}`)] : []),
  ];
}

/** Lists an archive (reads it all: a truncated or corrupt one fails). */
export function listArgs(archive: string): string[] {
  return ["--zstd", "-t", "-f", archive];
}

/**
 * Extracts into an empty directory. GNU tar refuses member names with `..`
 * and strips a leading `/`, and creates symlinks that point outside as
 * placeholders until the end, so nothing is written through them.
 */
export function extractArgs(archive: string, into: string): string[] {
  // The archive's `./` gives the restored directory its mode and owner (the staging directory is ours and empty).
  return ["--zstd", "-x", "-f", archive, "-C", into];
}

/** Starts tar; stdout is piped (snapshots stream it), stderr kept for the error. */
export function spawnTar(argv: string[]) {
  return Bun.spawn(["tar", ...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

/** Runs tar to completion; returns the exit code and the end of stderr. */
export async function runTar(argv: string[]): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn(["tar", ...argv], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  return { code, stderr: stderr.trim().split("\n").slice(-5).join("; ") };
}
