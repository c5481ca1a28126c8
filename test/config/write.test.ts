import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/config/index.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-write-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  test("replaces the content, keeps the mode, leaves no temporary file", async () => {
    const path = join(dir, "a.toml");
    await writeFile(path, "old\n");
    await chmod(path, 0o600);
    await writeFileAtomic(path, "new\n");
    expect(await readFile(path, "utf8")).toBe("new\n");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["a.toml"]);
  });

  test("a new file gets the given mode exactly, whatever the umask", async () => {
    const path = join(dir, "b.toml");
    await writeFileAtomic(path, "x", { mode: 0o664 });
    expect((await stat(path)).mode & 0o777).toBe(0o664);
  });

  test("creates the directory only when asked", async () => {
    const path = join(dir, "sub", "deeper", "c.toml");
    await expect(writeFileAtomic(path, "x")).rejects.toThrow();
    await writeFileAtomic(path, "x", { createDir: true });
    expect(await readFile(path, "utf8")).toBe("x");
  });
});
