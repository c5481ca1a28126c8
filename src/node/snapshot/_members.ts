/**
 * The rules every member of a restored archive must follow (SPEC §7.1),
 * checked on the decompressed stream before anything is extracted: regular
 * files, directories and symlinks only; no setuid, setgid or sticky bit;
 * names inside the service directory; symlinks that stay inside it, also
 * through one another; nothing extracted under or over a symlink (GNU tar
 * would write through it); a bounded total size and entry count, checked as
 * each header is read so that a zip bomb is refused at its first header.
 */
import { ArchiveRefusal, checkLinkText, findEscapingLink, memberParts, resolveLink, shown } from "./_paths.ts";
import { readTarMembers, type TarMember } from "./_tarstream.ts";

/** The bounds of a restore (SPEC §7.1); crossing one stops the reading at once. */
export interface ArchiveLimits {
  /** Total size of the members after decompression (with their long names and pax records). */
  maxArchiveBytes: number;
  /** Members (and global pax headers) in the archive. */
  maxEntries: number;
}

/** What an accepted archive held. */
export interface ArchiveSummary {
  entries: number;
  bytes: number;
}

/** Kinds of member by typeflag; anything else is refused with this description. */
const REFUSED: Record<string, string> = {
  "1": "a hardlink",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  "7": "a contiguous file",
  S: "a GNU sparse file",
  D: "a GNU dump directory",
  M: "a GNU multi-volume continuation",
  V: "a GNU volume label",
  N: "a GNU old-style long name",
  X: "a Solaris extended header",
};

const NO_LINKS: ReadonlyMap<string, string> = new Map();

function kindOf(m: TarMember): "file" | "dir" | "symlink" {
  if (m.type === "0" || m.type === "\0") return "file";
  if (m.type === "5") return "dir";
  if (m.type === "2") return "symlink";
  throw new ArchiveRefusal("invalid", m.name, `it is ${REFUSED[m.type] ?? `of the unsupported type ${shown(m.type)}`} (only regular files, directories and symlinks are accepted)`);
}

/** A size for messages: 10 MiB, 20 GiB, 512 bytes. */
export function formatSize(n: number): string {
  for (const [unit, size] of [["TiB", 2 ** 40], ["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} bytes`;
}

/**
 * Reads a decompressed tar stream to its end and checks every member;
 * returns what it counted or throws ArchiveRefusal (a bound crossed: too_big
 * or too_many; a rule broken: invalid; unreadable: damaged). The stream is
 * closed as soon as the answer is known.
 */
export async function checkArchive(chunks: AsyncIterable<Uint8Array>, limits: ArchiveLimits): Promise<ArchiveSummary> {
  let entries = 0;
  let bytes = 0;
  /** Symlinks extracted so far, by their path (components joined by `/`) → target. */
  const links = new Map<string, string>();
  for await (const m of readTarMembers(chunks)) {
    if (++entries > limits.maxEntries) {
      throw new ArchiveRefusal("too_many", m.type === "g" ? null : m.name, `it is one more than the ${limits.maxEntries} entries an archive may hold`);
    }
    bytes += m.extBytes + m.size;
    if (bytes > limits.maxArchiveBytes) {
      throw new ArchiveRefusal("too_big", m.type === "g" ? null : m.name,
        `it brings the archive past ${formatSize(limits.maxArchiveBytes)} after decompression (it declares ${formatSize(m.size + m.extBytes)})`);
    }
    if (m.type === "g") continue;
    const parts = memberParts(m.name);
    const kind = kindOf(m);
    if (m.mode & 0o7000) throw new ArchiveRefusal("invalid", m.name, `its mode ${m.mode.toString(8).padStart(4, "0")} has a setuid, setgid or sticky bit`);
    if (kind !== "file" && m.size !== 0) throw new ArchiveRefusal("invalid", m.name, `it is a ${kind === "dir" ? "directory" : "symlink"} that declares ${m.size} bytes of data`);
    // GNU tar extracts a regular file whose name ends in `/` as a directory, and then reads its data as headers.
    if (kind === "file" && /\/\.?$/.test(m.name)) throw new ArchiveRefusal("invalid", m.name, "it is a regular file whose name ends in /");
    if (parts.length === 0 && kind !== "dir") throw new ArchiveRefusal("invalid", m.name, "the top of the archive must be a directory");
    if (links.size > 0) {
      let key = "";
      for (const p of parts) {
        key = key === "" ? p : `${key}/${p}`;
        if (links.has(key)) {
          throw new ArchiveRefusal("invalid", m.name, key === parts.join("/")
            ? "it would replace a symlink extracted before it"
            : `it lies under the symlink ${shown(key)} extracted before it (GNU tar would write through it)`);
        }
      }
    }
    if (kind === "symlink") {
      checkLinkText(m.name, m.linkName);
      // Lexically first (a symlink to `..` is refused at its own header); through the others once all are known.
      if (resolveLink(NO_LINKS, parts, m.linkName) === "outside") {
        throw new ArchiveRefusal("invalid", m.name, `it is a symlink to ${shown(m.linkName)}, which leaves the service directory`);
      }
      links.set(parts.join("/"), m.linkName);
    }
  }
  const bad = findEscapingLink(links);
  if (bad) throw new ArchiveRefusal("invalid", bad.path, `it is a symlink to ${shown(bad.target)}, which ${bad.why}`);
  return { entries, bytes };
}
