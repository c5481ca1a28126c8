// The tar header reader of restores, read against GNU tar itself: for every
// format GNU tar writes, the reader must see the names, types, sizes and
// link targets that `tar -t` sees.
import { afterAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readTarMembers, type TarMember } from "../../../src/node/snapshot/_tarstream.ts";
import { ArchiveRefusal } from "../../../src/node/snapshot/_paths.ts";
import { tempDir } from "../../support/mcp.ts";
import { member, tarOf } from "./tarbuild.ts";

const root = tempDir("mcp-tarstream-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function* chunked(b: Uint8Array, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function members(b: Uint8Array, chunk = 4096): Promise<TarMember[]> {
  const out: TarMember[] = [];
  for await (const m of readTarMembers(chunked(b, chunk))) out.push(m);
  return out;
}

/** What GNU tar lists: names as raw bytes (latin1), one per line. */
async function gnuNames(archive: string): Promise<string[]> {
  const out = await $`tar --quoting-style=literal -tf ${archive}`.arrayBuffer();
  return Buffer.from(out).toString("latin1").split("\n").filter(Boolean);
}

/** A tree with long names, a long symlink target and non-ASCII names, made only of what the format can hold. */
function makeTree(dir: string, long: boolean) {
  mkdirSync(join(dir, "d"), { recursive: true });
  writeFileSync(join(dir, "short.txt"), "x".repeat(1000));
  writeFileSync(join(dir, "d", "é.txt"), "utf-8 name");
  writeFileSync(Buffer.from(join(dir, "d", "lat\xe9.bin"), "latin1"), "latin1 name");
  symlinkSync("short.txt", join(dir, "s"));
  if (long) {
    const deep = join(dir, "a".repeat(60), "b".repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, "c".repeat(90)), "deep");
    symlinkSync("t".repeat(150), join(dir, "longlink"));
  }
}

describe("readTarMembers reads what GNU tar reads", () => {
  for (const [format, long] of [["gnu", true], ["oldgnu", true], ["pax", true], ["posix", true], ["ustar", false], ["v7", false]] as const) {
    test(`--format=${format}`, async () => {
      const dir = join(root, format);
      makeTree(dir, long);
      const archive = join(root, `${format}.tar`);
      await $`tar --format=${format} -C ${dir} -cf ${archive} .`.quiet();
      const got = await members(readFileSync(archive), 1000); // chunks that do not fall on blocks
      expect(got.map((m) => m.name)).toEqual(await gnuNames(archive));
      const byName = Object.fromEntries(got.map((m) => [m.name, m]));
      expect(byName["./short.txt"]).toMatchObject({ size: 1000, type: format === "v7" ? "\0" : "0" });
      expect(byName["./s"]).toMatchObject({ type: "2", linkName: "short.txt", size: 0 });
      expect(byName["./d/"]?.type).toBe("5");
      if (long) {
        expect(byName["./longlink"]?.linkName).toBe("t".repeat(150));
        expect(got.some((m) => m.name === `./${"a".repeat(60)}/${"b".repeat(60)}/${"c".repeat(90)}`)).toBe(true);
      }
    });
  }

  test("a base-256 size is read as GNU tar reads it", async () => {
    const field = new Uint8Array(12);
    field[0] = 0x80;
    field[10] = 0x03;
    field[11] = 0xe8; // 1000
    const archive = join(root, "b256.tar");
    writeFileSync(archive, tarOf([member({ name: "big", sizeField: field, size: 1000 }, "y".repeat(1000)), member({ name: "after" }, "z")]));
    const got = await members(readFileSync(archive));
    expect(got.map((m) => [m.name, m.size])).toEqual([["big", 1000], ["after", 1]]);
    expect(await gnuNames(archive)).toEqual(["big", "after"]);
  });

  test("the archive ends at the first zero block, as for GNU tar", async () => {
    const archive = join(root, "lone-zero.tar");
    writeFileSync(archive, Buffer.concat([member({ name: "a" }, "1"), Buffer.alloc(512), member({ name: "hidden" }, "2"), Buffer.alloc(1024)]));
    expect((await members(readFileSync(archive))).map((m) => m.name)).toEqual(["a"]);
    expect(await gnuNames(archive)).toEqual(["a"]);
  });

  test("a stream cut short is damaged, wherever it is cut", async () => {
    const whole = tarOf([member({ name: "a" }, "x".repeat(3000)), member({ name: "b" }, "y")]);
    for (const cut of [100, 512, 1500, 4096, whole.length - 1024]) {
      const err = await members(whole.subarray(0, cut)).then(() => null, (e) => e);
      expect([cut, err instanceof ArchiveRefusal && err.kind]).toEqual([cut, "damaged"]);
    }
  });
});
