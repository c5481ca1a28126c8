// Tar archives written header by header, for members GNU tar will not make
// (devices without CAP_MKNOD, `../x`, `/abs`, pax and GNU extension tricks).
import { $ } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface HeaderSpec {
  /** Bytes or a string (written as UTF-8, or as latin1 bytes when latin1 is set). */
  name: string | Uint8Array;
  type?: string;
  size?: number;
  mode?: number;
  uid?: number;
  linkname?: string;
  /** The POSIX prefix field. */
  prefix?: string;
  /** A raw size field (e.g. base-256). */
  sizeField?: Uint8Array;
  /** Write a wrong checksum. */
  badChecksum?: boolean;
  /** GNU's "ustar  \0" magic instead of POSIX "ustar\0" "00". */
  gnuMagic?: boolean;
}

const bytes = (s: string | Uint8Array) => (typeof s === "string" ? Buffer.from(s) : Buffer.from(s));

function octal(b: Buffer, at: number, len: number, v: number) {
  b.write(v.toString(8).padStart(len - 1, "0") + "\0", at, len, "latin1");
}

/** One 512-byte header. */
export function header(h: HeaderSpec): Buffer {
  const b = Buffer.alloc(512);
  bytes(h.name).copy(b, 0, 0, 100);
  octal(b, 100, 8, h.mode ?? 0o644);
  octal(b, 108, 8, h.uid ?? 0);
  octal(b, 116, 8, h.uid ?? 0);
  if (h.sizeField) Buffer.from(h.sizeField).copy(b, 124, 0, 12);
  else octal(b, 124, 12, h.size ?? 0);
  octal(b, 136, 12, 1_700_000_000);
  b.write(h.type ?? "0", 156, 1, "latin1");
  if (h.linkname) bytes(h.linkname).copy(b, 157, 0, 100);
  if (h.gnuMagic) b.write("ustar  \0", 257, 8, "latin1");
  else b.write("ustar\x0000", 257, 8, "latin1");
  b.write("root", 265, "latin1");
  b.write("root", 297, "latin1");
  if (h.prefix) bytes(h.prefix).copy(b, 345, 0, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  if (h.badChecksum) sum += 1;
  b.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "latin1");
  return b;
}

const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

/** A member: its header and its data, padded. */
export function member(h: HeaderSpec, data: string | Uint8Array = ""): Buffer {
  const d = bytes(data);
  return Buffer.concat([header({ ...h, size: h.size ?? d.length }), pad(d)]);
}

/** pax records (`<len> <key>=<value>\n`, len counting itself). */
export function paxData(records: [string, string][]): Buffer {
  return Buffer.concat(records.map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len++;
    return Buffer.from(`${len}${body}`);
  }));
}

/** A pax extended header ('x', or 'g' for a global one) followed by nothing: put the member after it. */
export function pax(records: [string, string][], type: "x" | "g" = "x"): Buffer {
  return member({ name: "PaxHeaders/x", type }, paxData(records));
}

/** A GNU long name ('L') or long link ('K') header. */
export function gnuLong(text: string | Uint8Array, type: "L" | "K" = "L"): Buffer {
  return member({ name: "././@LongLink", type, gnuMagic: true }, Buffer.concat([bytes(text), Buffer.from([0])]));
}

/** The members, then the two zero blocks that end an archive (unless ended is false). */
export function tarOf(parts: Buffer[], ended = true): Buffer {
  return Buffer.concat([...parts, ...(ended ? [Buffer.alloc(1024)] : [])]);
}

/** Compresses with the real zstd. */
export async function zstd(dir: string, tar: Buffer): Promise<Buffer> {
  const f = join(dir, `t-${Math.random().toString(36).slice(2)}.tar`);
  writeFileSync(f, tar);
  await $`zstd -q -f ${f} -o ${f}.zst`.quiet();
  return readFileSync(`${f}.zst`);
}
