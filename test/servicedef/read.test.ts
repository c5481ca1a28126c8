import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";
import {
  loadServiceDef, readServiceDef, readServiceDefs, serviceDefPath, setActiveInFile,
} from "../../src/servicedef/index.ts";

const EXAMPLES = join(import.meta.dir, "../../examples/services");
const FIXTURES = join(import.meta.dir, "../fixtures");

async function failure(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-servicedef-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("reading definitions", () => {
  test("readServiceDefs reads every example, sorted by file name", async () => {
    const { defs, warnings } = await readServiceDefs(EXAMPLES);
    expect(defs.map((d) => d.name)).toEqual(["hello", "metacrypt"]);
    expect(warnings).toEqual([]);
  });

  test("readServiceDef checks the file name against name", async () => {
    const path = join(dir, "wrong.toml");
    await writeFile(path, await readFile(join(EXAMPLES, "hello.toml")));
    const err = await failure(readServiceDef(path));
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toStartWith(`${path}:3: name: "hello" does not match the file name wrong.toml`);
  });

  test("a missing directory names it and points at services.dir", async () => {
    const err = await failure(readServiceDefs(join(dir, "nope")));
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toContain(join(dir, "nope"));
    expect(err.hint).toContain("services.dir");
  });

  test("an invalid file stops the listing with its own message", async () => {
    const err = await failure(readServiceDefs(join(FIXTURES, "services-bad")));
    expect(err.message).toBe(`${join(FIXTURES, "services-bad", "typo.toml")}:7: components[0].imagee: unknown key`);
  });

  test("hidden files, other extensions and directories are skipped", async () => {
    const d = join(dir, "mixed");
    await Bun.write(join(d, "hello.toml"), await readFile(join(EXAMPLES, "hello.toml")));
    await Bun.write(join(d, ".hello.toml"), "garbage = [");
    await Bun.write(join(d, "notes.txt"), "garbage = [");
    await Bun.write(join(d, "sub.toml", "x"), "garbage = [");
    const { defs } = await readServiceDefs(d);
    expect(defs.map((x) => x.name)).toEqual(["hello"]);
  });

  test("loadServiceDef finds a service by name, and says how to create a missing one", async () => {
    expect((await loadServiceDef(EXAMPLES, "metacrypt")).def.node).toBe("rift");
    const err = await failure(loadServiceDef(EXAMPLES, "nothing"));
    expect(err.message).toBe(`no definition for service "nothing" in ${EXAMPLES}`);
    expect(err.hint).toBe(`create ${join(EXAMPLES, "nothing.toml")}`);
  });

  test("serviceDefPath refuses names that break the rule (no path tricks)", () => {
    expect(serviceDefPath("/x", "hello")).toBe("/x/hello.toml");
    expect(() => serviceDefPath("/x", "../etc/passwd")).toThrow(/not a valid service name/);
  });
});

describe("setActiveInFile", () => {
  test("edits in place, keeps the mode, leaves no temporary file", async () => {
    const d = join(dir, "active");
    const path = join(d, "hello.toml");
    const original = await readFile(join(EXAMPLES, "hello.toml"), "utf8");
    await Bun.write(path, original);
    await chmod(path, 0o640);
    expect(await setActiveInFile(path, false)).toEqual({ changed: true });
    const stopped = await readFile(path, "utf8");
    expect(stopped).toBe(original.replace("active = true ", "active = false"));
    expect(stopped.split("\n").filter((l, i) => l !== original.split("\n")[i])).toEqual([
      "active = false                # false = every component desired stopped",
    ]);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readdir(d)).toEqual(["hello.toml"]);
    expect((await readServiceDef(path)).def.active).toBe(false);

    expect(await setActiveInFile(path, false)).toEqual({ changed: false });
    expect(await setActiveInFile(path, true)).toEqual({ changed: true });
    expect(await readFile(path, "utf8")).toBe(original);
  });
});
