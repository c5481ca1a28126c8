// The walks that never follow a symlink, the check of what tar extracted,
// and the resolution of symlinks through one another.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { chmodSync, linkSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findEscapingLink, resolveLink } from "../../../src/node/snapshot/_paths.ts";
import { checkExtractedTree, findDatabases } from "../../../src/node/snapshot/_walk.ts";
import { tempDir } from "../../support/mcp.ts";

let dir: string;
beforeEach(() => {
  dir = tempDir("mcp-walk-");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

describe("findDatabases", () => {
  test("never follows a symlink: link -> ../other, loop -> ., a symlinked *.db; backups/ at the top left out", () => {
    const app = join(dir, "app");
    mkdirSync(join(app, "data", "deep"), { recursive: true });
    mkdirSync(join(app, "backups"));
    mkdirSync(join(dir, "other"));
    writeFileSync(join(dir, "other", "x.db"), "");
    writeFileSync(join(app, "data", "a.db"), "");
    writeFileSync(join(app, "data", "deep", "b.db"), "");
    writeFileSync(join(app, "backups", "old.db"), "");
    symlinkSync("../other", join(app, "link"));
    symlinkSync(".", join(app, "loop"));
    symlinkSync("../other/x.db", join(app, "fake.db"));
    const t0 = performance.now();
    expect(findDatabases(app)).toEqual(["data/a.db", "data/deep/b.db"]);
    expect(performance.now() - t0).toBeLessThan(5_000); // Bun's recursive readdir spun here until ELOOP
  });

  test("is bounded", () => {
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}`), "");
    expect(refusal(() => findDatabases(dir, { maxEntries: 10 }))).toMatch(/holds more than 10 entries/);
  });
});

describe("checkExtractedTree", () => {
  test("strips setuid, setgid and sticky bits, the top's too", () => {
    writeFileSync(join(dir, "tool"), "");
    chmodSync(join(dir, "tool"), 0o4755);
    mkdirSync(join(dir, "shared"));
    chmodSync(join(dir, "shared"), 0o3775);
    chmodSync(dir, 0o2750);
    checkExtractedTree(dir, 100);
    expect(statSync(join(dir, "tool")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, "shared")).mode & 0o7777).toBe(0o775);
    expect(statSync(dir).mode & 0o7777).toBe(0o750);
  });

  test("refuses a FIFO, a hardlink, a symlink that leaves (also through another)", async () => {
    const fresh = (name: string) => {
      const d = join(dir, name);
      mkdirSync(d);
      return d;
    };
    const fifo = fresh("fifo");
    await $`mkfifo ${join(fifo, "p")}`;
    expect(refusal(() => checkExtractedTree(fifo, 100))).toMatch(/member "p" is refused: it was extracted as a device, FIFO or socket/);
    const hard = fresh("hard");
    writeFileSync(join(hard, "a"), "");
    linkSync(join(hard, "a"), join(hard, "b"));
    expect(refusal(() => checkExtractedTree(hard, 100))).toMatch(/it was extracted as a hardlink/);
    const chain = fresh("chain");
    mkdirSync(join(chain, "d"));
    symlinkSync("..", join(chain, "d", "s"));
    symlinkSync("d/s/..", join(chain, "t"));
    expect(refusal(() => checkExtractedTree(chain, 100))).toMatch(/member "t" is refused: it was extracted as a symlink to "d\/s\/\.\."/);
    const fine = fresh("fine");
    symlinkSync(".", join(fine, "loop"));
    mkdirSync(join(fine, "sub"));
    symlinkSync("../loop/sub", join(fine, "sub", "back"));
    expect(refusal(() => checkExtractedTree(fine, 100))).toBeNull();
  });
});

describe("resolveLink", () => {
  const links = new Map([
    ["loop", "."],
    ["d/s", ".."],
    ["abs", "/etc"],
    ["x", "y"],
    ["y", "x"],
  ]);
  const cases: [string, string, ReturnType<typeof resolveLink>][] = [
    ["up", "..", "outside"],
    ["a/b", "..", null],
    ["a/b", "../..", "outside"],
    ["a/b", "../x", null], // the last component is judged as a symlink of its own
    ["a/b", "../x/z", "loop"],
    ["t", "loop/loop/loop/..", "outside"],
    ["t", "loop/loop/loop", null],
    ["t", "d/s/..", "outside"],
    ["t", "d/s", null],
    ["t", "abs/x", "absolute"],
    ["t", "/etc", "absolute"],
    ["t", "./././", null],
  ];
  for (const [path, target, want] of cases) {
    test(`${path} -> ${target}: ${want ?? "inside"}`, () => expect(resolveLink(links, path.split("/"), target)).toBe(want));
  }
  test("findEscapingLink names the first symlink that leaves", () => {
    expect(findEscapingLink(new Map([["a", "."], ["b", "a/.."]]))?.path).toBe("b");
    expect(findEscapingLink(new Map([["a", "."], ["b", "a/c"]]))).toBeNull();
  });
});
