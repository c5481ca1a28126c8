import { describe, expect, test } from "bun:test";
import { createKeyLocator, formatKeyPath, parseTomlText, scanToml } from "../../src/config/index.ts";

const TEXT = `# top comment
name = "svc"   # trailing
"quoted key" = 1
dotted.key = 2
multi = """
not = a key
[not.a.header]
"""
list = [
  "a",   # comment inside an array
  [1, 2],
  "b = c",
]
inline = { x = 1, y = { z = 2 } }

[[components]]
name = "a"

[components.health]
cmd = ["x"]

[[components]]
name = "b"
  [components.health]
  retries = 3

[[other.list]]
[other.list.sub]
k = 'v'
[[other.list]]
k = '''
x'''
`;

describe("key locator", () => {
  const locate = createKeyLocator(TEXT);
  test("the sample is valid TOML", () => expect(parseTomlText(TEXT, "t.toml", "")).toHaveProperty("components"));
  const table: [(string | number)[], number][] = [
    [["name"], 2],
    [["quoted key"], 3],
    [["dotted", "key"], 4],
    [["multi"], 5],
    [["list"], 9],
    [["list", 0], 10],
    [["list", 1], 11],
    [["list", 1, 1], 11],
    [["list", 2], 12],
    [["inline", "y", "z"], 14],
    [["components", 0], 16],
    [["components", 0, "name"], 17],
    [["components", 0, "health"], 19],
    [["components", 0, "health", "cmd"], 20],
    [["components", 1, "name"], 23],
    [["components", 1, "health", "retries"], 25],
    [["other", "list", 0, "sub", "k"], 29],
    [["other", "list", 1, "k"], 31],
    // Missing keys fall back to the nearest ancestor; nothing at all gives 0.
    [["components", 1, "image"], 22],
    [["components", 0, "health", "retries"], 19],
    [["not"], 0],
  ];
  for (const [path, line] of table) {
    test(`${formatKeyPath(path) || "(root)"} → line ${line}`, () => expect(locate(path)).toBe(line));
  }

  test("keys inside multi-line strings and arrays are not keys", () => {
    const keys = scanToml(TEXT).filter((e) => e.kind === "key" || e.kind === "table").map((e) => formatKeyPath(e.path));
    expect(keys).not.toContain("not");
    expect(keys).not.toContain("not.a.header");
  });

  test("entries record where multi-line values end", () => {
    const list = scanToml(TEXT).find((e) => formatKeyPath(e.path) === "list")!;
    expect([list.line, list.endLine]).toEqual([9, 13]);
    const multi = scanToml(TEXT).find((e) => formatKeyPath(e.path) === "multi")!;
    expect([multi.line, multi.endLine]).toEqual([5, 8]);
  });

  test("formatKeyPath quotes keys that are not bare", () => {
    expect(formatKeyPath(["components", 0, "health", "cmd", 2])).toBe("components[0].health.cmd[2]");
    expect(formatKeyPath(["a b", "c.d"])).toBe('"a b"."c.d"');
  });

  test("malformed text never hangs and keeps what it found", () => {
    expect(createKeyLocator('a = 1\nb = [1,\n[x\n')(["a"])).toBe(1);
    expect(scanToml("= = =\n[[[")).toEqual([]);
  });
});
