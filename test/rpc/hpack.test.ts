import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHpackDecoder, encodeLiteral, huffmanDecode, HpackError } from "../../src/rpc/_hpack.ts";

// Header blocks made by the Python hpack package (Huffman strings, the dynamic
// table across blocks, a table size update), with the fields they carry.
// And every byte value Huffman-coded, by the same package.
const fixture: { blocks: { hex: string; headers: [string, string][] }[]; huffman: { hex: string; bytes: string } } =
  JSON.parse(readFileSync(join(import.meta.dir, "../fixtures/hpack-vectors.json"), "utf8"));
const vectors = fixture.blocks;
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("hpack", () => {
  test("decodes another implementation's blocks in order (dynamic table, Huffman, size update)", () => {
    const d = createHpackDecoder();
    for (const v of vectors) expect(d.decode(hex(v.hex))).toEqual(v.headers);
  });

  test("RFC 7541 C.6.1: a response with Huffman strings", () => {
    const d = createHpackDecoder(256);
    const block = hex("4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3");
    expect(d.decode(block)).toEqual([
      [":status", "302"], ["cache-control", "private"], ["date", "Mon, 21 Oct 2013 20:13:21 GMT"], ["location", "https://www.example.com"],
    ]);
    // C.6.2: the same response again, from the dynamic table.
    expect(d.decode(hex("4883 640e ffc1 c0bf"))).toEqual([
      [":status", "307"], ["cache-control", "private"], ["date", "Mon, 21 Oct 2013 20:13:21 GMT"], ["location", "https://www.example.com"],
    ]);
  });

  test("Huffman: every byte value, in and out of order", () => {
    expect(Buffer.from(huffmanDecode(hex(fixture.huffman.hex))).toString("hex")).toBe(fixture.huffman.bytes);
  });

  test("Huffman: bad padding, EOS and over-long codes are refused", () => {
    expect(huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"))).toEqual(new TextEncoder().encode("www.example.com"));
    expect(() => huffmanDecode(hex("00"))).toThrow(HpackError); // "0" then 3 zero bits of padding
    expect(() => huffmanDecode(hex("ffffffff"))).toThrow(HpackError); // EOS
    expect(() => huffmanDecode(hex("ffff"))).toThrow(HpackError); // 16 bits of padding
  });

  test("hostile blocks: bad indexes, truncation, huge integers, too many fields, size over the limit", () => {
    const bad = ["80", "be", "ff 80 80 80 80 10", "40 05 61", "41 0a 61", "3f e1 ff", "0f"];
    for (const b of bad) expect(() => createHpackDecoder(4096).decode(hex(b))).toThrow(HpackError);
    expect(() => createHpackDecoder().decode(new Uint8Array(300).fill(0x88))).toThrow(/too many/);
    expect(() => createHpackDecoder().decode(hex("3fe21f"))).toThrow(/table size/); // 4096 + 1 over 4096
  });

  test("an entry bigger than the table empties it", () => {
    const d = createHpackDecoder(64);
    expect(d.decode(hex("40 01 61 01 62"))).toEqual([["a", "b"]]); // 34 bytes: kept
    expect(d.decode(hex("be"))).toEqual([["a", "b"]]);
    expect(d.decode(Uint8Array.from([0x40, 1, 0x63, 40, ...new Uint8Array(40).fill(0x64)]))).toEqual([["c", "d".repeat(40)]]);
    expect(() => d.decode(hex("be"))).toThrow(HpackError); // both gone
  });

  test("encodeLiteral round-trips, long values included", () => {
    const d = createHpackDecoder();
    const long = "x".repeat(1000);
    const block = Uint8Array.from([...encodeLiteral("authorization", `Bearer ${long}`), ...encodeLiteral(":path", "/a/b")]);
    expect(d.decode(block)).toEqual([["authorization", `Bearer ${long}`], [":path", "/a/b"]]);
  });

  test("integers that never end or overflow, and a table size update after a field, are refused (a NaN once passed every bound)", () => {
    const endless = Uint8Array.from([0x3f, ...new Array(150).fill(0x80), 0x00]);
    expect(() => createHpackDecoder().decode(endless)).toThrow(/integer too large/);
    expect(() => createHpackDecoder().decode(Uint8Array.from([0x00, 0x01, 0x61, 0x7f, ...new Array(150).fill(0x80), 0x00]))).toThrow(/integer too large/);
    expect(() => createHpackDecoder().decode(hex("88 20"))).toThrow(/after a header field/);
    expect(createHpackDecoder().decode(hex("20 88"))).toEqual([[":status", "200"]]);
  });
});
