/**
 * Walks of a service's directory (or a restore's staging tree) that never
 * follow a symlink: Bun's `readdirSync(dir, { recursive: true })` descends
 * into symlinked directories (a `link -> ../mcp` carried the agent's mcp.db
 * into a snapshot; `loop -> .` spun until ELOOP), so this is an explicit,
 * bounded walk that lstats every entry and descends only into real
 * directories. Names are read as bytes (Bun's string names lose bytes that
 * are not UTF-8, and such a file could then not be looked at).
 */
import { chmodSync, lchownSync, lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { McpError } from "../../lib/errors.ts";
import { errno } from "./_dirs.ts";
import { ArchiveRefusal, findEscapingLink, shown, utf8Of } from "./_paths.ts";

/** How many entries a walk visits before it gives up, unless told otherwise (the restore bound's default too). */
export const DEFAULT_MAX_ENTRIES = 1_000_000;

/** One entry met by walkTree, with its lstat. */
export interface TreeEntry {
  /** Relative to the top, `/`-separated, one character per byte (latin1). */
  rel: string;
  path: Buffer;
  st: Stats;
}

const SLASH = Buffer.from("/");

/**
 * Visits every entry below dir (not dir itself), lstat'ed, depth first with
 * an explicit stack. Descends into directories only (never a symlink), and
 * not into those `descend` says no to. Entries that vanish meanwhile (a live
 * service) are passed over. Throws `tooMany()` past maxEntries.
 * Directories are listed by path: one that a live service swaps for a
 * symlink between its lstat and its listing is listed through the symlink.
 * That changes only what a snapshot finds, never what it reads: each
 * database is opened again without following symlinks (copyDatabase) and
 * tar follows none.
 */
export function walkTree(dir: string, o: { maxEntries: number; tooMany: () => Error; descend?: (e: TreeEntry) => boolean }, visit: (e: TreeEntry) => void): void {
  const stack: { path: Buffer; rel: string }[] = [{ path: Buffer.from(dir), rel: "" }];
  let seen = 0;
  while (stack.length > 0) {
    const d = stack.pop()!;
    let names: Buffer[];
    try {
      names = readdirSync(d.path, { encoding: "buffer" });
    } catch (err) {
      if (d.rel !== "" && (errno(err) === "ENOENT" || errno(err) === "ENOTDIR")) continue;
      throw err;
    }
    for (const name of names) {
      if (++seen > o.maxEntries) throw o.tooMany();
      const path = Buffer.concat([d.path, SLASH, name]);
      const rel = d.rel === "" ? name.toString("latin1") : `${d.rel}/${name.toString("latin1")}`;
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch (err) {
        if (errno(err) === "ENOENT") continue;
        throw err;
      }
      const e = { rel, path, st };
      visit(e);
      if (st.isDirectory() && (o.descend?.(e) ?? true)) stack.push({ path, rel });
    }
  }
}

/** What a snapshot needs to know of a service's directory. */
export interface ServiceScan {
  /** The SQLite databases (`*.db`, regular files), relative, sorted; the top-level `backups/` left out. */
  databases: string[];
  /** Every symlink (relative path → target, latin1). */
  links: Map<string, string>;
}

/** Walks a service's directory (without following symlinks) for its databases and symlinks. */
export function scanService(dir: string, o: { maxEntries?: number } = {}): ServiceScan {
  const maxEntries = o.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const databases: string[] = [];
  const links = new Map<string, string>();
  walkTree(dir, {
    maxEntries,
    tooMany: () => new McpError("resource_exhausted", `${dir} holds more than ${maxEntries} entries`, "a restore would refuse an archive of it too; remove files from the service's directory"),
    descend: (e) => e.rel !== "backups",
  }, (e) => {
    if (e.st.isSymbolicLink() && e.rel !== "backups") {
      // A running service may remove or replace it between the listing and here: gone is gone.
      let target: string | null = null;
      try {
        target = readlinkSync(e.path, { encoding: "buffer" }).toString("latin1");
      } catch (err) {
        if (errno(err) !== "ENOENT" && errno(err) !== "EINVAL") throw err;
      }
      if (target !== null) links.set(e.rel, target);
    }
    if (!e.st.isFile() || !e.rel.endsWith(".db") || e.rel === "backups") return;
    const rel = utf8Of(e.rel);
    // Its copy is named on tar's command line, which is UTF-8.
    if (!Buffer.from(rel).equals(Buffer.from(e.rel, "latin1"))) {
      throw new McpError("failed_precondition", `the database ${shown(e.rel)} has a name that is not UTF-8`, "rename it");
    }
    databases.push(rel);
  });
  return { databases: databases.sort(), links };
}

/** The SQLite databases (`*.db`, regular files) under dir, relative, sorted, leaving out the top-level `backups/`; symlinks are never followed. */
export function findDatabases(dir: string, o: { maxEntries?: number } = {}): string[] {
  return scanService(dir, o).databases;
}

/**
 * Checks what GNU tar extracted, after the archive's members were checked
 * (defense in depth: it judges the files themselves): only regular files,
 * directories and symlinks; no file with another link; every symlink inside
 * the tree, through the others. Strips any setuid, setgid or sticky bit
 * (the top's too) and gives anything owned by someone else to the agent's
 * user. Throws ArchiveRefusal.
 */
export function checkExtractedTree(top: string, maxEntries: number, o: { keepOwners?: boolean } = {}): void {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const links = new Map<string, string>();
  const fix = (path: Buffer, st: Stats) => {
    // Only the owner: the group may rightly be the srv root's (a setgid directory), never the archive's (--no-same-owner).
    // Inside rootless podman's user namespace the archive's owners are the containers' ids: kept (keepOwners).
    if (!o.keepOwners && st.uid !== uid) lchownSync(path, uid, gid);
    if (!st.isSymbolicLink() && st.mode & 0o7000) chmodSync(path, st.mode & 0o777);
  };
  fix(Buffer.from(top), lstatSync(top));
  walkTree(top, { maxEntries: maxEntries + 1, tooMany: () => new ArchiveRefusal("too_many", null, `it extracted to more than ${maxEntries} entries`) }, (e) => {
    if (e.st.isSymbolicLink()) links.set(e.rel, readlinkSync(e.path, { encoding: "buffer" }).toString("latin1"));
    else if (!e.st.isFile() && !e.st.isDirectory()) throw new ArchiveRefusal("invalid", e.rel, "it was extracted as a device, FIFO or socket");
    else if (e.st.isFile() && e.st.nlink > 1) throw new ArchiveRefusal("invalid", e.rel, "it was extracted as a hardlink");
    fix(e.path, e.st);
  });
  const bad = findEscapingLink(links);
  if (bad) throw new ArchiveRefusal("invalid", bad.path, `it was extracted as a symlink to ${shown(bad.target)}, which ${bad.why}`);
}
