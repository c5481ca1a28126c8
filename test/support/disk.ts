/**
 * Full-disk helpers shared by test/reliability/full-disk.e2e.test.ts and
 * bench/reliability-faults.ts: a tmpfs to fill, a way to fill it, and
 * digests of a directory to prove nothing changed or was left behind.
 */
import { $ } from "bun";
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join, relative } from "node:path";
import { tempDir } from "./mcp.ts";

/** Mounts a fresh tmpfs of `size` (root only); the reason when it cannot. */
export async function mountTmpfs(size: string): Promise<{ ok: true; dir: string } | { ok: false; reason: string }> {
  if (process.getuid?.() !== 0) return { ok: false, reason: "not root: mounting a tmpfs needs root" };
  const dir = tempDir("mcp-full-disk-");
  const r = await $`mount -t tmpfs -o size=${size},mode=0755 tmpfs ${dir}`.nothrow().quiet();
  if (r.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `mount -t tmpfs failed: ${r.stderr.toString().trim()}` };
  }
  return { ok: true, dir };
}

/** Bytes free to an unprivileged writer. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills dir's filesystem until `leave` bytes are free (a filler file at the top); returns its path. */
export function fillDisk(dir: string, leave: number): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "a");
  try {
    const chunk = Buffer.alloc(64 << 10, 0x5a);
    for (;;) {
      const want = freeBytes(dir) - leave;
      if (want <= 0) break;
      try {
        writeSync(fd, chunk, 0, Math.min(chunk.length, want));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Every entry under dir (dot files too, but those `skip` names): type, mode and, for files, the SHA-256 of the bytes. */
export function treeDigest(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    const rel = relative(dir, path);
    if (skip(rel)) continue;
    const st = lstatSync(path);
    const kind = st.isFile() ? `file ${createHash("sha256").update(readFileSync(path)).digest("hex")}` : st.isDirectory() ? "dir" : "other";
    out[rel] = `${(st.mode & 0o7777).toString(8)} ${kind}`;
  }
  return out;
}

/** What a push or restore may leave behind: `.mcp-*` work directories at the top, `.*.mcp-*.tmp` files anywhere. */
export function leftovers(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => (e.parentPath === root && e.name.startsWith(".mcp-")) || /^\..*\.mcp-[0-9a-f]+\.tmp$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}
