/**
 * A streaming reader of tar headers (ustar, GNU long names and long links,
 * pax extended headers), enough to judge every member of an archive before
 * GNU tar extracts it. It reads what GNU tar 1.34 reads, the way it reads it
 * (the name is the pax `path`, else the GNU long name, else the ustar
 * prefix and name; the archive ends at the first zero block), and refuses
 * wherever the two could read the same bytes differently: a bad checksum
 * (GNU tar would skip ahead looking for a header), repeated extension
 * headers (GNU tar keeps the last), malformed pax records, GNU sparse,
 * dump-directory or volume extensions. Data is skipped, never kept.
 */
import { ArchiveRefusal } from "./_paths.ts";

/** One member, its extension headers applied. Names are latin1 strings (one character per byte). */
export interface TarMember {
  name: string;
  /** The typeflag ('0', '\0', '5', '2', …), or 'g' for a global pax header (name "", nothing else set). */
  type: string;
  size: number;
  mode: number;
  linkName: string;
  /** Bytes of extension data (long names, pax records) read for this member. */
  extBytes: number;
}

const BLOCK = 512;
/** Long names, long links and pax headers are read into memory: bounded. */
const MAX_EXT = 1 << 20;

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
const damaged = (why: string, member: string | null = null) => new ArchiveRefusal("damaged", member, why);

/** Bytes from a stream of chunks, read exactly or skipped. */
class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  constructor(src: AsyncIterable<Uint8Array>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** false at the end of the stream. A decompressor's error means a damaged archive. */
  private async more(): Promise<boolean> {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.it.next();
    } catch (err) {
      if (err instanceof ArchiveRefusal) throw err;
      throw damaged(`it cannot be decompressed (${err instanceof Error ? err.message : String(err)})`);
    }
    if (r.done) return false;
    this.buf = r.value;
    this.off = 0;
    return true;
  }

  /** n bytes if they are buffered already (most headers: no promise to wait for), else undefined. */
  take(n: number): Uint8Array | undefined {
    if (this.buf.length - this.off < n) return undefined;
    this.off += n;
    return this.buf.subarray(this.off - n, this.off);
  }

  /** Exactly n bytes; null if the stream ended before the first of them; throws if it ended within. */
  async read(n: number, what: string): Promise<Uint8Array | null> {
    if (this.off === this.buf.length && !(await this.more())) return null;
    const now = this.take(n);
    if (now) return now;
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (this.off === this.buf.length && !(await this.more())) throw damaged(`it ends within ${what}`);
      const take = Math.min(n - got, this.buf.length - this.off);
      out.set(this.buf.subarray(this.off, this.off + take), got);
      got += take;
      this.off += take;
    }
    return out;
  }

  /** Skips n bytes if they are buffered already; false if the caller must wait for skip(). */
  skipNow(n: number): boolean {
    if (this.buf.length - this.off < n) return false;
    this.off += n;
    return true;
  }

  /** Skips n bytes; throws if the stream ends first. */
  async skip(n: number, what: () => string | null): Promise<void> {
    while (n > 0) {
      if (this.off === this.buf.length && !(await this.more())) throw damaged("it ends within a member's data", what());
      const take = Math.min(n, this.buf.length - this.off);
      this.off += take;
      n -= take;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** The bytes of a fixed field up to its first NUL. */
function cstr(h: Uint8Array, at: number, len: number): Uint8Array {
  const f = h.subarray(at, at + len);
  const nul = f.indexOf(0);
  return nul < 0 ? f : f.subarray(0, nul);
}

/** A numeric field as GNU tar reads it: octal after optional spaces, ended by a space or NUL; or base-256 (positive only). */
export function parseNumber(f: Uint8Array): number | null {
  if (f[0]! & 0x80) {
    if (f[0] !== 0x80) return null; // negative, or more than 2^56: nothing a member may be
    let v = 0;
    for (const b of f.subarray(1)) v = v * 256 + b;
    return Number.isSafeInteger(v) ? v : null;
  }
  let i = 0;
  while (i < f.length && f[i] === 0x20) i++;
  const start = i;
  let v = 0;
  while (i < f.length && f[i]! >= 0x30 && f[i]! <= 0x37) v = v * 8 + (f[i++]! - 0x30);
  if (i === start || (i < f.length && f[i] !== 0 && f[i] !== 0x20)) return null;
  return Number.isSafeInteger(v) ? v : null;
}

/** The header's checksum, which GNU tar accepts summed as unsigned or as signed bytes. */
function checksumOk(h: Uint8Array): boolean {
  const want = parseNumber(h.subarray(148, 156));
  let unsigned = 8 * 0x20; // the checksum field counts as spaces
  let high = 0; // bytes ≥ 128, which a signed sum counts 256 lower
  for (let i = 0; i < BLOCK; i++) {
    if (i === 148) i = 156;
    const b = h[i]!;
    unsigned += b;
    if (b >= 128) high++;
  }
  return want === unsigned || want === unsigned - 256 * high;
}

const isZero = (h: Uint8Array) => h.every((b) => b === 0);
const USTAR = [0x75, 0x73, 0x74, 0x61, 0x72, 0]; // "ustar\0": POSIX; GNU's "ustar  \0" has no prefix field

/** The name in the header itself: the POSIX prefix, `/`, the name. */
function headerName(h: Uint8Array): string {
  const name = latin1(cstr(h, 0, 100));
  if (h[345] === 0 || !USTAR.every((b, i) => h[257 + i] === b)) return name;
  return `${latin1(cstr(h, 345, 155))}/${name}`;
}

/**
 * pax records, `<len> <key>=<value>\n`, each exactly `len` bytes; any
 * malformation refuses the archive (GNU tar stops decoding there and keeps
 * the member). Only `path`, `linkpath` and `size` change how the member is
 * read; GNU.* keys (sparse files, dump directories, volumes) are refused;
 * the rest (times, owners, xattrs: tar is run with --no-same-owner and
 * --no-xattrs) do not matter here.
 */
function parsePax(data: Uint8Array, pending: () => string | null): Map<string, string> {
  const out = new Map<string, string>();
  const member = () => out.get("path") ?? pending();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const lenText = sp < 0 ? "" : latin1(data.subarray(i, sp));
    const len = /^[0-9]{1,7}$/.test(lenText) ? Number(lenText) : NaN;
    if (!(len > 0) || i + len > data.length || data[i + len - 1] !== 0x0a) throw damaged("a malformed pax extended header", member());
    const record = data.subarray(sp + 1, i + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw damaged("a malformed pax extended header", member());
    const key = latin1(record.subarray(0, eq));
    const value = latin1(record.subarray(eq + 1));
    if (key.startsWith("GNU.")) throw new ArchiveRefusal("invalid", member(), `it uses the GNU extension ${key} (sparse files, dump directories and volumes are not accepted)`);
    if (key === "path" || key === "linkpath" || key === "size") {
      if (out.has(key)) throw damaged(`its pax header sets ${key} twice`, member());
      if (key === "size" && !/^[0-9]{1,15}$/.test(value)) throw damaged("its pax size is not a number", member());
      out.set(key, value);
    }
    i += len;
  }
  return out;
}

/**
 * Reads the members of a tar stream until its end (the first zero block),
 * yielding each one before its data is skipped, so a consumer that throws
 * stops the reading at once. Throws ArchiveRefusal for a damaged, truncated
 * or ambiguous archive; a stream that ends without the zero block is
 * truncated. The source is closed whatever happens.
 */
export async function* readTarMembers(src: AsyncIterable<Uint8Array>): AsyncGenerator<TarMember, void, void> {
  const r = new ByteReader(src);
  try {
    let longName: string | null = null;
    let longLink: string | null = null;
    let pax: Map<string, string> | null = null;
    let extBytes = 0;
    // The name to blame while extension headers are read: the long name or pax path seen so far.
    const pending = () => pax?.get("path") ?? longName;
    for (;;) {
      const h = r.take(BLOCK) ?? (await r.read(BLOCK, "a header"));
      if (h === null) throw damaged("it ends without the end-of-archive blocks (truncated?)");
      if (isZero(h)) {
        if (longName !== null || longLink !== null || pax !== null) throw damaged("it ends after an extension header, before its member", pending());
        return;
      }
      if (!checksumOk(h)) throw damaged("a header's checksum does not match", pending() ?? headerName(h));
      const type = String.fromCharCode(h[156]!);
      const size = parseNumber(h.subarray(124, 136));
      if (size === null) throw damaged("a header's size is not a number", pending() ?? headerName(h));
      if (type === "L" || type === "K" || type === "x" || type === "g") {
        if (size > MAX_EXT) throw new ArchiveRefusal("invalid", pending(), `a long name or pax header of ${size} bytes (at most 1 MiB)`);
        const data = size === 0 ? new Uint8Array(0) : await r.read(size, "an extension header");
        if (data === null) throw damaged("it ends within an extension header", pending());
        const padding = (BLOCK - (size % BLOCK)) % BLOCK;
        if (!r.skipNow(padding)) await r.skip(padding, pending);
        if (type === "g") {
          const g = parsePax(data, pending);
          if (g.size > 0) throw new ArchiveRefusal("invalid", pending(), `a global pax header sets ${[...g.keys()].join(", ")} for the members after it`);
          yield { name: "", type, size: 0, mode: 0, linkName: "", extBytes: size };
          continue;
        }
        extBytes += size;
        // GNU tar keeps the last of repeated extension headers; refusing them leaves nothing to guess.
        if (type === "x") {
          if (pax !== null) throw damaged("two pax headers for one member", pending());
          pax = parsePax(data, pending);
        } else {
          const text = latin1(data).replace(/\0+$/, "");
          if (type === "L") {
            if (longName !== null) throw damaged("two GNU long names for one member", pending());
            longName = text;
          } else {
            if (longLink !== null) throw damaged("two GNU long link names for one member", pending());
            longLink = text;
          }
        }
        continue;
      }
      const name = pax?.get("path") ?? longName ?? headerName(h);
      const mode = parseNumber(h.subarray(100, 108));
      if (mode === null) throw damaged("its mode is not a number", name);
      const member: TarMember = {
        name,
        type,
        size: pax?.has("size") ? Number(pax.get("size")) : size,
        mode: mode & 0o7777,
        linkName: pax?.get("linkpath") ?? longLink ?? latin1(cstr(h, 157, 100)),
        extBytes,
      };
      longName = longLink = pax = null;
      extBytes = 0;
      yield member;
      // GNU tar skips no data after a directory and treats a hardlink's as empty (the checks refuse both with a size).
      const data = type === "5" || type === "1" ? 0 : Math.ceil(member.size / BLOCK) * BLOCK;
      if (!r.skipNow(data)) await r.skip(data, () => name);
    }
  } finally {
    await r.close();
  }
}
