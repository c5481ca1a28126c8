/**
 * The `tar --zstd` command lines of snapshots and restores, as argv arrays
 * built by pure functions (no shell), the one place that spawns tar, and the
 * archive's decompressed stream for the checks before extraction.
 */
import { createReadStream } from "node:fs";
import { createZstdDecompress } from "node:zlib";

/** The suffix of a database's consistent copy in the staging directory; the archive drops it. */
export const COPY_SUFFIX = ".mcp-snapshot-copy";

/**
 * Creates the archive on stdout: the service's directory without `backups/`
 * (top level) and without `*.db`, `*.db-wal`, `*.db-shm`, `*.db-journal`;
 * then the copies from the staging directory (`<name>.db.mcp-snapshot-copy`,
 * relative paths), stored as `<name>.db`. Owners are stored as numbers.
 * Symlinks are stored as symlinks, never followed (no `-h`). What a restore
 * refuses is left out where tar can: a file with several links is stored
 * whole each time (`--hard-dereference`, no hardlink members), and no mode
 * keeps a setuid, setgid or sticky bit (`--mode=a-st`).
 */
export function createArgs(serviceDir: string, stagingDir: string, copies: string[]): string[] {
  return [
    "--zstd", "-c", "-f", "-", "--numeric-owner", "--hard-dereference", "--mode=a-st",
    // Exclusions are positional in GNU tar: they come before the directories.
    "--anchored", "--exclude=./backups",
    "--no-anchored", "--exclude=*.db", "--exclude=*.db-wal", "--exclude=*.db-shm", "--exclude=*.db-journal",
    `--transform=s/${COPY_SUFFIX.replaceAll(".", "\\.")}$//`,
    "-C", serviceDir, ".",
    // The copies by name, not the staging directory itself: its `./` entry would give the restored directory its mode.
    ...(copies.length > 0 ? ["-C", stagingDir, ...copies.map((c) => `./${c}`)] : []),
  ];
}

/**
 * Extracts a checked archive (see checkArchive) into an empty directory:
 * files owned by the agent's user whatever the archive says
 * (`--no-same-owner`; the `./` entry gives the directory its mode only), no
 * extended attributes, ACLs or SELinux contexts. GNU tar also refuses member
 * names with `..`, and creates symlinks that point outside as placeholders
 * until the end, so nothing is written through them.
 */
export function extractArgs(archive: string, into: string, o: { keepOwners?: boolean } = {}): string[] {
  // The archive's owners only inside rootless podman's user namespace: there they are the containers' own ids.
  return ["--zstd", "-x", "-f", archive, "-C", into, o.keepOwners ? "--same-owner" : "--no-same-owner", "--numeric-owner", "--no-xattrs", "--no-acls", "--no-selinux"];
}

/**
 * The archive decompressed, in chunks of up to 1 MiB, in this process
 * (node:zlib's zstd: ≈ 0.5 s for 600 MB here, against ≈ 1 s through a
 * spawned `zstd -dc`). Leaving the loop early stops the decompression (a zip
 * bomb costs only what was read). Bun 1.4.5's decoder ends quietly at a
 * truncated frame or at trailing garbage, where `zstd` fails: the tar
 * reader then finds the tar stream cut short, or, when the cut spares the
 * tar stream (a missing frame checksum), the extraction through `zstd`
 * fails. Both are reported as a damaged archive, and the bytes the decoders
 * agree on are the only ones tar extracts.
 */
export async function* decompressedChunks(archive: string): AsyncGenerator<Uint8Array, void, void> {
  const file = createReadStream(archive, { highWaterMark: 1 << 20 });
  const zstd = createZstdDecompress({ chunkSize: 1 << 20 });
  file.on("error", (err) => zstd.destroy(err));
  file.pipe(zstd);
  try {
    for await (const chunk of zstd) yield chunk as Uint8Array;
  } finally {
    file.destroy();
    zstd.destroy();
  }
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
