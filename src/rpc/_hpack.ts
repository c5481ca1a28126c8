/**
 * HPACK (RFC 7541) for the CLI's unary client (_unary.ts): a full decoder
 * (static and dynamic tables, size updates, Huffman) and the one literal
 * form the client sends (never indexed, no Huffman). Bounded: a header block
 * may not make more than MAX_HEADERS fields nor a field longer than
 * MAX_FIELD bytes, and integers stop at 2^31.
 */

export class HpackError extends Error {}

const MAX_HEADERS = 256;
const MAX_FIELD = 64 << 10;

const STATIC: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/**
 * The Huffman code's lengths (RFC 7541 Appendix B), symbol 0..256 (EOS), as
 * letters: "A" is 5 bits … "Z" 30. The code is canonical (codes follow in
 * order of length, then symbol), so the lengths are the whole table.
 */
const LENGTHS =
  "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ";

/** Canonical decoding tables: per length, the first code, and the symbols in code order. */
const huffman = (() => {
  const lens = [...LENGTHS].map((c) => c.charCodeAt(0) - 60); // "A" (65) → 5
  const symbols = lens.map((_, s) => s).sort((a, b) => lens[a]! - lens[b]! || a - b);
  const first = new Array<number>(31).fill(-1); // first code of each length
  const index = new Array<number>(31).fill(0); // where that length's symbols start in `symbols`
  const count = new Array<number>(31).fill(0);
  let code = 0;
  let prev = lens[symbols[0]!]!;
  symbols.forEach((s, i) => {
    const len = lens[s]!;
    if (i > 0) code = (code + 1) * 2 ** (len - prev);
    prev = len;
    if (first[len] === -1) {
      first[len] = code;
      index[len] = i;
    }
    count[len]!++;
  });
  return { symbols, first, index, count };
})();

export function huffmanDecode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((data.length * 8) / 5));
  let n = 0;
  let acc = 0; // the bits not yet decoded (`have` of them, up to 37: a double holds them exactly)
  let have = 0;
  let i = 0;
  for (;;) {
    while (have < 30 && i < data.length) {
      acc = acc * 256 + data[i++]!;
      have += 8;
    }
    if (have === 0) break;
    // Try each length from the shortest: canonical codes of one length are consecutive.
    let found = -1;
    let len = 5;
    for (; len <= 30 && len <= have; len++) {
      const f = huffman.first[len]!;
      if (f === -1) continue;
      const code = Math.floor(acc / 2 ** (have - len));
      if (code >= f && code - f < huffman.count[len]!) {
        found = huffman.symbols[huffman.index[len]! + code - f]!;
        break;
      }
    }
    if (found === -1) {
      // What is left must be padding: fewer than 8 bits, all ones (a prefix of EOS).
      if (i < data.length || have > 7 || acc !== 2 ** have - 1) throw new HpackError("bad Huffman code or padding");
      break;
    }
    if (found === 256) throw new HpackError("EOS in a Huffman string");
    out[n++] = found;
    have -= len;
    acc %= 2 ** have;
  }
  return out.subarray(0, n);
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export interface HpackDecoder {
  /** Decodes one whole header block (HEADERS + CONTINUATION payloads joined). */
  decode(block: Uint8Array): [string, string][];
}

/** A decoder whose dynamic table may grow to `maxSize` (SETTINGS_HEADER_TABLE_SIZE we sent). */
export function createHpackDecoder(maxSize = 4096): HpackDecoder {
  let table: [string, string, number, number][] = []; // newest first: name, value, the entry's size, the name's bytes
  let size = 0;
  let limit = maxSize;
  const evict = () => {
    while (size > limit && table.length > 0) size -= table.pop()![2];
  };
  const lookup = (i: number): readonly [string, string, number?, number?] => {
    if (i <= 0) throw new HpackError("index 0");
    if (i <= STATIC.length) return STATIC[i - 1]!;
    const e = table[i - STATIC.length - 1];
    if (!e) throw new HpackError(`index ${i} is not in the table`);
    return e;
  };

  return {
    decode(block) {
      let p = 0;
      const int = (prefixBits: number): number => {
        const mask = (1 << prefixBits) - 1;
        if (p >= block.length) throw new HpackError("truncated integer");
        let v = block[p++]! & mask;
        if (v < mask) return v;
        let shift = 0;
        for (;;) {
          if (p >= block.length) throw new HpackError("truncated integer");
          const b = block[p++]!;
          v += (b & 0x7f) * 2 ** shift;
          shift += 7;
          if (v > 2 ** 31 || shift > 35) throw new HpackError("integer too large"); // five continuation bytes at most
          if (!(b & 0x80)) return v;
        }
      };
      let bytes = 0; // the byte length of the last string read
      const str = (): string => {
        if (p >= block.length) throw new HpackError("truncated string");
        const huff = (block[p]! & 0x80) !== 0;
        const len = int(7);
        if (len > MAX_FIELD) throw new HpackError("field too long");
        if (p + len > block.length) throw new HpackError("truncated string");
        const raw = block.subarray(p, p + len);
        p += len;
        const b = huff ? huffmanDecode(raw) : raw;
        bytes = b.length;
        return utf8.decode(b);
      };
      const out: [string, string][] = [];
      while (p < block.length) {
        if (out.length >= MAX_HEADERS) throw new HpackError("too many header fields");
        const b = block[p]!;
        if (b & 0x80) {
          const [n, v] = lookup(int(7));
          out.push([n, v]);
        } else if ((b & 0xe0) === 0x20) {
          if (out.length > 0) throw new HpackError("a table size update after a header field (RFC 7541 §4.2)");
          const s = int(5);
          if (s > maxSize) throw new HpackError(`table size ${s} over ${maxSize}`);
          limit = s;
          evict();
        } else {
          const indexed = (b & 0xc0) === 0x40; // literal with incremental indexing
          const idx = int(indexed ? 6 : 4);
          let name: string;
          let nameBytes: number;
          if (idx === 0) {
            name = str();
            nameBytes = bytes;
          } else {
            const e = lookup(idx);
            name = e[0];
            nameBytes = e[3] ?? e[0].length; // static names are ASCII
          }
          const value = str();
          out.push([name, value]);
          if (indexed) {
            const e: [string, string, number, number] = [name, value, nameBytes + bytes + 32, nameBytes];
            table.unshift(e);
            size += e[2];
            evict();
          }
        }
      }
      return out;
    },
  };
}

/** `name: value` as a literal never indexed, raw (no Huffman): all the client sends. */
export function encodeLiteral(name: string, value: string): Uint8Array {
  const n = encoder.encode(name);
  const v = encoder.encode(value);
  const out: number[] = [0x10];
  const int7 = (x: number) => {
    if (x < 127) return void out.push(x);
    out.push(127);
    x -= 127;
    while (x >= 128) {
      out.push((x % 128) | 128);
      x = Math.floor(x / 128);
    }
    out.push(x);
  };
  int7(n.length);
  out.push(...n);
  int7(v.length);
  for (const b of v) out.push(b);
  return Uint8Array.from(out);
}
