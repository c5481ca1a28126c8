import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";

// The import rules of STYLE.md, read from the import lines of src/.
const ROOT = `${import.meta.dir}/../src`;
const files = [...new Glob("**/*.ts").scanSync(ROOT)].filter((f) => !f.startsWith("gen/"));

function importsOf(file: string): string[] {
  const text = readFileSync(`${ROOT}/${file}`, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

function folderOf(file: string): string {
  return file.includes("/") ? file.split("/")[0]! : file;
}

function target(file: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  const parts = file.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

const INNER = ["runtime", "monitor", "servicedef", "config", "store", "lib", "policy"];
const OUTER = ["podman", "rpc", "gen", "agent", "cli", "modes"];

describe("import rules", () => {
  test("there are files to check", () => expect(files.length).toBeGreaterThan(30));

  test("inner layers never import podman, rpc, gen, agent, cli or modes", () => {
    const bad = files.flatMap((f) =>
      INNER.includes(folderOf(f)) ? importsOf(f).map((s) => target(f, s)).filter((t) => OUTER.includes(t.split("/")[0]!)).map((t) => `${f} → ${t}`) : [],
    );
    expect(bad).toEqual([]);
  });

  test("only rpc/ imports gen/", () => {
    const bad = files.flatMap((f) => (folderOf(f) === "rpc" ? [] : importsOf(f).filter((s) => target(f, s).startsWith("gen/")).map((s) => `${f} → ${s}`)));
    expect(bad).toEqual([]);
  });

  test("only store/ imports bun:sqlite", () => {
    expect(files.filter((f) => folderOf(f) !== "store" && importsOf(f).includes("bun:sqlite"))).toEqual([]);
  });

  test("only podman/runner.ts (and cli/editor.ts, for $EDITOR) spawns processes", () => {
    const bad = files.filter((f) => f !== "podman/runner.ts" && f !== "cli/editor.ts" && !f.startsWith("snapshot/") && /Bun\.spawn|node:child_process/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(bad).toEqual([]);
  });

  test("only modes/ and main.ts read process.env", () => {
    const bad = files.filter((f) => !f.startsWith("modes/") && f !== "main.ts" && /process\.env/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(bad).toEqual([]);
  });

  test("process.exit only in main.ts", () => {
    expect(files.filter((f) => f !== "main.ts" && /process\.exit\(/.test(readFileSync(`${ROOT}/${f}`, "utf8")))).toEqual([]);
  });

  test("dynamic imports use literal paths (the compiled binary needs them)", () => {
    const bad = files.filter((f) => /import\(\s*[^"'\s)]/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(bad).toEqual([]);
  });
});
