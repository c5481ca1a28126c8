import { describe, expect, test } from "bun:test";
import { composeBytes, composeDurationMs, interpolate, parseDotenv, podmanSize, splitShellWords } from "../../../src/cli/compose/index.ts";

describe("splitShellWords (docker-py's shlex.split)", () => {
  test.each([
    ["sh -c 'echo hi; exit 0'", ["sh", "-c", "echo hi; exit 0"]],
    ["  a   b\tc  ", ["a", "b", "c"]],
    [`echo "a \\"quoted\\" word" x`, ["echo", "a \"quoted\" word", "x"]],
    [`a\\ b c`, ["a b", "c"]],
    [`'it''s'`, ["its"]],
    [`say "$HOME" 'lit\\eral'`, ["say", "$HOME", "lit\\eral"]],
    [`x "" y`, ["x", "", "y"]],
    [`trap 'exit 0' TERM; httpd -f & wait`, ["trap", "exit 0", "TERM;", "httpd", "-f", "&", "wait"]],
    ["", []],
  ])("%p", (input, words) => {
    expect(splitShellWords(input)).toEqual(words);
  });

  test("an unclosed quote or a lone backslash is a problem, not a guess", () => {
    expect(splitShellWords("echo 'oops")).toBe("has no closing quotation (')");
    expect(splitShellWords("echo \\")).toBe("ends with a lone backslash");
  });
});

describe("parseDotenv (python-dotenv's grammar)", () => {
  test("keys, quotes, escapes, comments, export, empty values", () => {
    const text = [
      "# a comment",
      "",
      "PLAIN=value with spaces   # trailing comment",
      "export EXPORTED=1",
      "SINGLE='a \\'quoted\\' # not a comment'",
      "DOUBLE=\"line1\\nline2\"",
      "EMPTY=",
      "HASH=a#b",
      "FROM_SHELL",
      "MULTI=\"first",
      "second\"",
    ].join("\n");
    expect(parseDotenv(text)).toEqual([
      { key: "PLAIN", value: "value with spaces", line: 3 },
      { key: "EXPORTED", value: "1", line: 4 },
      { key: "SINGLE", value: "a 'quoted' # not a comment", line: 5 },
      { key: "DOUBLE", value: "line1\nline2", line: 6 },
      { key: "EMPTY", value: "", line: 7 },
      { key: "HASH", value: "a#b", line: 8 },
      { key: "FROM_SHELL", value: null, line: 9 },
      { key: "MULTI", value: "first\nsecond", line: 10 },
    ]);
  });

  test("a line that is not a binding is located", () => {
    expect(parseDotenv("A=1\n=nokey\n")).toEqual({ line: 2, problem: "is not KEY=VALUE" });
    expect(parseDotenv("A=\"x\" trailing\n")).toEqual({ line: 1, problem: "has text after its value (quote the value)" });
  });
});

describe("interpolate (compose's ${VAR})", () => {
  const vars = new Map([["PORT", "8080"], ["EMPTY", ""]]);
  test.each([
    ["${PORT}:80", "8080:80"],
    ["$PORT", "8080"],
    ["${MISSING:-3000}", "3000"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["cost $$5", "cost $5"],
    ["pg_isready -U $${POSTGRES_USER}", "pg_isready -U ${POSTGRES_USER}"],
    ["no dollars", "no dollars"],
  ])("%p → %p", (input, out) => {
    expect(interpolate(input, vars)).toEqual({ value: out, missing: [] });
  });

  test("an unset variable becomes empty and is reported", () => {
    expect(interpolate("a${NOPE}b$ALSO", vars)).toEqual({ value: "ab", missing: ["NOPE", "ALSO"] });
  });

  test("malformed $ and failing :? are problems", () => {
    expect(interpolate("${PORT", vars)).toContain("without a closing");
    expect(interpolate("${1x}", vars)).toContain("invalid interpolation");
    expect(interpolate("$ 5", vars)).toContain("starts no variable");
    expect(interpolate("${NOPE:?set it}", vars)).toContain("needs NOPE: set it");
    expect(interpolate("${PORT:?x}", vars)).toEqual({ value: "8080", missing: [] });
  });
});

describe("units", () => {
  test.each([
    ["30s", 30_000], ["1m30s", 90_000], ["1h", 3_600_000], ["500ms", 500], ["1.5s", 1500], ["2m0s", 120_000], ["1000us", 1],
  ])("duration %p = %p ms", (text, ms) => {
    expect(composeDurationMs(text)).toBe(ms);
  });

  test("bad durations are problems", () => {
    expect(typeof composeDurationMs("10")).toBe("string");
    expect(typeof composeDurationMs("1x")).toBe("string");
    expect(typeof composeDurationMs("1500us")).toBe("string");
    expect(typeof composeDurationMs("")).toBe("string");
  });

  test.each([
    ["512m", 512 * 1024 ** 2], ["512M", 512 * 1024 ** 2], ["1gb", 1024 ** 3], ["1.5g", 1.5 * 1024 ** 3], ["2048", 2048], ["64k", 65536],
  ])("size %p = %p bytes", (text, bytes) => {
    expect(composeBytes(text)).toBe(bytes);
  });

  test("sizes in podman's form", () => {
    expect(podmanSize(1024 ** 3)).toBe("1g");
    expect(podmanSize(256 * 1024 ** 2)).toBe("256m");
    expect(podmanSize(1.5 * 1024 ** 3)).toBe("1536m");
    expect(podmanSize(1000)).toBe("1000");
    expect(typeof composeBytes("lots")).toBe("string");
    expect(typeof composeBytes(-1)).toBe("string");
  });
});
