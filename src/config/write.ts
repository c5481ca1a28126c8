import { randomBytes } from "node:crypto";
import { mkdir, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Options of writeFileAtomic. */
export interface WriteFileAtomicOptions {
  /** Mode of a new file (default 0o644); an existing file keeps its own mode. */
  mode?: number;
  /** Create the parent directory (mode 0o700) when it is missing. */
  createDir?: boolean;
}

/**
 * Replaces a file's content all at once: writes a temporary file in the same
 * directory, syncs it, and renames it over the target, so a crash leaves the
 * old file or the new one, never half of either. An existing file keeps its
 * permission bits. Used for edits of definitions and the CLI config.
 */
export async function writeFileAtomic(path: string, text: string, opts: WriteFileAtomicOptions = {}): Promise<void> {
  const dir = dirname(path);
  if (opts.createDir) await mkdir(dir, { recursive: true, mode: 0o700 });
  let mode = opts.mode ?? 0o644;
  try {
    mode = (await stat(path)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(text);
    await fh.chmod(mode); // open() applies the umask; the file must keep its mode exactly
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/** Makes the rename durable; some filesystems refuse to sync a directory, which is harmless here. */
async function syncDir(dir: string): Promise<void> {
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Not every platform can fsync a directory; the data itself is synced.
  }
}
